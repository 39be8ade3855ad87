"""The source's binary log, as `visites follow` reads it: the server's settings and the
user's grants checked at start, then the row events of the eight tables as raw rows,
the commits that end them, and the statements that change a table's shape.

python-mysql-replication (``pymysqlreplication``) speaks the replication protocol and
decodes the events. Its values become the raw rows the snapshot job reads (snapshot/
mysql.py): a date as MySQL's text, a zero or invalid date as ``0000-00-00``, so that the
same SPEC §3 rules clean and count them (snapshot/state.py).
"""

from __future__ import annotations

import datetime
import queue
import random
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pymysql
from pymysqlreplication import BinLogStreamReader
from pymysqlreplication.constants import NONE_SOURCE
from pymysqlreplication.event import HeartbeatLogEvent, QueryEvent, XidEvent
from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent
from sqlalchemy.engine import URL

from snapshot.manifest import BinlogPosition
from snapshot.mysql import parse_url
from snapshot.tables import BY_NAME, TABLES, Column, Kind, Table

# The server sends a heartbeat after this many idle seconds: the follower wakes at least
# that often (to publish what is due), and a stream silent for much longer has stalled.
HEARTBEAT = 0.5
# Without a byte for this long (or VISITES_MYSQL_TIMEOUT, if shorter) the stream has
# stalled silently (a dead peer whose socket stays open): it is dropped and resumed.
STALLED_AFTER = 10.0
# MySQL's error numbers that mean something to the follower.
ACCESS_DENIED = (1227, 1142, 1044, 1045)
LOG_PURGED = 1236

# The zero value of each temporal kind, as MySQL prints it: what a zero or invalid date
# is in the source (the library gives None for both, and says why).
ZERO = {
    Kind.DATETIME: "0000-00-00 00:00:00",
    Kind.DATE: "0000-00-00",
    Kind.TIME: "00:00:00",
}
OUT_OF_RANGE = frozenset(
    {
        NONE_SOURCE.OUT_OF_DATE_RANGE,
        NONE_SOURCE.OUT_OF_DATETIME_RANGE,
        NONE_SOURCE.OUT_OF_DATETIME2_RANGE,
    }
)


class ServerNotReady(RuntimeError):
    """The server or the user cannot be followed; the message says what to set, in one
    line, and never holds the password."""


class StreamLost(RuntimeError):
    """The binary log stream broke: closed, or stalled past its read timeout."""


def connection_args(url: str, timeout: float) -> dict[str, Any]:
    """PyMySQL's connection arguments for the database of ``url`` (no database named:
    the binary log is the server's), every round trip bounded by ``timeout``."""
    parsed: URL = parse_url(url)
    return {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 3306,
        "user": parsed.username or "",
        "password": parsed.password or "",
        "charset": "utf8mb4",
        "connect_timeout": timeout,
        "read_timeout": timeout,
        "write_timeout": timeout,
    }


