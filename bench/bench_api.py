"""API benchmark: `visites serve` on loopback under wrk, cached and uncached, one
worker, two workers, and two replicas behind HAProxy with Redis.

Demo data of about 1M contacts (700k visits). Requests/s, p50 and p99 of POST /data
(medians of ``--runs`` wrk runs) for each setup: one worker with every answer cached
(warmed first) and with the cache off (VISITES_CACHE_SIZE=0: every request runs the
engine); `--workers 2`; `--workers 2` with Redis behind each worker's memory, and with
Redis alone (no memory layer); two one-worker replicas behind HAProxy
(docs/haproxy.cfg) sharing Redis. The engine's own time for the same filters, measured
in-process, tells what HTTP adds. Results go to the `api` section of docs/benchmarks.md.

    just bench-api                      # 700k visits, 3 runs of 10 s per figure
    just bench-api --visits 50000 --seconds 3 --runs 1

Needs wrk (`apt-get install -y wrk`), haproxy and redis-server (Debian's packages).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import httpx
import msgspec

from bench.report import machine, write_section
from engine import Engine, VisiteFilter
from security.tokens import create_token
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_dir
from snapshot.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_CFG = ROOT / "docs" / "haproxy.cfg"
# Twelve dashboard filters of similar cost: one month each of the demo's last year.
FILTERS = [VisiteFilter(annee=2024, mois=m) for m in range(1, 13)]

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local bodies = {{ {bodies} }}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""


@dataclass(frozen=True)
class Setup:
    name: str
    concurrency: tuple[int, ...] = (8, 64)
    workers: int = 1  # per replica
    replicas: int = 1  # more than one: behind HAProxy
    redis: bool = False
    cache_size: int = 1024  # each worker's memory layer; 0: none


SETUPS = [
    Setup("1 worker", (1, 8, 64)),
    Setup("1 worker, uncached", (1, 8, 64), cache_size=0),
    Setup("2 workers", workers=2),
    Setup("2 workers, memory + Redis", workers=2, redis=True),
    Setup("2 workers, Redis alone", workers=2, redis=True, cache_size=0),
    Setup("2 replicas + HAProxy, memory + Redis", replicas=2, redis=True),
]
UNCACHED = SETUPS[1]


class Run(msgspec.Struct):
    setup: str
    concurrency: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    refused: int  # non-2xx answers (503: the engine's queue was full)
    late: int  # requests wrk gave up on after 2 s, and other socket errors


def demo_data(data_dir: Path, visits: int) -> int:
    """Publish the demo snapshot unless one of this size is there; its contacts."""
    folder = current_dir(data_dir)
    if folder is None or read_manifest(folder).source.visits != visits:
        print(f"publishing demo data: {visits:,} visits...", file=sys.stderr)
        take_demo_snapshot(data_dir, visits=visits, seed=42, keep=5, batch_rows=50_000)
        folder = current_dir(data_dir)
    assert folder is not None
    return read_manifest(folder).tables["tab_partenaire_visite"].rows


def engine_ms(data_dir: Path, rounds: int = 5) -> float:
    """Median in-process time of the engine alone for FILTERS, answer encoded."""
    engine = Engine.open(data_dir)
    times = []
    try:
        with engine.lease() as view:
            for _ in range(rounds):
                for filter_ in FILTERS:
                    started = time.perf_counter()
                    msgspec.json.encode(view.answer("data", filter_))
                    times.append((time.perf_counter() - started) * 1000)
    finally:
        engine.close()
    return median(times)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`visites serve` in a subprocess, quiet, stopped on exit."""

    def __init__(self, workers: int, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "cli.main", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=ROOT,
            env=os.environ | env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # the access log would cost the run its terminal
        )

    def __enter__(self) -> Server:
        if not _eventually(lambda: _answers(f"{self.url}/ready"), 300):
            raise SystemExit("visites serve did not become ready")
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False  # not listening yet: the snapshot is loading


