"""Snapshots while serving: a new CURRENT is picked up, answers follow it at once."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import engine_answer, eventually
from litestar.testing import TestClient

from api.app import create_app
from api.logs import JsonFormatter
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


def metric(service: Service, name: str) -> float | None:
    """A sample of /metrics without labels; None when it is not there."""
    text = service.client.get("/metrics", headers=service.headers).text
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(found[1]) if found else None


def refresh_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, dict[str, Any]]]:
    """The refresh's log records: level, message, and the fields of its JSON line."""
    formatter = JsonFormatter()
    return [
        (r.levelname, r.getMessage(), msgspec.json.decode(formatter.format(r)))
        for r in caplog.records
        if r.name == "visites.snapshots"
    ]


def test_an_admin_refresh_runs_the_snapshot_job_and_swaps(
    tmp_path: Path,
    mysql_database: str,
    serve: Callable[..., Service],
    caplog: pytest.LogCaptureFixture,
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    load_into_mysql(generate(visits=1_000, seed=5), mysql_database)
    service = serve(mysql_url=mysql_database)
    before = service.snapshot()["id"]
    assert metric(service, "visites_refresh_duration_seconds_count") == 0
    assert metric(service, "visites_refresh_last_success_timestamp_seconds") is None

    started = time.time()
    with caplog.at_level(logging.INFO, logger="visites.snapshots"):
        assert service.client.post("/snapshot/refresh", headers=service.headers).status_code == 202
        assert eventually(lambda: not service.snapshot()["refresh_running"], seconds=120)
    ended = time.time()
    [(level, said, _), (level_end, said_end, line)] = refresh_lines(caplog)
    assert (level, said) == ("INFO", "refresh started: visites snapshot")
    assert level_end == "INFO" and said_end.startswith("refresh succeeded in ")
    assert line["exit_code"] == 0 and 0 < line["duration_seconds"] < ended - started
    assert line["output"][-1].startswith(f"snapshot {current_id(tmp_path)} published")
    assert metric(service, "visites_refresh_duration_seconds_count") == 1
    assert metric(service, "visites_refresh_duration_seconds_sum") == pytest.approx(
        line["duration_seconds"], abs=0.001
    )
    assert metric(service, "visites_refresh_failures_total") == 0
    assert started < metric(service, "visites_refresh_last_success_timestamp_seconds") < ended
    assert metric(service, "visites_snapshot_age_seconds") < ended - started + 1
    status = service.snapshot()
    assert status["last_refresh"]["status"] == "succeeded", status["last_refresh"]
    assert status["last_refresh"]["exit_code"] == 0
    assert status["id"] == current_id(tmp_path) != before
    assert status["source"]["kind"] == "mysql"
    assert "@" not in str(status) and "root:" not in str(status)
    _, expected = engine_answer(tmp_path, "performance", VisiteFilter())
    assert service.post("/performance", {}).json() == expected


def test_a_failed_refresh_is_logged_and_counted(
    tmp_path: Path, serve: Callable[..., Service], caplog: pytest.LogCaptureFixture
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    served = current_id(tmp_path)
    service = serve(mysql_url="mysql://reader:pw@127.0.0.1:1/crm", mysql_timeout=2)
    with caplog.at_level(logging.INFO, logger="visites.snapshots"):
        assert service.client.post("/snapshot/refresh", headers=service.headers).status_code == 202
        assert eventually(lambda: not service.snapshot()["refresh_running"], seconds=120)
    [_, (level, said, line)] = refresh_lines(caplog)
    assert level == "ERROR" and said.startswith("refresh failed in ")
    assert f"current snapshot is still {served}" in said
    assert line["exit_code"] == 1
    assert metric(service, "visites_refresh_failures_total") == 1
    assert metric(service, "visites_refresh_duration_seconds_count") == 1
    assert metric(service, "visites_refresh_last_success_timestamp_seconds") is None


def test_the_refresh_interval_runs_the_job_by_itself(
    tmp_path: Path, mysql_database: str, serve: Callable[..., Service]
) -> None:
    take_demo_snapshot(tmp_path, visits=1_500, seed=1, keep=5, batch_rows=50_000)
    load_into_mysql(generate(visits=1_000, seed=6), mysql_database)
    service = serve(mysql_url=mysql_database, refresh_interval=1.0)
    before = service.snapshot()["id"]
    assert eventually(lambda: service.snapshot()["id"] != before, seconds=120)
    assert service.snapshot()["refresh_interval_seconds"] == 1.0
