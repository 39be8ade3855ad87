"""All of visites' configuration: environment variables with the ``VISITES_`` prefix.

Every layer receives a ``Settings`` value; no ``VISITES_*`` variable is read elsewhere.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import msgspec

PREFIX = "VISITES_"
N = TypeVar("N", int, float)
# The fewest snapshots to keep (`visites snapshot --keep` too): the current one is never pruned.
MIN_KEEP_SNAPSHOTS = 1
# PyMySQL refuses a connect timeout over a year.
MAX_MYSQL_TIMEOUT = 365 * 24 * 3600
# prometheus-client's own variable: where each worker writes its metrics (multiprocess mode).
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    mysql_url: str | None = None
    data_dir: Path = Path("data")
    tokens_file: Path | None = None
    refresh_interval: float | None = None
    keep_snapshots: int = 5
    batch_rows: int = 25_000
    mysql_timeout: float = 30.0  # seconds MySQL may take to connect or answer a round trip
    cache_size: int = 1024  # answers the API keeps in memory (LRU)
    cache_bytes: int = 64 * 1024 * 1024  # and what they may weigh together
    poll_interval: float = 1.0  # seconds between the API's looks at CURRENT
    # Each process's DuckDB: its memory limit (a size as DuckDB writes it) and threads.
    # The defaults suit a 2-core, 2 GB container running the server and the job.
    memory_limit: str = "512MB"
    threads: int = 2
    # Uncached answers that may wait for one of those threads; one more gets a 503.
    queue: int = 16
    # Seconds a connection may take to send a whole request (from its opening or its
    # previous answer), and connections each server worker holds open at most.
    request_timeout: int = 10
    max_connections: int = 1000
    # Browser front ends on these origins may call the API (CORS); none by default.
    cors_origins: tuple[str, ...] = ()

    # The answer cache shared by every worker and replica (docs/deploy.md); None: each
    # process keeps its own. Keys start with the prefix; an answer is kept redis_ttl
    # seconds; a process computing one holds the others back redis_lock_timeout at most;
    # Redis slower than redis_timeout seconds counts as down.
    redis_url: str | None = None
    redis_prefix: str = "visites:"
    redis_ttl: int = 3600
    redis_lock_timeout: float = 5.0
    redis_timeout: float = 0.05

    # Seconds at least between two versions `visites follow` publishes.
    follow_interval: float = 2.0

    @property
    def tokens_path(self) -> Path:
        return self.tokens_file or self.data_dir / "tokens.json"

    def environ(self) -> dict[str, str]:
        """The ``VISITES_*`` variables that ``load_settings`` reads back as these settings:
        how a child process (the snapshot job) gets its parent's settings."""
        fields = msgspec.structs.asdict(self)
        return {PREFIX + k.upper(): _text(v) for k, v in fields.items() if v is not None}


def _text(value: object) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


class ConfigError(ValueError):
    """A ``VISITES_*`` variable holds a value that cannot be used."""


def _optional_number(
    environ: Mapping[str, str], name: str, kind: type[N], minimum: float, maximum: float = math.inf
) -> N | None:
    raw = environ.get(PREFIX + name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{PREFIX}{name}={raw!r} is not {what}") from None
    # float("nan") and float("inf") parse, and would stop a loop that sleeps this long.
    if not math.isfinite(value):
        raise ConfigError(f"{PREFIX}{name}={raw!r} is not a finite number")
    if value < minimum:
        raise ConfigError(f"{PREFIX}{name}={raw!r} must be at least {minimum}")
    if value > maximum:
        raise ConfigError(f"{PREFIX}{name}={raw!r} must be at most {maximum}")
    return value


def _number(
    environ: Mapping[str, str],
    name: str,
    kind: type[N],
    minimum: float,
    default: N,
    maximum: float = math.inf,
) -> N:
    value = _optional_number(environ, name, kind, minimum, maximum)
    return default if value is None else value


# What DuckDB's memory_limit accepts: a number and a unit, decimal or binary.
SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B)", re.IGNORECASE)


