"""Redis for the tests: whether one answers, and a private redis-server that a test
may kill, stop and start again on the same port."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis
from helpers import eventually, free_port


def redis_answers(url: str) -> bool:
    try:
        with redis.Redis.from_url(url, socket_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


class PrivateRedis:
    """A redis-server of one test, on a port of its own, that the test may kill."""

    def __init__(self, work: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._work = work
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self._work)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        assert eventually(lambda: redis_answers(self.url), seconds=10), "redis-server down"

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)
