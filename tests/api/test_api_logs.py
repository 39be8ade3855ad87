"""What the service logs of a request that goes wrong: a server error with its
traceback, an answer (401, 400, 503) without one; every line as JSON."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from litestar import get
from litestar.testing import TestClient

from api.app import create_app
from api.errors import Overloaded
from api.logs import JsonFormatter
from config import Settings
from engine import Engine
from security.tokens import create_token


@get("/broken", include_in_schema=False)
async def broken() -> None:
    raise RuntimeError("a bug")


@get("/busy", include_in_schema=False)
async def busy() -> None:
    raise Overloaded("1 computation running and 0 waiting")


@pytest.fixture
def client(demo_data_dir: Path, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    settings = Settings(data_dir=demo_data_dir, tokens_file=tmp_path / "tokens.json")
    token = create_token(settings.tokens_path, "reader")
    engine = Engine.open(demo_data_dir)
    app = create_app(settings, engine)
    app.register(broken)
    app.register(busy)
    try:
        with TestClient(app) as test_client:
            yield test_client, token
    finally:
        engine.close()


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [msgspec.json.decode(formatter.format(record)) for record in caplog.records]


def test_a_server_error_is_logged_with_its_traceback(
    client: tuple[TestClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    test_client, _ = client
    with caplog.at_level(logging.INFO):
        assert test_client.get("/broken").status_code == 500
    [error] = [line for line in lines(caplog) if line["level"] == "ERROR"]
    assert (error["logger"], error["message"]) == ("litestar", "server error on GET /broken")
    assert "RuntimeError: a bug" in str(error["exception"])
    [access] = [line for line in lines(caplog) if line["logger"] == "visites.access"]
    assert (access["status"], access["endpoint"]) == (500, "/broken")


def test_answers_are_not_errors(
    client: tuple[TestClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    test_client, token = client
    with caplog.at_level(logging.INFO):
        assert test_client.post("/data", json={}).status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        assert test_client.post("/data", json={"mois": 13}, headers=headers).status_code == 400
        assert test_client.get("/busy").status_code == 503
    logged = lines(caplog)
    assert [line for line in logged if line["level"] != "INFO"] == []
    access = [line for line in logged if line["logger"] == "visites.access"]
    statuses = [(line["path"], line["status"], line["token"]) for line in access]
    assert statuses == [("/data", 401, None), ("/data", 400, "reader"), ("/busy", 503, None)]
