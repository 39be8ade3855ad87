"""The answer cache: bounded, one computation per key, scoped to a snapshot."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from api.cache import AnswerCache, AnswerKey


def key(snapshot: str = "s1", endpoint: str = "data", filter_: object = 1) -> AnswerKey:
    return AnswerKey(snapshot, endpoint, filter_, None)


def test_a_repeat_is_a_hit() -> None:
    async def scenario() -> None:
        cache: AnswerCache[str] = AnswerCache(10)
        assert await cache.get(key(), lambda: "answer") == ("answer", False)
        assert await cache.get(key(), lambda: "other") == ("answer", True)
        assert (cache.hits, cache.misses) == (1, 1)

    asyncio.run(scenario())


def test_the_least_recently_used_answer_goes_first() -> None:
    async def scenario() -> None:
        cache: AnswerCache[int] = AnswerCache(2)
        await cache.get(key(filter_=1), lambda: 1)
        await cache.get(key(filter_=2), lambda: 2)
        await cache.get(key(filter_=1), lambda: 1)  # 1 is now the most recent
        await cache.get(key(filter_=3), lambda: 3)
        assert len(cache) == 2
        assert (await cache.get(key(filter_=1), lambda: -1))[1]
        assert not (await cache.get(key(filter_=2), lambda: -2))[1]

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
        cache: AnswerCache[str] = AnswerCache(10)
        return await asyncio.gather(*(cache.get(key(), slow) for _ in range(20)))

    results = asyncio.run(scenario())
    assert calls == 1
    assert all(value == "answer" for value, _ in results)


def test_a_failure_reaches_every_waiter_and_is_not_cached() -> None:
    def broken() -> str:
        time.sleep(0.05)
        raise RuntimeError("engine down")

    async def scenario() -> None:
        cache: AnswerCache[str] = AnswerCache(10)
        outcomes = await asyncio.gather(
            *(cache.get(key(), broken) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        assert await cache.get(key(), lambda: "recovered") == ("recovered", False)

    asyncio.run(scenario())


def test_a_cancelled_waiter_does_not_cancel_the_others() -> None:
    def slow() -> str:
        time.sleep(0.2)
        return "answer"

    async def scenario() -> None:
        cache: AnswerCache[str] = AnswerCache(10)
        first = asyncio.create_task(cache.get(key(), slow))
        second = asyncio.create_task(cache.get(key(), slow))
        await asyncio.sleep(0.05)
        first.cancel()
        assert await second == ("answer", False)
        with pytest.raises(asyncio.CancelledError):
            await first

    asyncio.run(scenario())


def test_a_new_snapshot_is_a_new_key_and_retain_frees_the_old() -> None:
    async def scenario() -> None:
        cache: AnswerCache[str] = AnswerCache(10)
        await cache.get(key("old"), lambda: "old answer")
        assert await cache.get(key("new"), lambda: "new answer") == ("new answer", False)
        cache.retain("new")
        assert len(cache) == 1
        assert await cache.get(key("new"), lambda: "x") == ("new answer", True)

    asyncio.run(scenario())


def test_size_zero_disables_caching() -> None:
    async def scenario() -> None:
        cache: AnswerCache[str] = AnswerCache(0)
        await cache.get(key(), lambda: "a")
        assert await cache.get(key(), lambda: "b") == ("b", False)

    asyncio.run(scenario())
