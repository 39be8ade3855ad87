"""Operations (SPEC §10): liveness, readiness, snapshot status and refresh, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread
import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_409_CONFLICT
from msgspec import UNSET, UnsetType
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from api.errors import documented
from api.metrics import Exposition
from api.snapshots import Refresher, RefreshOutcome
from engine import Engine, NotReady
from security.tokens import Token
from snapshot.manifest import Manifest, Source


class Health(msgspec.Struct, frozen=True):
    status: str


class SnapshotStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The served snapshot. A token scoped to a team gets its id, time and age only: the
    other fields are the whole company's (SPEC §7), left out (UNSET) of its answer."""

    id: str
    created_at: str
    age_seconds: float
    source: Source | UnsetType = UNSET
    rows: dict[str, int] | UnsetType = UNSET  # per table
    bytes: int | UnsetType = UNSET  # Parquet, all tables
    # values and rows repaired, defaulted or dropped (see manifest.json)
    quality: int | UnsetType = UNSET
    duration_seconds: float | UnsetType = UNSET
    refresh_running: bool | UnsetType = UNSET
    refresh_interval_seconds: float | UnsetType | None = UNSET
    last_refresh: RefreshOutcome | UnsetType | None = UNSET


def age_seconds(manifest: Manifest) -> float:
    created = datetime.fromisoformat(manifest.created_at)
    return round((datetime.now(UTC) - created).total_seconds(), 1)


@dataclass(frozen=True)
class Operations:
    engine: Engine
    refresher: Refresher
    refresh_interval: float | None

    def status(self, *, scoped: bool = False) -> SnapshotStatus:
        """The whole status, or only what a ``scoped`` token may see."""
        with self.engine.lease() as view:
            manifest = view.manifest
        summary = SnapshotStatus(
            id=manifest.id, created_at=manifest.created_at, age_seconds=age_seconds(manifest)
        )
        if scoped:
            return summary
        return msgspec.structs.replace(
            summary,
            source=manifest.source,
            rows={name: table.rows for name, table in manifest.tables.items()},
            bytes=sum(table.bytes for table in manifest.tables.values()),
            quality=sum(manifest.quality.values()),
            duration_seconds=manifest.duration_seconds,
            refresh_running=self.refresher.running,
            refresh_interval_seconds=self.refresh_interval,
            last_refresh=self.refresher.last,
        )

    def unready(self) -> str | None:
        """Blocking: why the service is not ready, or None when the current snapshot
        answers a real (cheap) query."""
        try:
            with self.engine.lease() as view:
                view.choices()
        except NotReady as error:
            return str(error)
        except Exception as error:
            return f"the snapshot does not answer: {error}"
        return None


class SnapshotCollector(Collector):
    """The served snapshot's figures, read when Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with self._engine.lease() as view:
                manifest = view.manifest
        except NotReady:
            return  # nothing served yet, nothing to describe
        yield GaugeMetricFamily(
            "visites_snapshot_age_seconds", "Age of the served snapshot", age_seconds(manifest)
        )
        rows = GaugeMetricFamily(
            "visites_snapshot_rows", "Rows per table of the served snapshot", labels=["table"]
        )
        for name, table in manifest.tables.items():
            rows.add_metric([name], table.rows)
        yield rows
        info = GaugeMetricFamily("visites_snapshot_info", "The served snapshot", labels=["id"])
        info.add_metric([manifest.id], 1)
        yield info


@get("/health", tags=["operations"], summary="Liveness: the process answers")
async def health() -> Health:
    return Health("ok")


@get(
    "/ready",
    tags=["operations"],
    summary="Readiness: a snapshot is attached and the engine answers (else 503 and why)",
    responses=documented(503),
)
async def ready(operations: NamedDependency[Operations]) -> Health:
    reason = await anyio.to_thread.run_sync(operations.unready)
    if reason is not None:
        raise NotReady(reason)
    return Health("ready")


@get(
    "/snapshot",
    tags=["operations"],
    summary="The served snapshot: manifest summary, age, last refresh",
    security=[{"bearer": []}],
    responses=documented(401, 503),
)
async def snapshot_status(
    token: NamedDependency[Token], operations: NamedDependency[Operations]
) -> SnapshotStatus:
    """Any valid token; a scoped one gets the snapshot's id, time and age only."""
    return operations.status(scoped=token.responsable is not None)


@post(
    "/snapshot/refresh",
    tags=["operations"],
    summary="Start a snapshot refresh in the background (admin token)",
    status_code=HTTP_202_ACCEPTED,
    security=[{"bearer": []}],
    responses=documented(401, 403, 409, 503),
)
async def refresh_snapshot(
    admin: NamedDependency[Token], operations: NamedDependency[Operations]
) -> SnapshotStatus:
    if not operations.refresher.start():
        raise HTTPException("a snapshot refresh is already running", status_code=HTTP_409_CONFLICT)
    return operations.status()


# Litestar adds the charset to text types itself.
PROMETHEUS_TEXT = CONTENT_TYPE_PLAIN_0_0_4.removesuffix("; charset=utf-8")


@get(
    "/metrics",
    tags=["operations"],
    summary="Prometheus metrics (text format; a monitoring or admin token)",
    media_type=PROMETHEUS_TEXT,
    security=[{"bearer": []}],
    responses=documented(401, 403),
)
async def metrics(
    scraper: NamedDependency[Token], exposition: NamedDependency[Exposition]
) -> bytes:
    """The whole server's: Litestar's request metrics and the service's own, summed over
    the workers; then the served snapshot's figures (api/metrics.py)."""
    return exposition.render()


ROUTES = [health, ready, snapshot_status, refresh_snapshot, metrics]
