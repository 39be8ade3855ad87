"""The answer cache shared by every worker and replica: Redis (``VISITES_REDIS_URL``).

Keys: ``<prefix>answer:<snapshot id>:<endpoint>:<scope>:<digest of the canonical
filter>`` (the scope is the token's manager, never the token); values: the encoded
answer and its ETag (``Codec``). Every entry expires ``VISITES_REDIS_TTL`` seconds after
it is written: a replaced snapshot's entries are never read again and go within that
time, and Redis's ``maxmemory`` bounds the rest (docs/deploy.md).

Identical misses in several processes compute once: the first takes
``<prefix>lock:<same>`` (``SET NX PX``) and computes; the others see it taken and look
again, shortly, until the answer is there or the lock has gone. A holder that fails
drops its lock; one that dies blocks no one longer than ``VISITES_REDIS_LOCK_TIMEOUT``,
when the lock expires and the next process takes it.

Redis down, or slower than ``VISITES_REDIS_TIMEOUT`` (50 ms), never fails a request:
the operation raises ``SharedDown``, which the cache answers by computing without
Redis; the failure is counted, logged once per outage, and Redis is left alone for
``BACKOFF`` seconds (requests do not each wait for a dead server), then asked again:
it reconnects by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import msgspec
from prometheus_client import Counter
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from api.cache import AnswerKey

log = logging.getLogger("visites.cache")

V = TypeVar("V")
T = TypeVar("T")

BACKOFF = 1.0  # seconds without asking Redis after a failure

# Store the answer and drop the lock in one round trip, the lock only if it is still ours
# (it may have expired and been taken by another process meanwhile).
STORE = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
"""
UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end"


class SharedDown(Exception):
    """Redis failed or was slow just now, or is being left alone: answer without it."""


class Codec(Generic[V]):
    """An answer to and from the bytes stored under its key; ``load`` gives None for
    bytes that are not this key's answer (another format, another version)."""

    def __init__(
        self,
        dump: Callable[[AnswerKey, V], bytes],
        load: Callable[[AnswerKey, bytes], V | None],
    ) -> None:
        self.dump = dump
        self.load = load


class SharedAnswers(Generic[V]):
    """Answers in Redis; every method runs on the event loop."""

    def __init__(
        self,
        url: str,
        codec: Codec[V],
        failures: Counter,
        *,
        prefix: str,
        ttl: int,
        lock_timeout: float,
        timeout: float,
    ) -> None:
        self._url = url
        self._codec = codec
        self._failures = failures
        self._prefix = prefix
        self._ttl_ms = ttl * 1000
        self._lock_ms = round(lock_timeout * 1000)
        self._timeout = timeout
        self._client: Redis | None = None
        self._resting_until = 0.0  # monotonic time before which Redis is not asked
        self._outage = False  # a failure was logged and Redis has not answered since

    def open(self) -> None:
        """Connects lazily, on the running loop (a client belongs to one loop)."""
        pool = ConnectionPool.from_url(
            self._url,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            retry=Retry(NoBackoff(), 0),  # a retry would only double the wait
        )
        self._client = Redis.from_pool(pool)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def usable(self) -> bool:
        return self._client is not None and time.monotonic() >= self._resting_until

    def names(self, key: AnswerKey) -> tuple[str, str]:
        """The Redis keys of ``key``'s answer and of its lock."""
        scope = "all" if key.scope is None else str(key.scope)
        digest = hashlib.sha256(msgspec.json.encode(key.filter_)).hexdigest()[:32]
        rest = f"{key.snapshot_id}:{key.endpoint}:{scope}:{digest}"
        return f"{self._prefix}answer:{rest}", f"{self._prefix}lock:{rest}"

    async def look(self, key: AnswerKey) -> tuple[V | None, bool]:
        """The stored answer if any, and whether a process holds the lock to compute it."""
        client = self._ready()
        answer, lock = await self._call(client.mget(self.names(key)))
        # bytes: the client does not decode (a str would be a client set up otherwise)
        found = self._codec.load(key, answer) if isinstance(answer, bytes) else None
        return found, lock is not None

    async def lock(self, key: AnswerKey) -> str | None:
        """The lock on ``key``'s computation (its token to give back), or None if
        another process holds it."""
        client = self._ready()
        token = secrets.token_hex(8)
        taken = await self._call(client.set(self.names(key)[1], token, nx=True, px=self._lock_ms))
        return token if taken else None

    async def store(self, key: AnswerKey, answer: V, token: str) -> None:
        """Keep ``answer`` and give the lock back; a failure is only counted."""
        data, names = self._codec.dump(key, answer), self.names(key)
        await self._quietly(lambda client: client.eval(STORE, 2, *names, data, self._ttl_ms, token))

    async def unlock(self, key: AnswerKey, token: str) -> None:
        """Give the lock back without an answer (the computation failed)."""
        await self._quietly(lambda client: client.eval(UNLOCK, 1, self.names(key)[1], token))

    def _ready(self) -> Redis:
        if self._client is None or not self.usable:
            raise SharedDown("Redis is left alone for now")
        return self._client

    async def _quietly(self, operation: Callable[[Redis], Awaitable[object]]) -> None:
        with contextlib.suppress(SharedDown):  # counted and logged; a lock expires anyway
            await self._call(operation(self._ready()))

    async def _call(self, operation: Awaitable[T]) -> T:
        try:
            result = await operation
        except (RedisError, OSError) as error:
            self._failed(error)
            raise SharedDown(str(error)) from error
        if self._outage:
            self._outage = False
            log.warning("Redis answers again: answers are shared again")
        return result

    def _failed(self, error: Exception) -> None:
        self._failures.inc()
        self._resting_until = time.monotonic() + BACKOFF
        if not self._outage:  # once per outage, not once per request
            self._outage = True
            log.error(
                "Redis unavailable (%s: %s): answers are computed without it, "
                "and Redis asked again every %.0f s",
                type(error).__name__,
                error,
                BACKOFF,
            )
