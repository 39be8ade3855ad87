"""``visites serve``: the HTTP API under uvicorn; on a fresh machine, demo data first.

Start-up (docs/api.md): the port is bound first, so a busy one fails at once; then the
first run's demo data and token; a quick look at the current snapshot's manifest (if
CURRENT names nothing sound, the newest sound snapshot serves until it does); then
uvicorn on the bound socket. Each worker opens the snapshot's serving database in the
background: ``/health`` answers at once, ``/ready`` once a snapshot is attached. With
several workers, their metrics meet in a fresh folder, removed at exit (api/metrics.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.config
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.logs import serve_logging
from config import METRICS_DIR, Settings
from engine import NoSnapshot, SnapshotRefused
from engine.engine import current_manifest, newest_good_manifest
from security.tokens import TokenError, create_token, read_tokens
from snapshot.layout import BadCurrent, current_id

log = logging.getLogger("visites.serve")

# Connections that may wait while a worker starts (uvicorn's own default).
BACKLOG = 2048
MAX_PORT = 65535


class DemoFailed(Exception):
    """The first run's ``visites demo`` published nothing (it said why on stderr)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the dashboard API (builds demo data first if there is no snapshot)",
        description="Serve the six dashboard endpoints, /snapshot, /health, /ready, "
        "/metrics and the OpenAPI docs (/schema). With no snapshot in VISITES_DATA_DIR, "
        "first publish demo data (`visites demo`); with no token in "
        "VISITES_TOKENS_FILE, create an admin token and print it once.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes (default 1); each opens the snapshot and keeps its own answer "
        "cache, in front of Redis's with VISITES_REDIS_URL",
    )
    parser.set_defaults(run=run)


def no_delay(transport: asyncio.Transport) -> None:
    """Nagle's algorithm off, as the event loop does for TCP connections, but not here:
    uvicorn wraps the socket it is given (``fd=``) as a Unix one. Left on, an answer's
    headers and body, written apart, waited for the client's delayed ACK: 40 ms each."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # a real Unix socket has no such option
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Corked(asyncio.Transport):
    """A connection's writes of one turn of the event loop, sent in one piece at its end.

    uvicorn writes an answer's headers and its body apart; a replica killed between the
    two left the proxy with headers and no body, which it can neither complete nor send
    again elsewhere. Sent together, an answer reaches the proxy whole or not at all."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def _flush(self) -> None:
        if self._pending and not self._transport.is_closing():
            self._transport.write(b"".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)


class BoundedHttp(HttpToolsProtocol):
    """uvicorn's HTTP/1.1, each answer sent in one piece (``Corked``), but a request must
    arrive whole within ``timeout_keep_alive`` (VISITES_REQUEST_TIMEOUT) of the
    connection's opening or its previous answer, else the connection is closed: uvicorn
    bounds only the idle time after an answer, so a client sending half a request held
    its connection for ever."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        no_delay(transport)
        self.transport = Corked(transport, self.loop)
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.timeout_keep_alive, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening before anything else: a busy port
    fails at once, and a client that comes early waits instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)  # uvicorn's workers serve it too
    return sock


def ensure_demo_snapshot(settings: Settings) -> None:
    """On a fresh machine, ``visites demo`` first, in a process of its own: generating
    data takes memory (and imports) that the server then need not keep."""
    try:
        if current_id(settings.data_dir) is not None:
            return
    except BadCurrent:  # a snapshot was published: check_current falls back to one
        return
    log.info("no snapshot in %s: publishing demo data (visites demo)", settings.data_dir)
    with subprocess.Popen(
        [sys.executable, "-m", "cli.main", "demo"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,  # each of its lines becomes a log line: stdout is the token's
        stderr=subprocess.STDOUT,
        env={**os.environ, **settings.environ()},
        text=True,
    ) as demo:
        assert demo.stdout is not None
        for line in demo.stdout:
            log.info("visites demo: %s", line.rstrip())
    if demo.returncode != 0:
        raise DemoFailed(f"`visites demo` failed (exit code {demo.returncode})")


def ensure_token(settings: Settings) -> None:
    """Never run open: with no token at all, make one and show it this once."""
    if read_tokens(settings.tokens_path):
        return
    secret = create_token(settings.tokens_path, "default", admin=True)
    log.warning(
        "no token configured: created admin token 'default', its secret printed once on "
        "stdout (`visites token --help` manages tokens)"
    )
    print(secret, flush=True)


def check_current(settings: Settings) -> None:
    """Fails (``SnapshotRefused``, ``BadCurrent``) only if CURRENT names nothing sound
    and no other snapshot can serve meanwhile; the engine falls back the same way."""
    try:
        current_manifest(settings.data_dir)
    except (SnapshotRefused, BadCurrent) as error:
        fallback = newest_good_manifest(settings.data_dir)
        if fallback is None:
            raise
        log.warning(
            "%s; serving %s, the newest sound snapshot, until CURRENT names one",
            error,
            fallback.id,
        )


def refused(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, before anything starts (argparse takes any int)."""
    if not 1 <= args.port <= MAX_PORT:
        return f"--port must be 1 to {MAX_PORT}, not {args.port}"
    if args.workers < 1:
        return f"--workers must be at least 1, not {args.workers}"
    return None


@contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """Several workers: prometheus-client's multiprocess mode, in a folder of this run
    only (stale files of another run would add to its counts), removed at exit."""
    if workers == 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="visites-metrics-") as folder:
        os.environ[METRICS_DIR] = folder  # read by the workers, which inherit it
        try:
            yield
        finally:
            del os.environ[METRICS_DIR]


def run(args: argparse.Namespace, settings: Settings) -> int:
    if reason := refused(args):  # a usage error, before anything runs: a plain line
        print(f"visites serve: {reason}", file=sys.stderr)
        return 2
    # From here on every line on stderr is a JSON log line (api/logs.py), failures too.
    logging.config.dictConfig(serve_logging())
    logging.captureWarnings(True)
    try:
        sock = listen(args.host, args.port)
    except OSError as error:
        log.error("visites serve: failed: %s:%s: %s", args.host, args.port, error.strerror or error)
        return 1
    try:
        ensure_demo_snapshot(settings)
        check_current(settings)
        ensure_token(settings)
    except (DemoFailed, TokenError, NoSnapshot, SnapshotRefused, BadCurrent, OSError) as error:
        log.error("visites serve: failed: %s", error)
        return 1
    except KeyboardInterrupt:  # while building the demo data: nothing was published
        log.error("visites serve: interrupted")
        return 130
    with shared_metrics(args.workers):
        uvicorn.run(
            "api.server:app_from_environment",
            factory=True,
            fd=sock.fileno(),
            workers=args.workers,
            access_log=False,  # ours is structured and knows the cache outcome
            log_config=serve_logging(),
            http=BoundedHttp,
            timeout_keep_alive=settings.request_timeout,
            limit_concurrency=settings.max_connections,
        )
    return 0
