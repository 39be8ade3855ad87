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
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, NamedTuple, TypeVar

import anyio.to_thread

from api.errors import Overloaded

V = TypeVar("V")


class AnswerKey(NamedTuple):
    snapshot_id: str
    endpoint: str
    # A frozen engine filter, canonical (field order, "2023" vs 2023); None for choices.
    filter_: Hashable
    scope: int | None  # the token's manager, None for an unscoped token


class Gate:
    """Bounds the engine's computations: ``slots`` at a time, ``queue`` more waiting."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = slots
        self.queue = queue
        self.admitted = 0  # running or waiting
        self.rejected = 0
        self._free = asyncio.Semaphore(slots)

    @property
    def waiting(self) -> int:
        return max(0, self.admitted - self.slots)

    def admit(self, compute: Callable[[], V]) -> Coroutine[Any, Any, V]:
        """``compute`` in a worker thread once a slot is free; counted from now, so a
        burst arriving in one turn of the loop is bounded too."""
        if self.admitted >= self.slots + self.queue:
            self.rejected += 1
            raise Overloaded(f"{self.slots} computations running and {self.queue} waiting")
        self.admitted += 1
        return self._run(compute)

    async def _run(self, compute: Callable[[], V]) -> V:
        try:
            async with self._free:
                return await anyio.to_thread.run_sync(compute)
        finally:
            self.admitted -= 1


class AnswerCache(Generic[V]):
    """At most ``capacity`` answers and ``max_bytes`` bytes, an answer's bytes as ``size``
    measures them; either bound at 0 turns the cache off."""

    def __init__(
        self, capacity: int, max_bytes: int, size: Callable[[V], int], *, gate: Gate
    ) -> None:
        self.capacity = capacity
        self.gate = gate
        self.max_bytes = max_bytes
        self._size = size
        self.hits = 0
        self.misses = 0
        self.oversized = 0  # answers larger than max_bytes: served, not kept
        self.bytes = 0  # what the kept answers weigh
        self._entries: OrderedDict[AnswerKey, tuple[V, int]] = OrderedDict()
        self._pending: dict[AnswerKey, asyncio.Future[V]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: AnswerKey, compute: Callable[[], V]) -> tuple[V, bool]:
        """The value for ``key`` and whether it was cached; ``compute`` runs in a thread
        through the gate (``Overloaded`` when it is full)."""
        if (entry := self._entries.get(key)) is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0], True
        self.misses += 1
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self.gate.admit(compute))
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._settle(key, done))
        # shield: a client that hangs up must not cancel the answer others wait for
        return await asyncio.shield(pending), False

    def _settle(self, key: AnswerKey, done: asyncio.Future[V]) -> None:
        del self._pending[key]
        if done.cancelled() or done.exception() is not None:
            return
        if self.capacity == 0 or self.max_bytes == 0:
            return
        value = done.result()
        size = self._size(value)
        if size > self.max_bytes:
            self.oversized += 1
            return
        self._entries[key] = (value, size)
        self.bytes += size
        while len(self._entries) > self.capacity or self.bytes > self.max_bytes:
            self._evict(next(iter(self._entries)))

    def _evict(self, key: AnswerKey) -> None:
        _, size = self._entries.pop(key)
        self.bytes -= size

    def retain(self, snapshot_id: str) -> None:
        """Drop every answer of another snapshot (they can no longer be asked for)."""
        for key in [k for k in self._entries if k.snapshot_id != snapshot_id]:
            self._evict(key)
