"""How answers travel: CORS for a front end on another origin (VISITES_CORS_ORIGINS), and
compressed bodies (brotli, else gzip) whose ETag and 304 behave as uncompressed ones.

Raw bodies are read unencoded (``iter_raw``) and decoded here with the standard library's
gzip and the brotli package, then compared with the same request's identity answer.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import brotli
import pytest
from litestar.testing import TestClient

from api.app import create_app
from config import Settings
from engine import Engine
from security.tokens import create_token

FRONT_END = "https://crm.example.com"
ELSEWHERE = "https://evil.example.net"
JSON = "application/json"
CSV = "text/csv"


@dataclass(frozen=True)
class Client:
    http: TestClient
    token: str

    def post(self, path: str, **headers: str) -> tuple[dict[str, str], bytes]:
        """Status-checked headers and the body as sent, still encoded."""
        headers["Authorization"] = f"Bearer {self.token}"
        with self.http.stream("POST", path, content=b"{}", headers=headers) as response:
            raw = b"".join(response.iter_raw())
            return {"status": str(response.status_code), **response.headers}, raw


@pytest.fixture(scope="module")
def client(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.json"
    token = create_token(tokens, "front")
    settings = Settings(data_dir=demo_data_dir, tokens_file=tokens, cors_origins=(FRONT_END,))
    engine = Engine.open(demo_data_dir)
    try:
        with TestClient(create_app(settings, engine)) as http:
            yield Client(http, token)
    finally:
        engine.close()


def preflight(http: TestClient, origin: str) -> dict[str, str]:
    response = http.options(
        "/performance",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    return {"status": str(response.status_code), **response.headers}


def listed(header: str) -> set[str]:
    return {item.strip().lower() for item in header.split(",")}


# ------------------------------------------------------------------------- CORS


def test_a_preflight_from_an_allowed_origin_may_send_the_token(client: Client) -> None:
    headers = preflight(client.http, FRONT_END)
    assert headers["status"] == "204"
    assert headers["access-control-allow-origin"] == FRONT_END
    assert {"authorization", "content-type"} <= listed(headers["access-control-allow-headers"])
    assert "post" in listed(headers["access-control-allow-methods"])
    assert "origin" in listed(headers["vary"])


def test_a_preflight_from_another_origin_is_refused(client: Client) -> None:
    headers = preflight(client.http, ELSEWHERE)
    assert headers["status"] == "400"
    assert "access-control-allow-origin" not in headers


def test_an_allowed_origin_may_read_the_answer_and_its_etag(client: Client) -> None:
    headers, _ = client.post("/users", Origin=FRONT_END, **{"Accept-Encoding": "br"})
    assert headers["status"] == "200"
    assert headers["access-control-allow-origin"] == FRONT_END
    assert {"etag", "x-cache"} <= listed(headers["access-control-expose-headers"])
    # Compressed, and cached by origin and by encoding.
    assert headers["content-encoding"] == "br"
    assert {"origin", "accept-encoding"} <= listed(headers["vary"])
    other, _ = client.post("/users", Origin=ELSEWHERE)
    assert "access-control-allow-origin" not in other


def test_no_origin_is_allowed_by_default(demo_data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=demo_data_dir, tokens_file=tmp_path / "tokens.json")
    engine = Engine.open(demo_data_dir)
    try:
        with TestClient(create_app(settings, engine)) as http:
            headers = preflight(http, FRONT_END)
    finally:
        engine.close()
    assert not any(name.startswith("access-control-") for name in headers)


# ------------------------------------------------------------------ compression


@pytest.mark.parametrize(
    ("accepted", "coding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("gzip, deflate, br", "br", brotli.decompress),
        ("br", "br", brotli.decompress),
    ],
)
def test_answers_are_compressed_for_clients_that_take_it(
    client: Client, accepted: str, coding: str, decode: Callable[[bytes], bytes]
) -> None:
    for path, accept in (("/performance", JSON), ("/data?block=statistiques.region", CSV)):
        plain_headers, plain = client.post(path, Accept=accept, **{"Accept-Encoding": "identity"})
        headers, raw = client.post(path, Accept=accept, **{"Accept-Encoding": accepted})
        assert headers["status"] == plain_headers["status"] == "200"
        assert "content-encoding" not in plain_headers
        assert headers["content-encoding"] == coding
        assert "accept-encoding" in listed(headers["vary"])
        assert int(headers["content-length"]) == len(raw) < len(plain) / 3
        assert decode(raw) == plain
    assert plain_headers["content-type"].startswith(CSV)


def test_etag_and_304_are_those_of_the_uncompressed_answer(client: Client) -> None:
    plain, _ = client.post("/partenaire", **{"Accept-Encoding": "identity"})
    packed, _ = client.post("/partenaire", **{"Accept-Encoding": "gzip, br"})
    assert packed["content-encoding"] == "br"
    assert packed["etag"] == plain["etag"]
    for accepted in ("gzip, br", "gzip", "identity"):
        again, body = client.post(
            "/partenaire", **{"Accept-Encoding": accepted, "If-None-Match": packed["etag"]}
        )
        assert (again["status"], body, again["etag"]) == ("304", b"", packed["etag"])
        assert "content-encoding" not in again


def test_dashboard_assets_are_gzipped_once(client: Client) -> None:
    """They are kept gzipped: the middleware must not compress them again."""
    plotly = (files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    with client.http.stream(
        "GET", "/dashboard/assets/plotly.min.js", headers={"Accept-Encoding": "gzip, br"}
    ) as response:
        raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plotly
