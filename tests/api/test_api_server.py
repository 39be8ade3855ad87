"""``visites serve`` for real: a subprocess on a free loopback port, spoken to over HTTP.

The server starts on an empty data directory, as on a fresh machine: it publishes the
demo snapshot and prints a token. Expected answers come from an ``Engine`` opened
independently on the same directory.
"""

from __future__ import annotations

import random
import re
import select
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import httpx
import msgspec
import pytest
from helpers import engine_answer, eventually, free_port, run_visites, serving, wait_ready

from engine import ENDPOINTS
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_id
from snapshot.manifest import read_manifest


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    data_dir: Path
    log: Path  # the server's stderr: uvicorn's lines and the access log
    stdout: IO[str]  # where it printed its token

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def expected(self, endpoint: str, body: dict[str, Any]) -> tuple[str, Any]:
        return engine_answer(self.data_dir, endpoint, msgspec.convert(body, ENDPOINTS[endpoint]))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("served")
    log = data_dir.parent / f"{data_dir.name}-server.log"
    env = {
        "VISITES_DATA_DIR": str(data_dir),
        "VISITES_POLL_INTERVAL": "0.5",
        # Room for the twenty clients below: refusing them is test_api_overload's subject.
        "VISITES_QUEUE": "32",
    }
    with serving(log, stdout=subprocess.PIPE, **env) as (url, process):
        assert process.stdout is not None
        token = process.stdout.readline().strip()  # printed once the demo data is there
        wait_ready(url, process, seconds=180)
        yield Server(url, token, data_dir, log, process.stdout)


def test_a_fresh_machine_gets_demo_data_and_one_token(server: Server) -> None:
    manifest = read_manifest(server.data_dir / "snapshots" / current_id(server.data_dir))
    assert (manifest.source.kind, manifest.source.visits, manifest.source.seed) == (
        "demo",
        200_000,
        42,
    )
    assert len(server.token) >= 43
    assert httpx.post(f"{server.url}/data", json={}).status_code == 401
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}


def test_a_snapshot_that_cannot_load_stops_serve_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "snapshots" / "20240101T000000000000Z").mkdir(parents=True)
    (tmp_path / "CURRENT").write_text("20240101T000000000000Z\n")
    done = run_visites(
        "serve", "--port", str(free_port()), timeout=60, VISITES_DATA_DIR=str(tmp_path)
    )
    assert done.returncode == 1
    last = msgspec.json.decode(done.stderr.splitlines()[-1])
    assert (last["level"], last["logger"]) == ("ERROR", "visites.serve")
    assert last["message"].startswith("visites serve: failed: 20240101T")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_over_http(server: Server, endpoint: str) -> None:
    body = {"annee": 2024, "mois": 5} if endpoint != "invest" else {}
    with server.client() as client:
        response = client.post(f"/{endpoint}", json={k: str(v) for k, v in body.items()})
    assert response.status_code == 200
    assert "app;dur=" in response.headers["server-timing"]
    _, expected = server.expected(endpoint, body)
    assert response.json() == expected


def log_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of the server's stderr, each parsed as JSON (fails on any other)."""
    return [msgspec.json.decode(line) for line in log.read_text().splitlines()]


def access_lines(log: Path, path: str) -> list[dict[str, Any]]:
    return [
        line
        for line in log_lines(log)
        if line["logger"] == "visites.access" and line["path"] == path
    ]


def test_the_access_log_has_one_json_line_per_request_and_no_token(server: Server) -> None:
    with server.client() as client:
        client.post("/users", json={"mois": 11})
        client.post("/users", json={"mois": "11"})
    time.sleep(0.2)
    assert server.token not in server.log.read_text()
    users = access_lines(server.log, "/users")
    assert [u["cache"] for u in users[-2:]] == ["miss", "hit"]
    assert set(users[-1]) == {
        *("time", "level", "logger", "message", "request_id", "method", "path", "endpoint"),
        *("status", "duration_ms", "cache", "token", "snapshot"),
    }
    assert users[-1]["message"] == "POST /users 200"
    assert (users[-1]["token"], users[-1]["snapshot"]) == ("default", current_id(server.data_dir))
    assert users[-1]["duration_ms"] > 0


