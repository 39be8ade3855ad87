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
from functools import cache, partial
from importlib.resources import files
from typing import Any, NamedTuple

import msgspec
from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody

from api.access import note_snapshot
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
# What each endpoint counts (SPEC §6), for its OpenAPI description.
DESCRIPTIONS = {
    "data": "Counts **contacts**: visit rows, one per (visit, partner met), a visit without "
    "partner counting once. 18 counters, by visit type (PLAN planned, HOPL unplanned) and "
    "partner type, establishment type, visit type S/G and accompaniment N/O; then contacts "
    "per region and city and per gamme and speciality, as copied at the visit time.",
    "performance": "Counts **visits** (distinct id_visite): per partner type, status, "
    "potential and region; the 5 users with the most visits and the 5 reps (role DEL) with "
    "the fewest, reps without any visit included; and the visits of every day from the "
    "first to the last with a visit, zero-filled.",
    "partenaire": "Counts distinct **partners** reached by the filtered visit rows: per "
    "potential and establishment (the partner's current row), per region and city and per "
    "gamme and speciality (as copied at the visit); and the average visits per partner.",
    "users": "Counts distinct **users who made a visit** among the filtered visit rows: per "
    "month, gamme, region, partner status and role; and the visits per the visit's own "
    "id_responsable, with each one's share of all filtered visits.",
    "evaluation": "Rep **evaluations** (a header with at least one detail row), filtered on "
    "the evaluated user, the team, the category and date_integration: the evaluated users' "
    "all-time visits per score, evaluations per month and per creator role, the mean score "
    "per user, per category and per sub-category.",
    "invest": "Investment **budgets**: one row per business case (every budget counts once), "
    "joined to its partner's current row and all-time visit count; sums of budget (NULL "
    "budgets ignored) by that visit count, gamme, status, potential, speciality, region, "
    "investment type and category.",
}


@cache
def examples() -> dict[str, dict[str, Any]]:
    """Each endpoint's example request and answer (api/examples.json, made by
    tools/openapi_examples.py from the default demo)."""
    decoded: dict[str, dict[str, Any]] = msgspec.json.decode(
        files(__package__).joinpath("examples.json").read_bytes()
    )
    return decoded


class Answer(NamedTuple):
    body: bytes  # the encoded JSON answer
    engine_ms: float  # what computing it cost, for Server-Timing


def timed(question: Callable[[], msgspec.Struct]) -> Answer:
    """Blocking (DuckDB): runs in a worker thread. The answer, encoded, and its cost."""
    started = time.perf_counter()
    body = msgspec.json.encode(question())
    return Answer(body, (time.perf_counter() - started) * 1000)


def etag_of(key: AnswerKey) -> str:
    """Derived from the key, not the body, so a 304 costs no computation at all. Weak
    (``W/``): it names the answer, not its bytes, which differ by content coding (identity,
    gzip, brotli), as a strong tag would have to."""
    canonical = msgspec.json.encode([key.snapshot_id, key.endpoint, key.scope, key.filter_])
    return 'W/"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


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
    """If-None-Match compares weakly (RFC 9110 §13.1.2): with or without ``W/``."""
    if not if_none_match:
        return False
    candidates = {_opaque(tag) for tag in if_none_match.split(",")}
    return _opaque(etag) in candidates or "*" in candidates


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
            note_snapshot(request.scope, view.id)
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
    demo = Example(
        summary="A request",
        description="Integer fields take a JSON integer or a string of ASCII digits.",
        value=examples()[endpoint]["request"],
    )
    body = RequestBody(
        content={
            MediaType.JSON: OpenAPIMediaType(
                schema=body_schema(filter_type), examples={"request": demo}
            )
        },
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
        description=DESCRIPTIONS[endpoint],
        tags=["dashboard"],
        security=[{"bearer": []}],
        operation_class=_documented(endpoint, filter_type),
        responses={
            200: ResponseSpec(
                RESULTS[endpoint],
                description="The answer",
                generate_examples=False,
                examples=[
                    Example(
                        summary="The default demo's answer to the example request",
                        description="Each list cut to its first two items.",
                        value=examples()[endpoint]["response"],
                    )
                ],
            ),
            **documented(400, 401, 403, 413, 503),
        },
    )(answer)
