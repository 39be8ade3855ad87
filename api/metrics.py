"""The service's counters, summed over every worker of the server (SPEC §10).

One worker: plain prometheus-client metrics, read when ``/metrics`` is asked. Several
(``visites serve --workers N``): prometheus-client's multiprocess mode, which
``visites serve`` turns on by pointing ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder;
each worker's counters then live in files there, and ``/metrics`` of any worker reads
them all. Gauges add up the live workers (``livesum``): a worker that exits cleanly
takes its files' gauges with it.

The served snapshot's figures (age, rows, id) are the answering worker's view: the
workers follow ``CURRENT`` each on its own, and agree within ``VISITES_POLL_INTERVAL``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MEMORY = "memory"  # the worker's own LRU
REDIS = "redis"  # the cache shared by every worker and replica (VISITES_REDIS_URL)
LAYERS = (MEMORY, REDIS)


class Meters:
    """The counters the cache, the engine gate and the snapshot swaps keep."""

    def __init__(self, registry: CollectorRegistry) -> None:
        hits = Counter(
            "visites_cache_hits", "Answers served from a cache layer", ["layer"], registry=registry
        )
        misses = Counter(
            "visites_cache_misses",
            "Answers a cache layer did not have (the next layer or the engine answered)",
            ["layer"],
            registry=registry,
        )
        self.hits = {layer: hits.labels(layer) for layer in LAYERS}
        self.misses = {layer: misses.labels(layer) for layer in LAYERS}
        self.oversized = Counter(
            "visites_cache_oversized",
            "Answers too large to cache in memory (served, not kept)",
            registry=registry,
        )
        self.entries = Gauge(
            "visites_cache_entries",
            "Answers in the workers' memory caches",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.bytes = Gauge(
            "visites_cache_bytes",
            "Bytes of the answers in the workers' memory caches",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.redis_failures = Counter(
            "visites_cache_redis_failures",
            "Redis operations that failed or timed out: answered without Redis",
            registry=registry,
        )
        self.rejected = Counter(
            "visites_engine_rejected",
            "Uncached requests refused with a 503: the engine was busy and its queue full",
            registry=registry,
        )
        self.waiting = Gauge(
            "visites_engine_waiting",
            "Uncached requests waiting for the engine",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.refused = Counter(
            "visites_snapshots_refused",
            "Snapshots refused: bad manifest or Parquet, corrupt serving database, failed build",
            registry=registry,
        )


@dataclass(frozen=True)
class Exposition:
    """What ``GET /metrics`` shows."""

    meters: CollectorRegistry  # this worker's counters
    figures: CollectorRegistry  # the served snapshot, as this worker sees it
    shared_dir: Path | None  # PROMETHEUS_MULTIPROC_DIR: every worker's counters

    def render(self) -> bytes:
        if self.shared_dir is None:
            # Litestar's request metrics live in prometheus-client's global registry.
            counters = generate_latest(REGISTRY) + generate_latest(self.meters)
        else:  # every worker's, Litestar's included, from their files
            workers = CollectorRegistry()
            MultiProcessCollector(workers, path=str(self.shared_dir))
            counters = generate_latest(workers)
        return counters + generate_latest(self.figures)

    def worker_exits(self) -> None:
        """This worker's gauges stop counting (its counters stay in the sums)."""
        if self.shared_dir is not None:
            mark_process_dead(os.getpid(), path=str(self.shared_dir))
