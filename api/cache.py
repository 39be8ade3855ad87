"""The answer cache (SPEC §8): an LRU bounded in entries and in bytes, one computation
per key however many ask.

Litestar's stores do not fit: ``MemoryStore`` has no size bound (only expiry), and its
response cache keys on method, path and query string through a synchronous key builder
that cannot read a POST body (let alone the decoded filter, where ``"2023"`` and
``2023`` are one), nor merges concurrent misses. This is small instead, and lives on
the event loop: every method runs on the loop thread, so it needs no lock; only the
computation goes to a worker thread.

A key starts with the snapshot id, so an answer can never be served for another
snapshot; ``retain`` also frees the old snapshot's answers once it is replaced (one
still being computed then is stored, never asked for again, and evicted in turn).

Answers differ in size by orders of magnitude (a daily series against a dozen counters),
so a bound in entries alone says nothing of memory: the bytes are bounded too, and an
answer larger than that whole bound is served but never kept (``oversized`` counts them).

A miss computes through the ``Gate``: at most ``slots`` computations run and ``queue``
more wait; one more is refused at once (``Overloaded``, a 503) rather than queued
behind minutes of work. Hits and requests joining a pending computation never wait, and
neither do ``/health`` and ``/ready``, which do not go through the cache.

With ``VISITES_REDIS_URL``, this LRU is each worker's first layer and Redis the second,
shared by every worker and replica (api/shared.py): a miss here asks Redis, and only a
miss there computes, once across processes. Keys hold the snapshot id, so an answer
never changes under its key and neither layer ever needs invalidating. Redis down, the
worker answers from this layer and the engine alone.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, NamedTuple, TypeVar

import anyio.to_thread

from api.errors import Overloaded
from api.metrics import MEMORY, REDIS, Meters
from api.shared import SharedAnswers, SharedDown

V = TypeVar("V")


class AnswerKey(NamedTuple):
    snapshot_id: str
    endpoint: str
    # A frozen engine filter, canonical (field order, "2023" vs 2023); None for choices.
    filter_: Hashable
    scope: int | None  # the token's manager, None for an unscoped token


class Gate:
    """Bounds the engine's computations: ``slots`` at a time, ``queue`` more waiting."""

    def __init__(self, slots: int, queue: int, meters: Meters) -> None:
        self.slots = slots
        self.queue = queue
        self.admitted = 0  # running or waiting
        self._meters = meters
        self._free = asyncio.Semaphore(slots)

    @property
    def waiting(self) -> int:
        return max(0, self.admitted - self.slots)

    def admit(self, compute: Callable[[], V]) -> Coroutine[Any, Any, V]:
        """``compute`` in a worker thread once a slot is free; counted from now, so a
        burst arriving in one turn of the loop is bounded too."""
        if self.admitted >= self.slots + self.queue:
            self._meters.rejected.inc()
            raise Overloaded(f"{self.slots} computations running and {self.queue} waiting")
        self._count(+1)
        return self._run(compute)

    async def _run(self, compute: Callable[[], V]) -> V:
        try:
            async with self._free:
                return await anyio.to_thread.run_sync(compute)
        finally:
            self._count(-1)

    def _count(self, change: int) -> None:
        self.admitted += change
        self._meters.waiting.set(self.waiting)


class AnswerCache(Generic[V]):
    """At most ``capacity`` answers and ``max_bytes`` bytes, an answer's bytes as ``size``
    measures them; either bound at 0 turns this layer off (Redis, if given, stays)."""

    def __init__(
        self,
        capacity: int,
        max_bytes: int,
        size: Callable[[V], int],
        *,
        gate: Gate,
        meters: Meters,
        shared: SharedAnswers[V] | None = None,
    ) -> None:
        self.capacity = capacity
        self.gate = gate
        self.max_bytes = max_bytes
        self.shared = shared
        self._size = size
        self._meters = meters
        self.bytes = 0  # what the kept answers weigh
        self._entries: OrderedDict[AnswerKey, tuple[V, int]] = OrderedDict()
        self._pending: dict[AnswerKey, asyncio.Future[tuple[V, str | None]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: AnswerKey, compute: Callable[[], V]) -> tuple[V, str | None]:
        """The value for ``key`` and the layer that had it (``MEMORY``, ``REDIS``), None
        when it was computed; ``compute`` runs in a thread through the gate
        (``Overloaded`` when it is full)."""
        if (entry := self._entries.get(key)) is not None:
            self._entries.move_to_end(key)
            self._meters.hits[MEMORY].inc()
            return entry[0], MEMORY
        self._meters.misses[MEMORY].inc()
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._obtain(key, compute))
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._settle(key, done))
        # shield: a client that hangs up must not cancel the answer others wait for
        return await asyncio.shield(pending)

    async def _obtain(self, key: AnswerKey, compute: Callable[[], V]) -> tuple[V, str | None]:
        if self.shared is not None and self.shared.usable:
            try:
                return await self._through(self.shared, key, compute)
            except SharedDown:
                pass  # counted and logged once: compute without Redis
        return await self.gate.admit(compute), None

    async def _through(
        self, shared: SharedAnswers[V], key: AnswerKey, compute: Callable[[], V]
    ) -> tuple[V, str | None]:
        """From Redis, or computed here under its lock and stored there; while another
        process holds the lock, look again after a pause that doubles up to 50 ms."""
        pause = 0.002
        while True:
            stored, locked = await shared.look(key)
            if stored is not None:
                self._meters.hits[REDIS].inc()
                return stored, REDIS
            if not locked and (token := await shared.lock(key)) is not None:
                break
            await asyncio.sleep(pause)
            pause = min(2 * pause, 0.05)
        self._meters.misses[REDIS].inc()
        try:
            value = await self.gate.admit(compute)
        except BaseException:
            await shared.unlock(key, token)
            raise
        await shared.store(key, value, token)
        return value, None

    def _settle(self, key: AnswerKey, done: asyncio.Future[tuple[V, str | None]]) -> None:
        del self._pending[key]
        if done.cancelled() or done.exception() is not None:
            return
        if self.capacity == 0 or self.max_bytes == 0:
            return
        value, _ = done.result()
        size = self._size(value)
        if size > self.max_bytes:
            self._meters.oversized.inc()
            return
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.capacity or self.bytes > self.max_bytes:
            self._evict(next(iter(self._entries)))
        self._measure()

    def _evict(self, key: AnswerKey) -> None:
        _, size = self._entries.pop(key)
        self.bytes -= size

    def _measure(self) -> None:
        self._meters.entries.set(len(self._entries))
        self._meters.bytes.set(self.bytes)

    def retain(self, snapshot_id: str) -> None:
        """Drop every answer of another snapshot (they can no longer be asked for)."""
        for key in [k for k in self._entries if k.snapshot_id != snapshot_id]:
            self._evict(key)
        self._measure()
