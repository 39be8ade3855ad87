"""The engine: the current snapshot, its hot swap, and the answers of the endpoints.

Requests take a lease (``with engine.lease() as view:``) that pins one snapshot for
the whole request. ``refresh()`` loads a newly published snapshot beside the serving
one and swaps them in one step; the old one is closed when its last lease ends, so a
request never fails or mixes two snapshots.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from engine.database import Database, SnapshotRefused
from engine.filters import EvaluationFilter, Filter, InvestFilter, VisiteFilter
from engine.results import (
    Choices,
    DataResult,
    EvaluationResult,
    InvestResult,
    PartenaireResult,
    PerformanceResult,
    Result,
    UsersResult,
)
from engine.statement import render
from snapshot.layout import current_id, snapshot_dir
from snapshot.manifest import Manifest

log = logging.getLogger("visites.engine")

# endpoint -> (filter type, result type)
_CONTRACT: dict[str, tuple[type[Filter], type[Result]]] = {
    "data": (VisiteFilter, DataResult),
    "performance": (VisiteFilter, PerformanceResult),
    "partenaire": (VisiteFilter, PartenaireResult),
    "users": (VisiteFilter, UsersResult),
    "evaluation": (EvaluationFilter, EvaluationResult),
    "invest": (InvestFilter, InvestResult),
}
ENDPOINTS: dict[str, type[Filter]] = {name: types[0] for name, types in _CONTRACT.items()}
RESULTS: dict[str, type[Result]] = {name: types[1] for name, types in _CONTRACT.items()}


class NoSnapshot(Exception):
    """The data directory has no CURRENT snapshot (run ``visites snapshot`` first)."""


class EngineClosed(RuntimeError):
    """The engine was closed: it serves no more leases."""


class _Membership(msgspec.Struct, frozen=True):
    member: bool


class SnapshotView:
    """Every answer of one snapshot; valid only inside the lease that made it."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def id(self) -> str:
        return self._database.id

    @property
    def manifest(self) -> Manifest:
        return self._database.manifest

    def answer(self, endpoint: str, filter_: Filter, *, scope: int | None = None) -> Result:
        """The answer of ``endpoint`` (a key of ENDPOINTS) to ``filter_``.

        ``scope`` is the manager a scoped token sees the team of (SPEC §7), apart from
        the filter: the filter already keeps the team's rows, but a figure over other
        rows (/invest's partner visit count) must then count the team's rows only."""
        filter_type, result_type = _CONTRACT[endpoint]
        if not isinstance(filter_, filter_type):
            raise TypeError(f"/{endpoint} takes a {filter_type.__name__}, not {filter_!r}")
        return self._database.fetch(render(endpoint, filter_, scope=scope), result_type)

    def in_team(self, responsable: int, utilisateur: int) -> bool:
        """Is ``utilisateur`` in the team of ``responsable`` (SPEC §4)?"""
        statement = render("in_team", responsable=responsable, utilisateur=utilisateur)
        return self._database.fetch(statement, _Membership).member

    def choices(self, responsable: int | None = None) -> Choices:
        """The gammes, regions and users the dashboard's filter bar offers; only the team
        of ``responsable`` when given."""
        return self._database.fetch(render("choices", responsable=responsable), Choices)


class _Slot:
    """A loaded snapshot and the leases on it; closed once retired and unleased."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.leases = 0
        self.retired = False


class Engine:
    """Serves the current snapshot of a data directory; safe to share across threads."""

    def __init__(self, data_dir: Path, database: Database) -> None:
        self._data_dir = data_dir
        self._slot = _Slot(database)
        self._lock = threading.Lock()  # guards _slot, the lease counts and _closed
        self._refreshing = threading.Lock()  # one refresh at a time
        self._refused: str | None = None  # the last snapshot id refused, not retried
        self._closed = False

    @classmethod
    def open(cls, data_dir: Path) -> Engine:
        """Load the current snapshot. Raises ``NoSnapshot`` without CURRENT, and
        ``SnapshotRefused`` if the snapshot CURRENT names cannot be loaded."""
        snapshot_id = current_id(data_dir)
        if snapshot_id is None:
            raise NoSnapshot(f"no current snapshot in {data_dir}")
        database = Database.open(snapshot_dir(data_dir, snapshot_id))
        log.info("serving snapshot %s", snapshot_id)
        return cls(data_dir, database)

    @property
    def snapshot_id(self) -> str:
        return self._slot.database.id

    @contextmanager
    def lease(self) -> Iterator[SnapshotView]:
        """Pin the current snapshot for the ``with`` block, even across a swap."""
        with self._lock:
            if self._closed:
                raise EngineClosed("the engine is closed")
            slot = self._slot
            slot.leases += 1
        try:
            yield SnapshotView(slot.database)
        finally:
            with self._lock:
                slot.leases -= 1
                done = slot.retired and slot.leases == 0
            if done:
                slot.database.close()

    def refresh(self) -> bool:
        """Swap to the snapshot CURRENT names if it is new; True if swapped. A snapshot
        that fails to load is logged and refused once; the current one keeps serving."""
        with self._refreshing:
            snapshot_id = current_id(self._data_dir)
            if snapshot_id in (None, self.snapshot_id, self._refused):
                return False
            try:
                database = Database.open(snapshot_dir(self._data_dir, snapshot_id))
            except SnapshotRefused as error:
                self._refused = snapshot_id
                log.error(
                    "snapshot %s refused, still serving %s: %s",
                    snapshot_id,
                    self.snapshot_id,
                    error,
                )
                return False
            with self._lock:
                closed = self._closed
                if not closed:
                    old, self._slot = self._slot, _Slot(database)
            if closed:  # closed while loading: nobody will use the new one
                database.close()
                return False
            self._retire(old)
            log.info("serving snapshot %s (was %s)", snapshot_id, old.database.id)
            return True

    def close(self) -> None:
        """Serve no more leases; the snapshot closes when the last one ends."""
        with self._lock:
            self._closed = True
            slot = self._slot
        self._retire(slot)

    def _retire(self, slot: _Slot) -> None:
        with self._lock:
            already = slot.retired
            slot.retired = True
            done = not already and slot.leases == 0
        if done:
            slot.database.close()
