"""API benchmark: `visites serve` on loopback under wrk, cached and uncached.

Demo data of about 1M contacts (700k visits). For concurrency 1, 8 and 64: requests/s,
p50 and p99 of POST /data, once with every answer cached (the cache is warmed first)
and once with the cache off (VISITES_CACHE_SIZE=0: every request runs the engine).
The engine's own time for the same filters, measured in-process, tells what HTTP
adds. Results go to the `api` section of docs/benchmarks.md.

    just bench-api                      # 700k visits, 10 s per run
    just bench-api --visits 50000 --seconds 3

Needs wrk (`apt-get install -y wrk`).
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
CONCURRENCY = (1, 8, 64)
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


class Run(msgspec.Struct):
    mode: str  # "cached" or "uncached"
    concurrency: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors


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

    def __init__(self, data_dir: Path, tokens_file: Path, cache_size: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "VISITES_DATA_DIR": str(data_dir),
            "VISITES_TOKENS_FILE": str(tokens_file),
            "VISITES_CACHE_SIZE": str(cache_size),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # the access log would cost the run its terminal
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ready", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass  # not listening yet: the snapshot is loading
            time.sleep(0.5)
        raise SystemExit("visites serve did not become ready")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def wrk(url: str, script: Path, concurrency: int, seconds: int) -> tuple[float, float, float, int]:
    """Requests/s, p50 ms, p99 ms and errors of one wrk run."""
    load = [f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds}s", "--latency"]
    output = subprocess.run(
        ["wrk", *load, "-s", str(script), f"{url}/data"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p99 = (_ms(re.search(rf"\s{p}%\s+(\S+)", output).group(1)) for p in (50, 99))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return rate, p50, p99, errors


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def http_overhead_ms(server: Server, token: str, rounds: int = 5) -> tuple[float, float]:
    """Sequential requests on an uncached server: the median engine time the server
    reports in Server-Timing, and the median of what the client waited beyond it (HTTP,
    validation, auth, the hop to a worker thread). http.client: the lightest client."""
    served, overheads = [], []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
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


def measure(data_dir: Path, seconds: int, work: Path) -> tuple[list[Run], tuple[float, float]]:
    tokens_file = work / "tokens.json"
    token = create_token(tokens_file, "bench")
    bodies = ", ".join(f"'{msgspec.json.encode(f).decode()}'" for f in FILTERS)
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT.format(token=token, bodies=bodies))
    runs = []
    for mode, cache_size in (("cached", 1024), ("uncached", 0)):
        with Server(data_dir, tokens_file, cache_size) as server:
            wrk(server.url, script, 1, 2)  # warm: the cache, DuckDB's, the CPU caches
            for concurrency in CONCURRENCY:
                rate, p50, p99, errors = wrk(server.url, script, concurrency, seconds)
                runs.append(Run(mode, concurrency, rate, p50, p99, errors))
                print(runs[-1], file=sys.stderr)
            if mode == "uncached":
                sequential = http_overhead_ms(server, token)
    return runs, sequential


def report(
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
        '(`{"annee": 2024, "mois": 1..12}`), one `visites serve` worker.',
        "- cached: answers warmed in the cache first; uncached: `VISITES_CACHE_SIZE=0`, so "
        "every request runs the engine (identical concurrent requests still compute once).",
        f"- The engine alone answers one of these filters in {own_ms:.1f} ms "
        "(median, in-process, JSON encoding included).",
        "",
        "| mode | concurrency | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.mode} | {r.concurrency} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} "
        f"| {r.p99_ms:.2f} | {r.errors} |"
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
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "visites-bench-api",
        help="reused between runs when its snapshot has the same size",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    contacts = demo_data(args.data_dir, args.visits)
    own_ms = engine_ms(args.data_dir)
    with tempfile.TemporaryDirectory() as work:
        runs, sequential = measure(args.data_dir, args.seconds, Path(work))
    command = "just bench-api " + " ".join(sys.argv[1:])
    text = report(runs, contacts, args.visits, own_ms, sequential, command.strip())
    write_section("api", text)
    print(text)


if __name__ == "__main__":
    main()
