"""`visites follow`: the snapshot kept up to date from the source's binary log.

Start: resume from the current snapshot if `visites follow` published it (its manifest
holds the binary log position, and its folder the orphans, see state.py), else take a
full snapshot: the eight tables read in one consistent read (snapshot/mysql.py) whose
binary log position MariaDB tells, normalised into the working state, published.

Then, forever: read the row events from that position (snapshot/binlog.py); hold each
transaction's changes until its commit; apply the committed ones to the state; and at
most every ``interval`` seconds, when something changed, publish a new version (its
Parquet files, orphans, serving database through ``prepare``, and manifest with the
position of the last commit in it) exactly as the snapshot job publishes, pruned alike.
A version holds every transaction before its position and none after, so a restart
from it loses and repeats nothing.

What the stream cannot say row by row (DDL, TRUNCATE, a statement logged as text), a
position the server no longer has, a state that no longer mirrors the source, and a new
day (which moves the bound of plausible dates, SPEC §3) start again from a full
snapshot, logged. A broken or silent connection is resumed from the last commit, after
a pause that doubles up to BACKOFF_MAX.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pymysql

from snapshot.binlog import (
    LOG_PURGED,
    Change,
    Commit,
    Idle,
    Reshaped,
    ServerNotReady,
    Stream,
    StreamLost,
    check_server,
    connection_args,
    current_position,
    has_log,
)
from snapshot.job import Prepare, SnapshotBusy, publish_snapshot
from snapshot.layout import BadCurrent, current_dir, snapshot_dir
from snapshot.manifest import BinlogPosition, Manifest, Source, read_manifest
from snapshot.mysql import MySQLSource, SourceError
from snapshot.state import Diverged, State
from snapshot.tables import TABLES

# Seconds between two attempts to reach the server: doubling from the first to the last.
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
# Committed rows held before they are applied to the state, when catching up.
MAX_PENDING_ROWS = 50_000
# Events read ahead while the follower publishes (a few minutes of a busy CRM).
BACKLOG = 100_000
LOCK = ".follow.lock"
SCRATCH = ".follow"


class FollowSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str  # VISITES_MYSQL_URL
    data_dir: Path
    keep: int  # snapshots kept, as the job keeps them
    interval: float  # seconds at least between two versions (VISITES_FOLLOW_INTERVAL)
    timeout: float  # VISITES_MYSQL_TIMEOUT
    batch_rows: int  # the full snapshot's chunks (VISITES_BATCH_ROWS)
    memory_limit: str  # the state's DuckDB (VISITES_MEMORY_LIMIT, VISITES_THREADS)
    threads: int


class FollowBusy(RuntimeError):
    """Another `visites follow` runs on the data directory."""


class _StartOver(Exception):
    """Only a full snapshot can go on from here; the message says why."""


class _PublishFailed(RuntimeError):
    """A version could not be published; the state is kept, to try again."""


class Pending:
    """Committed changes not yet applied to the state: per table, raw rows taken away
    and added."""

    def __init__(self) -> None:
        self._removed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._added: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.rows = 0

    def __bool__(self) -> bool:
        return self.rows > 0

    def extend(self, changes: list[Change]) -> None:
        for change in changes:
            if change.before is not None:
                self._removed[change.table].append(change.before)
            if change.after is not None:
                self._added[change.table].append(change.after)
        self.rows += len(changes)

    def apply(self, state: State) -> None:
        """Apply every held change to ``state``, then hold nothing."""
        for table in TABLES:
            removed, added = self._removed.pop(table.name, []), self._added.pop(table.name, [])
            if removed or added:
                schema = table.raw_schema()
                try:
                    rows = [pa.Table.from_pylist(r, schema=schema) for r in (removed, added)]
                except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                    raise SourceError(
                        f"{table.name}: a value the snapshot's types cannot hold ({error})"
                    ) from None
                state.apply(table, *rows)
        self.rows = 0


class _Backoff:
    def __init__(self) -> None:
        self._next = BACKOFF_FIRST

    def reset(self) -> None:
        self._next = BACKOFF_FIRST

    def __call__(self) -> float:
        delay, self._next = self._next, min(self._next * 2, BACKOFF_MAX)
        return delay


def _reason(error: pymysql.err.MySQLError) -> str:
    """PyMySQL's own message, which names neither the URL nor its password."""
    return f"({error.args[0]}) {error.args[1]}" if len(error.args) > 1 else type(error).__name__


