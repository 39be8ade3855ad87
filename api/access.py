"""Access log and Server-Timing: one JSON line per request, and the time it took.

A plain ASGI middleware (the cheapest kind) around each route: it sees the status
and the ``X-Cache`` header the dashboard sets, adds ``Server-Timing: app;dur=…``
(time to the response's first byte) and logs method, path, status, latency and
cache outcome. Never a header value of the request: the token stays out of logs.

A client that hangs up before its answer (mid-body, say: Litestar then raises a 500)
gets nothing; the response is logged as nginx's ``499`` instead, and the metrics
middleware, placed outside this one, counts it so too: no 5xx that no one received.
"""

from __future__ import annotations

import logging
import time

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

log = logging.getLogger("visites.access")

CLIENT_CLOSED_REQUEST = 499


class AccessLine(msgspec.Struct):
    method: str
    path: str
    status: int
    ms: float
    cache: str | None  # "hit" / "miss" / "revalidated" (304) on the dashboard endpoints


def access_log(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        line = AccessLine(scope["method"], scope["path"], 500, 0.0, None)
        responded = gone = False  # gone: the client hung up before any response

        async def watched_receive() -> ReceiveMessage:
            nonlocal gone
            message = await receive()
            if message["type"] == "http.disconnect" and not responded:
                gone = True
            return message

        async def timed_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                spent = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                received = message.get("headers", ())
                # One Server-Timing header: the handler's part (engine, cache), then ours.
                timings = [v for k, v in received if k == b"server-timing"] + [spent]
                headers = [(k, v) for k, v in received if k != b"server-timing"]
                headers.append((b"server-timing", b", ".join(timings)))
                line.status = CLIENT_CLOSED_REQUEST if gone else message["status"]
                line.cache = next((v.decode() for k, v in headers if k == b"x-cache"), None)
                message = {**message, "status": line.status, "headers": headers}
            await send(message)

        try:
            await app(scope, watched_receive, timed_send)
        finally:
            if gone and not responded:
                line.status = CLIENT_CLOSED_REQUEST
            line.ms = round((time.perf_counter() - started) * 1000, 2)
            if log.isEnabledFor(logging.INFO):
                log.info(msgspec.json.encode(line).decode())

    return middleware
