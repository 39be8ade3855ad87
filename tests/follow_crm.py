"""What the tests of `visites follow` share: a CRM database on the private MariaDB, the
follower in a thread of the test or in a process of its own, waiting until it has
caught up, and the comparison of its snapshot with a fresh full snapshot of the same
database, table by table and endpoint by endpoint."""

from __future__ import annotations

import logging
import subprocess
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import pyarrow.parquet as pq
import pymysql
from helpers import ROOT, VISITES, eventually, visites_environ

from engine import Engine, EvaluationFilter, InvestFilter, VisiteFilter
from snapshot.demo.mysql_loader import schema_statements
from snapshot.follow import Follower, FollowSettings
from snapshot.job import Prepare, take_snapshot
from snapshot.layout import current_dir, table_path
from snapshot.manifest import BinlogPosition, Manifest, Source, read_manifest
from snapshot.mysql import MySQLSource
from snapshot.tables import TABLES
from tools.mariadb import PrivateMariaDB

# A follower's round trips give up after this long: a stalled stream is seen in 3 s.
TIMEOUT = "3"


class Crm:
    """A database of its own on the private server, made with the CRM's schema."""

    def __init__(self, server: PrivateMariaDB) -> None:
        self.server = server
        self.database = f"crm_{uuid.uuid4().hex[:10]}"
        server.execute(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
        self.run(*schema_statements())

    @property
    def url(self) -> str:
        return self.server.url(self.database)

    @property
    def source(self) -> Source:
        return Source(kind="mysql", host=f"127.0.0.1:{self.server.port}", database=self.database)

    def drop(self) -> None:
        self.server.execute(f"DROP DATABASE IF EXISTS `{self.database}`")

    def connect(self) -> pymysql.Connection:
        connection = self.server.connect(self.database)
        with connection.cursor() as cursor:
            # Zero dates and other messy values are stored as they are.
            cursor.execute("SET SESSION sql_mode = ''")
        return connection

    def run(self, *statements: str) -> None:
        with self.connect() as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def insert(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            marks = ", ".join(["%s"] * len(rows[0]))
            with self.connect() as connection, connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def mark(self) -> BinlogPosition:
        """Commit one more change to a followed table; return the binary log's end after
        it: a follower whose version reaches it has every change committed before."""
        self.run(
            "INSERT INTO tab_par_codification VALUES "
            f"('ZZ{uuid.uuid4().hex[:8]}', 'marker', 'MARK')"
        )
        with self.server.connect() as connection, connection.cursor() as cursor:
            cursor.execute("SHOW MASTER STATUS")
            file, position = cursor.fetchone()[:2]
        return BinlogPosition(file, int(position))


def current_manifest(data_dir: Path) -> Manifest | None:
    folder = current_dir(data_dir)
    return None if folder is None else read_manifest(folder)


def wait_caught_up(data_dir: Path, crm: Crm, seconds: float = 60) -> Manifest:
    """Mark the CRM, then wait for a version of the follower at or past the mark."""
    mark = crm.mark()

    def reached() -> bool:
        manifest = current_manifest(data_dir)
        return manifest is not None and manifest.binlog is not None and manifest.binlog >= mark

    assert eventually(reached, seconds), f"no version reached {mark}"
    manifest = current_manifest(data_dir)
    assert manifest is not None
    return manifest


def fresh_snapshot(crm: Crm, data_dir: Path) -> Manifest:
    """The snapshot job's own full snapshot of the CRM, as `visites snapshot` takes it."""
    with MySQLSource(crm.url, batch_rows=1000, timeout=10) as mysql:
        return take_snapshot(data_dir, crm.source, mysql.read, keep=2)


class Messages(logging.Handler):
    """The messages a logger logs, kept in order."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def following(
    crm: Crm, data_dir: Path, *, interval: float = 0.05, prepare: Prepare | None = None
) -> Iterator[list[str]]:
    """The follower in a thread of the test, once it has published its first version;
    stopped at the end; its failure fails the test. Yields the messages it logs, as it
    logs them."""
    stop = threading.Event()
    log = logging.getLogger(f"visites.follow.test.{uuid.uuid4().hex}")
    kept = Messages()
    log.addHandler(kept)
    follower = Follower(
        FollowSettings(
            url=crm.url,
            data_dir=data_dir,
            keep=3,
            interval=interval,
            timeout=float(TIMEOUT),
            batch_rows=1000,
            memory_limit="256MB",
            threads=1,
        ),
        crm.source,
        prepare,
        stop,
        log,
    )
    failures: list[BaseException] = []

    def run() -> None:
        try:
            follower.run()
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run, name="follower")
    thread.start()
    try:
        # Changes from here on come through the stream, not the first full snapshot.
        assert eventually(
            lambda: current_manifest(data_dir) is not None or not thread.is_alive(), 60
        )
        yield kept.messages
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive(), "the follower did not stop"
    assert not failures, failures


@contextmanager
def follow_process(crm: Crm, data_dir: Path, log: Path, **env: str) -> Iterator[subprocess.Popen]:
    """`visites follow` in a process of its own, its stderr appended to ``log``; ``env``
    adds or replaces VISITES_ settings."""
    with open(log, "a") as stderr:
        process = subprocess.Popen(
            [*VISITES, "follow"],
            cwd=ROOT,
            env=visites_environ(
                **{
                    "VISITES_MYSQL_URL": crm.url,
                    "VISITES_DATA_DIR": str(data_dir),
                    "VISITES_MYSQL_TIMEOUT": TIMEOUT,
                    "VISITES_FOLLOW_INTERVAL": "0.2",
                    "VISITES_MEMORY_LIMIT": "256MB",
                }
                | env
            ),
            stderr=stderr,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


def log_messages(log: Path) -> list[str]:
    """The messages of the follower's JSON log lines."""
    return [
        msgspec.json.decode(line)["message"]
        for line in log.read_text().splitlines()
        if line.startswith("{")
    ]


# ------------------------------------------------------------------ comparing


def table_rows(data_dir: Path, table: str) -> list[tuple[Any, ...]]:
    """A table of the current snapshot, as sorted rows (row order is no part of it)."""
    folder = current_dir(data_dir)
    assert folder is not None
    rows = pq.read_table(table_path(folder, table)).to_pylist()
    return sorted((tuple(row.values()) for row in rows), key=repr)


def assert_same_tables(followed: Path, fresh: Path) -> None:
    """Every table row for row, and every count of the two manifests."""
    for table in TABLES:
        assert table_rows(followed, table.name) == table_rows(fresh, table.name), table.name
    a, b = current_manifest(followed), current_manifest(fresh)
    assert a is not None and b is not None
    assert a.quality == b.quality
    assert a.quality_by_column == b.quality_by_column
    for name in a.tables:
        assert a.tables[name].rows == b.tables[name].rows, name
        assert a.tables[name].source_rows == b.tables[name].source_rows, name


def answers(data_dir: Path, questions: Sequence[tuple[str, msgspec.Struct]]) -> list[Any]:
    engine = Engine.open(data_dir)
    try:
        with engine.lease() as view:
            return [msgspec.to_builtins(view.answer(e, f)) for e, f in questions]
    finally:
        engine.close()


def assert_same_answers(
    followed: Path, fresh: Path, questions: Sequence[tuple[str, msgspec.Struct]]
) -> None:
    """The six endpoints answer the same on both snapshots."""
    got = zip(questions, answers(followed, questions), answers(fresh, questions), strict=True)
    for question, a, b in got:
        assert a == b, question


EVERYTHING: list[tuple[str, msgspec.Struct]] = [
    ("data", VisiteFilter()),
    ("performance", VisiteFilter()),
    ("partenaire", VisiteFilter()),
    ("users", VisiteFilter()),
    ("evaluation", EvaluationFilter()),
    ("invest", InvestFilter()),
]
