"""Snapshots while serving: a new CURRENT is picked up, answers follow it at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from helpers import engine_answer, eventually
from litestar.testing import TestClient

from api.app import create_app
from config import Settings
from engine import Engine, VisiteFilter
from security.tokens import create_token
from snapshot.demo.generator import generate
from snapshot.demo.mysql_loader import load_into_mysql
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_id


class Service:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict[str, Any]):
        return self.client.post(path, json=body, headers=self.headers)

    def snapshot(self) -> dict[str, Any]:
        return self.client.get("/snapshot", headers=self.headers).json()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Start the app over ``tmp_path`` (with Settings overrides); stopped after the test."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> Service:
            settings = Settings(data_dir=tmp_path, poll_interval=0.2, **overrides)
            token = create_token(settings.tokens_path, "admin", admin=True)
            engine = Engine.open(tmp_path)
            stack.callback(engine.close)
            client = stack.enter_context(TestClient(create_app(settings, engine)))
            return Service(client, token)

        yield start


def test_a_new_snapshot_is_served_and_invalidates_the_cache(
    tmp_path: Path, serve: Callable[..., Service]
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    service = serve()
    first = service.post("/data", {})
    assert service.post("/data", {}).headers["x-cache"] == "hit"
    old_id = service.snapshot()["id"]

    take_demo_snapshot(tmp_path, visits=1_500, seed=2, keep=5, batch_rows=50_000)
    new_id, expected = engine_answer(tmp_path, "data", VisiteFilter())
    assert eventually(lambda: service.snapshot()["id"] == new_id, seconds=30), "no swap in 30 s"
    assert new_id != old_id

    after = service.post("/data", {})
    assert after.headers["x-cache"] == "miss"
    assert after.headers["etag"] != first.headers["etag"]
    assert after.json() == expected != first.json()
    stale = service.client.post(
        "/data", json={}, headers={**service.headers, "If-None-Match": first.headers["etag"]}
    )
    assert stale.status_code == 200


def test_a_broken_snapshot_is_refused_and_the_old_one_keeps_serving(
    tmp_path: Path, serve: Callable[..., Service]
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    service = serve()
    served = service.snapshot()["id"]
    broken = tmp_path / "snapshots" / "20991231T000000000000Z"
    broken.mkdir()
    (tmp_path / "CURRENT").write_text(broken.name + "\n")
    time.sleep(1)  # several polls
    assert service.snapshot()["id"] == served
    assert service.post("/users", {}).status_code == 200
    assert service.client.get("/ready").status_code == 200


def test_an_admin_refresh_runs_the_snapshot_job_and_swaps(
    tmp_path: Path, mysql_database: str, serve: Callable[..., Service]
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    load_into_mysql(generate(visits=1_000, seed=5), mysql_database)
    service = serve(mysql_url=mysql_database)
    before = service.snapshot()["id"]

    assert service.client.post("/snapshot/refresh", headers=service.headers).status_code == 202
    assert eventually(lambda: not service.snapshot()["refresh_running"], seconds=120)
    status = service.snapshot()
    assert status["last_refresh"]["status"] == "succeeded", status["last_refresh"]
    assert status["last_refresh"]["exit_code"] == 0
    assert status["id"] == current_id(tmp_path) != before
    assert status["source"]["kind"] == "mysql"
    assert "@" not in str(status) and "root:" not in str(status)
    _, expected = engine_answer(tmp_path, "performance", VisiteFilter())
    assert service.post("/performance", {}).json() == expected


def test_the_refresh_interval_runs_the_job_by_itself(
    tmp_path: Path, mysql_database: str, serve: Callable[..., Service]
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    load_into_mysql(generate(visits=1_000, seed=6), mysql_database)
    service = serve(mysql_url=mysql_database, refresh_interval=1.0)
    before = service.snapshot()["id"]
    assert eventually(lambda: service.snapshot()["id"] != before, seconds=120)
    assert service.snapshot()["refresh_interval_seconds"] == 1.0
