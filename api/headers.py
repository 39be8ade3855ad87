"""Headers every response carries, whatever answers it: an endpoint, an error, a static
asset, the dashboard page, Litestar's own 404 (SPEC §7); CORS for front ends served from
other origins; and compression."""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# A route whose body is already compressed sets this in its ``opt``.
PRECOMPRESSED = "precompressed"
# What a cross-origin script may read of an answer besides the body and the basics.
EXPOSED = ["ETag", "X-Cache", "Server-Timing", "Content-Disposition", "Retry-After", "X-Request-ID"]


async def nosniff(message: Message, _: Scope) -> None:
    """A ``before_send`` hook: browsers take each body as the type it declares, so a JSON
    answer or an error echoing a request value is never run as a script or a page.

    ``async`` although it never waits: Litestar runs a plain function hook in a worker
    thread, twice per answer (its headers, its body), which cost every request two trips
    to the thread pool and sent the headers and the body in separate turns of the loop."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["X-Content-Type-Options"] = "nosniff"


async def vary_on_encoding(message: Message, _: Scope) -> None:
    """A ``before_send`` hook (``async``, as ``nosniff`` says why): an encoded body says
    it depends on ``Accept-Encoding``.
    The compression middleware says so, but Litestar's CORS, outside it, replaces the
    whole ``Vary`` with ``Origin`` on the answers it allows: a cache would then hand a
    brotli body to a client that cannot read it."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    varies = {name.strip().lower() for name in headers.get("vary", "").split(",")}
    if "content-encoding" in headers and "accept-encoding" not in varies:
        headers.extend_header_value("vary", "Accept-Encoding")


def cors(origins: tuple[str, ...]) -> CORSConfig | None:
    """Browsers on ``origins`` may call the API (none: same origin only). The token goes
    in ``Authorization``, never in a cookie, so no credentials mode is needed; a preflight
    from any other origin gets 400 and no ``Access-Control-Allow-Origin``."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "If-None-Match"],
        expose_headers=EXPOSED,
    )


def compression() -> CompressionConfig:
    """Brotli for clients that take it, else gzip, for every body over 500 bytes: JSON,
    CSV, the page. /performance's 55 KB answer weighs under 6 KB (docs/benchmarks.md).
    Levels for a cost of about a millisecond on that answer: gzip 9 takes four times as
    long as 6 for 6 % less; brotli's default quality, 5, is already smaller than both."""
    return CompressionConfig(
        backend="brotli",
        brotli_gzip_fallback=True,
        gzip_compress_level=6,
        exclude_opt_key=PRECOMPRESSED,
    )
