"""Serving from the snapshot's serving database: the port opens at once and answers 503
with Retry-After until a snapshot is attached; a corrupt file is refused and counted;
two servers build a missing file once; swaps never fail nor mix two snapshots."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from helpers import ROOT, engine_answer, eventually, run_visites, serving, wait_ready
from litestar.testing import TestClient

from api.app import create_app
from config import Settings
from engine import ENDPOINTS, Engine, VisiteFilter
from engine.build import build_serving
from security.tokens import create_token
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_id, snapshot_dir

BUILT = "built serving database"


@pytest.fixture
def token(tmp_path: Path) -> str:
    return create_token(Settings(data_dir=tmp_path).tokens_path, "admin", admin=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused_metric(client: TestClient, token: str) -> float:
    text = client.get("/metrics", headers=bearer(token)).text
    return float(re.search(r"^visites_snapshots_refused_total (\S+)$", text, re.M).group(1))


@pytest.fixture
def app_over(tmp_path: Path) -> Iterator[Any]:
    """The app over ``tmp_path`` with an engine given to it, as the server makes it."""
    engines: list[Engine] = []

    def start(engine: Engine) -> TestClient:
        engines.append(engine)
        settings = Settings(data_dir=tmp_path, poll_interval=0.2)
        return TestClient(create_app(settings, engine))

    yield start
    for engine in engines:
        engine.close()


def test_before_a_snapshot_is_attached_everything_but_health_says_503_and_when_to_retry(
    tmp_path: Path, token: str, app_over
) -> None:
    with app_over(Engine(tmp_path)) as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "1"
        # Once the first look at the data directory is done, /ready says what it saw.
        reason = f"no snapshot published in {tmp_path}"
        assert eventually(lambda: reason in client.get("/ready").json()["detail"], seconds=10)
        waiting = [
            client.post(f"/{endpoint}", json={}, headers=bearer(token)) for endpoint in ENDPOINTS
        ]
        waiting += [
            client.get("/snapshot", headers=bearer(token)),
            client.get("/dashboard/choices", headers=bearer(token)),
        ]
        for response in waiting:
            assert response.status_code == 503, response.url
            assert response.headers["retry-after"] == "1"
            assert response.json()["detail"].startswith("not ready: ")
        assert client.post("/data", json={}).status_code == 401  # still authenticated first
        assert refused_metric(client, token) == 0
        assert "visites_snapshot_info" not in client.get("/metrics").text

        published = take_demo_snapshot(
            tmp_path, visits=1_500, seed=1, prepare=build_serving, keep=5, batch_rows=50_000
        )
        assert eventually(lambda: client.get("/ready").status_code == 200, seconds=30)
        _, expected = engine_answer(tmp_path, "data", VisiteFilter())
        assert client.post("/data", json={}, headers=bearer(token)).json() == expected
        assert client.get("/snapshot", headers=bearer(token)).json()["id"] == published.id


def test_a_corrupt_serving_file_is_refused_counted_and_the_old_snapshot_serves(
    tmp_path: Path, token: str, app_over
) -> None:
    good = take_demo_snapshot(
        tmp_path, visits=1_500, seed=1, prepare=build_serving, keep=5, batch_rows=50_000
    )
    with app_over(Engine.open(tmp_path)) as client:
        before = client.post("/users", json={}, headers=bearer(token)).json()
        bad = take_demo_snapshot(
            tmp_path, visits=1_500, seed=2, prepare=build_serving, keep=5, batch_rows=50_000
        )
        serving_file = snapshot_dir(tmp_path, bad.id) / bad.serving.file
        serving_file.write_bytes(serving_file.read_bytes()[:-4096])
        assert eventually(lambda: refused_metric(client, token) == 1, seconds=30)
        time.sleep(0.5)  # more polls: refused once, not retried
        assert refused_metric(client, token) == 1
        assert client.get("/ready").status_code == 200
        assert client.get("/snapshot", headers=bearer(token)).json()["id"] == good.id
        assert client.post("/users", json={}, headers=bearer(token)).json() == before
        assert current_id(tmp_path) == bad.id  # the server never changes CURRENT


def test_a_busy_port_fails_at_once_in_one_line_before_loading_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_visites("serve", "--port", str(port), timeout=60, VISITES_DATA_DIR=str(tmp_path))
    assert done.returncode == 1
    [line] = [msgspec.json.decode(line) for line in done.stderr.splitlines()]  # a JSON log line
    assert (line["level"], line["message"]) == (
        "ERROR",
        f"visites serve: failed: 127.0.0.1:{port}: Address already in use",
    )
    assert current_id(tmp_path) is None  # no demo data was made first
    assert done.stdout == ""  # nor a token


def poll(url: str, token: str, process: subprocess.Popen[str], seconds: float) -> list[tuple]:
    """(seconds since start, path, status or error name, Retry-After) for /health, /ready
    and POST /data in turn, from the server's start until /ready answers 200."""
    started, seen = time.monotonic(), []
    with httpx.Client(base_url=url, timeout=30) as client:
        while time.monotonic() - started < seconds and process.poll() is None:
            for method, path in (("GET", "/health"), ("GET", "/ready"), ("POST", "/data")):
                try:
                    response = client.request(method, path, json={}, headers=bearer(token))
                    outcome = (response.status_code, response.headers.get("retry-after"))
                except httpx.TransportError as error:
                    outcome = (type(error).__name__, None)
                seen.append((time.monotonic() - started, path, *outcome))
            if (seen[-2][1:3]) == ("/ready", 200):
                return seen
            time.sleep(0.05)
    raise AssertionError(f"not ready within {seconds} s: {seen[-3:]}")


