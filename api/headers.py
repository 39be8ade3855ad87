"""Headers every response carries, whatever answers it: an endpoint, an error, a static
asset, the dashboard page, Litestar's own 404 (SPEC §7)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


def nosniff(message: Message, _: Scope) -> None:
    """A ``before_send`` hook: browsers take each body as the type it declares, so a JSON
    answer or an error echoing a request value is never run as a script or a page."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["X-Content-Type-Options"] = "nosniff"
