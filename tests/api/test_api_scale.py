"""Scale-out with real parts (docs/deploy.md): HAProxy, run from docs/haproxy.cfg, in
front of two `visites serve` replicas sharing a data directory and Redis; eight clients
while one replica is killed and restarted and a snapshot is published. Then one server
of two workers whose private Redis is killed and restarted under load."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from helpers import ROOT, VISITES, eventually, free_port, visites_environ
from redis_servers import PrivateRedis

from engine import ENDPOINTS, Engine
from engine.build import build_serving
from security.tokens import create_token
from snapshot.demo.publish import take_demo_snapshot

HAPROXY = "/usr/sbin/haproxy"
CONFIG = ROOT / "docs" / "haproxy.cfg"
CLIENTS = 8
# The questions the clients ask, in turn: every endpoint, with and without a filter.
QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ("data", {}),
    ("data", {"annee": 2024, "mois": 3}),
    ("performance", {}),
    ("partenaire", {"mois": 6}),
    ("users", {}),
    ("users", {"annee": 2024}),
    ("evaluation", {}),
    ("invest", {}),
]


def publish(data_dir: Path, seed: int) -> str:
    return take_demo_snapshot(
        data_dir, visits=3_000, seed=seed, keep=10, batch_rows=50_000, prepare=build_serving
    ).id


def expected_answers(data_dir: Path) -> tuple[str, list[Any]]:
    """The current snapshot's id and the engine's own answer to each question."""
    engine = Engine.open(data_dir)
    try:
        with engine.lease() as view:
            answers = [
                msgspec.to_builtins(view.answer(e, msgspec.convert(body, ENDPOINTS[e])))
                for e, body in QUESTIONS
            ]
            return view.id, answers
    finally:
        engine.close()


class Replica:
    """`visites serve` on a fixed port, so that it can be killed and started again."""

    def __init__(self, log: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log, self.args, self.env = log, args, env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "a") as stderr:
            self.process = subprocess.Popen(
                [*VISITES, "serve", "--port", str(self.port), *self.args],
                cwd=ROOT,
                env=visites_environ(**self.env),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@contextmanager
def replicas(*servers: Replica) -> Iterator[None]:
    for server in servers:
        server.start()
    try:
        for server in servers:
            assert eventually(server.ready, 120), f"{server.url} not ready"
        yield
    finally:
        for server in servers:
            server.stop()


@contextmanager
def haproxy(*servers: Replica) -> Iterator[str]:
    """HAProxy on a free port in front of ``servers``, once it has checked them all."""
    port = free_port()
    env = os.environ | {"PROXY_BIND": f"127.0.0.1:{port}"}
    env |= {f"REPLICA_{n}": f"127.0.0.1:{s.port}" for n, s in enumerate(servers, 1)}
    process = subprocess.Popen(
        [HAPROXY, "-f", str(CONFIG), "-db"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    seen: set[str] = set()

    def every_replica_answers() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        with suppress(httpx.TransportError):
            seen.add(httpx.get(f"{url}/ready", timeout=2).headers.get("x-replica", ""))
        return {f"replica{n}" for n in range(1, len(servers) + 1)} <= seen

    try:
        assert eventually(every_replica_answers, 30), f"HAProxy saw {seen}"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Outcome:
    at: float  # seconds since the clients started
    question: int  # index in QUESTIONS
    status: int | str  # or the transport error's name
    body: Any = None
    cache: str = ""  # X-Cache
    layer: str = ""  # the first Server-Timing metric: memory, redis or engine
    replica: str = ""  # X-Replica, set by HAProxy


class Load:
    """``CLIENTS`` threads asking QUESTIONS in turn (each client from its own place in
    the list) until stopped; ``fresh``: every fifth request, a question no one asked;
    ``reconnect``: a new connection for every request (so every worker of a server
    accepts some), else one kept alive per client."""

    def __init__(self, url: str, token: str, fresh: bool = False, reconnect: bool = False) -> None:
        self.url, self.token, self.fresh = url, token, fresh
        self.limits = httpx.Limits(max_keepalive_connections=0 if reconnect else None)
        self.outcomes: list[list[Outcome]] = [[] for _ in range(CLIENTS)]
        self.fresh_asked = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._ask, args=(i,)) for i in range(CLIENTS)]

    def __enter__(self) -> Load:
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def sleep_until(self, second: float) -> None:
        time.sleep(max(0.0, second - self.elapsed()))

    def _fresh_user(self) -> int:
        with self._lock:
            self.fresh_asked += 1
            return 1_000_000 + self.fresh_asked

    def _ask(self, index: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        mine = self.outcomes[index]
        with httpx.Client(
            base_url=self.url, headers=headers, timeout=60, limits=self.limits
        ) as client:
            n = index
            while not self._stop.is_set():
                n += 1
                question = n % len(QUESTIONS)
                endpoint, body = QUESTIONS[question]
                if self.fresh and n % 5 == 0:  # a question no one asked before
                    question, endpoint, body = -1, "data", {"id_utilisateur": self._fresh_user()}
                at = self.elapsed()
                try:
                    response = client.post(f"/{endpoint}", json=body)
                except httpx.TransportError as error:
                    mine.append(Outcome(at, question, type(error).__name__))
                    continue
                timing = response.headers.get("server-timing", "")
                mine.append(
                    Outcome(
                        at,
                        question,
                        response.status_code,
                        response.json(),
                        response.headers.get("x-cache", ""),
                        timing.split(";")[0],
                        response.headers.get("x-replica", ""),
                    )
                )

    @property
    def every(self) -> list[Outcome]:
        return [outcome for mine in self.outcomes for outcome in mine]


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples that carry ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if re.match(rf"{name}(\{{|\s)", line) and all(
            f'{k}="{v}"' in line for k, v in labels.items()
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_replicas_behind_haproxy_lose_no_request_to_a_kill_nor_a_publish_and_share_answers(
    tmp_path: Path, redis_url: str, redis_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "shared-volume"
    publish(data_dir, seed=100)
    expected = dict([expected_answers(data_dir)])
    reader = create_token(data_dir / "tokens.json", "reader")
    monitor = {
        "Authorization": f"Bearer {create_token(data_dir / 'tokens.json', 'prom', metrics=True)}"
    }
    env = {
        "VISITES_DATA_DIR": str(data_dir),
        "VISITES_REDIS_URL": redis_url,
        "VISITES_REDIS_PREFIX": redis_prefix,
        "VISITES_POLL_INTERVAL": "0.2",
        # Not 50 ms: on a machine this busy, Redis would seem down now and then, and the
        # answers computed meanwhile would not be counted as the one computation each.
        "VISITES_REDIS_TIMEOUT": "2",
    }
    first = Replica(tmp_path / "replica1.log", **env)
    second = Replica(tmp_path / "replica2.log", **env)
    headers = {"Authorization": f"Bearer {reader}"}
    with replicas(first, second), haproxy(first, second) as proxy:
        # The second replica answers from the entries the first one computed.
        for server, outcome in ((first, "miss"), (second, "hit")):
            for endpoint, body in QUESTIONS:
                answer = httpx.post(f"{server.url}/{endpoint}", json=body, headers=headers)
                assert answer.headers["x-cache"] == outcome, (server.url, endpoint, body)
                if outcome == "hit":
                    assert answer.headers["server-timing"].startswith('redis;desc="hit"')
        with Load(proxy, reader) as load:
            load.sleep_until(4)
            first.kill()  # SIGKILL, mid-traffic
            first.start()
            restarted = load.elapsed()

            def back() -> bool:  # HAProxy sends it traffic again
                return any(o.replica == "replica1" and o.at > restarted for o in load.every)

            assert eventually(back, 60), "the killed replica got no traffic back"
            load.sleep_until(9)
            publish(data_dir, seed=101)
            published = load.elapsed()
            new_id, new_answers = expected_answers(data_dir)
            expected[new_id] = new_answers
            load.sleep_until(max(20, published + 8))  # on a slow machine, a little longer
        texts = [httpx.get(f"{s.url}/metrics", headers=monitor).text for s in (first, second)]
    computed = sum(metric(t, "visites_cache_misses_total", layer="redis") for t in texts)
    assert sum(metric(t, "visites_cache_redis_failures_total") for t in texts) == 0
    every = load.every
    failed = [o for o in every if o.status != 200]
    assert not failed, failed[:5]
    owners = Counter()
    for outcome in every:
        mine = [i for i, answers in expected.items() if answers[outcome.question] == outcome.body]
        assert len(mine) == 1, f"an answer to {QUESTIONS[outcome.question]} is no one snapshot's"
        owners[mine[0]] += 1
    assert set(owners) == set(expected), owners  # both snapshots served, no other
    # Both replicas follow CURRENT within a poll: soon after the publish, only new answers.
    late = [o for o in every if o.at > published + 5]
    assert late and all(o.body == expected[new_id][o.question] for o in late)
    # After the publish, each new answer was computed once across the two replicas (the
    # killed one's counts died with it; the old snapshot's answers were all in Redis).
    assert computed == len(QUESTIONS)
    restarted_answers = [o for o in every if o.replica == "replica1" and o.at > restarted]
    layers = Counter(o.layer for o in every)
    hits = sum(o.cache == "hit" for o in every)
    with capsys.disabled():
        print(
            f"\n{len(every)} requests in {load.elapsed():.0f} s through HAProxy, 0 failed; "
            f"hit ratio {hits / len(every):.3f}; answered by {dict(layers)}; "
            f"by snapshot {dict(owners)}; replica1 restarted at {restarted:.1f} s and "
            f"answered {len(restarted_answers)} after; published at {published:.1f} s"
        )
    assert hits / len(every) > 0.9


def test_a_server_of_two_workers_whose_redis_dies_and_comes_back_fails_no_request(
    tmp_path: Path, private_redis: PrivateRedis, redis_prefix: str
) -> None:
    data_dir = tmp_path / "data"
    publish(data_dir, seed=200)
    _, answers = expected_answers(data_dir)
    reader = create_token(data_dir / "tokens.json", "reader")
    monitor = {
        "Authorization": f"Bearer {create_token(data_dir / 'tokens.json', 'prom', metrics=True)}"
    }
    log = tmp_path / "server.log"
    temporary = tmp_path / "tmp"  # where `visites serve` makes its metrics folder
    temporary.mkdir()
    server = Replica(
        log,
        "--workers",
        "2",
        TMPDIR=str(temporary),
        VISITES_DATA_DIR=str(data_dir),
        VISITES_REDIS_URL=private_redis.url,
        VISITES_REDIS_PREFIX=redis_prefix,
        VISITES_CACHE_SIZE="100000",  # every answer stays in each worker's memory
    )
    with replicas(server):
        # Each worker attaches the snapshot on its own: both, before the load.
        assert eventually(lambda: all(server.ready() for _ in range(20)), 60)
        with Load(server.url, reader, fresh=True, reconnect=True) as load:
            load.sleep_until(2.5)
            private_redis.kill()
            load.sleep_until(5)
            private_redis.start()  # empty: it keeps nothing on disk
            load.sleep_until(9)
        metrics = httpx.get(f"{server.url}/metrics", headers=monitor).text
        with private_redis.client() as client:
            stored_after_restart = client.dbsize()
        [shared] = temporary.glob("visites-metrics-*")
        assert any(shared.iterdir())  # the workers' counters, in files
    assert not any(temporary.iterdir())  # removed when the server stopped
    every = load.every
    failed = [o for o in every if o.status != 200]
    assert not failed, failed[:5]
    assert all(o.body == answers[o.question] for o in every if o.question >= 0)
    assert stored_after_restart > 0  # the workers reconnected by themselves
    # Logged once per outage and worker, not once per request: in each worker's log the
    # two lines alternate (on a loaded machine a 50 ms timeout may add short outages).
    text = log.read_text()
    down, back = text.count("Redis unavailable ("), text.count("Redis answers again")
    assert 1 <= down <= back + 2 and back >= 1, text
    assert metric(metrics, "visites_cache_redis_failures_total") >= 1
    # /metrics of one worker counts the whole server's requests, and both workers' caches.
    data_requests = sum(o.question < 0 or QUESTIONS[o.question][0] == "data" for o in every)
    assert metric(metrics, "visites_requests_total", path="/data") == data_requests
    distinct = len(QUESTIONS) + load.fresh_asked
    assert metric(metrics, "visites_cache_entries") > distinct