def test_health_answers_before_ready_while_the_snapshot_is_built(
    tmp_path: Path, token: str
) -> None:
    take_demo_snapshot(
        tmp_path, visits=30_000, seed=5, keep=5, batch_rows=50_000
    )  # no serving database: a build
    log = tmp_path / "server.log"
    with serving(log, VISITES_DATA_DIR=str(tmp_path)) as (url, process):
        seen = poll(url, token, process, seconds=240)
    first = {
        path: min(t for t, p, status, _ in seen if p == path and status == 200)
        for path in ("/health", "/ready")
    }
    assert first["/health"] < first["/ready"], seen
    answered = [s for s in seen if isinstance(s[2], int)]
    assert {status for _, _, status, _ in answered} <= {200, 503}, seen
    assert all(retry == "1" for _, _, status, retry in answered if status == 503), seen
    waiting = [p for t, p, status, _ in answered if status == 503 and t > first["/health"]]
    assert "/ready" in waiting and "/data" in waiting, seen
    # Once a connection was answered, none is refused: the port stays open throughout.
    errors = [t for t, _, status, _ in seen if not isinstance(status, int)]
    assert not errors or max(errors) < answered[0][0], seen
    assert log.read_text().count(BUILT) == 1


def test_two_servers_started_together_build_the_missing_file_once(
    tmp_path: Path, token: str
) -> None:
    take_demo_snapshot(
        tmp_path, visits=20_000, seed=6, keep=5, batch_rows=50_000
    )  # no serving database
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    env = {"VISITES_DATA_DIR": str(tmp_path)}
    with serving(logs[0], **env) as (first, one), serving(logs[1], **env) as (second, two):
        wait_ready(first, one, seconds=240)
        wait_ready(second, two, seconds=240)
        answers = [
            httpx.post(f"{url}/data", json={}, headers=bearer(token), timeout=60).json()
            for url in (first, second)
        ]
    texts = [log.read_text() for log in logs]
    assert sum(text.count(BUILT) for text in texts) == 1, texts
    _, expected = engine_answer(tmp_path, "data", VisiteFilter())
    assert answers == [expected, expected]


def test_eight_clients_across_five_swaps_get_only_whole_answers_of_one_snapshot(
    tmp_path: Path, token: str
) -> None:
    endpoints = ("data", "users")
    expected: dict[str, dict[str, Any]] = {}  # snapshot id -> endpoint -> answer

    def publish(seed: int) -> str:
        snapshot_id = take_demo_snapshot(
            tmp_path, visits=3_000, seed=seed, keep=10, batch_rows=50_000, prepare=build_serving
        ).id
        expected[snapshot_id] = {
            e: engine_answer(tmp_path, e, VisiteFilter())[1] for e in endpoints
        }
        return snapshot_id

    publish(100)
    env = {
        "VISITES_DATA_DIR": str(tmp_path),
        "VISITES_POLL_INTERVAL": "0.2",
        "VISITES_CACHE_SIZE": "0",
    }
    stop = threading.Event()
    answers: list[list[tuple[str, int, Any]]] = [[] for _ in range(8)]  # one list per client

    def ask(mine: list[tuple[str, int, Any]], client_index: int) -> None:
        with httpx.Client(base_url=url, headers=bearer(token), timeout=60) as client:
            n = client_index
            while not stop.is_set():
                endpoint = endpoints[n % 2]
                n += 1
                try:
                    response = client.post(f"/{endpoint}", json={})
                    mine.append((endpoint, response.status_code, response.json()))
                except httpx.HTTPError as error:
                    mine.append((endpoint, type(error).__name__, None))

    with serving(tmp_path / "server.log", **env) as (url, process):
        wait_ready(url, process, seconds=120)
        clients = [threading.Thread(target=ask, args=(answers[i], i)) for i in range(8)]
        for client in clients:
            client.start()
        try:
            with httpx.Client(base_url=url, headers=bearer(token), timeout=60) as admin:

                def serves(snapshot_id: str) -> bool:
                    return admin.get("/snapshot").json()["id"] == snapshot_id

                for seed in range(101, 106):
                    snapshot_id = publish(seed)
                    assert eventually(partial(serves, snapshot_id), 60), f"{snapshot_id} not served"
                    time.sleep(0.5)  # traffic on each snapshot
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=120)
    every = [answer for mine in answers for answer in mine]
    assert len(every) > 100
    assert {status for _, status, _ in every} == {200}
    matched = set()
    for endpoint, _, body in every:
        owners = [i for i, by_endpoint in expected.items() if by_endpoint[endpoint] == body]
        assert owners, f"an answer of /{endpoint} is no one snapshot's"
        matched.add(owners[0])
    assert len(matched) >= 3, matched  # answers from several snapshots, none mixed


def test_a_server_imports_neither_pyarrow_nor_the_snapshot_job() -> None:
    """What keeps a worker's start fast and its memory small (docs/api.md)."""
    heavy = ("pyarrow", "numpy", "sqlalchemy", "pymysql")
    code = (
        "import sys; from cli.main import build_parser; build_parser(['serve']); "
        "import api.server; api.server.app_from_environment(); "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
