"""Operations (SPEC §10): liveness, readiness, snapshot status and refresh, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_409_CONFLICT
from msgspec import UNSET, Meta, UnsetType
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from api.access import note_snapshot
from api.errors import documented
from api.metrics import Exposition
from api.snapshots import Refresher, RefreshOutcome
from engine import Engine, NotReady
from security.tokens import Token
from snapshot.manifest import Manifest, Source


class Health(msgspec.Struct, frozen=True):
    status: Annotated[str, Meta(description="ok (GET /health) or ready (GET /ready)")]


class SnapshotStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The served snapshot. A token scoped to a team gets its id, time and age only: the
    other fields are the whole company's (SPEC §7), left out (UNSET) of its answer."""

    id: Annotated[str, Meta(description="The snapshot's id (its creation time)")]
    created_at: Annotated[str, Meta(description="When it was taken (ISO 8601, UTC)")]
    age_seconds: Annotated[float, Meta(description="Seconds since then")]
    source: Annotated[
        Source | UnsetType, Meta(description="Where its rows came from (never a password)")
    ] = UNSET
    rows: Annotated[dict[str, int] | UnsetType, Meta(description="Rows per table")] = UNSET
    bytes: Annotated[int | UnsetType, Meta(description="Bytes of its Parquet files")] = UNSET
    quality: Annotated[
        int | UnsetType,
        Meta(description="Values and rows repaired, defaulted or dropped (manifest.json)"),
    ] = UNSET
    duration_seconds: Annotated[
        float | UnsetType, Meta(description="How long the snapshot job took")
    ] = UNSET
    refresh_running: Annotated[
        bool | UnsetType, Meta(description="Whether an in-server refresh runs now")
    ] = UNSET
    refresh_interval_seconds: Annotated[
        float | UnsetType | None,
        Meta(description="VISITES_REFRESH_INTERVAL; null when refreshes come from cron"),
    ] = UNSET
    last_refresh: Annotated[
        RefreshOutcome | UnsetType | None,
        Meta(description="The last in-server refresh; null if none ran"),
    ] = UNSET


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
    """This worker's refreshes and the served snapshot's figures, read when Prometheus
    scrapes."""

    def __init__(self, engine: Engine, refresher: Refresher) -> None:
        self._engine = engine
        self._refresher = refresher

    def collect(self) -> Iterator[Metric]:
        yield from self._refreshes()
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

    def _refreshes(self) -> Iterator[Metric]:
        """The in-server refreshes (POST /snapshot/refresh, VISITES_REFRESH_INTERVAL); a
        refresh from cron shows as the served snapshot's age."""
        stats = self._refresher.stats
        yield SummaryMetricFamily(
            "visites_refresh_duration_seconds",
            "Snapshot refreshes run by this process, and their time",
            count_value=stats.runs,
            sum_value=stats.seconds,
        )
        yield CounterMetricFamily(
            "visites_refresh_failures", "Snapshot refreshes that failed", stats.failures
        )
        if stats.last_success is not None:
            yield GaugeMetricFamily(
                "visites_refresh_last_success_timestamp_seconds",
                "When the last successful refresh ended (Unix time)",
                stats.last_success,
            )


@get(
    "/health",
    tags=["operations"],
    summary="Liveness: the process answers",
    description="No token. 200 from the first second the port is open, under any load: "
    "it waits for nothing (no snapshot, no engine).",
)
async def health() -> Health:
    return Health("ok")


@get(
    "/ready",
    tags=["operations"],
    summary="Readiness: a snapshot is attached and the engine answers (else 503 and why)",
    description="No token. 200 once this worker has attached a snapshot and the engine "
    "answers a real query on it; until then 503 with `Retry-After` and the reason.",
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
    description="Any valid token. A token scoped to a team gets the snapshot's id, time "
    "and age only: the row counts, bytes, quality counts, source and refresh state are the "
    "whole company's.",
    security=[{"bearer": []}],
    responses=documented(401, 503),
)
async def snapshot_status(
    request: Request[Any, Any, Any],
    token: NamedDependency[Token],
    operations: NamedDependency[Operations],
) -> SnapshotStatus:
    """Any valid token; a scoped one gets the snapshot's id, time and age only."""
    status = operations.status(scoped=token.responsable is not None)
    note_snapshot(request.scope, status.id)
    return status


@post(
    "/snapshot/refresh",
    tags=["operations"],
    summary="Start a snapshot refresh in the background (admin token)",
    description="Runs `visites snapshot` from VISITES_MYSQL_URL in a subprocess: 202 at "
    "once, 409 if one runs; its outcome shows in GET /snapshot's `last_refresh`, and the "
    "new snapshot is served as soon as it is published.",
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
    description="Requests, latency, cache, engine queue, refreshes and the served "
    "snapshot's age and rows, of this worker (docs/api.md lists them).",
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