def _size(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(PREFIX + name, "").strip()
    if not raw:
        return default
    if not SIZE.fullmatch(raw):
        raise ConfigError(f"{PREFIX}{name}={raw!r} is not a size such as 512MB or 2GiB")
    return raw


# What a browser sends as Origin: a scheme and a host, maybe a port; no path, no slash.
ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s,]+", re.IGNORECASE)


def _origins(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of origins; ``*`` for any."""
    raw = environ.get(PREFIX + name, "")
    origins = tuple(item.strip() for item in raw.split(",") if item.strip())
    for origin in origins:
        if origin != "*" and not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"{PREFIX}{name}={raw!r}: {origin!r} is not an origin such as "
                "https://crm.example.com (a scheme and a host, no path)"
            )
    return origins


def _redis_url(environ: Mapping[str, str]) -> str | None:
    raw = environ.get(PREFIX + "REDIS_URL", "").strip()
    if not raw:
        return None
    from redis.connection import parse_url  # only when set: the snapshot job never needs it

    try:
        parse_url(raw)
    except ValueError as error:  # its reasons never repeat a password
        raise ConfigError(f"{PREFIX}REDIS_URL is not a Redis URL: {error}") from None
    return raw


def metrics_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the server's workers share their metrics, when there are several
    (``visites serve --workers N`` sets it); None for one process."""
    env = os.environ if environ is None else environ
    raw = env.get(METRICS_DIR, "").strip()
    return Path(raw) if raw else None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    tokens = env.get(PREFIX + "TOKENS_FILE")
    return Settings(
        mysql_url=env.get(PREFIX + "MYSQL_URL") or None,
        data_dir=Path(env.get(PREFIX + "DATA_DIR") or defaults.data_dir),
        tokens_file=Path(tokens) if tokens else None,
        refresh_interval=_optional_number(env, "REFRESH_INTERVAL", float, 1),
        keep_snapshots=_number(
            env, "KEEP_SNAPSHOTS", int, MIN_KEEP_SNAPSHOTS, defaults.keep_snapshots
        ),
        batch_rows=_number(env, "BATCH_ROWS", int, 1, defaults.batch_rows),
        mysql_timeout=_number(
            env, "MYSQL_TIMEOUT", float, 1, defaults.mysql_timeout, MAX_MYSQL_TIMEOUT
        ),
        cache_size=_number(env, "CACHE_SIZE", int, 0, defaults.cache_size),
        cache_bytes=_number(env, "CACHE_BYTES", int, 0, defaults.cache_bytes),
        poll_interval=_number(env, "POLL_INTERVAL", float, 0.1, defaults.poll_interval),
        memory_limit=_size(env, "MEMORY_LIMIT", defaults.memory_limit),
        threads=_number(env, "THREADS", int, 1, defaults.threads),
        queue=_number(env, "QUEUE", int, 0, defaults.queue),
        request_timeout=_number(env, "REQUEST_TIMEOUT", int, 1, defaults.request_timeout),
        max_connections=_number(env, "MAX_CONNECTIONS", int, 1, defaults.max_connections),
        cors_origins=_origins(env, "CORS_ORIGINS"),
        redis_url=_redis_url(env),
        redis_prefix=env.get(PREFIX + "REDIS_PREFIX") or defaults.redis_prefix,
        redis_ttl=_number(env, "REDIS_TTL", int, 1, defaults.redis_ttl),
        redis_lock_timeout=_number(
            env, "REDIS_LOCK_TIMEOUT", float, 0.1, defaults.redis_lock_timeout
        ),
        redis_timeout=_number(env, "REDIS_TIMEOUT", float, 0.001, defaults.redis_timeout),
        follow_interval=_number(env, "FOLLOW_INTERVAL", float, 0, defaults.follow_interval),
    )
