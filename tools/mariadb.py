"""A private MariaDB server for tests and benchmarks that need the whole server: its
binary log, its restart, its purge. Installed into a temporary folder, on its own port
and socket, with the binary log settings `visites follow` needs; nothing of the
machine's own server is touched.

    with PrivateMariaDB(Path(tmp)) as server:
        url = server.url("crm")
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pymysql

# What `visites follow` asks of the server (docs/snapshot.md), and a fixed server id.
BINLOG_OPTIONS = (
    "--log-bin=binlog",
    "--binlog-format=ROW",
    "--binlog-row-image=FULL",
    "--binlog-row-metadata=FULL",
    "--server-id=1",
)
START_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateMariaDB:
    """A MariaDB server of its own in ``folder``: installed once, started, restarted,
    stopped. Root has no password on its loopback port."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.folder = folder
        self.datadir = folder / "data"
        self.socket = folder / "mariadb.sock"
        self.port = _free_port()
        self.options = (*BINLOG_OPTIONS, *options)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "mariadb.log"

    def __enter__(self) -> PrivateMariaDB:
        self.install()
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _user(self) -> list[str]:
        # mariadbd refuses to run as root unless told to.
        return ["--user=root"] if os.geteuid() == 0 else []

    def install(self) -> None:
        self.datadir.mkdir(parents=True)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *self._user(),
            ],
            check=True,
            capture_output=True,
        )

    def start(self, *options: str) -> None:
        """Start the server; ``options`` come last, so they win (``--skip-log-bin``)."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    shutil.which("mariadbd") or "/usr/sbin/mariadbd",
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    f"--socket={self.socket}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--pid-file={self.folder / 'mariadb.pid'}",
                    "--skip-name-resolve",
                    "--innodb-buffer-pool-size=256M",
                    "--innodb-flush-log-at-trx-commit=2",
                    "--max-connections=200",
                    *self.options,
                    *options,
                    *self._user(),
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + START_SECONDS
        while not self.answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited at start: see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mariadbd not answering after {START_SECONDS} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), waited for."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=START_SECONDS)
        self.process = None

    def restart(self, *options: str) -> None:
        self.stop()
        self.start(*options)

    def answers(self) -> bool:
        try:
            self.connect().close()
        except pymysql.err.OperationalError:
            return False
        return True

    def connect(self, database: str | None = None) -> pymysql.Connection:
        """A root connection (autocommit), on the database if one is named."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password="",
            database=database,
            charset="utf8mb4",
            autocommit=True,
        )

    def execute(self, *statements: str) -> None:
        with self.connect() as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def url(self, database: str, user: str = "root", password: str = "") -> str:
        return f"mysql+pymysql://{user}:{password}@127.0.0.1:{self.port}/{database}?charset=utf8mb4"