def test_a_request_id_is_echoed_and_logged(server: Server) -> None:
    """The client's X-Request-ID when it is a plain one, else one made here."""
    with server.client() as client:
        given = client.post("/performance", json={}, headers={"X-Request-ID": "trace-42.a:b"})
        forged = client.post("/partenaire", json={}, headers={"X-Request-ID": "x" * 129})
        unnamed = client.get("/health")
    assert given.headers["x-request-id"] == "trace-42.a:b"
    assert re.fullmatch("[0-9a-f]{32}", made := forged.headers["x-request-id"])
    assert (
        re.fullmatch("[0-9a-f]{32}", unnamed.headers["x-request-id"])
        and unnamed.headers["x-request-id"] != made
    )
    time.sleep(0.2)
    ids = {path: access_lines(server.log, path)[-1]["request_id"] for path in
           ("/performance", "/partenaire", "/health")}  # fmt: skip
    assert ids == {
        "/performance": "trace-42.a:b",
        "/partenaire": made,
        "/health": unnamed.headers["x-request-id"],
    }


def test_every_line_the_server_writes_is_json(server: Server) -> None:
    """uvicorn's lines, the start-up's, the access lines, an error's: one JSON object per
    line on stderr with time, level, logger and message. stdout holds the token only."""
    with server.client() as client:
        client.post("/data", json={"mois": 13})  # a 400
        client.get("/dashboard/assets/nothing.js")  # a 404
    time.sleep(0.2)
    lines = log_lines(server.log)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert all(datetime.fromisoformat(line["time"]).tzinfo is not None for line in lines)
    loggers = {line["logger"] for line in lines}
    assert {"visites.serve", "uvicorn.error", "visites.engine", "visites.access"} <= loggers
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)
    assert any("visites demo: snapshot" in line["message"] for line in lines)
    assert select.select([server.stdout], [], [], 0)[0] == []  # nothing after the token


# ------------------------------------------------------------------ the OpenAPI schema


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON path, value) under ``value``."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}/{index}")


def test_the_openapi_schema_describes_every_field_and_endpoint(server: Server) -> None:
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    objects = {f"components {name}": c for name, c in schema["components"]["schemas"].items()}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                objects[f"{method} {path} body"] = media["schema"]
    fields = {
        f"{where}.{name}": field
        for where, schema_object in objects.items()
        for name, field in schema_object.get("properties", {}).items()
    }
    assert len(fields) > 150  # the answers' keys and the filters' fields
    assert [name for name, field in fields.items() if not field.get("description")] == []
    assert "visite_rows" not in str(fields)  # a filter's {date} is its endpoint's column
    assert "{date}" not in str(fields)
    assert "date_integration" in fields["post /evaluation body.annee"]["description"]
    descriptions = [
        operation.get("description")
        for item in schema["paths"].values()
        for operation in item.values()
    ]
    assert None not in descriptions and len(set(descriptions)) == len(descriptions)


def cut(value: Any) -> Any:
    """The examples' rule: every list, at any depth, keeps its first two items."""
    if isinstance(value, list):
        return [cut(item) for item in value[:2]]
    if isinstance(value, dict):
        return {key: cut(item) for key, item in value.items()}
    return value


def test_every_openapi_example_is_what_the_service_answers(server: Server) -> None:
    """No invented example: each one is asked of the server (the default demo, which the
    examples come from) and must be its answer, or the request that gets it."""
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    examples = {
        path: value for path, value in walk(schema) if path.rsplit("/", 1)[-1] == "examples"
    }
    checked = set()
    with server.client() as client:
        for endpoint in ENDPOINTS:
            operation = f"/paths//{endpoint}/post"
            body = f"{operation}/requestBody/content/application/json/examples"
            [request] = [example["value"] for example in examples[body].values()]
            answer = client.post(f"/{endpoint}", json=request)
            assert answer.status_code == 200
            ok = f"{operation}/responses/200/content/application/json/examples"
            [shown] = [example["value"] for example in examples[ok].values()]
            assert shown == cut(answer.json()), endpoint
            assert shown != cut(client.post(f"/{endpoint}", json={}).json()), "filtered"
            block = f"{operation}/parameters/0/schema/examples"
            [path] = examples[block]
            export = client.post(
                f"/{endpoint}?block={path}", json=request, headers={"Accept": "text/csv"}
            )
            assert export.status_code == 200, path
            checked |= {body, ok, block}
        errors = {
            400: client.post("/data", json={"mois": 13}),
            401: httpx.post(f"{server.url}/data", json={}),
            413: client.post("/data", content=b"{" + b" " * 70_000 + b"}"),
        }
    for path, value in examples.items():
        status = re.search(r"/responses/(\d{3})/", path)
        if status and int(status[1]) in errors:
            [shown] = [example["value"] for example in value.values()]
            assert shown == errors[int(status[1])].json(), path
            checked.add(path)
    assert checked == set(examples), "an example no request checked"


