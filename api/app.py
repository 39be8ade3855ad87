"""The Litestar application: every piece is made here and injected, nothing is global."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ExceptionHandler
from prometheus_client import CollectorRegistry

from api.access import ServiceLogging, access_log
from api.auth import authenticator, record_uses, require_admin, scraper
from api.cache import AnswerCache, Gate
from api.docs import OfflineSwagger
from api.errors import (
    MAX_BODY,
    FieldError,
    Overloaded,
    field_error_response,
    not_ready_response,
    overloaded_response,
)
from api.headers import compression, cors, nosniff, vary_on_encoding
from api.metrics import Exposition, Meters
from api.operations import ROUTES, Operations, SnapshotCollector
from api.page import page_routes
from api.shared import SharedAnswers
from api.snapshots import Refresher, swap_if_new
from api.statistics import CODEC, Answer, Statistics, statistics_route
from config import Settings
from engine import ENDPOINTS, Engine, NotReady
from security.tokens import TokenRing

OPENAPI_PATH = "/schema"
DESCRIPTION = """Visits analytics for pharmaceutical sales forces.

The six dashboard endpoints take a JSON filter (every field optional) and need
`Authorization: Bearer <token>` (`visites token create`). Answers are cached per
snapshot and carry an `ETag`; send it back in `If-None-Match` to get a 304."""


# The exceptions that are answers (a 400 naming the field, a 503 with Retry-After), not
# server errors: never logged as such.
ANSWERED: dict[type[Exception], ExceptionHandler[Any]] = {
    FieldError: field_error_response,
    NotReady: not_ready_response,
    Overloaded: overloaded_response,
}


def _value(value: object) -> Provide:
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)


def shared_answers(settings: Settings, meters: Meters) -> SharedAnswers[Answer] | None:
    """The Redis layer of the cache, if ``VISITES_REDIS_URL`` names one."""
    if settings.redis_url is None:
        return None
    return SharedAnswers(
        settings.redis_url,
        CODEC,
        meters.redis_failures,
        prefix=settings.redis_prefix,
        ttl=settings.redis_ttl,
        lock_timeout=settings.redis_lock_timeout,
        timeout=settings.redis_timeout,
    )


def create_app(
    settings: Settings, engine: Engine, *, metrics_dir: Path | None = None, debug: bool = False
) -> Litestar:
    """The service over ``engine``; the caller owns the engine and closes it. An engine
    with no snapshot yet is fine: the first poll attaches one, in the background, and
    until then the data endpoints answer 503 with ``Retry-After``. ``metrics_dir``: where
    the server's workers share their metrics, if it has several (api/metrics.py)."""
    tokens = TokenRing(settings.tokens_path)
    registry = CollectorRegistry()
    meters = Meters(registry)
    shared = shared_answers(settings, meters)
    cache: AnswerCache[Answer] = AnswerCache(
        settings.cache_size,
        settings.cache_bytes,
        size=lambda answer: len(answer.body),
        # As many computations as DuckDB has threads: more would only share them.
        gate=Gate(settings.threads, settings.queue, meters),
        meters=meters,
        shared=shared,
    )

    async def swap() -> None:
        await swap_if_new(engine, cache.retain, meters.refused)

    refresher = Refresher(settings, on_published=swap)
    operations = Operations(engine, refresher, settings.refresh_interval)
    figures = CollectorRegistry()
    figures.register(SnapshotCollector(engine, refresher))
    exposition = Exposition(registry, figures, metrics_dir)

    async def poll() -> None:
        # The first look attaches the current snapshot, once the port is open; then a
        # new CURRENT, a new or revoked token: both seen within poll_interval. Tokens'
        # uses are recorded on the way.
        while True:
            await swap()
            await asyncio.sleep(settings.poll_interval)
            tokens.reload_if_changed()
            await record_uses(tokens)

    @asynccontextmanager
    async def background(_: Litestar) -> AsyncIterator[None]:
        if shared is not None:
            shared.open()
        tasks = [asyncio.create_task(poll())]
        if settings.refresh_interval:
            tasks.append(asyncio.create_task(refresher.every(settings.refresh_interval)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await refresher.stop()
            await record_uses(tokens)  # the last ones, before the worker goes
            if shared is not None:
                await shared.close()
            exposition.worker_exits()

    statistics = Statistics(engine, cache)
    dependencies: dict[str, Any] = {
        "operations": _value(operations),
        "exposition": _value(exposition),
        "token": Provide(authenticator(tokens), sync_to_thread=False),
        "admin": Provide(require_admin, sync_to_thread=False),
        "scraper": Provide(scraper(tokens), sync_to_thread=False),
    }
    prometheus = PrometheusConfig(
        app_name="visites", prefix="visites", group_path=True, exclude_unhandled_paths=True
    )
    return Litestar(
        route_handlers=[
            *(statistics_route(e, statistics) for e in ENDPOINTS),
            *ROUTES,
            *page_routes(statistics),
        ],
        dependencies=dependencies,
        exception_handlers={kind: handler for kind, handler in ANSWERED.items()},
        # The first is the outermost: the metrics see the access log's 499 (api/access.py).
        middleware=[prometheus.middleware, access_log],
        request_max_body_size=MAX_BODY,
        before_send=[nosniff, vary_on_encoding],
        cors_config=cors(settings.cors_origins),
        compression_config=compression(),
        lifespan=[background],
        logging_config=ServiceLogging(handled=tuple(ANSWERED)),
        openapi_config=OpenAPIConfig(
            title="visites",
            version="1",
            description=DESCRIPTION,
            path=OPENAPI_PATH,
            render_plugins=[OfflineSwagger(OPENAPI_PATH)],
            create_examples=False,  # Litestar's are random: ours are the demo's answers
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
        ),
        debug=debug,
    )
