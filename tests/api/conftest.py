"""The API's fixtures: one published demo snapshot that its tests share; Redis, the
machine's (a key space per test) or a private one that a test may kill."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_servers import PrivateRedis, redis_answers

from snapshot.demo.publish import take_demo_snapshot


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding one published, messy demo snapshot (read-only: share it)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    take_demo_snapshot(data_dir, visits=5_000, seed=7, messy=True, keep=5, batch_rows=50_000)
    return data_dir


REDIS_URL = "redis://127.0.0.1:6379/0"
# The machine's own command (docs/testing.md): no persistence, as on the test machines.
START_REDIS = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis on 127.0.0.1:6379, started if it is down."""
    if not redis_answers(REDIS_URL):
        subprocess.run(START_REDIS, check=False)
        deadline = time.monotonic() + 30
        while not redis_answers(REDIS_URL) and time.monotonic() < deadline:
            time.sleep(0.2)
    if not redis_answers(REDIS_URL):
        pytest.fail(f"Redis does not answer on {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key space of this test's own in the shared Redis, emptied afterwards."""
    prefix = f"visites-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)  # in case a test left it stopped
        server.kill()
