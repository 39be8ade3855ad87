"""The interactive API docs (SPEC §10): Swagger UI at /schema/swagger, served whole by
visites, so that it works on an intranet with no internet.

Litestar's Swagger page loads Swagger UI (and a favicon) from a CDN; here its URLs
point at /schema/swagger/assets/, served from the ``swagger-ui-bundle-v2`` wheel, the
Swagger UI release that connexion's maintainers package for Python. Like the
dashboard's, the assets are read on the first request for one, kept with their gzip,
and cached by browsers for a year: their URLs carry the bundle's version.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath
from litestar.router import Router
from swagger_ui_bundle import swagger_ui_path

from api.headers import PRECOMPRESSED
from api.page import Asset, asset_response

ASSETS = "/swagger/assets/"  # under the OpenAPI path (/schema)
# What the page loads: Swagger UI's script, its layout preset, its style, a favicon.
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "favicon-32x32.png",
)


class OfflineSwagger(SwaggerRenderPlugin):
    """Litestar's Swagger UI page, every asset from this service."""

    def __init__(self, openapi_path: str) -> None:
        release = version("swagger-ui-bundle-v2")

        def url(name: str) -> str:
            return f"{openapi_path}{ASSETS}{name}?v={release}"

        super().__init__(
            js_url=url("swagger-ui-bundle.js"),
            css_url=url("swagger-ui.css"),
            standalone_preset_js_url=url("swagger-ui-standalone-preset.js"),
            favicon=f"<link rel='icon' type='image/png' href='{url('favicon-32x32.png')}'>",
        )
        self._assets: dict[str, Asset] | None = None

    def receive_router(self, router: Router) -> None:
        super().receive_router(router)

        # Served gzipped already (asset_response): the compression middleware leaves them.
        @get(ASSETS + "{name:str}", include_in_schema=False, opt={PRECOMPRESSED: True})
        async def asset(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
            if self._assets is None:  # two first requests may both read: harmless
                self._assets = await anyio.to_thread.run_sync(read_assets)
            found = self._assets.get(name)
            if found is None:
                raise NotFoundException(f"no docs asset {name!r}")
            return asset_response(request, found)

        router.register(asset)


def read_assets() -> dict[str, Asset]:
    """Blocking (reads and compresses ~2 MB): runs in a worker thread, once."""
    return {name: Asset.of(name, (swagger_ui_path / name).read_bytes()) for name in FILES}
