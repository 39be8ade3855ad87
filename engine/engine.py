"""The engine: the current snapshot, its hot swap, and the answers of the endpoints.

Requests take a lease (``with engine.lease() as view:``) that pins one snapshot for
the whole request. ``refresh()`` opens a newly published snapshot beside the serving
one and swaps them in one step; the old one is closed when its last lease ends, so a
request never fails or mixes two snapshots. An engine may start with no snapshot
(``Engine(data_dir)``): its first ``refresh()`` attaches one, and until then a lease
raises ``NotReady``. If CURRENT names nothing that opens while nothing is served (a
garbled pointer, a missing folder), the newest snapshot that opens serves meanwhile,
and CURRENT is still followed: a good one replaces it at the next ``refresh()``.

An engine never goes back: a CURRENT naming a snapshot older than one it served is
ignored (logged once). Replicas each follow CURRENT on a shared volume, where one may
read a stale pointer after a newer one; going back would show a client figures older
than those it already saw. To serve older data again, publish it as a new snapshot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from engine.database import Database, read_checked_manifest
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
from engine.serving import DEFAULT_RESOURCES, Resources, SnapshotRefused
from engine.statement import render
from snapshot.layout import BadCurrent, current_id, published_ids, snapshot_dir
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


class NotReady(Exception):
    """No snapshot is attached yet; the message says why (retry shortly)."""


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
    """An open snapshot and the leases on it; closed once retired and unleased."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.leases = 0
        self.retired = False


def newest_good_manifest(data_dir: Path) -> Manifest | None:
    """The manifest of the newest published snapshot that has a sound one, if any: what
    serves while CURRENT names nothing that opens."""
    for snapshot_id in reversed(published_ids(data_dir)):
        try:
            return read_checked_manifest(snapshot_dir(data_dir, snapshot_id))
        except SnapshotRefused:
            continue
    return None


def current_manifest(data_dir: Path) -> Manifest:
    """The manifest of the snapshot CURRENT names, without opening anything else: a
    quick check before serving. Raises ``NoSnapshot`` or ``SnapshotRefused``."""
    snapshot_id = current_id(data_dir)
    if snapshot_id is None:
        raise NoSnapshot(f"no current snapshot in {data_dir}")
    return read_checked_manifest(snapshot_dir(data_dir, snapshot_id))


