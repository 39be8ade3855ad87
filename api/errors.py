"""Error bodies: always ``{"status_code", "detail"}``, plus ``field`` when one is at fault."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from msgspec import Meta

from engine import NotReady


class ErrorBody(msgspec.Struct, frozen=True):
    status_code: Annotated[int, Meta(description="The HTTP status, repeated")]
    detail: Annotated[str, Meta(description="What went wrong, for a person")]
    field: Annotated[
        str | None, Meta(description="The request field at fault, if one is (400, 403)")
    ] = None


class FieldError(ValueError):
    """A request refused because of what it asked; ``field`` names the culprit if any."""

    status_code = 400

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class BadFilter(FieldError):
    """A body the endpoint cannot take (SPEC §5)."""


class OutsideTeam(FieldError):
    """A scoped token asked for a user outside its team (SPEC §7)."""

    status_code = 403


def field_error_response(_: Request[Any, Any, Any], error: FieldError) -> Response[ErrorBody]:
    named = not error.field or error.detail.startswith(error.field)
    detail = error.detail if named else f"{error.field}: {error.detail}"
    return Response(
        ErrorBody(error.status_code, detail, error.field),
        status_code=error.status_code,
        media_type=MediaType.JSON,
    )


class Overloaded(Exception):
    """The engine runs as many computations as it may and as many wait: a 503 now
    rather than an answer too late for anyone."""


def not_ready_response(_: Request[Any, Any, Any], error: NotReady) -> Response[ErrorBody]:
    """No snapshot attached yet (the server is starting): 503, and when to ask again."""
    return unavailable(f"not ready: {error}")


def overloaded_response(_: Request[Any, Any, Any], error: Overloaded) -> Response[ErrorBody]:
    return unavailable(f"overloaded: {error}")


def unavailable(detail: str) -> Response[ErrorBody]:
    return Response(
        ErrorBody(503, detail),
        status_code=503,
        media_type=MediaType.JSON,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


MAX_BODY = 64 * 1024  # SPEC §5: larger bodies get 413
# seconds: opening a snapshot's serving database, or an uncached answer, takes well under one
RETRY_AFTER = 1

MEANINGS = {
    400: "A field the endpoint refuses, named in `field`",
    401: "Missing, unknown or expired bearer token",
    403: "Not for this token: a user outside its team, an admin-only action, data for "
    "a monitoring token, or /metrics for a reader",
    409: "A snapshot refresh is already running",
    413: f"A body over {MAX_BODY // 1024} KiB",
    503: "No snapshot attached yet (the server is starting), or too many uncached answers "
    "being computed: ask again after `Retry-After`",
}


# Bodies the service answers (tests/api/test_api_server.py asks for each); the other
# statuses have no example rather than an invented one.
EXAMPLES = {
    400: {"status_code": 400, "detail": "mois: Expected `int` <= 12", "field": "mois"},
    401: {
        "status_code": 401,
        "detail": "a valid token is required: Authorization: Bearer <token>",
    },
    413: {"status_code": 413, "detail": "Request Entity Too Large"},
}


def documented(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses`` for these error statuses."""
    return {
        status: ResponseSpec(
            ErrorBody,
            description=MEANINGS[status],
            generate_examples=False,
            examples=[Example(value=EXAMPLES[status])] if status in EXAMPLES else None,
        )
        for status in statuses
    }
