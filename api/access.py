"""Access log, request ids and Server-Timing: one JSON line per request, and its time.

A plain ASGI middleware (the cheapest kind) around each route. It gives the request an
id (the client's ``X-Request-ID`` when it is a sane one, else a new one), echoes it in
the response, and sets it for every line logged while the request is served
(``api.logs.REQUEST_ID``). It adds ``Server-Timing: app;dur=…`` (time to the response's
first byte) and logs one line: method, path, endpoint (the route's template), status,
duration, cache outcome (the ``X-Cache`` header the dashboard endpoints set), and what
the handlers noted on the request's ``Exchange``: the token's name (never a header
value: the secret stays out of logs) and the snapshot that answered.

A client that hangs up before its answer (mid-body, say: Litestar then raises a 500)
gets nothing; the response is logged as nginx's ``499`` instead, and the metrics
middleware, placed outside this one, counts it so too: no 5xx that no one received.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from litestar.enums import ScopeType
from litestar.logging.config import BaseLoggingConfig
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from litestar.types.callable_types import GetLogger

from api.logs import REQUEST_ID, fields

log = logging.getLogger("visites.access")

CLIENT_CLOSED_REQUEST = 499
# A client's id is kept if it is short and plain (a UUID, a proxy's id): it goes into
# logs and a response header, so nothing that could forge a line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
_EXCHANGE = "visites.exchange"  # the key of the request's Exchange in scope["state"]


@dataclass
class Exchange:
    """What the handlers learn about a request, for its access line."""

    request_id: str
    token: str | None = None  # the name of the token that authenticated it
    snapshot: str | None = None  # the snapshot that answered it
    client_gone: bool = False  # the client hung up before any response


def exchange_of(scope: Scope) -> Exchange | None:
    """The request's Exchange (None outside the access log: a test's bare app)."""
    found = scope.get("state", {}).get(_EXCHANGE)
    return found if isinstance(found, Exchange) else None


def note_token(scope: Scope, name: str) -> None:
    if (exchange := exchange_of(scope)) is not None:
        exchange.token = name


def note_snapshot(scope: Scope, snapshot_id: str) -> None:
    if (exchange := exchange_of(scope)) is not None:
        exchange.snapshot = snapshot_id


class AccessLine(msgspec.Struct):
    method: str
    path: str
    endpoint: str | None  # the route's path template, e.g. /dashboard/assets/{name:str}
    status: int
    duration_ms: float
    cache: str | None  # "hit" / "miss" / "revalidated" (304) on the dashboard endpoints
    token: str | None
    snapshot: str | None


def request_id_of(scope: Scope) -> str:
    given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
    text = given.decode("latin-1")
    return text if SANE_REQUEST_ID.fullmatch(text) else uuid.uuid4().hex


def access_log(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        exchange = Exchange(request_id_of(scope))
        scope.setdefault("state", {})[_EXCHANGE] = exchange
        context = REQUEST_ID.set(exchange.request_id)
        status, cache, responded = 500, None, False

        async def watched_receive() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.disconnect" and not responded:
                exchange.client_gone = True
            return message

        async def timed_send(message: Message) -> None:
            nonlocal responded, status, cache
            if message["type"] == "http.response.start":
                responded = True
                spent = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                received = message.get("headers", ())
                # One Server-Timing header: the handler's part (engine, cache), then ours.
                timings = [v for k, v in received if k == b"server-timing"] + [spent]
                headers = [(k, v) for k, v in received if k != b"server-timing"]
                headers.append((b"server-timing", b", ".join(timings)))
                headers.append((b"x-request-id", exchange.request_id.encode()))
                status = CLIENT_CLOSED_REQUEST if exchange.client_gone else message["status"]
                cache = next((v.decode() for k, v in headers if k == b"x-cache"), None)
                message = {**message, "status": status, "headers": headers}
            await send(message)

        try:
            await app(scope, watched_receive, timed_send)
        finally:
            if exchange.client_gone and not responded:
                status = CLIENT_CLOSED_REQUEST
            if log.isEnabledFor(logging.INFO):
                line = AccessLine(
                    method=scope["method"],
                    path=scope["path"],
                    endpoint=scope.get("path_template"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    cache=cache,
                    token=exchange.token,
                    snapshot=exchange.snapshot,
                )
                log.info("%s %s %d", line.method, line.path, status, extra=fields(line))
            REQUEST_ID.reset(context)

    return middleware


class ServiceLogging(BaseLoggingConfig):
    """Litestar's logging: through the standard ``litestar`` logger as the process set it
    up (``visites serve``: JSON lines, api/logs.py), with no configuration of its own.

    An exception that reaches Litestar is logged with its traceback if it is a server
    error: not one of the ``handled`` types (the app's own answers: 400, 403, 503...),
    not a 4xx, and not the 500 of a client that hung up mid-body (the access line's 499).
    Litestar formats a traceback before it calls the hook, unless the exception's type
    or its class's status is in ``disable_stack_trace``: the answers are there, so that
    a burst of 503s under load costs no traceback at all.
    """

    def __init__(self, handled: tuple[type[Exception], ...]) -> None:
        self.log_exceptions: Literal["always", "debug", "never"] = "always"
        self.exception_logging_handler = self.log_server_error
        self.traceback_line_limit = -1
        self.disable_stack_trace = {*handled, *range(400, 500)}

    def log_server_error(self, logger: Any, scope: Scope, _: list[str]) -> None:
        error = sys.exc_info()[1]
        exchange = exchange_of(scope)
        # An HTTPException raised with its own status (a 409) has the class's 500 above.
        if getattr(error, "status_code", 500) < 500 or (exchange and exchange.client_gone):
            return
        logger.error("server error on %s %s", scope.get("method"), scope["path"], exc_info=True)

    def configure(self) -> GetLogger:
        return logging.getLogger

    @staticmethod
    def set_level(logger: Any, level: int) -> None:
        logger.setLevel(level)
