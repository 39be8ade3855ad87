"""The Redis layer of the answer cache (api/shared.py), on a real Redis: what it stores
and under which key, one computation across processes, a dead lock holder, and Redis
down, slow, then back. Two caches stand for two processes: they share nothing but
Redis."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest
import redis
from prometheus_client import CollectorRegistry
from redis_servers import PrivateRedis

from api.cache import AnswerCache, AnswerKey, Gate
from api.metrics import MEMORY, REDIS, Meters
from api.shared import BACKOFF, Codec, SharedAnswers
from api.statistics import CODEC, Answer
from engine import VisiteFilter

KEY = AnswerKey("20240101T000000000000Z", "data", VisiteFilter(annee=2024, mois=3), 12)
TEXT: Codec[str] = Codec(lambda _, value: value.encode(), lambda _, data: data.decode())


class Process:
    """One process's cache: its own memory layer, its meters, and Redis."""

    def __init__(self, url: str, prefix: str, *, capacity: int = 10) -> None:
        self.registry = CollectorRegistry()
        meters = Meters(self.registry)
        self.shared = SharedAnswers(
            url, TEXT, meters.redis_failures, prefix=prefix, ttl=60, lock_timeout=5, timeout=0.05
        )
        self.cache: AnswerCache[str] = AnswerCache(
            capacity, 1 << 20, len, gate=Gate(2, 16, meters), meters=meters, shared=self.shared
        )

    def count(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


def run(*processes: Process, scenario: Callable[[], Awaitable[Any]]) -> Any:
    """``scenario`` on an event loop, the processes' Redis clients open meanwhile."""

    async def main() -> Any:
        for process in processes:
            process.shared.open()
        try:
            return await scenario()
        finally:
            for process in processes:
                await process.shared.close()

    return asyncio.run(main())


class Calls:
    """A computation that counts its calls (from any thread) and takes ``seconds``."""

    def __init__(self, answer: str = "answer", seconds: float = 0.0) -> None:
        self.answer, self.seconds, self.count = answer, seconds, 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.count += 1
        time.sleep(self.seconds)
        return self.answer


def test_an_answer_computed_by_one_process_is_read_by_another_under_its_documented_key(
    redis_url: str, redis_prefix: str
) -> None:
    first, second = Process(redis_url, redis_prefix), Process(redis_url, redis_prefix)
    compute = Calls()

    async def scenario() -> list[tuple[str, str | None]]:
        return [
            await first.cache.get(KEY, compute),
            await second.cache.get(KEY, compute),
            await second.cache.get(KEY, compute),
        ]

    assert run(first, second, scenario=scenario) == [
        ("answer", None),
        ("answer", REDIS),
        ("answer", MEMORY),
    ]
    assert compute.count == 1
    # The canonical filter: every field of the endpoint's filter in order, absent ones null.
    canonical = (
        b'{"annee":2024,"mois":3,"start_date":null,"end_date":null,"id_responsable":null,'
        b'"id_utilisateur":null,"gamme":null,"region":null}'
    )
    digest = hashlib.sha256(canonical).hexdigest()[:32]
    name = f"{redis_prefix}answer:20240101T000000000000Z:data:12:{digest}"
    with redis.Redis.from_url(redis_url) as client:
        assert client.get(name) == b"answer"
        assert 0 < client.pttl(name) <= 60_000  # VISITES_REDIS_TTL
        assert client.keys(redis_prefix + "*") == [name.encode()]  # the lock was given back
    assert (second.count("visites_cache_hits_total", layer=REDIS)) == 1
    assert (first.count("visites_cache_misses_total", layer=REDIS)) == 1


def test_the_stored_value_is_the_answer_and_its_etag_and_no_other_key_takes_it() -> None:
    answer = Answer(b'{"total": 3}', 12.5)
    data = CODEC.dump(KEY, answer)
    etag, engine_ms, body = msgspec.msgpack.decode(data)
    assert (engine_ms, body) == (12.5, b'{"total": 3}')
    assert etag.startswith('W/"') and etag.endswith('"') and len(etag) == 36
    assert CODEC.load(KEY, data) == answer
    other = KEY._replace(scope=None)  # the same filter, for an unscoped token
    assert CODEC.load(other, data) is None
    assert CODEC.load(KEY, b"not msgpack") is None


def test_identical_concurrent_misses_in_two_processes_compute_once(
    redis_url: str, redis_prefix: str
) -> None:
    first, second = Process(redis_url, redis_prefix), Process(redis_url, redis_prefix)
    compute = Calls(seconds=0.3)

    async def scenario() -> list[tuple[str, str | None]]:
        asks = [p.cache.get(KEY, compute) for p in (first, second) for _ in range(5)]
        return await asyncio.gather(*asks)

    outcomes = run(first, second, scenario=scenario)
    assert compute.count == 1
    assert {value for value, _ in outcomes} == {"answer"}
    # One process computed (its five requests shared that computation); the other waited
    # for the lock to go and read the answer from Redis.
    assert sorted(str(layer) for _, layer in outcomes) == ["None"] * 5 + [REDIS] * 5


def test_a_dead_holder_blocks_no_one_past_its_lock_timeout(
    redis_url: str, redis_prefix: str
) -> None:
    process = Process(redis_url, redis_prefix)
    lock = process.shared.names(KEY)[1]
    with redis.Redis.from_url(redis_url) as client:
        client.set(lock, "a process that died", px=700)  # and never gives it back
    compute = Calls()

    async def scenario() -> tuple[tuple[str, str | None], float]:
        started = time.monotonic()
        got = await process.cache.get(KEY, compute)
        return got, time.monotonic() - started

    got, waited = run(process, scenario=scenario)
    assert got == ("answer", None) and compute.count == 1
    assert waited >= 0.6  # it did wait for the holder, until the lock expired


def test_a_failed_computation_gives_the_lock_back_at_once(
    redis_url: str, redis_prefix: str
) -> None:
    first, second = Process(redis_url, redis_prefix), Process(redis_url, redis_prefix)

    def broken() -> str:
        raise RuntimeError("engine down")

    async def scenario() -> tuple[str, str | None]:
        with pytest.raises(RuntimeError):
            await first.cache.get(KEY, broken)
        return await second.cache.get(KEY, Calls("recovered"))

    assert run(first, second, scenario=scenario) == ("recovered", None)
    with redis.Redis.from_url(redis_url) as client:
        assert not client.exists(first.shared.names(KEY)[1])


def test_redis_down_answers_uncached_logs_once_counts_and_leaves_redis_alone_a_while(
    redis_prefix: str, private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    private_redis.kill()
    # No memory layer: every request reaches the Redis layer, or would.
    process = Process(private_redis.url, redis_prefix, capacity=0)
    compute = Calls()

    async def scenario() -> list[tuple[str, str | None]]:
        return [await process.cache.get(KEY, compute) for _ in range(5)]

    with caplog.at_level(logging.WARNING, logger="visites.cache"):
        outcomes = run(process, scenario=scenario)
    assert outcomes == [("answer", None)] * 5 and compute.count == 5
    # One failure: the four next requests, within the back-off, did not ask Redis.
    assert process.count("visites_cache_redis_failures_total") == 1
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("Redis unavailable (ConnectionError: ")
    assert "asked again every 1 s" in record.getMessage()


def test_a_slow_redis_is_given_up_on_then_used_again_once_it_answers(
    redis_prefix: str, private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    process = Process(private_redis.url, redis_prefix, capacity=0)
    assert private_redis.process is not None
    compute = Calls()

    async def scenario() -> list[tuple[tuple[str, str | None], float]]:
        outcomes = []
        await process.cache.get(KEY, compute)  # connected, and the answer stored
        private_redis.process.send_signal(signal.SIGSTOP)  # alive, but answers nothing
        for pause in (0, BACKOFF + 0.2):
            await asyncio.sleep(pause)
            if pause:
                private_redis.process.send_signal(signal.SIGCONT)
            started = time.monotonic()
            got = await process.cache.get(KEY, compute)
            outcomes.append((got, time.monotonic() - started))
        return outcomes

    with caplog.at_level(logging.WARNING, logger="visites.cache"):
        (stopped, waited), (resumed, _) = run(process, scenario=scenario)
    assert stopped == ("answer", None)  # computed: Redis did not answer in time
    assert waited < 1  # 50 ms for Redis, then the computation; never Redis's silence
    assert resumed == ("answer", REDIS)  # after the back-off, Redis is asked again
    assert compute.count == 2
    assert process.count("visites_cache_redis_failures_total") == 1
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("Redis unavailable (TimeoutError: ")
    assert messages[1] == "Redis answers again: answers are shared again"
