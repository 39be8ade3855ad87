"""The answer cache: bounded in entries and bytes, one computation per key, scoped to a
snapshot."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from litestar.testing import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.cache import AnswerCache, AnswerKey, Gate
from api.errors import Overloaded
from api.metrics import MEMORY, Meters
from config import Settings
from engine import Engine
from security.tokens import create_token


def key(snapshot: str = "s1", endpoint: str = "data", filter_: object = 1) -> AnswerKey:
    return AnswerKey(snapshot, endpoint, filter_, None)


class Counts:
    """The meters of one cache, read as Prometheus reads them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.meters = Meters(self.registry)

    def __call__(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)


def strings(
    capacity: int, max_bytes: int = 1 << 20, counts: Counts | None = None
) -> AnswerCache[str]:
    """A cache of str answers, each weighing its length."""
    meters = (counts or Counts()).meters
    return AnswerCache(capacity, max_bytes, size=len, gate=Gate(2, 16, meters), meters=meters)


def test_a_repeat_is_a_hit() -> None:
    async def scenario() -> None:
        counts = Counts()
        cache = strings(10, counts=counts)
        assert await cache.get(key(), lambda: "answer") == ("answer", None)
        assert await cache.get(key(), lambda: "other") == ("answer", MEMORY)
        hits, misses = (
            counts(f"visites_cache_{n}_total", layer=MEMORY) for n in ("hits", "misses")
        )
        assert (hits, misses) == (1, 1)

    asyncio.run(scenario())


def test_the_least_recently_used_answer_goes_first() -> None:
    async def scenario() -> None:
        cache = strings(2)
        await cache.get(key(filter_=1), lambda: "1")
        await cache.get(key(filter_=2), lambda: "2")
        await cache.get(key(filter_=1), lambda: "1")  # 1 is now the most recent
        await cache.get(key(filter_=3), lambda: "3")
        assert len(cache) == 2
        assert (await cache.get(key(filter_=1), lambda: "-1"))[1]
        assert not (await cache.get(key(filter_=2), lambda: "-2"))[1]

    asyncio.run(scenario())


def test_identical_concurrent_misses_compute_once() -> None:
    calls = 0
    lock = threading.Lock()

    def slow() -> str:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.2)
        return "answer"

    async def scenario() -> list[tuple[str, bool]]:
        cache = strings(10)
        return await asyncio.gather(*(cache.get(key(), slow) for _ in range(20)))

    results = asyncio.run(scenario())
    assert calls == 1
    assert all(value == "answer" for value, _ in results)