def _eventually(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@contextmanager
def _stopped_at_exit(command: list[str], env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(command, env=os.environ | env, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def deployment(setup: Setup, data_dir: Path, tokens_file: Path, work: Path) -> Iterator[str]:
    """The servers of ``setup`` (and Redis, HAProxy), ready; the URL to load."""
    env = {
        "VISITES_DATA_DIR": str(data_dir),
        "VISITES_TOKENS_FILE": str(tokens_file),
        "VISITES_CACHE_SIZE": str(setup.cache_size),
    }
    with ExitStack() as stack:
        if setup.redis:  # a private one: nothing else's keys, nothing else's load
            port = _free_port()
            stack.enter_context(
                _stopped_at_exit(
                    ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", str(work)],
                    {},
                )
            )  # fmt: skip
            env["VISITES_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        servers = [Server(setup.workers, env) for _ in range(setup.replicas)]
        for server in servers:
            stack.enter_context(server)
        if setup.replicas == 1:
            yield servers[0].url
            return
        port = _free_port()
        proxy = {f"REPLICA_{n}": f"127.0.0.1:{s.port}" for n, s in enumerate(servers, 1)}
        proxy["PROXY_BIND"] = f"127.0.0.1:{port}"
        stack.enter_context(_stopped_at_exit(["haproxy", "-f", str(HAPROXY_CFG), "-db"], proxy))
        url = f"http://127.0.0.1:{port}"
        if not _eventually(lambda: _answers(f"{url}/ready"), 30):
            raise SystemExit("HAProxy did not answer")
        time.sleep(3)  # its health checks see every replica up (rise 2, every second)
        yield url


def wrk(
    url: str, script: Path, concurrency: int, seconds: int
) -> tuple[float, float, float, int, int]:
    """Requests/s, p50 ms, p99 ms, non-2xx answers and socket errors of one wrk run."""
    load = [f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds}s", "--latency"]
    output = subprocess.run(
        ["wrk", *load, "-s", str(script), f"{url}/data"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p99 = (_ms(re.search(rf"\s{p}%\s+(\S+)", output).group(1)) for p in (50, 99))
    refused = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    late = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return rate, p50, p99, refused, late


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def http_overhead_ms(url: str, token: str, rounds: int = 5) -> tuple[float, float]:
    """Sequential requests on an uncached server: the median engine time the server
    reports in Server-Timing, and the median of what the client waited beyond it (HTTP,
    validation, auth, the hop to a worker thread). http.client: the lightest client."""
    served, overheads = [], []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(url.removeprefix("http://"))
    try:
        for _ in range(rounds):
            for filter_ in FILTERS:
                started = time.perf_counter()
                connection.request("POST", "/data", msgspec.json.encode(filter_), headers)
                response = connection.getresponse()
                response.read()
                spent = (time.perf_counter() - started) * 1000
                timing = re.search(r"engine;dur=([\d.]+)", response.headers["server-timing"])
                served.append(float(timing.group(1)))
                overheads.append(spent - served[-1])
    finally:
        connection.close()
    return median(served), median(overheads)


def measure(
    data_dir: Path, seconds: int, repeats: int, work: Path
) -> tuple[list[Run], tuple[float, float]]:
    tokens_file = work / "tokens.json"
    token = create_token(tokens_file, "bench")
    bodies = ", ".join(f"'{msgspec.json.encode(f).decode()}'" for f in FILTERS)
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT.format(token=token, bodies=bodies))
    runs = []
    for setup in SETUPS:
        with deployment(setup, data_dir, tokens_file, work) as url:
            wrk(url, script, 8, 3)  # warm: the caches (each worker's), DuckDB's, the CPU's
            for concurrency in setup.concurrency:
                results = [wrk(url, script, concurrency, seconds) for _ in range(repeats)]
                rate, p50, p99 = (median(r[i] for r in results) for i in range(3))
                refused, late = (sum(r[i] for r in results) for i in (3, 4))
                runs.append(Run(setup.name, concurrency, rate, p50, p99, refused, late))
                print(runs[-1], file=sys.stderr)
            if setup == UNCACHED:
                sequential = http_overhead_ms(url, token)
    return runs, sequential


def report(
    seconds: int,
    repeats: int,
    runs: list[Run],
    contacts: int,
    visits: int,
    own_ms: float,
    sequential: tuple[float, float],
    command: str,
) -> str:
    served_ms, overhead_ms = sequential
    lines = [
        "## API (`just bench-api`)",
        "",
        f"Written by `{command}` (bench/bench_api.py).",
        "",
        f"- Machine: {machine()}; the server and wrk share these cores "
        f"(load average {os.getloadavg()[0]:.1f} when the runs ended: other work counts).",
        f"- Data: demo snapshot, {visits:,} visits = {contacts:,} contacts (visit rows).",
        "- Load: `wrk --latency` on loopback, `POST /data` with 12 filters in turn "
        '(`{"annee": 2024, "mois": 1..12}`); each figure the median of '
        f"{repeats} runs of {seconds} s; *non-2xx* and *timeouts* (no answer within wrk's "
        "2 s, or another socket error) are their sums.",
        "- Answers are warmed in the caches first, except *uncached*: `VISITES_CACHE_SIZE=0` "
        "and no Redis, so every request runs the engine (identical concurrent requests "
        "still compute once). *memory + Redis*: each worker's LRU in front of a Redis "
        "(`VISITES_REDIS_URL`, a private `redis-server`); *Redis alone*: "
        "`VISITES_CACHE_SIZE=0`, every answer from Redis. *2 replicas*: two one-worker "
        "`visites serve` behind HAProxy 2.6 with docs/haproxy.cfg.",
        f"- The engine alone answers one of these filters in {own_ms:.1f} ms "
        "(median, in-process, JSON encoding included).",
        "",
        "| setup | concurrency | requests/s | p50 ms | p99 ms | non-2xx | timeouts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.setup} | {r.concurrency} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} "
        f"| {r.p99_ms:.2f} | {r.refused} | {r.late} |"
        for r in runs
    ]
    lines += [
        "",
        "Uncached, one request at a time (http.client, 60 requests): the engine takes "
        f"{served_ms:.1f} ms inside the server (median of `Server-Timing: engine;dur`), and "
        f"the client waits {overhead_ms:.2f} ms (median) beyond it: that is what HTTP, "
        "decoding, auth and the hop to a worker thread add.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=700_000, help="demo visits (700000)")
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run (10)")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per figure (3)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "visites-bench-api",
        help="reused between runs when its snapshot has the same size",
    )
    args = parser.parse_args()
    for tool in ("wrk", "haproxy", "redis-server"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install -y {tool}")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    contacts = demo_data(args.data_dir, args.visits)
    own_ms = engine_ms(args.data_dir)
    with tempfile.TemporaryDirectory() as work:
        runs, sequential = measure(args.data_dir, args.seconds, args.runs, Path(work))
    command = "just bench-api " + " ".join(sys.argv[1:])
    text = report(
        args.seconds, args.runs, runs, contacts, args.visits, own_ms, sequential, command.strip()
    )
    write_section("api", text)
    print(text)


if __name__ == "__main__":
    main()
