"""Headers every response carries, whatever answers it: an endpoint, an error, a static
asset, the dashboard page, Litestar's own 404 (SPEC §7)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


async def nosniff(message: Message, _: Scope) -> None:
    """A ``before_send`` hook: browsers take each body as the type it declares, so a JSON
    answer or an error echoing a request value is never run as a script or a page.

    ``async`` although it never waits: Litestar runs a plain function hook in a worker
    thread, twice per answer (its headers, its body), which cost every request two trips
    to the thread pool and sent the headers and the body in separate turns of the loop."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["X-Content-Type-Options"] = "nosniff"