def test_the_docs_page_loads_only_this_services_assets(server: Server) -> None:
    page = httpx.get(f"{server.url}/schema/swagger")
    assert page.status_code == 200
    html = page.text.split("SwaggerUIBundle({")[0]  # the head; after it, the schema
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)
    assert len(urls) == 4  # the script, its preset, the style, the icon
    for url in urls:
        assert url.startswith("/schema/swagger/assets/") and "//" not in url, url
        asset = httpx.get(f"{server.url}{url}", headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200 and len(asset.content) > 500, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "http://" not in html and "https://" not in html
    missing = httpx.get(f"{server.url}/schema/swagger/assets/nothing.js")
    assert missing.status_code == 404


def _requests_counted(metrics: str, status: re.Pattern[str]) -> float:
    """Requests the metrics count under the status codes ``status`` matches."""
    found = re.findall(r'^visites_requests_total\{.*status_code="(\d+)".*\} (\S+)$', metrics, re.M)
    return sum(float(count) for code, count in found if status.fullmatch(code))


def test_a_client_that_hangs_up_mid_body_is_logged_499_and_no_server_error(
    server: Server,
) -> None:
    errors, hung_up = re.compile(r"5\d\d"), re.compile("499")

    def logged() -> list[dict[str, Any]]:
        return access_lines(server.log, "/performance")

    with server.client() as client:
        before, earlier = client.get("/metrics").text, len(logged())
    lines_before = len(log_lines(server.log))
    url = httpx.URL(server.url)
    with socket.create_connection((url.host, url.port)) as raw:
        raw.sendall(
            b"POST /performance HTTP/1.1\r\nHost: visites\r\n"
            + f"Authorization: Bearer {server.token}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            + b'{"annee": '  # 10 of the 1000 bytes announced, then the client is gone
        )
    assert eventually(lambda: len(logged()) > earlier, seconds=10)
    assert [line["status"] for line in logged()[earlier:]] == [499]
    # Litestar's 500 for the lost body is no server error: no ERROR line for it.
    assert [line for line in log_lines(server.log)[lines_before:] if line["level"] == "ERROR"] == []
    with server.client() as client:
        after = client.get("/metrics").text
    assert _requests_counted(after, errors) == _requests_counted(before, errors)
    assert _requests_counted(after, hung_up) == _requests_counted(before, hung_up) + 1


def _hammer(server: Server, stop: threading.Event, statuses: Counter[str], seed: int) -> None:
    chooser = random.Random(seed)
    with server.client() as client:
        while not stop.is_set():
            endpoint = chooser.choice(list(ENDPOINTS))
            body = {"mois": str(chooser.randint(1, 12))}
            try:
                statuses[str(client.post(f"/{endpoint}", json=body).status_code)] += 1
            except httpx.HTTPError as error:  # a refused or dropped connection counts too
                statuses[type(error).__name__] += 1


def test_twenty_clients_see_no_failure_across_five_snapshot_swaps(server: Server) -> None:
    stop = threading.Event()
    tallies: list[Counter[str]] = [Counter() for _ in range(20)]  # one per thread: no races
    clients = [
        threading.Thread(target=_hammer, args=(server, stop, tally, seed))
        for seed, tally in enumerate(tallies)
    ]
    for client in clients:
        client.start()
    served = []
    try:
        with server.client() as admin:

            def serves(snapshot_id: str) -> bool:
                return admin.get("/snapshot").json()["id"] == snapshot_id

            for seed in range(101, 106):
                published = take_demo_snapshot(
                    server.data_dir, visits=3_000, seed=seed, keep=5, batch_rows=50_000
                ).id
                assert eventually(partial(serves, published), 60), f"{published} not served"
                served.append(published)
                time.sleep(0.5)  # some traffic on each snapshot
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=120)
    statuses = sum(tallies, Counter())
    assert len(served) == 5
    assert sum(statuses.values()) > 100
    assert set(statuses) == {"200"}, statuses
    _, expected = server.expected("partenaire", {})
    with server.client() as client:
        assert client.post("/partenaire").json() == expected


def test_schemathesis_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    """Property-based requests from the service's own OpenAPI schema, about a minute."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/schema/openapi.json",
        "--header",
        f"Authorization: Bearer {server.token}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-time",
        "50",
        "--workers",
        "2",
        "--seed",
        "1",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