def test_a_failure_reaches_every_waiter_and_is_not_cached() -> None:
    def broken() -> str:
        time.sleep(0.05)
        raise RuntimeError("engine down")

    async def scenario() -> None:
        cache = strings(10)
        outcomes = await asyncio.gather(
            *(cache.get(key(), broken) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        assert await cache.get(key(), lambda: "recovered") == ("recovered", None)

    asyncio.run(scenario())


def test_a_cancelled_waiter_does_not_cancel_the_others() -> None:
    def slow() -> str:
        time.sleep(0.2)
        return "answer"

    async def scenario() -> None:
        cache = strings(10)
        first = asyncio.create_task(cache.get(key(), slow))
        second = asyncio.create_task(cache.get(key(), slow))
        await asyncio.sleep(0.05)
        first.cancel()
        assert await second == ("answer", None)
        with pytest.raises(asyncio.CancelledError):
            await first

    asyncio.run(scenario())


def test_a_new_snapshot_is_a_new_key_and_retain_frees_the_old() -> None:
    async def scenario() -> None:
        cache = strings(10)
        await cache.get(key("old"), lambda: "old answer")
        assert await cache.get(key("new"), lambda: "new answer") == ("new answer", None)
        cache.retain("new")
        assert len(cache) == 1
        assert await cache.get(key("new"), lambda: "x") == ("new answer", MEMORY)

    asyncio.run(scenario())


def test_size_zero_disables_caching() -> None:
    async def scenario() -> None:
        cache = strings(0)
        await cache.get(key(), lambda: "a")
        assert await cache.get(key(), lambda: "b") == ("b", None)

    asyncio.run(scenario())


def test_the_least_recently_used_answers_go_until_the_bytes_fit() -> None:
    async def scenario() -> None:
        counts = Counts()
        cache = strings(10, max_bytes=10, counts=counts)
        await cache.get(key(filter_=1), lambda: "aaaa")  # 4 bytes
        await cache.get(key(filter_=2), lambda: "bbb")  # 7
        await cache.get(key(filter_=1), lambda: "?")  # 1 is now the most recent
        await cache.get(key(filter_=3), lambda: "cccccc")  # 13 > 10: 2 goes, 10 stay
        assert (len(cache), cache.bytes) == (2, 10)
        await cache.get(key(filter_=4), lambda: "ddddddddd")  # 19: 1 goes, then 3
        assert (len(cache), cache.bytes) == (1, 9)
        for gone in (1, 2, 3):
            assert await cache.get(key(filter_=gone), lambda: "new") == ("new", None)
        assert counts("visites_cache_oversized_total") == 0

    asyncio.run(scenario())


def test_an_answer_larger_than_the_whole_bound_is_served_but_never_kept() -> None:
    async def scenario() -> None:
        counts = Counts()
        cache = strings(10, max_bytes=10, counts=counts)
        await cache.get(key(filter_=1), lambda: "small")
        assert await cache.get(key(filter_=2), lambda: "x" * 11) == ("x" * 11, None)
        assert await cache.get(key(filter_=2), lambda: "y" * 11) == ("y" * 11, None)
        # Nothing was evicted to make room for what could never fit.
        assert await cache.get(key(filter_=1), lambda: "?") == ("small", MEMORY)
        assert (len(cache), cache.bytes, counts("visites_cache_oversized_total")) == (1, 5, 2)

    asyncio.run(scenario())


def test_retain_gives_the_old_snapshots_bytes_back() -> None:
    async def scenario() -> None:
        cache = strings(10, max_bytes=100)
        await cache.get(key("old"), lambda: "old answer")
        await cache.get(key("new"), lambda: "new")
        cache.retain("new")
        assert cache.bytes == 3

    asyncio.run(scenario())


def test_zero_bytes_disables_caching_without_counting_oversized_answers() -> None:
    async def scenario() -> None:
        counts = Counts()
        cache = strings(10, max_bytes=0, counts=counts)
        await cache.get(key(), lambda: "a")
        assert await cache.get(key(), lambda: "b") == ("b", None)
        assert (len(cache), counts("visites_cache_oversized_total")) == (0, 0)

    asyncio.run(scenario())


def test_the_service_keeps_no_answer_larger_than_its_byte_bound(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """/data's answer (kilobytes) does not fit 512 bytes; /users' empty-team answer does."""
    tokens = tmp_path / "tokens.json"
    secret = create_token(tokens, "reader")
    monitor = {"Authorization": f"Bearer {create_token(tokens, 'monitor', metrics=True)}"}
    settings = Settings(data_dir=demo_data_dir, tokens_file=tokens, cache_bytes=512)
    engine = Engine.open(demo_data_dir)
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        with TestClient(create_app(settings, engine)) as client:
            big = [client.post("/data", json={}, headers=headers) for _ in range(2)]
            small = [client.post("/users", json={"id_utilisateur": 0}, headers=headers)]
            small.append(client.post("/users", json={"id_utilisateur": 0}, headers=headers))
            metrics = client.get("/metrics", headers=monitor).text
    finally:
        engine.close()
    assert len(big[0].content) > 512 >= len(small[0].content)
    assert [r.headers["x-cache"] for r in big] == ["miss", "miss"]
    assert [r.headers["x-cache"] for r in small] == ["miss", "hit"]
    assert "\nvisites_cache_oversized_total 2.0\n" in metrics
    assert f"\nvisites_cache_bytes {float(len(small[0].content))}\n" in metrics


def test_beyond_its_slots_and_queue_the_gate_refuses_at_once_and_hits_never_wait() -> None:
    release = threading.Event()

    def blocked() -> str:
        release.wait(10)
        return "late"

    async def scenario() -> None:
        counts = Counts()
        meters = counts.meters
        cache = AnswerCache(10, 1 << 20, size=len, gate=Gate(1, 2, meters), meters=meters)
        await cache.get(key(filter_=0), lambda: "kept")
        running = [asyncio.create_task(cache.get(key(filter_=n), blocked)) for n in (1, 2, 3)]
        await asyncio.sleep(0.05)
        assert cache.gate.waiting == 2 == counts("visites_engine_waiting")
        with pytest.raises(Overloaded):
            await cache.get(key(filter_=4), blocked)
        # a hit, and a request joining a computation already admitted, pass the full gate
        assert await cache.get(key(filter_=0), lambda: "?") == ("kept", MEMORY)
        joining = asyncio.create_task(cache.get(key(filter_=3), blocked))
        release.set()
        assert [v for v, _ in await asyncio.gather(*running, joining)] == ["late"] * 4
        assert (counts("visites_engine_rejected_total"), cache.gate.admitted) == (1, 0)
        assert await cache.get(key(filter_=4), lambda: "now") == ("now", None)

    asyncio.run(scenario())