def _variables(cursor: pymysql.cursors.Cursor, names: tuple[str, ...]) -> dict[str, str]:
    marks = ", ".join(["%s"] * len(names))
    cursor.execute(f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({marks})", names)
    return {name.lower(): str(value) for name, value in cursor.fetchall()}


# (variable, value needed, how to set it): each missing one is refused in one line.
SETTINGS = (
    ("log_bin", "ON", "start the server with log_bin and a server_id ([mysqld] in my.cnf)"),
    (
        "binlog_format",
        "ROW",
        "SET GLOBAL binlog_format = 'ROW', and binlog_format = ROW under [mysqld] in my.cnf",
    ),
    (
        "binlog_row_image",
        "FULL",
        "SET GLOBAL binlog_row_image = 'FULL', and binlog_row_image = FULL under [mysqld]",
    ),
    (
        "binlog_row_metadata",
        "FULL",
        "SET GLOBAL binlog_row_metadata = 'FULL', and binlog_row_metadata = FULL under "
        "[mysqld] (MariaDB 10.5 or later)",
    ),
)


def check_server(connection: pymysql.Connection, args: dict[str, Any], database: str) -> None:
    """Refuse (``ServerNotReady``) a server whose binary log cannot be followed, or a
    user who may not read it or the eight tables. ``connection`` is made of ``args``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION(), CURRENT_USER()")
        version, user = cursor.fetchone()
        if "mariadb" not in str(version).lower():
            raise ServerNotReady(
                f"the server is {version}: visites follow needs MariaDB 10.5 or later, whose "
                "consistent snapshot tells its binary log position (binlog_snapshot_file); "
                "use cron snapshots (visites snapshot) instead"
            )
        found = _variables(cursor, tuple(name for name, _, _ in SETTINGS))
        for name, needed, how in SETTINGS:
            value = found.get(name)
            if value is None:
                raise ServerNotReady(f"the server has no {name}: {how}")
            if value.upper() != needed:
                raise ServerNotReady(f"{name} is {value}, visites follow needs {needed}: {how}")
        grantee = "'{}'@'{}'".format(*str(user).rsplit("@", 1))
        _check_grant(
            cursor,
            "SHOW BINARY LOGS",
            f"the user may not list the binary logs: GRANT BINLOG MONITOR ON *.* TO {grantee}",
        )
        for table in TABLES:
            _check_grant(
                cursor,
                f"SELECT 1 FROM `{database}`.`{table.name}` LIMIT 0",
                f"the user may not read {database}.{table.name}: "
                f"GRANT SELECT ON `{database}`.* TO {grantee}",
            )
    _check_replication(connection, args, grantee)


def _check_grant(cursor: pymysql.cursors.Cursor, sql: str, refusal: str) -> None:
    try:
        cursor.execute(sql)
        cursor.fetchall()
    except pymysql.err.OperationalError as error:
        if error.args[0] in ACCESS_DENIED:
            raise ServerNotReady(refusal) from None
        raise


def _check_replication(connection: pymysql.Connection, args: dict[str, Any], grantee: str) -> None:
    """Ask for the binary log from its end, without waiting: refused without the grant."""
    reader = _reader(args, current_position(connection), blocking=False)
    try:
        while reader.fetchone() is not None:
            pass
    except pymysql.err.OperationalError as error:
        if error.args[0] in ACCESS_DENIED:
            raise ServerNotReady(
                f"the user may not read the binary log: GRANT REPLICATION SLAVE ON *.* TO {grantee}"
            ) from None
        raise
    finally:
        reader.close()


def current_position(connection: pymysql.Connection) -> BinlogPosition:
    """The end of the server's binary log: where the next transaction will be written."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW MASTER STATUS")
        row = cursor.fetchone()
    if row is None:
        raise ServerNotReady("the binary log is off: start the server with log_bin")
    return BinlogPosition(str(row[0]), int(row[1]))


def has_log(connection: pymysql.Connection, file: str) -> bool:
    """Whether the server still keeps the binary log ``file`` (not purged)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW BINARY LOGS")
        return any(row[0] == file for row in cursor.fetchall())


# ------------------------------------------------------------------ the stream


class Change(msgspec.Struct, frozen=True):
    """One row of a followed table changed: ``before`` is gone (None for an insert),
    ``after`` is there (None for a delete); both are raw rows, as the snapshot reads."""

    table: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Commit(msgspec.Struct, frozen=True):
    """A transaction ended: every change before ``position`` is committed."""

    position: BinlogPosition


class Reshaped(msgspec.Struct, frozen=True):
    """A statement that changed a followed table otherwise than row by row: DDL,
    TRUNCATE, or a statement logged as text. Only a full snapshot knows its effect."""

    statement: str


class Idle(msgspec.Struct, frozen=True):
    """The server had nothing to send for a heartbeat: the stream is at its end."""


Event = Change | Commit | Reshaped | Idle

# What a statement logged as text may be without touching any table's rows.
_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|XA)\b", re.I)
_FOLLOWED = re.compile(r"\b(" + "|".join(t.name for t in TABLES) + r")\b", re.I)


def reshapes(statement: str, schema: str, database: str) -> bool:
    """Whether a statement logged as text may change a followed table of ``database``:
    it names one, and runs in that database or names it."""
    if _TRANSACTION_CONTROL.match(statement) or not _FOLLOWED.search(statement):
        return False
    return schema == database or re.search(rf"\b{re.escape(database)}\b", statement) is not None


def _one_stream_connection() -> Any:
    """PyMySQL's connect for the library, which reconnects by itself when its stream
    breaks: at once, with no pause, and without telling. Its second stream connection
    is refused here, so the error reaches the follower, which logs it, waits, and resumes
    from the last commit. (Its control connection, to information_schema, passes.)"""
    made = False

    def connect(**kwargs: Any) -> pymysql.Connection:
        nonlocal made
        if "db" not in kwargs:
            if made:
                raise StreamLost("the binary log stream broke (closed, or silent too long)")
            made = True
        return pymysql.connect(**kwargs)

    return connect


def _reader(
    args: dict[str, Any], position: BinlogPosition, *, blocking: bool, database: str | None = None
) -> BinLogStreamReader:
    return BinLogStreamReader(
        connection_settings=dict(args),
        # A replica's id, unique among the server's replicas: two followers must not
        # share one (the server would drop the older connection).
        server_id=random.randint(1 << 20, (1 << 31) - 1),
        resume_stream=True,
        blocking=blocking,
        log_file=position.file,
        log_pos=position.position,
        only_schemas=None if database is None else [database],
        only_tables=[t.name for t in TABLES],
        only_events=[
            WriteRowsEvent,
            UpdateRowsEvent,
            DeleteRowsEvent,
            XidEvent,
            QueryEvent,
            HeartbeatLogEvent,
        ],
        slave_heartbeat=HEARTBEAT,
        pymysql_wrapper=_one_stream_connection(),
        enable_logging=False,
    )


class Stream:
    """The binary log of ``database`` from ``position``, as Events each with the place
    the stream had read to after it (in any table: events of others included); use as a
    context manager. A broken connection raises (``StreamLost`` or PyMySQL's error):
    make a new Stream from the last Commit.

    A thread of its own reads the stream into a queue of ``backlog`` Events at most, so
    the server's stream is drained while the follower is busy publishing (a server
    whose writes to a replica block for ``net_write_timeout``, 60 s, drops it)."""

    def __init__(
        self, args: dict[str, Any], database: str, position: BinlogPosition, backlog: int
    ) -> None:
        stalled = min(args["read_timeout"], STALLED_AFTER)
        self._database = database
        self._reader = _reader(
            args | {"read_timeout": stalled}, position, blocking=True, database=database
        )
        self._queue: queue.Queue[tuple[Event, BinlogPosition] | BaseException] = queue.Queue(
            backlog
        )
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._read, name="binlog", daemon=True)

    def __enter__(self) -> Stream:
        self._pump.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # The reader wakes at least every heartbeat, or gives up at its read timeout.
        self._stop.set()
        self._pump.join()
        self._reader.close()

    def __iter__(self) -> Iterator[tuple[Event, BinlogPosition]]:
        while True:
            try:
                item = self._queue.get(timeout=2 * STALLED_AFTER)
            except queue.Empty:
                silent = "the binary log stream sent nothing, not even a heartbeat"
                raise StreamLost(silent) from None
            if isinstance(item, BaseException):
                raise item
            yield item

    def _read(self) -> None:
        try:
            while not self._stop.is_set():
                event = self._reader.fetchone()
                if event is None:
                    raise StreamLost("the server ended the binary log stream")
                for found in self._events(event):
                    self._put((found, self._position()))
        except BaseException as error:
            self._put(error)

    def _put(self, item: tuple[Event, BinlogPosition] | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=HEARTBEAT)
                return
            except queue.Full:
                continue

    def _position(self) -> BinlogPosition:
        return BinlogPosition(self._reader.log_file, self._reader.log_pos)

    def _events(self, event: Any) -> Iterator[Event]:
        if isinstance(event, XidEvent):
            yield Commit(self._position())
        elif isinstance(event, HeartbeatLogEvent):
            yield Idle()
        elif isinstance(event, QueryEvent):
            schema = event.schema.decode() if isinstance(event.schema, bytes) else event.schema
            statement = str(event.query)
            if reshapes(statement, schema, self._database):
                yield Reshaped(statement)
            elif re.match(r"\s*COMMIT\b", statement, re.I):
                yield Commit(self._position())  # a non-transactional table's commit
        else:
            yield from _changes(event)


def _changes(event: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent) -> Iterator[Change]:
    table = BY_NAME[event.table]
    for row in event.rows:
        if isinstance(event, UpdateRowsEvent):
            before = raw_row(table, row["before_values"], row["before_none_sources"])
            after = raw_row(table, row["after_values"], row["after_none_sources"])
            yield Change(table.name, before, after)
        elif isinstance(event, WriteRowsEvent):
            yield Change(table.name, None, raw_row(table, row["values"], row["none_sources"]))
        else:
            yield Change(table.name, raw_row(table, row["values"], row["none_sources"]), None)


def raw_row(table: Table, values: dict[str, Any], nulls: dict[str, str]) -> dict[str, Any]:
    """A row event's values as the snapshot's raw row: our columns only, in our order."""
    return {c.name: raw_value(c, values[c.name], nulls.get(c.name)) for c in table.columns}


def raw_value(column: Column, value: Any, none_source: str | None) -> Any:
    """One value as the snapshot job reads it (MySQL's text for dates and times)."""
    if value is None:
        return ZERO[column.kind] if none_source in OUT_OF_RANGE else None
    if isinstance(value, datetime.datetime):
        text = f"{_day(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        return text + (f".{value.microsecond:06d}" if value.microsecond else "")
    if isinstance(value, datetime.date):
        return _day(value)
    if isinstance(value, datetime.timedelta):
        return _duration(value)
    if isinstance(value, Decimal | int | str):
        return value
    raise TypeError(f"{column.name}: unexpected {type(value).__name__} in a row event")


def _day(value: datetime.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _duration(value: datetime.timedelta) -> str:
    """A TIME as MySQL prints it: ``-01:02:03``, ``838:59:59``."""
    sign = "-" if value < datetime.timedelta(0) else ""
    micros = abs(value) // datetime.timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text + (f".{fraction:06d}" if fraction else "")
