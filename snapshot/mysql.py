"""Reading the CRM out of MySQL/MariaDB, fast, in one consistent read.

PyMySQL parses rows in pure Python (about 60k rows/s here), while the server can send
far more. So we ask the server to do the row encoding: each round trip returns one row,
whose main value is a CSV text of up to ``batch_rows`` rows built by ``GROUP_CONCAT``
(beside the chunk's row count and last key), which pyarrow's C++ CSV reader turns into
a typed record batch. Chunks walk the table's key
in order (keyset pagination), all inside a single ``REPEATABLE READ`` transaction
started ``WITH CONSISTENT SNAPSHOT``, so the eight tables are one point in time and
memory stays bounded by the chunk size, whatever the table size.
"""

from __future__ import annotations

import contextlib
import io
import queue
import re
import threading
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy
from sqlalchemy.engine import URL, Connection, make_url

from snapshot.manifest import BinlogPosition
from snapshot.tables import TEMPORAL_KINDS, TEXT_KINDS, Column, Table


class SourceError(RuntimeError):
    """The source cannot be read; the message is safe to print (no password)."""


# How a URL should look; never the URL itself, which may hold a password.
URL_FORM = "mysql://user:password@host:3306/database"
# MySQL and MariaDB, read with PyMySQL: the one driver visites installs.
BACKENDS = ("mysql", "mariadb")
DRIVER = "pymysql"


