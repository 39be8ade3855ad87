"""Soak (SPEC §10): a minute of mixed traffic and snapshot publishes on a real
`visites serve`. Valid requests (cached and uncached), invalid ones, wrong tokens and
clients that hang up mid-body, while `visites demo` publishes new snapshots (pruning
old ones): no client ever gets a 5xx, /health stays fast, the memory stays bounded,
and the hang-ups are logged as 499.

The figures are bounds, not goals: the bench (docs/benchmarks.md) measures speed.
"""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from helpers import ROOT, VISITES, eventually, serving, visites_environ, wait_ready

from config import Settings
from engine.build import build_serving
from security.tokens import create_token
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_id

SECONDS = 60
RSS_BOUND_MB = 400  # the server with a 20k-visit snapshot idles near 110 MB
HEALTH_P99_MS = 200
ENDPOINTS = ["/data", "/performance", "/partenaire", "/users", "/evaluation", "/invest"]

# A liveness probe of its own process, as a load balancer's would be: a new connection
# per probe, timed by the probe alone, every 50 ms, until the given time has passed.
PROBE = """
import http.client, json, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
times, failures, end = [], [], time.monotonic() + seconds
while time.monotonic() < end:
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        connection.close()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            failures.append(response.status)
    except OSError as error:
        failures.append(repr(error))
    time.sleep(0.05)
print(json.dumps({"ms": times, "failures": failures}))
"""


class Traffic:
    """What the clients saw: one status (or a transport error's name) per request."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, int | str]] = Counter()
        self.lock = threading.Lock()

    def record(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.seen[(kind, status)] += 1


def valid_requests(url: str, token: str, traffic: Traffic, stop: threading.Event, seed: int):
    """Every endpoint, a few shared filters (cached after the first) and new ones (never)."""
    chance = random.Random(seed)
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while not stop.is_set():
            if chance.random() < 0.5:
                body = {"annee": chance.choice([2024, 2025, 2026])}
                kind = "valid"
            else:
                body = {
                    "id_responsable": chance.randrange(1, 500),
                    "annee": chance.choice([2024, 2025, 2026]),
                    "mois": chance.randrange(1, 13),
                }
                kind = "uncached"
            try:
                response = client.post(url + chance.choice(ENDPOINTS), json=body)
                traffic.record(kind, response.status_code)
            except httpx.HTTPError as error:
                traffic.record(kind, type(error).__name__)


def invalid_requests(url: str, token: str, traffic: Traffic, stop: threading.Event) -> None:
    """Bad bodies and bad tokens, each with the status SPEC §5 and §7 give it."""
    admin = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    cases = [
        ({"Content-Type": "application/json"}, b"{}", 401),
        ({**admin, "Authorization": "Bearer not-a-token"}, b"{}", 401),
        (admin, b'{"mois": 13}', 400),
        (admin, b'{"annee": 2024, "annee": 2025}', 400),
        (admin, b'{"gamme": "   "}', 400),
        (admin, b"not json", 400),
        (admin, b'{"annee": "20x4"}', 400),
        (admin, b'{"semaine": 1}', 400),
    ]
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            for headers, body, expected in cases:
                try:
                    response = client.post(url + "/data", content=body, headers=headers)
                    status: int | str = response.status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                traffic.record("invalid", status if status != expected else "as expected")
            time.sleep(0.02)


def hang_ups(port: int, token: str, traffic: Traffic, stop: threading.Event) -> None:
    """Clients that send the headers and half the body, then close the connection."""
    head = (
        "POST /performance HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 40\r\n\r\n"
    ).encode()
    while not stop.is_set():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(head + b'{"annee": 20')
        traffic.record("hung up", "sent")
        time.sleep(0.05)


def rss_mb(pid: int) -> float:
    """The resident memory of the server process and its children (workers), in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except FileNotFoundError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total / 1024


