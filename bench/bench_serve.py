"""Serving benchmark: `visites serve` over the snapshot's serving database.

Demo data at 1M visits and at about 10M contact rows (visit rows). For each size:

- start: ``--starts`` fresh `visites serve` processes (median), from the process's
  start to the first 200 of ``POST /data {}``; also the CPU seconds the process had
  used by then, which is what the start takes on an idle machine;
- RSS after one call of each endpoint, one worker; then with ``--workers 2``, the sum
  over the workers (and the supervisor's own);
- peak RSS across a hot swap (the kernel's high-water mark, reset just before) while
  clients keep asking, against the steady RSS before it;
- each endpoint's uncached latency in one process, on the file and on the same build
  scripts run into an in-memory DuckDB (what each server did before), alternately;

and the snapshot job's wall time at 1M visits with the build included, and the
build's share. The 1M-visit snapshot is made fresh by each run; the larger one is
cached under data/bench-serve/. Results go to the `serve` section of
docs/benchmarks.md.

    just bench-serve                                 # 1M visits, 10M contact rows
    just bench-serve --visits 200000 --contacts 0    # a quick run
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import duckdb
import msgspec

from bench.report import machine, write_section
from config import Settings
from engine import ENDPOINTS, Engine
from engine.build import build_serving, run_build_scripts
from engine.database import Database
from engine.engine import SnapshotView
from security.tokens import create_token
from snapshot.demo.generator import generate
from snapshot.demo.publish import take_demo_snapshot
from snapshot.job import new_snapshot_id
from snapshot.layout import (
    MANIFEST,
    current_dir,
    current_id,
    published_ids,
    snapshot_dir,
    write_atomically,
)
from snapshot.manifest import ServingFile, encode_manifest, read_manifest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "bench-serve"
SEED = 42
# The acceptance figures.
START_TARGET_S = {"visits": 1.0, "contacts": 2.0}
RSS_TARGET_MB = {"visits": 150, "contacts": 500}
SWAP_TARGET = 1.3
LATENCY_TARGET = 1.1


class Job(msgspec.Struct):
    visits: int
    wall_s: float  # the snapshot job (manifest.duration_seconds): normalise, build, publish
    build_s: float
    peak_rss_mb: float
    serving_mib: float


def take(data_dir: Path, visits: int) -> Job:
    """A demo snapshot of ``visits``, its serving database built by the job (run in a
    process of its own, so that its peak RSS is the job's)."""
    built: dict[str, float] = {}

    def timed(folder: Path) -> ServingFile:
        started = time.perf_counter()
        record = build_serving(folder)
        built["s"] = time.perf_counter() - started
        return record

    manifest = take_demo_snapshot(
        data_dir, visits=visits, seed=SEED, keep=1, batch_rows=65_536, prepare=timed
    )
    assert manifest.serving is not None
    return Job(
        visits=visits,
        wall_s=manifest.duration_seconds,
        build_s=built["s"],
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        serving_mib=manifest.serving.bytes / 2**20,
    )


def build_alone(data_dir: Path) -> dict[str, float]:
    """The current snapshot's serving database built again from its Parquet files, in
    this (fresh) process: the build's time and peak RSS, without the job around it."""
    source = current_dir(data_dir)
    assert source is not None
    with tempfile.TemporaryDirectory(prefix="bench-build-", dir=data_dir) as work:
        for parquet in source.glob("*.parquet"):
            shutil.copy(parquet, Path(work) / parquet.name)
        started = time.perf_counter()
        build_serving(Path(work))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(flag: str, *args: str) -> str:
    """Run this script with ``flag`` in a fresh process; its stdout."""
    command = [sys.executable, __file__, flag, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def prepare(data_dir: Path, visits: int) -> Job:
    """The snapshot in ``data_dir`` (made by the job if absent) and the job's figures."""
    record = data_dir / "job.json"
    if not record.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        record.write_text(child("--job", str(data_dir), str(visits)))
    return msgspec.json.decode(record.read_bytes(), type=Job)


def visits_for(contacts: int) -> int:
    """Visits giving about ``contacts`` visit rows: the ratio measured on a small draw."""
    sample = 20_000
    return round(
        contacts * sample / generate(visits=sample, seed=SEED)["tab_partenaire_visite"].num_rows
    )


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (the libraries) split among their users."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss for process {pid}")


def workers_of(pid: int) -> list[int]:
    """uvicorn's worker processes (not multiprocessing's resource tracker)."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `visites serve` process on a free port: when it first answered /health and
    /data, and the CPU it had used by then."""

    def __init__(
        self, data_dir: Path, token: str, log: Path, workers: int = 1, cache: bool = True
    ) -> None:
        self.port = free_port()
        self.token = token
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("VISITES_")}
        env |= {"VISITES_DATA_DIR": str(data_dir), "VISITES_POLL_INTERVAL": "0.2"}
        if not cache:
            env["VISITES_CACHE_SIZE"] = "0"
        with open(log, "w") as stderr:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "serve", "--port", str(self.port),
                 "--workers", str(workers)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        self.health_s: float | None = None
        while self.status("POST", "/data") != 200:
            if self.health_s is None and self.status("GET", "/health") == 200:
                self.health_s = time.perf_counter() - started
            if self.process.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError(f"visites serve did not answer: see {log}")
            time.sleep(0.005)
        self.first_answer_s = time.perf_counter() - started
        self.health_s = self.health_s or self.first_answer_s
        self.cpu_s = cpu_seconds(self.process.pid)

    def opened_s(self) -> float:
        """How long the engine took to open the snapshot, from the server's log."""
        found = re.search(r"serving snapshot \S+, opened in ([\d.]+) s", self.log.read_text())
        assert found, self.log.read_text()
        return float(found.group(1))

    def request(self, method: str, path: str, body: bytes = b"{}") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def status(self, method: str, path: str) -> int | None:
        try:
            return self.request(method, path)[0]
        except OSError:  # not listening yet
            return None

    def call_each_endpoint(self, months: range = range(1, 2)) -> None:
        for endpoint in ENDPOINTS:
            for mois in months:
                body = b"{}" if mois == 0 else json.dumps({"mois": mois}).encode()
                status, _ = self.request("POST", f"/{endpoint}", body)
                while status == 503:  # a worker still opening the snapshot: Retry-After
                    time.sleep(0.05)
                    status, _ = self.request("POST", f"/{endpoint}", body)
                assert status == 200, (endpoint, status)

    def snapshot_id(self) -> str:
        return json.loads(self.request("GET", "/snapshot")[1])["id"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def clone(data_dir: Path) -> str:
    """Publish a copy of the current snapshot under a new id, as the job would (its
    serving database included): what the next swap attaches."""
    source = current_dir(data_dir)
    assert source is not None
    new_id = new_snapshot_id(datetime.now(UTC))
    target = snapshot_dir(data_dir, new_id)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*"))
    manifest = msgspec.structs.replace(read_manifest(target), id=new_id)
    write_atomically(target / MANIFEST, encode_manifest(manifest))
    write_atomically(data_dir / "CURRENT", new_id + "\n")
    return new_id


class Traffic:
    """Two clients asking every endpoint, the empty filter and each month in turn, of a
    server without a cache (every answer computed), until stopped."""

    def __init__(self, server: Server) -> None:
        self._stop = threading.Event()
        self._clients = [threading.Thread(target=self._ask, args=(server,)) for _ in range(2)]
        for client in self._clients:
            client.start()

    def _ask(self, server: Server) -> None:
        bodies = [b"{}", *(json.dumps({"mois": mois}).encode() for mois in range(1, 13))]
        while not self._stop.is_set():
            for body in bodies:
                for endpoint in ENDPOINTS:
                    server.request("POST", f"/{endpoint}", body)

    def stop(self) -> None:
        self._stop.set()
        for client in self._clients:
            client.join()


def peak_during(server: Server, action: Callable[[], None]) -> float:
    """The server's peak RSS (VmHWM, reset first) while ``action`` runs, and 6 s more."""
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")  # resets VmHWM
    action()
    time.sleep(6)
    return rss_mb(server.process.pid, "VmHWM")


def swap_to_a_copy(server: Server, data_dir: Path) -> Callable[[], None]:
    def swap() -> None:
        new_id = clone(data_dir)
        deadline = time.monotonic() + 300
        while server.snapshot_id() != new_id:
            assert time.monotonic() < deadline, "no swap"
            time.sleep(0.05)

    return swap


def quiet_swap(server: Server, data_dir: Path) -> dict[str, float]:
    """RSS idle after a call of each endpoint, and the peak across a swap, no traffic:
    what attaching the next snapshot costs by itself."""
    server.call_each_endpoint(range(1, 4))
    time.sleep(2)
    idle = rss_mb(server.process.pid)
    return {
        "steady_idle_mb": idle,
        "peak_idle_mb": peak_during(server, swap_to_a_copy(server, data_dir)),
    }


def busy_swap(data_dir: Path, token: str, log: Path) -> dict[str, float]:
    """Under uncached traffic (warmed 10 s first): the peak RSS over 6 s, then over a
    swap and 6 s after it."""
    server = Server(data_dir, token, log, cache=False)
    traffic = Traffic(server)
    try:
        time.sleep(10)
        steady = peak_during(server, lambda: None)
        peak = peak_during(server, swap_to_a_copy(server, data_dir))
    finally:
        traffic.stop()
        server.stop()
    return {"steady_mb": steady, "peak_mb": peak}


def serve_figures(data_dir: Path, starts: int) -> dict:
    tokens = data_dir / "tokens.json"
    tokens.unlink(missing_ok=True)
    token = create_token(tokens, "bench")
    log = data_dir / "server.log"
    first, health, cpu, opened, after_calls, idle = [], [], [], [], [], []
    for n in range(starts):
        server = Server(data_dir, token, log)
        try:
            first.append(server.first_answer_s)
            health.append(server.health_s)
            cpu.append(server.cpu_s)
            opened.append(server.opened_s())
            server.call_each_endpoint()
            after_calls.append(rss_mb(server.process.pid))
            time.sleep(2)
            idle.append(rss_mb(server.process.pid))
            if n == starts - 1:
                swap = quiet_swap(server, data_dir)
        finally:
            server.stop()
    swap |= busy_swap(data_dir, token, log)
    for snapshot_id in published_ids(data_dir):  # the swapped-out copies: space back
        if snapshot_id != current_id(data_dir):
            shutil.rmtree(snapshot_dir(data_dir, snapshot_id))
    two = Server(data_dir, token, log, workers=2)
    try:
        for _ in range(3):  # new connections each time: both workers get some
            two.call_each_endpoint(range(0, 6))
        workers = workers_of(two.process.pid)
        workers_rss = [rss_mb(pid) for pid in workers]
        workers_pss = [pss_mb(pid) for pid in workers]
        supervisor = rss_mb(two.process.pid)
    finally:
        two.stop()
    return {
        "start_s": median(first),
        "starts_s": first,
        "health_s": median(health),
        "start_cpu_s": median(cpu),
        "opened_s": median(opened),
        "rss_mb": median(after_calls),
        "rss_each_mb": after_calls,
        "rss_idle_mb": median(idle),
        "workers_rss_mb": workers_rss,
        "workers_pss_mb": workers_pss,
        "supervisor_rss_mb": supervisor,
        **swap,
    }


def latency(data_dir: Path, runs: int) -> dict[str, dict[str, float]]:
    """Each endpoint's median ms on the file and on an in-memory build, alternately."""
    folder = current_dir(data_dir)
    assert folder is not None
    engine = Engine.open(data_dir)
    memory = duckdb.connect(":memory:", config={"allocator_background_threads": True})
    run_build_scripts(memory, folder)
    in_memory = SnapshotView(Database(read_manifest(folder), memory))
    timings: dict[str, dict[str, float]] = {}
    with engine.lease() as on_file:
        for endpoint, filter_type in ENDPOINTS.items():
            samples: dict[str, list[float]] = {"file": [], "memory": []}
            views: dict[str, SnapshotView] = {"file": on_file, "memory": in_memory}
            for view in views.values():
                view.answer(endpoint, filter_type())  # warm-up: first touch of the pages
            for _ in range(runs):
                for name, view in views.items():
                    started = time.perf_counter()
                    view.answer(endpoint, filter_type())
                    samples[name].append((time.perf_counter() - started) * 1000)
            timings[endpoint] = {name: median(ms) for name, ms in samples.items()}
    engine.close()
    memory.close()
    return timings


def contact_rows(data_dir: Path) -> int:
    folder = current_dir(data_dir)
    visite, contact = (
        str(folder / f"{t}.parquet") for t in ("tab_visite", "tab_partenaire_visite")
    )
    con = duckdb.connect()
    return con.execute(
        "SELECT count(*) FROM read_parquet($visite) LEFT JOIN read_parquet($contact) "
        "USING (id_visite)",
        {"visite": visite, "contact": contact},
    ).fetchone()[0]


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


NOTES = [
    "- A start is mostly Python importing the web stack (Litestar, uvicorn, DuckDB's "
    "Python layer): compare the CPU seconds with the opening time from the engine's log "
    "(checking the file's sha256, then opening it read-only). Before the serving "
    "database, every server process loaded the Parquet files and ran the build itself "
    "at each start: the build time above, per process.",
    "- The RSS right after the calls holds DuckDB's memory for those queries, which its "
    "allocator's background threads give back within about two seconds (the idle line).",
    "- With two workers RSS counts the shared libraries' pages once per worker; PSS "
    "splits them between the workers.",
    "- The machine is shared and was busy: wall times stretch with the load average, "
    "CPU seconds much less so.",
    "",
]


def markdown(results: list[dict], job: Job, args: argparse.Namespace, command: str) -> str:
    lines = [
        "## Serving (`just bench-serve`)",
        "",
        f"Command: `{command}` (bench/bench_serve.py). Machine: {machine()}; the machine is "
        "shared with other work, so the load average is given with each size.",
        f"Demo data (seed {SEED}). Start: median of {args.starts} fresh `visites serve` "
        "processes (one worker), their bytecode compiled first as `pip install` does, "
        "from `Popen` to the first 200 of `POST /data {}`, polled "
        "every 5 ms; the CPU seconds the process had used by then are what the start "
        "takes on an idle machine. RSS: `VmRSS` after one call of each endpoint, on each of "
        "the fresh starts (median), at once "
        "and after 2 s idle; with two workers, also PSS (the libraries' shared pages "
        "split between them). Swap: a copy of the snapshot (serving file included) is "
        "published and attached; the server's `VmHWM`, reset just before, is read 6 s "
        "after the swap: once with no traffic (against `VmRSS` before), once on a server "
        "without a cache while two clients ask every endpoint the empty filter and each "
        "month in turn (against the `VmHWM` of the same traffic over 6 s with no swap, "
        "after 10 s of it). Latency: the engine alone, "
        f"empty filter, median of {args.runs} alternate runs in one process, on the file "
        "and on the same build scripts run into an in-memory DuckDB.",
        "",
        "### The snapshot job",
        "",
        f"{job.visits:,} visits: the job (read the generated tables, normalise, build, "
        f"publish) takes {job.wall_s:.1f} s, of which the serving database's build "
        f"{job.build_s:.1f} s ({job.build_s / job.wall_s:.0%}); peak RSS "
        f"{job.peak_rss_mb:.0f} MB (the generated tables included); file "
        f"{job.serving_mib:.1f} MiB.",
        "",
    ]
    for r in results:
        kind = r["kind"]
        start_ok = r["start_s"] <= START_TARGET_S[kind]
        rss_ok = r["rss_mb"] <= RSS_TARGET_MB[kind]
        swap_ratio = r["peak_mb"] / r["steady_mb"]
        idle_ratio = r["peak_idle_mb"] / r["steady_idle_mb"]
        rss, pss = r["workers_rss_mb"], r["workers_pss_mb"]
        lines += [
            f"### {r['title']}",
            "",
            f"Serving file {r['serving_mib']:.1f} MiB; load average {r['load_average']:.1f}. "
            f"Built alone from the Parquet files in a fresh process: "
            f"{r['build']['seconds']:.1f} s, peak RSS {r['build']['peak_rss_mb']:.0f} MB "
            f"(`VISITES_MEMORY_LIMIT` {Settings().memory_limit}).",
            "",
            "| figure | value | target |",
            "|---|---:|---:|",
            f"| start to first 200 of `POST /data`, median (s) | {r['start_s']:.2f} "
            f"{mark(start_ok)} | ≤ {START_TARGET_S[kind]:g} |",
            f"| the same, CPU seconds used by the process | {r['start_cpu_s']:.2f} | |",
            f"| of which opening the snapshot (engine log) | {r['opened_s']:.2f} | |",
            f"| start to first 200 of `GET /health`, median (s) | {r['health_s']:.2f} | |",
            f"| RSS after one call of each endpoint, median (MB) | {r['rss_mb']:.0f} "
            f"{mark(rss_ok)} "
            f"| ≤ {RSS_TARGET_MB[kind]} |",
            f"| the same, after 2 s idle (MB) | {r['rss_idle_mb']:.0f} | |",
            f"| `--workers 2`: RSS summed over the workers (MB) | {sum(rss):.0f} "
            f"({' + '.join(f'{w:.0f}' for w in rss)}) | |",
            f"| `--workers 2`: PSS summed over the workers (MB) | {sum(pss):.0f} "
            f"({' + '.join(f'{w:.0f}' for w in pss)}) | |",
            f"| `--workers 2`: the supervisor process (MB) | {r['supervisor_rss_mb']:.0f} | |",
            f"| hot swap under traffic: peak / steady peak, same traffic (MB) | "
            f"{r['peak_mb']:.0f} / {r['steady_mb']:.0f} = {swap_ratio:.2f} "
            f"{mark(swap_ratio <= SWAP_TARGET)} | ≤ {SWAP_TARGET} |",
            f"| hot swap, no traffic: peak / idle RSS before it (MB) | "
            f"{r['peak_idle_mb']:.0f} / {r['steady_idle_mb']:.0f} = {idle_ratio:.2f} "
            f"{mark(idle_ratio <= SWAP_TARGET)} | ≤ {SWAP_TARGET} |",
            "",
            f"Starts (s): {', '.join(f'{s:.2f}' for s in r['starts_s'])}; RSS after the "
            f"calls (MB): {', '.join(f'{m:.0f}' for m in r['rss_each_mb'])}.",
            "",
            "| endpoint | file (ms) | in memory (ms) | ratio |",
            "|---|---:|---:|---:|",
        ]
        for endpoint, ms in r["latency"].items():
            ratio = ms["file"] / ms["memory"]
            lines.append(
                f"| /{endpoint} | {ms['file']:.1f} | {ms['memory']:.1f} | {ratio:.2f} "
                f"{mark(ratio <= LATENCY_TARGET)} |"
            )
        lines.append("")
    lines += ["Targets: as in issue 10 (✓ met, ✗ missed).", "", *NOTES]
    return "\n".join(lines)


def compile_bytecode() -> None:
    """Bytecode for the libraries and visites, as `pip install` writes it (uv with
    `--compile-bytecode`): without it, where PYTHONDONTWRITEBYTECODE is set, every start
    compiles Litestar, uvicorn and DuckDB's Python layer again (about 1 s of CPU)."""
    packages = ("api", "cli", "config", "engine", "queries", "security", "snapshot")
    for folder in (sysconfig.get_paths()["purelib"], *(str(ROOT / p) for p in packages)):
        compileall.compile_dir(folder, quiet=2)


def measure(data_dir: Path, kind: str, title: str, args: argparse.Namespace) -> dict:
    figures = serve_figures(data_dir, args.starts)
    timings = json.loads(child("--latency", str(data_dir), str(args.runs)))
    build = json.loads(child("--build", str(data_dir)))
    serving = read_manifest(current_dir(data_dir)).serving
    assert serving is not None
    return figures | {
        "kind": kind,
        "title": title,
        "latency": timings,
        "build": build,
        "serving_mib": serving.bytes / 2**20,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=1_000_000, help="first size (visits)")
    parser.add_argument(
        "--contacts", type=int, default=10_000_000, help="second size (contact rows; 0: none)"
    )
    parser.add_argument("--starts", type=int, default=5, help="fresh starts (default 5)")
    parser.add_argument("--runs", type=int, default=30, help="latency runs (default 30)")
    parser.add_argument("--job", nargs=2, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--latency", nargs=2, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.job:
        print(msgspec.json.encode(take(Path(args.job[0]), int(args.job[1]))).decode())
        return
    if args.build:
        print(json.dumps(build_alone(args.build)))
        return
    if args.latency:
        print(json.dumps(latency(Path(args.latency[0]), int(args.latency[1]))))
        return
    compile_bytecode()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as work:
        data_dir = Path(work)
        job = prepare(data_dir, args.visits)
        title = f"{args.visits:,} visits ({contact_rows(data_dir):,} contact rows)"
        results.append(measure(data_dir, "visits", title, args))
    if args.contacts:
        data_dir = CACHE / f"contacts-{args.contacts}-seed-{SEED}"
        prepare(data_dir, visits_for(args.contacts))
        title = f"{contact_rows(data_dir):,} contact rows"
        results.append(measure(data_dir, "contacts", title, args))
    command = ("just bench-serve " + " ".join(sys.argv[1:])).strip()
    text = markdown(results, job, args, command)
    write_section("serve", text)
    print(text)


if __name__ == "__main__":
    main()
