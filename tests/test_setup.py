"""`just setup` (tools/setup.py), the first step of README command 2: silent when the tests
have what they need; a server that is down but installed is started; anything missing
is named in one line with the command that installs it.

PATH says what is installed: each test gives the script a folder holding links to only
the programs it should find (and no apt-get, so nothing is installed)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from helpers import ROOT, free_port

SETUP = [sys.executable, str(ROOT / "tools" / "setup.py")]
SERVERS = ("mariadbd", "redis-server", "start-stop-daemon")


def only(tmp_path: Path, *programs: str) -> str:
    """A PATH on which exactly ``programs`` are found."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in programs:
        real = shutil.which(name)
        assert real is not None, f"{name} is not installed here"
        (folder / name).symlink_to(real)
    return str(folder)


def setup(path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        SETUP, env=os.environ | {"PATH": path} | env, capture_output=True, text=True, timeout=120
    )


def redis(port: int, command: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(command + b"\r\n")
        return connection.recv(64)


def test_silent_when_everything_is_there(mysql_server: str, tmp_path: Path) -> None:
    done = setup(only(tmp_path, "chromium", "haproxy", *SERVERS))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_missing_programs_are_named_in_one_line(mysql_server: str, tmp_path: Path) -> None:
    """MariaDB and Redis answer, so only the two tools are missing."""
    done = setup(only(tmp_path, *SERVERS))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "just setup: missing chromium (for the dashboard's browser tests), haproxy (for the "
        "scale-out tests): as root, apt-get install chromium haproxy"
    ]


def test_a_server_that_is_down_and_not_installed_is_named(tmp_path: Path) -> None:
    nothing_there = str(free_port())
    done = setup(
        only(tmp_path, "chromium", "haproxy", "redis-server"),
        VISITES_TEST_MYSQL_PORT=nothing_there,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "just setup: missing mariadbd (for the snapshot tests' MySQL): "
        "as root, apt-get install mariadb-server"
    ]


def test_a_server_that_is_down_is_started(mysql_server: str, tmp_path: Path) -> None:
    port = free_port()
    done = setup(only(tmp_path, "chromium", "haproxy", *SERVERS), VISITES_TEST_REDIS_PORT=str(port))
    try:
        assert (done.returncode, done.stderr) == (0, "")
        assert redis(port, b"PING") == b"+PONG\r\n"
        # The tests' Redis keeps nothing on disk.
        assert redis(port, b"CONFIG GET appendonly").endswith(b"no\r\n")
    finally:
        with contextlib.suppress(OSError):  # not started: the assertion above says why
            redis(port, b"SHUTDOWN NOSAVE")
