"""What several test files need: the `visites` command in a subprocess, a served
instance on a free loopback port, waiting for something to become true, the engine's
own answer, and a connection to a test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import msgspec
import pymysql
from sqlalchemy.engine import make_url

from engine import Engine

ROOT = Path(__file__).resolve().parents[1]
VISITES = [sys.executable, "-m", "cli.main"]


def visites_environ(**env: str) -> dict[str, str]:
    """This process's environment without any VISITES_ setting, plus ``env``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("VISITES_")}
    return inherited | env


def run_visites(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*VISITES, *args],
        cwd=ROOT,
        env=visites_environ(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def eventually(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(
    log: Path, stdout: int | IO = subprocess.DEVNULL, **env: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`visites serve` on a free loopback port, its stderr in ``log``; stopped at the end."""
    port = free_port()
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [*VISITES, "serve", "--port", str(port)],
            cwd=ROOT,
            env=visites_environ(**env),
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_ready(url: str, process: subprocess.Popen[str], seconds: float) -> None:
    """Until GET /ready answers 200; fails if the server exits or takes too long."""

    def ready() -> bool:
        assert process.poll() is None, f"visites serve exited with {process.returncode}"
        try:
            return httpx.get(f"{url}/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    assert eventually(ready, seconds), f"visites serve not ready within {seconds} s"


def engine_answer(data_dir: Path, endpoint: str, filter_: msgspec.Struct) -> tuple[str, Any]:
    """The engine's own answer on the current snapshot, from an engine of its own: the
    snapshot id and the answer as plain values."""
    engine = Engine.open(data_dir)
    try:
        with engine.lease() as view:
            return view.id, msgspec.to_builtins(view.answer(endpoint, filter_))
    finally:
        engine.close()


def mysql_connect(url: str) -> pymysql.Connection:
    """A connection (autocommit) to the database of a SQLAlchemy URL."""
    parsed = make_url(url)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
        charset="utf8mb4",
        autocommit=True,
    )