def publish(data_dir: Path, seed: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VISITES, "demo", "--visits", "20000", "--seed", str(seed), "--messy"],
        cwd=ROOT,
        env=visites_environ(VISITES_DATA_DIR=str(data_dir), VISITES_KEEP_SNAPSHOTS="2"),
        capture_output=True,
        text=True,
        timeout=300,
    )


def publisher(data_dir: Path, jobs: list[tuple[int, str]], stop: threading.Event) -> None:
    """A new snapshot (a new seed each time) 5 s after the last one, until stopped: each
    job's exit code, and the snapshot it made or what it said."""
    seed = 2
    while not stop.wait(5):
        job = publish(data_dir, seed)
        made = current_id(data_dir) if job.returncode == 0 else job.stderr
        jobs.append((job.returncode, made or ""))
        seed += 1


def test_a_minute_of_mixed_traffic_and_publishes_gives_no_5xx_bounded_memory_and_fast_health(
    tmp_path: Path,
) -> None:
    take_demo_snapshot(
        tmp_path,
        visits=20_000,
        seed=1,
        messy=True,
        keep=2,
        batch_rows=50_000,
        prepare=build_serving,
    )
    token = create_token(Settings(data_dir=tmp_path).tokens_path, "admin", admin=True)
    env = {"VISITES_DATA_DIR": str(tmp_path), "VISITES_POLL_INTERVAL": "0.5"}
    traffic, stop = Traffic(), threading.Event()
    jobs: list[tuple[int, str]] = []
    rss: list[float] = []
    with serving(tmp_path / "server.log", **env) as (url, server):
        wait_ready(url, server, seconds=120)
        port = int(url.rsplit(":", 1)[1])
        probe = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(port), str(SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        clients = [
            *(
                threading.Thread(target=valid_requests, args=(url, token, traffic, stop, i))
                for i in range(4)
            ),
            threading.Thread(target=invalid_requests, args=(url, token, traffic, stop)),
            threading.Thread(target=hang_ups, args=(port, token, traffic, stop)),
            threading.Thread(target=publisher, args=(tmp_path, jobs, stop)),
        ]
        for client in clients:
            client.start()
        try:
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                rss.append(rss_mb(server.pid))
                time.sleep(0.5)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=300)  # a publish may be half-way
        health = json.loads(probe.communicate(timeout=60)[0])
        admin = {"Authorization": f"Bearer {token}"}
        last = jobs[-1][1] if jobs else None
        served = eventually(
            lambda: httpx.get(url + "/snapshot", headers=admin).json()["id"] == last
        )
    log = (tmp_path / "server.log").read_text()

    failed = {key: n for key, n in traffic.seen.items() if not acceptable(*key)}
    assert not failed, (failed, traffic.seen)
    assert traffic.seen[("uncached", 200)] > 100 and traffic.seen[("valid", 200)] > 100
    assert traffic.seen[("invalid", "as expected")] > 100
    assert [code for code, _ in jobs] == [0] * len(jobs), jobs
    assert len(jobs) >= 2 and served  # swapped under traffic, and to the last one

    logged = Counter(int(s) for s in re.findall(r'"status":\s*(\d+)', log))
    assert not [s for s in logged if s >= 500 and s != 503], logged
    assert logged[499] > 0, logged  # the hang-ups, not 500s no one received
    assert "Traceback" not in log

    assert not health["failures"], health["failures"]
    times = sorted(health["ms"])
    p99 = times[int(len(times) * 0.99)]
    assert len(times) > SECONDS * 5 and p99 < HEALTH_P99_MS, (p99, times[-5:])
    assert max(rss) < RSS_BOUND_MB, max(rss)


def acceptable(kind: str, status: int | str) -> bool:
    """Valid requests get 200; invalid ones what they should; hang-ups never hear back."""
    if kind in ("valid", "uncached"):
        return status == 200
    if kind == "invalid":
        return status == "as expected"
    return kind == "hung up"