def _today() -> date:
    """The day (UTC) that bounds plausible dates, as the snapshot job takes it."""
    return datetime.now(UTC).date()


@contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    """One follower per data directory, for its whole life."""
    with open(data_dir / LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FollowBusy(f"another visites follow runs on {data_dir}") from None
        yield


class Follower:
    """Follows the source of ``settings.url`` into ``settings.data_dir`` until ``stop``
    is set (``run``); ``prepare`` builds each version's serving database."""

    def __init__(
        self,
        settings: FollowSettings,
        source: Source,
        prepare: Prepare | None,
        stop: threading.Event,
        log: logging.Logger,
    ) -> None:
        self._settings = settings
        self._source = source
        self._prepare = prepare
        self._stop = stop
        self._log = log
        self._args = connection_args(settings.url, settings.timeout)
        self._database = source.database or ""
        self._scratch = settings.data_dir / SCRATCH
        self._state: State | None = None
        self._position = BinlogPosition("", 0)  # of the last commit in state or pending
        self._pending = Pending()
        self._previous: Path | None = None  # the last version published, or resumed from
        self._published_at = 0.0
        self._backoff = _Backoff()

    def run(self) -> None:
        """Check the server (``ServerNotReady``), then follow until stopped."""
        self._settings.data_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(self._settings.data_dir):
            try:
                with closing(pymysql.connect(**self._args)) as admin:
                    check_server(admin, self._args, self._database)
            except pymysql.err.MySQLError as error:
                raise ServerNotReady(f"cannot check the server: {_reason(error)}") from None
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch.mkdir()
            try:
                self._loop()
            finally:
                self._drop_state()

    def _loop(self) -> None:
        reason: str | None = None  # why the next start must be a full snapshot
        while not self._stop.is_set():
            try:
                if self._state is None:
                    reason = reason or self._resume()
                    if reason is not None:
                        self._full_snapshot(reason)
                        reason = None
                self._follow()
            except (_StartOver, Diverged) as why:
                self._drop_state()
                reason = str(why)
            except (pymysql.err.MySQLError, StreamLost, SourceError, _PublishFailed) as error:
                delay = self._backoff()
                problem = _reason(error) if isinstance(error, pymysql.err.MySQLError) else error
                self._log.warning("%s; trying again in %.1f s", problem, delay)
                self._stop.wait(delay)

    def _drop_state(self) -> None:
        if self._state is not None:
            self._state.__exit__()
        self._state = None
        self._pending = Pending()

    def _resume(self) -> str | None:
        """Load the state from the current snapshot and return None; or say why not."""
        try:
            folder = current_dir(self._settings.data_dir)
            manifest = None if folder is None else read_manifest(folder)
        except (BadCurrent, OSError, msgspec.DecodeError) as error:
            return f"the current snapshot cannot be read ({error})"
        if folder is None or manifest is None:
            return "no snapshot is published yet"
        if manifest.binlog is None or manifest.snapshot_day is None:
            return f"the current snapshot {manifest.id} was not published by visites follow"
        if manifest.source != self._source:
            return f"the current snapshot {manifest.id} comes from another source"
        if manifest.snapshot_day != _today().isoformat():
            return f"the current snapshot {manifest.id} is of {manifest.snapshot_day}, not today"
        with closing(pymysql.connect(**self._args)) as admin:
            if not has_log(admin, manifest.binlog.file):
                return f"the server no longer has the binary log {manifest.binlog} (purged)"
        self._state = self._load(folder, manifest)
        self._position, self._previous = manifest.binlog, folder
        self._log.info("resuming from %s (snapshot %s)", manifest.binlog, manifest.id)
        return None

    def _load(self, folder: Path, manifest: Manifest) -> State:
        return State.load(
            folder,
            manifest,
            memory_limit=self._settings.memory_limit,
            threads=self._settings.threads,
            scratch=self._scratch,
        )

    def _full_snapshot(self, reason: str) -> None:
        """Read every table in one consistent read, with its position; publish it."""
        self._log.warning("taking a full snapshot: %s", reason)
        started = time.monotonic()
        state = State(
            _today(),
            memory_limit=self._settings.memory_limit,
            threads=self._settings.threads,
            scratch=self._scratch,
        )
        try:
            with MySQLSource(
                self._settings.url, self._settings.batch_rows, self._settings.timeout
            ) as mysql:
                position = mysql.binlog_position()
                for table in TABLES:
                    nothing = table.raw_schema().empty_table()
                    for batch in mysql.read(table):
                        state.apply(table, nothing, batch)
        except BaseException:
            state.__exit__()
            raise
        self._state, self._position, self._previous = state, position, None
        self._log.info("read the source at %s in %.1f s", position, time.monotonic() - started)
        self._publish(state)

    def _follow(self) -> None:
        """Read the stream from the last commit and publish what is due, until stopped.
        Raises what breaks the stream, and ``_StartOver``."""
        state = self._state
        assert state is not None
        try:
            with (
                closing(pymysql.connect(**self._args)) as admin,
                Stream(self._args, self._database, self._position, BACKLOG) as stream,
            ):
                if not has_log(admin, self._position.file):
                    raise _StartOver(f"the server no longer has {self._position} (purged)")
                self._read(stream, admin, state)
        except pymysql.err.OperationalError as error:
            if error.args[0] == LOG_PURGED:
                raise _StartOver(f"the server no longer has {self._position}: {error}") from None
            raise

    def _read(self, stream: Stream, admin: pymysql.Connection, state: State) -> None:
        transaction: list[Change] = []
        target: BinlogPosition | None = None  # publish once the stream has read this far
        for event, read_to in stream:
            if self._stop.is_set():
                return
            if isinstance(event, Change):
                transaction.append(event)
            elif isinstance(event, Commit):
                self._pending.extend(transaction)
                transaction = []
                self._position = event.position
                self._backoff.reset()
            elif isinstance(event, Reshaped):
                raise _StartOver(f"a statement changed a followed table: {event.statement[:200]}")
            else:
                self._backoff.reset()
            if self._pending.rows >= MAX_PENDING_ROWS:
                self._pending.apply(state)
            if _today() != state.day:
                raise _StartOver(f"a new day ({_today()}) moves the bound of plausible dates")
            if target is None and self._due(state):
                target = current_position(admin)
            if target is not None and (read_to >= target or isinstance(event, Idle)):
                self._publish(state)
                target = None

    def _due(self, state: State) -> bool:
        changed = bool(self._pending) or state.changed
        return changed and time.monotonic() - self._published_at >= self._settings.interval

    def _publish(self, state: State) -> None:
        """Apply what is pending and publish a version at the last commit's position."""
        self._pending.apply(state)
        self._published_at = time.monotonic()
        if not state.changed:
            return
        previous = self._previous if self._previous and self._previous.is_dir() else None
        try:
            manifest = publish_snapshot(
                self._settings.data_dir,
                self._source,
                lambda staging, _: state.write(staging, previous),
                keep=self._settings.keep,
                prepare=self._prepare,
                binlog=self._position,
                snapshot_day=state.day,
            )
        except SnapshotBusy as error:
            self._log.info("%s: publishing at the next interval", error)
            return
        except Exception as error:
            # A full disk, a build the engine refuses: the state stays, to try again.
            raise _PublishFailed(f"cannot publish a version: {error}") from error
        state.written()
        self._previous = snapshot_dir(self._settings.data_dir, manifest.id)
        self._log.info(
            "published snapshot %s at %s in %.1f s",
            manifest.id,
            self._position,
            time.monotonic() - self._published_at,
        )
