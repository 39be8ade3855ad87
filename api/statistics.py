"""The six dashboard endpoints (SPEC §6): one generic path, registered six times.

decode the body → authorise (scope) → ETag / 304 → cache or engine → JSON bytes.
Answers are cached encoded, so a hit costs a dictionary look-up and no encoding; in
Redis (VISITES_REDIS_URL) with their ETag, as a small MessagePack array.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import msgspec
from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody

from api.auth import within_scope
from api.cache import AnswerCache, AnswerKey
from api.errors import documented
from api.exports import document_exports, requested_export
from api.payload import body_schema, decode_filter
from api.shared import Codec
from engine import ENDPOINTS, RESULTS, Engine
from engine.filters import Filter
from security.tokens import Token

SUMMARIES = {
    "data": "Contacts overview: 18 counters, by region and city, by gamme and speciality",
    "performance": "Visit performance: by account type, status, potential, region, rep, day",
    "partenaire": "Partners reached: by potential, establishment, region, gamme",
    "users": "The sales force: active users by month, gamme, region, status, role",
    "evaluation": "Rep evaluations: by score, month, creator role, user, category",
    "invest": "Investment budgets by visits, gamme, status, potential, region, type",
}


class Answer(NamedTuple):
    body: bytes  # the encoded JSON answer
    engine_ms: float  # what computing it cost, for Server-Timing


def timed(question: Callable[[], msgspec.Struct]) -> Answer:
    """Blocking (DuckDB): runs in a worker thread. The answer, encoded, and its cost."""
    started = time.perf_counter()
    body = msgspec.json.encode(question())
    return Answer(body, (time.perf_counter() - started) * 1000)


def etag_of(key: AnswerKey) -> str:
    """Derived from the key, not the body, so a 304 costs no computation at all."""
    canonical = msgspec.json.encode([key.snapshot_id, key.endpoint, key.scope, key.filter_])
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


class Stored(msgspec.Struct, array_like=True, frozen=True):
    """An answer as Redis keeps it: with its ETag, which must be its key's."""

    etag: str
    engine_ms: float
    body: bytes


_stored = msgspec.msgpack.Decoder(Stored)


def dump(key: AnswerKey, answer: Answer) -> bytes:
    return msgspec.msgpack.encode(Stored(etag_of(key), answer.engine_ms, answer.body))


def load(key: AnswerKey, data: bytes) -> Answer | None:
    """None for bytes stored in another format, or under another key's derivation."""
    try:
        stored = _stored.decode(data)
    except msgspec.DecodeError:
        return None
    return Answer(stored.body, stored.engine_ms) if stored.etag == etag_of(key) else None


CODEC = Codec(dump, load)


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


@dataclass(frozen=True)
class Statistics:
    """What answering a dashboard request needs, shared by the six routes."""

    engine: Engine
    cache: AnswerCache[Answer]

    async def cached(
        self, key: AnswerKey, question: Callable[[], msgspec.Struct]
    ) -> tuple[Answer, str | None]:
        """The encoded answer to ``question`` under ``key``, and the cache layer that had
        it (None: computed): one path for every answer a dashboard reads, the choices
        included."""
        return await self.cache.get(key, partial(timed, question))

    async def respond(
        self, request: Request[Any, Any, Any], token: Token, endpoint: str, filter_: Filter
    ) -> Response[bytes]:
        export = requested_export(request, endpoint)  # None: the JSON answer
        with self.engine.lease() as view:
            filter_ = await within_scope(view, token, filter_)
            key = AnswerKey(view.id, endpoint, filter_, token.responsable)
            etag = etag_of(key)
            headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept"}
            if export is None and matches(request.headers.get("if-none-match"), etag):
                return Response(b"", status_code=304, headers={**headers, "X-Cache": "revalidated"})
            # The scope also bounds figures no filter names (SPEC §7: /invest's visits).
            question = partial(view.answer, endpoint, filter_, scope=token.responsable)
            answer, layer = await self.cached(key, question)
            created_at = view.manifest.created_at
        # Server-Timing names the layer that answered: memory, redis, or the engine.
        timing = f'{layer};desc="hit"' if layer else f"engine;dur={answer.engine_ms:.1f}"
        headers |= {"X-Cache": "hit" if layer else "miss", "Server-Timing": timing}
        if export is not None:  # derived from the cached JSON answer (SPEC §12)
            return await export.respond(answer.body, filter_, created_at, headers)
        return Response(answer.body, media_type=MediaType.JSON, headers=headers)


def _documented(endpoint: str, filter_type: type[Filter]) -> type[Operation]:
    """An OpenAPI operation that shows the body the handler decodes itself, and the
    exports."""
    body = RequestBody(
        content={MediaType.JSON: OpenAPIMediaType(schema=body_schema(filter_type))},
        description="Every field is optional; null means absent; {} or no body means all.",
    )

    @dataclass
    class FilterOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = body
            document_exports(self, endpoint)

    return FilterOperation


def statistics_route(endpoint: str, statistics: Statistics) -> HTTPRouteHandler:
    """``POST /<endpoint>``; the body is read here, not by Litestar, for SPEC §5's rules.

    ``statistics`` is bound here rather than injected by Litestar: with two dependencies
    Litestar resolves them in a task group, a cost every cached answer would pay."""
    filter_type: Any = ENDPOINTS[endpoint]

    async def answer(
        request: Request[Any, Any, Any], token: NamedDependency[Token]
    ) -> Response[bytes]:
        filter_ = decode_filter(await request.body(), filter_type)
        return await statistics.respond(request, token, endpoint, filter_)

    return post(
        f"/{endpoint}",
        name=endpoint,
        operation_id=endpoint,
        status_code=200,  # an answer, not a creation: not Litestar's 201 for POST
        summary=SUMMARIES[endpoint],
        description=filter_type.__doc__,
        tags=["dashboard"],
        security=[{"bearer": []}],
        operation_class=_documented(endpoint, filter_type),
        responses={
            200: ResponseSpec(RESULTS[endpoint], description="The answer"),
            **documented(400, 401, 403, 413, 503),
        },
    )(answer)
