"""`visites snapshot` against a source that misbehaves: a server that stops answering, a
URL of another kind, a value the snapshot's types cannot hold. Each fails within a bound,
in one line on stderr, and leaves no snapshot behind."""

from __future__ import annotations

import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from helpers import mysql_connect, run_visites
from sqlalchemy.engine import make_url

from snapshot.demo.generator import generate
from snapshot.demo.mysql_loader import load_into_mysql
from snapshot.layout import current_dir, current_id, snapshots_dir
from snapshot.manifest import read_manifest

TIMEOUT = 2  # VISITES_MYSQL_TIMEOUT in these tests, seconds
# What a failing run may take beyond its timeout: starting Python and the job, on a
# machine shared with other tests.
SLACK = 25


def snapshot(data_dir: Path, url: str, **env: str) -> tuple[float, list[str]]:
    """Run `visites snapshot`; its duration and stderr lines, once it has failed."""
    started = time.monotonic()
    done = run_visites(
        "snapshot",
        timeout=120,
        VISITES_DATA_DIR=str(data_dir),
        VISITES_MYSQL_URL=url,
        VISITES_MYSQL_TIMEOUT=str(TIMEOUT),
        **env,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    return time.monotonic() - started, done.stderr.splitlines()


def assert_nothing_published(data_dir: Path) -> None:
    assert current_id(data_dir) is None
    assert [p.name for p in snapshots_dir(data_dir).glob("*")] == []


@contextmanager
def silent_server() -> Iterator[int]:
    """A port where connections are accepted (by the kernel's backlog) and never answered:
    a MySQL server that was stopped, not killed."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


def test_a_server_that_never_greets_fails_the_connect_within_the_timeout(tmp_path: Path) -> None:
    with silent_server() as port:
        seconds, stderr = snapshot(tmp_path, f"mysql+pymysql://reader:pw@127.0.0.1:{port}/crm")
    assert seconds < TIMEOUT + SLACK
    [line] = stderr
    assert line.startswith("visites snapshot: failed: cannot connect to MySQL: (2013)")
    assert f"no answer within VISITES_MYSQL_TIMEOUT ({TIMEOUT} s)" in line
    assert line.endswith("no snapshot is published")
    assert_nothing_published(tmp_path)


@contextmanager
def stalling_proxy(target: tuple[str, int], trigger: bytes) -> Iterator[int]:
    """A port that relays one connection to ``target`` both ways, until the client sends
    ``trigger``: from then on nothing more goes either way, as when a server stops in
    the middle of an answer."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def relay() -> None:
        client, _ = listener.accept()
        with client, closing(socket.create_connection(target)) as server:
            stalled = False
            while not done.is_set():
                readable, _, _ = select.select([client, server], [], [], 0.1)
                for side in readable:
                    data = side.recv(65536)
                    if not data:
                        return
                    stalled = stalled or (side is client and trigger in data)
                    if not stalled:
                        (server if side is client else client).sendall(data)

    relaying = threading.Thread(target=relay, daemon=True)
    relaying.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        listener.close()
        relaying.join(timeout=10)


def test_a_server_that_stops_mid_read_fails_the_read_within_the_timeout(
    mysql_database: str, tmp_path: Path
) -> None:
    load_into_mysql(generate(200, seed=3), mysql_database)
    url = make_url(mysql_database)
    # Connect, handshake and the consistent read's set-up go through; the first chunk of
    # the first table never comes back.
    with stalling_proxy((url.host, url.port or 3306), trigger=b"GROUP_CONCAT") as port:
        proxied = url.set(port=port).render_as_string(hide_password=False)
        seconds, stderr = snapshot(tmp_path, proxied)
    assert seconds < TIMEOUT + SLACK
    [line] = stderr
    assert line.startswith("visites snapshot: failed: tab_par_codification: (2013)")
    assert f"no answer within VISITES_MYSQL_TIMEOUT ({TIMEOUT} s)" in line
    assert_nothing_published(tmp_path)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "is not a database URL"),
        ("postgres://reader:Secret-pw@db/crm", "postgres"),
        ("postgresql+psycopg2://reader:Secret-pw@db/crm", "postgresql"),
        ("mysql+mysqldb://reader:Secret-pw@db/crm", "pymysql"),
        ("sqlite:///crm.db", "sqlite"),
    ],
)
def test_a_url_of_another_kind_is_refused_in_one_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    _, stderr = snapshot(tmp_path, url)
    [line] = stderr
    assert line.startswith("visites snapshot: failed: VISITES_MYSQL_URL")
    assert problem in line
    assert "Secret-pw" not in line
    assert_nothing_published(tmp_path)


@pytest.fixture
def reader(mysql_database: str) -> Iterator[tuple[str, str, str]]:
    """A MySQL user with a password, allowed into the test's database only: its name,
    password and database. Dropped afterwards."""
    database = make_url(mysql_database).database
    assert database is not None
    user, password = f"reader_{uuid.uuid4().hex[:8]}", "Pa55-w0rd"
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
        cursor.execute(f"GRANT ALL ON `{database}`.* TO %s@'127.0.0.1'", (user,))
    try:
        yield user, password, database
    finally:
        with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS %s@'127.0.0.1'", (user,))


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_the_url_most_people_write_reads_with_pymysql(
    reader: tuple[str, str, str], tmp_path: Path, scheme: str
) -> None:
    """scheme://user:pw@host/db: no driver named (SQLAlchemy's default for mysql:// is
    MySQLdb, not installed), no port. Both the demo loader and the snapshot job read it
    with PyMySQL."""
    user, password, database = reader
    url = f"{scheme}://{user}:{password}@127.0.0.1/{database}"
    loaded = run_visites("demo", "--mysql", "--visits", "200", VISITES_MYSQL_URL=url)
    assert loaded.returncode == 0, loaded.stderr
    done = run_visites(
        "snapshot", timeout=300, VISITES_DATA_DIR=str(tmp_path), VISITES_MYSQL_URL=url
    )
    assert done.returncode == 0, done.stderr
    folder = current_dir(tmp_path)
    assert folder is not None
    manifest = read_manifest(folder)
    assert (manifest.source.kind, manifest.source.host) == ("mysql", "127.0.0.1")
    assert manifest.source.database == database
    assert manifest.tables["tab_visite"].rows == 200
    assert password not in done.stdout + done.stderr + (folder / "manifest.json").read_text()


def test_an_id_wider_than_the_snapshot_type_names_its_table_and_column(
    mysql_database: str, tmp_path: Path
) -> None:
    """The CRM widened a column to BIGINT and used it: the snapshot keeps INT ids."""
    load_into_mysql(generate(200, seed=3), mysql_database)
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tab_visite MODIFY id_responsable BIGINT NULL")
        cursor.execute("UPDATE tab_visite SET id_responsable = 3000000000 WHERE id_visite = 7")
    _, stderr = snapshot(tmp_path, mysql_database)
    [line] = stderr
    assert line.startswith("visites snapshot: failed: tab_visite.id_responsable: ")
    assert "3000000000" in line
    assert_nothing_published(tmp_path)
