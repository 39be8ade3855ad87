"""``just setup``: what the test suite needs on this machine, there and running, or one line
saying what is missing and how to install it.

The default ``just`` recipe (README command 2) runs it first, so it must be quick and
change nothing when all is in place: a few PATH look-ups and two connections. As root
with apt-get, it installs the missing Debian packages; it starts MariaDB and Redis when
they do not answer, with the commands docs/testing.md gives. Otherwise it stops at once,
one line on stderr, exit status 1.

The ports are the tests' own (``VISITES_TEST_MYSQL_HOST``, ``VISITES_TEST_MYSQL_PORT``,
read by tests/conftest.py; ``VISITES_TEST_REDIS_PORT``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pymysql

LOOPBACK = ("127.0.0.1", "localhost")
CANNOT_CONNECT = 2003  # the MySQL client's CR_CONN_HOST_ERROR: nothing listens there
START_SECONDS = 60  # what a cold MariaDB may take to open its port on a busy machine


class Missing(Exception):
    """What the tests need and this machine lacks, with how to get it: one line."""


@dataclass(frozen=True)
class Program:
    command: str  # looked up on PATH
    package: str  # the Debian package that installs it
    use: str  # what needs it

    def found(self) -> str | None:
        return shutil.which(self.command)


@dataclass(frozen=True)
class Service:
    """A server the tests connect to; ``program`` runs it when it is down."""

    name: str
    host: str
    port: int
    program: Program
    answers: Callable[[Service], bool]
    start: Callable[[Service, str], list[str]]  # the command, given the program's path

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def mariadb_answers(service: Service) -> bool:
    """Whether the server takes a connection; a refused root login is checked later."""
    try:
        pymysql.connect(
            host=service.host, port=service.port, user="root", password="", connect_timeout=2
        ).close()
    except pymysql.err.OperationalError as error:
        code: int = error.args[0]
        return code != CANNOT_CONNECT
    return True


def redis_answers(service: Service) -> bool:
    try:
        with socket.create_connection((service.host, service.port), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_mariadb(_: Service, mariadbd: str) -> list[str]:
    daemon = shutil.which("start-stop-daemon")
    if daemon is None:
        raise Missing("start-stop-daemon (from Debian's dpkg) is needed to start MariaDB")
    return [daemon, "--start", "--oknodo", "--background", "--exec", mariadbd]


def start_redis(service: Service, redis_server: str) -> list[str]:
    # No persistence: the tests' keys are throwaway. A pid file per port, so that a test
    # Redis on another port leaves the main one's alone.
    return [
        redis_server, "--daemonize", "yes", "--bind", service.host, "--port", str(service.port),
        "--save", "", "--appendonly", "no", "--pidfile", f"/run/redis-{service.port}.pid",
    ]  # fmt: skip


PROGRAMS = (
    Program("chromium", "chromium", "the dashboard's browser tests"),
    Program("haproxy", "haproxy", "the scale-out tests"),
)


def services(environ: dict[str, str]) -> tuple[Service, ...]:
    return (
        Service(
            "MariaDB",
            environ.get("VISITES_TEST_MYSQL_HOST", "127.0.0.1"),
            int(environ.get("VISITES_TEST_MYSQL_PORT", "3306")),
            Program("mariadbd", "mariadb-server", "the snapshot tests' MySQL"),
            mariadb_answers,
            start_mariadb,
        ),
        Service(
            "Redis",
            "127.0.0.1",
            int(environ.get("VISITES_TEST_REDIS_PORT", "6379")),
            Program("redis-server", "redis-server", "the shared cache's tests"),
            redis_answers,
            start_redis,
        ),
    )


def needed(down: list[Service]) -> list[Program]:
    """The programs not on PATH: the tools, and the servers of services that are down."""
    wanted = [*PROGRAMS, *(service.program for service in down)]
    return [program for program in wanted if program.found() is None]


def install(missing: list[Program]) -> None:
    """apt-get install, as root; otherwise the one line that says what to install."""
    if not missing:
        return
    packages = [program.package for program in missing]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        what = ", ".join(f"{program.command} (for {program.use})" for program in missing)
        raise Missing(f"missing {what}: as root, apt-get install {' '.join(packages)}")
    print(f"just setup: apt-get install {' '.join(packages)}", file=sys.stderr)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
            raise Missing(f"`{' '.join(command)}` failed (its errors are above)")
    if still := [program.command for program in missing if program.found() is None]:
        raise Missing(f"apt-get install {' '.join(packages)} left {', '.join(still)} off PATH")


def start(service: Service) -> None:
    if service.host not in LOOPBACK:
        raise Missing(f"{service.name} does not answer on {service.address} (not this machine)")
    program = service.program.found()
    assert program is not None  # install() put it there, or stopped
    subprocess.run(service.start(service, program), check=False, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + START_SECONDS
    while not service.answers(service):
        if time.monotonic() > deadline:
            raise Missing(
                f"{service.name} was started ({program}) but does not answer on "
                f"{service.address} after {START_SECONDS} s"
            )
        time.sleep(0.2)


def mariadb_lets_root_in(service: Service) -> None:
    """The tests log in as root without a password (tests/conftest.py)."""
    try:
        pymysql.connect(host=service.host, port=service.port, user="root", password="").close()
    except pymysql.err.OperationalError as error:
        raise Missing(
            f"MariaDB on {service.address} refuses root without a password ({error.args[1]}): "
            "the tests need it (docs/testing.md)"
        ) from None


def setup(environ: dict[str, str]) -> None:
    mariadb, *others = services(environ)
    down = [service for service in (mariadb, *others) if not service.answers(service)]
    install(needed(down))
    for service in down:
        start(service)
    mariadb_lets_root_in(mariadb)


def main() -> int:
    try:
        setup(dict(os.environ))
    except Missing as gap:
        print(f"just setup: {gap}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
