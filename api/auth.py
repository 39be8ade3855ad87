"""Who is asking (SPEC §7): a bearer token, its scope, and what that scope may see."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from api.access import note_token
from api.errors import OutsideTeam
from engine import SnapshotView
from engine.filters import Filter
from security.tokens import Token, TokenError, TokenRing, record_usage

log = logging.getLogger("visites.tokens")

AnyRequest = Request[Any, Any, Any]

# The filter fields that name users, hence teams; every filter type has id_responsable.
_USER_FIELDS = ("id_responsable", "id_utilisateur")


def _bearer(tokens: TokenRing, request: AnyRequest) -> Token:
    """The request's token, or 401 (never logged); its use noted."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise NotAuthorizedException(
            "a valid token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="visites"'},
        )
    if token.expired(tokens.now()):
        assert token.expires_at is not None
        raise NotAuthorizedException(
            f"this token expired at {token.expires_at.isoformat()}: ask for a new one",
            # RFC 6750 §3.1: a client library may renew on invalid_token.
            headers={
                "WWW-Authenticate": 'Bearer realm="visites", error="invalid_token", '
                'error_description="The token expired"'
            },
        )
    tokens.mark_used(token)
    note_token(request.scope, token.name)  # for the access line: the name, never the secret
    return token


def authenticator(tokens: TokenRing) -> Callable[[AnyRequest], Token]:
    """The ``token`` dependency: a token that may read the data."""

    def authenticate(request: AnyRequest) -> Token:
        token = _bearer(tokens, request)
        if token.metrics:
            raise PermissionDeniedException("this monitoring token only reads /metrics")
        return token

    return authenticate


def scraper(tokens: TokenRing) -> Callable[[AnyRequest], Token]:
    """The ``scraper`` dependency: a token that may read /metrics, whose snapshot id, row
    counts and traffic are the whole company's (SPEC §7): a monitoring token, or an
    admin token that no team bounds."""

    def authenticate(request: AnyRequest) -> Token:
        token = _bearer(tokens, request)
        if not (token.metrics or (token.admin and token.responsable is None)):
            raise PermissionDeniedException("/metrics needs a monitoring or an admin token")
        return token

    return authenticate


def require_admin(token: NamedDependency[Token]) -> Token:
    if not token.admin:
        raise PermissionDeniedException("this needs an admin token")
    return token


async def within_scope(view: SnapshotView, token: Token, filter_: Filter) -> Filter:
    """The filter a scoped token may run: ids inside its team, or its whole team.

    Asking for a user outside the team is a 403, never an empty answer, so a token
    cannot even learn which ids exist elsewhere by probing.
    """
    scope = token.responsable
    if scope is None:
        return filter_
    for field in _USER_FIELDS:
        asked = getattr(filter_, field, None)
        # in_team reads the snapshot (DuckDB): keep it off the event loop.
        if asked is not None and not await anyio.to_thread.run_sync(view.in_team, scope, asked):
            raise OutsideTeam(f"{asked} is outside this token's team", field)
    if filter_.id_responsable is None:
        return msgspec.structs.replace(filter_, id_responsable=scope)
    return filter_


async def record_uses(tokens: TokenRing) -> None:
    """Write the tokens' recent uses beside the tokens file, off the event loop. A
    failure (a read-only folder, say) costs the record, never a request."""
    used = tokens.take_used()
    if not used:
        return
    try:
        await anyio.to_thread.run_sync(record_usage, tokens.path, used)
    except (OSError, TokenError) as error:
        log.warning("token uses not recorded: %s", error)
