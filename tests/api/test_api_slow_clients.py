"""Slow clients: a connection that does not send a whole request within
VISITES_REQUEST_TIMEOUT is closed by the server, and others are served meanwhile."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from helpers import serving, wait_ready

from engine.build import build_serving
from snapshot.demo.publish import take_demo_snapshot

HELD = 50
BOUND = 1  # seconds: VISITES_REQUEST_TIMEOUT


def closed_after(sock: socket.socket, opened: float, limit: float) -> float | None:
    """Seconds from ``opened`` until the server closed ``sock``; None if still open."""
    sock.settimeout(max(0.01, opened + limit - time.monotonic()))
    try:
        while sock.recv(1024):
            pass
    except TimeoutError:
        return None
    except ConnectionError:
        pass
    return time.monotonic() - opened


def test_half_sent_requests_are_closed_within_the_bound_and_others_get_answers(
    tmp_path: Path,
) -> None:
    take_demo_snapshot(
        tmp_path, visits=300, seed=3, keep=5, batch_rows=50_000, prepare=build_serving
    )
    env = {"VISITES_DATA_DIR": str(tmp_path), "VISITES_REQUEST_TIMEOUT": str(BOUND)}
    with serving(tmp_path / "server.log", **env) as (url, process):
        wait_ready(url, process, seconds=60)
        address = urlsplit(url)
        held = []
        for _ in range(HELD):
            sock = socket.create_connection((address.hostname, address.port))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: visites\r\nX-Slow: ")
            held.append((sock, time.monotonic()))
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
        closed = [closed_after(sock, opened, limit=BOUND + 5) for sock, opened in held]
        for sock, _ in held:
            sock.close()
        assert httpx.get(f"{url}/ready", timeout=5).status_code == 200
    assert all(seconds is not None for seconds in closed), closed
    # by the timeout, not at once: each waited about the bound
    assert min(s for s in closed if s is not None) >= BOUND * 0.8, closed