class Engine:
    """Serves the current snapshot of a data directory; safe to share across threads."""

    def __init__(
        self,
        data_dir: Path,
        database: Database | None = None,
        resources: Resources = DEFAULT_RESOURCES,
    ) -> None:
        self._data_dir = data_dir
        self._resources = resources
        self._slot = None if database is None else _Slot(database)
        self._lock = threading.Lock()  # guards _slot, the lease counts and _closed
        self._refreshing = threading.Lock()  # one refresh at a time
        self._refused: set[str] = set()  # snapshot ids refused, never retried (immutable)
        self._bad_current: str | None = None  # why CURRENT names nothing, logged once
        # The newest snapshot served (ids sort by creation time), and an older one that
        # CURRENT named since, ignored and logged once.
        self._newest = None if database is None else database.id
        self._older: str | None = None
        self._closed = False
        self.refused_total = 0  # snapshots refused since start (a metric)
        # Why no snapshot is attached, while none is (what NotReady says).
        self._waiting = "no snapshot attached yet"

    @classmethod
    def open(cls, data_dir: Path, resources: Resources = DEFAULT_RESOURCES) -> Engine:
        """Open the current snapshot now. Raises ``NoSnapshot`` without CURRENT, and
        ``SnapshotRefused`` if the snapshot CURRENT names cannot be opened."""
        snapshot_id = current_id(data_dir)
        if snapshot_id is None:
            raise NoSnapshot(f"no current snapshot in {data_dir}")
        database = Database.open(snapshot_dir(data_dir, snapshot_id), resources)
        log.info("serving snapshot %s", snapshot_id)
        return cls(data_dir, database, resources)

    @property
    def snapshot_id(self) -> str | None:
        """The served snapshot's id; None before one is attached."""
        slot = self._slot
        return None if slot is None else slot.database.id

    @contextmanager
    def lease(self) -> Iterator[SnapshotView]:
        """Pin the current snapshot for the ``with`` block, even across a swap."""
        with self._lock:
            if self._closed:
                raise EngineClosed("the engine is closed")
            slot = self._slot
            if slot is None:
                raise NotReady(self._waiting)
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
        """Attach the snapshot CURRENT names if it is new; True if it did. A snapshot
        that fails to open is logged, counted and refused once; the current one (if
        any) keeps serving, else the newest snapshot that opens."""
        with self._refreshing:
            try:
                snapshot_id = current_id(self._data_dir)
            except BadCurrent as error:
                if str(error) != self._bad_current:  # once per value, not once per poll
                    self._bad_current = str(error)
                    log.error("%s", error)
                self._waiting = str(error)
                return self._fall_back()
            self._bad_current = None
            if snapshot_id is None:
                self._waiting = f"no snapshot published in {self._data_dir}"
                return False
            if snapshot_id == self.snapshot_id or self._is_older(snapshot_id):
                return False
            if snapshot_id not in self._refused and self._attach(snapshot_id):
                return True
            return self._fall_back()

    def _is_older(self, snapshot_id: str) -> bool:
        """Is ``snapshot_id`` older than a snapshot served (logged once if so)?"""
        if self._newest is None or snapshot_id >= self._newest:
            return False
        if snapshot_id != self._older:
            self._older = snapshot_id
            log.error(
                "CURRENT names snapshot %s, older than %s served before: not going back",
                snapshot_id,
                self._newest,
            )
        return True

    def _fall_back(self) -> bool:
        """With nothing served yet, the newest snapshot that opens; True if one did. Once
        one is served it stays until CURRENT names a newer one: never back below it."""
        if self._slot is not None:
            return False
        for snapshot_id in reversed(published_ids(self._data_dir)):
            if snapshot_id not in self._refused and self._attach(snapshot_id, fallback=True):
                return True
        return False

    def _attach(self, snapshot_id: str, *, fallback: bool = False) -> bool:
        """Open ``snapshot_id`` and serve it; False if it is refused (then counted,
        logged and remembered) or the engine closed meanwhile."""
        serving = self.snapshot_id
        if not fallback:
            self._waiting = f"opening snapshot {snapshot_id}"
        started = time.perf_counter()
        try:
            database = Database.open(snapshot_dir(self._data_dir, snapshot_id), self._resources)
        except SnapshotRefused as error:
            self._refused.add(snapshot_id)
            self.refused_total += 1
            if not fallback:
                self._waiting = f"snapshot refused: {error}"
            still = f"still serving {serving}" if serving else "serving none"
            log.error("snapshot %s refused, %s: %s", snapshot_id, still, error)
            return False
        with self._lock:
            closed = self._closed
            if not closed:
                old, self._slot = self._slot, _Slot(database)
                self._newest = max(snapshot_id, self._newest or snapshot_id)
        if closed:  # closed while opening: nobody will use the new one
            database.close()
            return False
        if old is not None:
            self._retire(old)
        log.info(
            "serving snapshot %s%s, opened in %.2f s%s",
            snapshot_id,
            " (the newest that opens: CURRENT names none)" if fallback else "",
            time.perf_counter() - started,
            f" (was {serving})" if serving else "",
        )
        return True

    def close(self) -> None:
        """Serve no more leases; the snapshot closes when the last one ends."""
        with self._lock:
            self._closed = True
            slot = self._slot
        if slot is not None:
            self._retire(slot)

    def _retire(self, slot: _Slot) -> None:
        with self._lock:
            already = slot.retired
            slot.retired = True
            done = not already and slot.leases == 0
        if done:
            slot.database.close()
