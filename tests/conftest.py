"""Shared fixtures: a real MariaDB database per test, made and dropped by the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from snapshot.demo.publish import take_demo_snapshot

MYSQL_HOST = os.environ.get("VISITES_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("VISITES_TEST_MYSQL_PORT", "3306"))


def _server_answers() -> bool:
    try:
        pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", password="").close()
    except pymysql.err.OperationalError:
        return False
    return True


@pytest.fixture(scope="session")
def mysql_server() -> str:
    """The server URL without a database; starts the local MariaDB if it is down."""
    if not _server_answers() and shutil.which("start-stop-daemon"):
        subprocess.run(
            [
                "start-stop-daemon",
                "--start",
                "--oknodo",
                "--background",
                "--exec",
                "/usr/sbin/mariadbd",
            ],
            check=False,
        )
        deadline = time.monotonic() + 60
        while not _server_answers() and time.monotonic() < deadline:
            time.sleep(0.5)
    if not _server_answers():
        pytest.fail(f"MariaDB does not answer on {MYSQL_HOST}:{MYSQL_PORT}")
    return f"mysql+pymysql://root:@{MYSQL_HOST}:{MYSQL_PORT}"


@pytest.fixture
def mysql_database(mysql_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, as a SQLAlchemy URL; dropped afterwards."""
    name = f"visites_test_{uuid.uuid4().hex[:12]}"
    admin = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", password="")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"{mysql_server}/{name}?charset=utf8mb4"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding one published, messy demo snapshot (read-only: share it)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    take_demo_snapshot(data_dir, visits=5_000, seed=7, messy=True, keep=5, batch_rows=50_000)
    return data_dir
