"""The dashboard page (SPEC §11): one HTML page, its assets, and the filter bar's choices.

The page is a client of the six endpoints like any other: it calls them with the
token the person types, kept in the browser session. Everything it loads is served
from here, plotly.js from the installed ``plotly`` wheel, so it works with no internet.

Assets are read once, on the first request for the page (most apps made in tests never
serve it), and kept in memory with their gzip. Their URLs carry a hash of their bytes
(``?v=``), so browsers may keep them for a year: a new version is a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from api.access import note_snapshot
from api.cache import AnswerKey
from api.errors import documented
from api.headers import PRECOMPRESSED
from api.statistics import Statistics
from engine.results import Choices
from security.tokens import Token

STATIC = Path(__file__).with_name("static")
ASSETS = "/dashboard/assets/"
# The page may load and call only this service: a stray CDN link would fail loudly.
# Plotly sets inline styles and exports PNGs through data: URLs, hence those two.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# Asset URLs change with their bytes, so a browser may keep each one for a year.
FOREVER = "public, max-age=31536000, immutable"
# Litestar adds "; charset=utf-8" to text types itself.
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str

    @classmethod
    def of(cls, name: str, body: bytes) -> Asset:
        return cls(body, gzip.compress(body, 6, mtime=0), MEDIA_TYPES[Path(name).suffix])

    @property
    def version(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:16]


def asset_response(request: Request[Any, Any, Any], asset: Asset) -> Response[bytes]:
    """An asset whose URL carries its version: cached for a year, gzipped if accepted."""
    headers = {"Cache-Control": FOREVER, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@dataclass(frozen=True)
class Page:
    html: bytes  # with every asset URL versioned
    assets: dict[str, Asset]


def read_page() -> Page:
    """Blocking (reads and compresses ~5 MB): runs in a worker thread, once."""
    bodies = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.suffix in MEDIA_TYPES}
    # The bundle the plotly wheel ships for offline use, read where pip put it.
    bodies["plotly.min.js"] = (files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    assets = {name: Asset.of(name, body) for name, body in bodies.items()}

    def versioned(url: re.Match[str]) -> str:
        return f"{url[0]}?v={assets[url['name']].version}"

    template = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    html = re.sub(re.escape(ASSETS) + r"(?P<name>[\w.-]+)", versioned, template)
    return Page(html.encode(), assets)


@dataclass
class LazyPage:
    page: Page | None = None

    async def get(self) -> Page:
        if self.page is None:  # two first requests may both read: harmless
            self.page = await anyio.to_thread.run_sync(read_page)
        return self.page


def page_routes(statistics: Statistics) -> list[HTTPRouteHandler]:
    """``GET /dashboard`` (no auth: the page holds no data), its assets, its choices."""
    lazy = LazyPage()

    @get("/dashboard", include_in_schema=False, media_type=MediaType.HTML)
    async def page() -> Response[bytes]:
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY}
        return Response((await lazy.get()).html, media_type=MediaType.HTML, headers=headers)

    # Gzipped once, when read: the compression middleware leaves them alone.
    @get(ASSETS + "{name:str}", include_in_schema=False, opt={PRECOMPRESSED: True})
    async def asset(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        found = (await lazy.get()).assets.get(name)
        if found is None:
            raise NotFoundException(f"no dashboard asset {name!r}")
        return asset_response(request, found)

    @get(
        "/dashboard/choices",
        tags=["dashboard"],
        summary="The filter bar's choices: gammes and regions with labels, users",
        description="What the dashboard's filters offer, from the served snapshot; a token "
        "scoped to a team is offered its team's users only.",
        security=[{"bearer": []}],
        responses={
            200: ResponseSpec(Choices, description="The choices", generate_examples=False),
            **documented(401, 503),
        },
    )
    async def choices(
        request: Request[Any, Any, Any], token: NamedDependency[Token]
    ) -> Response[bytes]:
        # Cached like the answers, per snapshot and scope: a new snapshot, new choices.
        with statistics.engine.lease() as view:
            note_snapshot(request.scope, view.id)
            key = AnswerKey(view.id, "choices", None, token.responsable)
            # A scoped token is offered its team only (SPEC §7).
            answer, _ = await statistics.cached(key, partial(view.choices, token.responsable))
        headers = {"Cache-Control": "private, no-cache"}
        return Response(answer.body, media_type=MediaType.JSON, headers=headers)

    return [page, asset, choices]