def parse_url(url: str) -> URL:
    """``url`` read with PyMySQL. ``mysql://`` (no driver named), the form most people
    write, means PyMySQL too rather than SQLAlchemy's default, which is not installed."""
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise SourceError(f"VISITES_MYSQL_URL is not a database URL ({URL_FORM})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in BACKENDS:
        raise SourceError(
            f"VISITES_MYSQL_URL names a {backend} database: visites reads MySQL or MariaDB "
            f"({URL_FORM})"
        )
    if driver not in ("", DRIVER):
        raise SourceError(
            f"VISITES_MYSQL_URL asks for the {driver} driver: visites reads MySQL with "
            f"{DRIVER} ({backend}:// or {backend}+{DRIVER}://)"
        )
    return parsed.set(drivername=f"{backend}+{DRIVER}")


def describe_url(url: str) -> tuple[str | None, str | None]:
    """``(host[:port], database)`` of a URL: what a manifest or a log may show."""
    parsed = parse_url(url)
    host = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
    return host, parsed.database


# NULL is sent as an unquoted \N; text is always quoted, so a string "\N" stays a string.
NULL_FIELD = "\\N"
NULL_SQL = "'" + NULL_FIELD.replace("\\", "\\\\") + "'"  # the same, as a MySQL literal


def _csv_field(column: Column) -> str:
    """SQL that renders one column as a CSV field."""
    name = f"`{column.name}`"
    if column.kind in TEXT_KINDS:
        value = f"""CONCAT('"', REPLACE({name}, '"', '""'), '"')"""
    elif column.kind in TEMPORAL_KINDS:
        value = f"""CONCAT('"', CAST({name} AS CHAR), '"')"""
    else:
        value = name
    return f"IFNULL({value}, {NULL_SQL})"


def _chunk_sql(table: Table, first: bool, bounded: bool) -> str:
    """One round trip: (rows, last key, CSV of the rows) of the next chunk in key order.

    With a unique key, the chunk is simply the next ``%(rows)s`` rows. A repeated key
    (visit ids in tab_partenaire_visite) is cut at a boundary found beforehand by
    ``_boundary_sql``, inclusive, so all rows of one visit stay in one chunk."""
    key = f"`{table.key}`"
    bounds = [] if first else [f"{key} > %(after)s"]
    row = "CONCAT_WS(',', " + ", ".join(_csv_field(c) for c in table.columns) + ")"
    select = f"SELECT COUNT(*), MAX({key}), CAST(GROUP_CONCAT({row} SEPARATOR '\\n') AS BINARY)"
    if table.key_unique:
        source = f"(SELECT * FROM `{table.name}` {_where(bounds)} ORDER BY {key} LIMIT %(rows)s) c"
    else:
        source = f"`{table.name}` {_where(bounds + ([f'{key} <= %(upto)s'] if bounded else []))}"
    return f"{select} FROM {source}"


def _boundary_sql(table: Table, first: bool) -> str:
    """The key ``%(rows)s`` rows further on, or none when fewer rows are left. A
    separate query: as a subquery of the chunk it would stop MySQL using the index."""
    where = _where([] if first else [f"`{table.key}` > %(after)s"])
    return (
        f"SELECT `{table.key}` FROM `{table.name}` {where} "
        f"ORDER BY `{table.key}` LIMIT 1 OFFSET %(rows)s"
    )


def _where(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


# Where pyarrow's CSV reader says which column a value did not fit.
_CSV_COLUMN = re.compile(r"In CSV column #(?P<index>\d+): (?P<problem>.*)", re.DOTALL)


class _CsvDecoder:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.schema = table.raw_schema()
        self.read_options = pacsv.ReadOptions(column_names=table.column_names)
        self.parse_options = pacsv.ParseOptions(newlines_in_values=True)
        self.convert_options = pacsv.ConvertOptions(
            column_types=self.schema,
            null_values=[NULL_FIELD],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )

    def decode(self, blob: bytes) -> pa.Table:
        try:
            table = pacsv.read_csv(
                io.BytesIO(blob),
                read_options=self.read_options,
                parse_options=self.parse_options,
                convert_options=self.convert_options,
            )
        except pa.ArrowInvalid as error:
            raise SourceError(self._unfit(str(error))) from None
        return table.cast(self.schema)

    def _unfit(self, problem: str) -> str:
        """What a value the snapshot's types cannot hold (a column the CRM widened to
        BIGINT, say) is called, with its table and column."""
        found = _CSV_COLUMN.fullmatch(problem)
        if found is None:
            return f"{self.table.name}: {problem}"
        column = self.table.columns[int(found["index"])]
        return (
            f"{self.table.name}.{column.name}: a value the snapshot's {column.kind.value} "
            f"column cannot hold ({found['problem']})"
        )


# What the fetching thread hands over: a (rows, CSV) chunk, its error, or None at the end.
_Item = tuple[int, bytes] | BaseException | None


class MySQLSource:
    """An open, consistent read of the CRM. Use as a context manager.

    A server that stops answering (stopped, not dead: the socket stays open) would hold
    the job forever; every connect, read and write gives up after ``timeout`` seconds
    instead, and the job fails in one line."""

    def __init__(self, url: str, batch_rows: int, timeout: float) -> None:
        self._engine = sqlalchemy.create_engine(
            parse_url(url),
            poolclass=sqlalchemy.pool.NullPool,
            connect_args={
                "connect_timeout": timeout,
                "read_timeout": timeout,
                "write_timeout": timeout,
            },
        )
        self._batch_rows = batch_rows
        self._timeout = timeout
        self._connection: Connection | None = None

    def __enter__(self) -> MySQLSource:
        try:
            connection = self._engine.connect()
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise SourceError(f"cannot connect to MySQL: {self._reason(error)}") from None
        self._connection = connection
        try:
            connection.exec_driver_sql("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            connection.exec_driver_sql("SET SESSION group_concat_max_len = @@max_allowed_packet")
            connection.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            packet = connection.exec_driver_sql("SELECT @@max_allowed_packet").scalar_one()
        except sqlalchemy.exc.SQLAlchemyError as error:
            self.__exit__()
            raise SourceError(f"cannot start the consistent read: {self._reason(error)}") from None
        self._packet = int(packet)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._connection is not None:
            self._connection.close()
        self._engine.dispose()

    def binlog_position(self) -> BinlogPosition:
        """Where this read stands in the binary log: every transaction before it is in
        what ``read`` returns, none after. MariaDB tells it inside the consistent
        snapshot, with no lock."""
        connection = self._connection
        assert connection is not None, "use MySQLSource as a context manager"
        try:
            found: dict[str, str] = dict(
                connection.exec_driver_sql(
                    "SHOW STATUS WHERE Variable_name IN "
                    "('Binlog_snapshot_file', 'Binlog_snapshot_position')"
                ).all()
            )
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise SourceError(
                f"cannot read the binary log position: {self._reason(error)}"
            ) from None
        file, position = found.get("Binlog_snapshot_file"), found.get("Binlog_snapshot_position")
        if not file or position is None:
            raise SourceError("the server tells no binary log position (binlog_snapshot_file)")
        return BinlogPosition(str(file), int(position))

    def read(self, table: Table) -> Iterator[pa.Table]:
        """Raw record batches of one table, in key order, about batch_rows rows each.

        The next chunk is fetched by a helper thread while this one is decoded and
        written, so the server never waits for us (the GIL is free during both)."""
        decoder = _CsvDecoder(table)
        blobs: queue.Queue[_Item] = queue.Queue(maxsize=2)
        stop = threading.Event()
        fetcher = threading.Thread(
            target=self._fetch, args=(table, blobs, stop), name=f"fetch-{table.name}"
        )
        fetcher.start()
        try:
            while (item := blobs.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                count, blob = item
                chunk = decoder.decode(blob)
                if chunk.num_rows != count:
                    raise SourceError(f"{table.name}: decoded {chunk.num_rows} rows, not {count}")
                yield chunk
        finally:
            stop.set()
            while fetcher.is_alive():
                with contextlib.suppress(queue.Empty):
                    blobs.get(timeout=0.05)
            fetcher.join()

    def _fetch(self, table: Table, blobs: queue.Queue[_Item], stop: threading.Event) -> None:
        """Put (rows, CSV) chunks on ``blobs`` in key order, then None; or the error."""
        try:
            for chunk in self._chunks(table):
                if stop.is_set():
                    return
                blobs.put(chunk)
            blobs.put(None)
        except sqlalchemy.exc.SQLAlchemyError as error:
            blobs.put(SourceError(f"{table.name}: {self._reason(error)}"))
        except BaseException as error:
            blobs.put(error)

    def _chunks(self, table: Table) -> Iterator[tuple[int, bytes]]:
        connection = self._connection
        assert connection is not None, "use MySQLSource as a context manager"
        after, rows = None, self._batch_rows
        while True:
            params = {"after": after, "rows": rows, "upto": None}
            if not table.key_unique:
                params["upto"] = connection.exec_driver_sql(
                    _boundary_sql(table, first=after is None), params
                ).scalar()
            count, last, blob = connection.exec_driver_sql(
                _chunk_sql(table, first=after is None, bounded=params["upto"] is not None),
                params,
            ).one()
            if count == 0:
                return
            if len(blob) >= self._packet and rows > 1:
                rows //= 2  # GROUP_CONCAT hit max_allowed_packet: ask for less
                continue
            yield count, blob
            after = last

    def _reason(self, error: sqlalchemy.exc.SQLAlchemyError) -> str:
        """The driver's own message, which names neither the URL nor its password."""
        original = getattr(error, "orig", None)
        args: tuple[Any, ...] = getattr(original, "args", ())
        if len(args) < 2:
            return type(original or error).__name__
        reason = f"({args[0]}) {args[1]}"
        if "timed out" in str(args[1]):
            reason += f": no answer within VISITES_MYSQL_TIMEOUT ({self._timeout:g} s)"
        return reason
