"""Freshness benchmark: `visites follow` behind a CRM that keeps writing.

For each size: a private MariaDB (tools/mariadb.py) loaded with the messy demo CRM; `visites
follow` on it (its full snapshot first), `visites serve` on its data directory. Then,
for ``--seconds`` (60) per run, a writer commits ``--rate`` (50) new visits per second,
each with one or two partner rows, all by one rep of their own, and ``--updates`` (5)
updates per second of older visits; a client asks ``POST /data {"id_utilisateur": rep}``
every 50 ms. A commit's freshness is the time from its COMMIT to the first /data answer
that counts it (commits show in order: a version holds a prefix of the binary log).
Also: the follower's CPU over the run and its peak RSS (the kernel's high-water mark,
reset at the start of the run, and over its whole life, full snapshot included), the
versions it published and how long one took. Results go to the `follow` section of
docs/benchmarks.md.

    just bench-follow                                # 1M visits, 3 runs
    just bench-follow --visits 1000000 4000000 --runs 2
    just bench-follow --visits 100000 --runs 1 --seconds 20   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pymysql

from bench.bench_serve import Server, cpu_seconds, rss_mb
from bench.report import machine, write_section
from security.tokens import create_token
from snapshot.demo.generator import generate
from snapshot.demo.mysql_loader import load_into_mysql
from snapshot.layout import current_id
from tools.mariadb import PrivateMariaDB

ROOT = Path(__file__).resolve().parents[1]
SEED = 1
DATABASE = "crm"
PROBE_EVERY = 0.05
# The goal at 1M visits.
GOAL_P95, GOAL_MAX = 5.0, 10.0


class Run(msgspec.Struct):
    commits: int  # new visits committed
    updates: int
    p50: float
    p95: float
    max: float
    cpu_cores: float  # the follower's CPU seconds per second of the run
    peak_rss_mb: float  # the follower's, during the run
    versions: int  # published during the run
    publish_s: float  # median time to publish one (log)
    build_s: float  # of which the serving database (median, log)
    load: float  # the machine's 1-minute load average at the end


class Size(msgspec.Struct):
    visits: int
    contacts: int
    load_s: float  # the demo CRM into MariaDB
    full_snapshot_s: float  # the follower's first version, from its start
    life_peak_rss_mb: float  # the follower's, full snapshot included
    runs: list[Run]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Writer:
    """New visits by the rep ``rep`` (ids from ``first``, partners among ``partners``),
    and updates of visits ``1..old``, at the given rates (per second)."""

    def __init__(
        self, server: PrivateMariaDB, rep: int, first: int, old: int, partners: list[int],
        rates: tuple[int, int],
    ) -> None:  # fmt: skip
        self._connection = server.connect(DATABASE)
        self._rep, self._next, self._old, self._partners = rep, first, old, partners
        self._rate, self._update_rate = rates
        self.contacts = 0  # the rep's visit rows so far
        self._random = random.Random(SEED)

    def run(self, seconds: float) -> tuple[list[tuple[float, int]], int]:
        """Commit on schedule for ``seconds`` (a late commit is not skipped); return when
        each new visit was committed with the rep's contacts then, and the updates."""
        committed: list[tuple[float, int]] = []
        updates = 0
        started = time.perf_counter()
        every = max(1, self._rate // self._update_rate)
        with self._connection.cursor() as cursor:
            for tick in range(int(seconds * self._rate)):
                wait = started + tick / self._rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                committed.append(self._visit(cursor))
                if tick % every == 0:
                    self._update(cursor)
                    updates += 1
        return committed, updates

    def _visit(self, cursor: pymysql.cursors.Cursor) -> tuple[float, int]:
        n = self._next
        self._next += 1
        met = self._random.sample(self._partners, self._random.choice([1, 1, 2]))
        self._connection.begin()
        cursor.execute(
            "INSERT INTO tab_visite VALUES (%s, %s, NULL, 'PLAN', 'VALI', 'N', NOW(), NULL, %s)",
            (n, self._rep, "S" if len(met) == 1 else "G"),
        )
        for partner in met:
            cursor.execute(
                "INSERT INTO tab_partenaire_visite (id_visite, id_partenaire, "
                "code_region_partenaire, code_ville_partenaire, code_type_partenaire, "
                "code_gamme_partenaire, code_specialite_partenaire) "
                "SELECT %s, id_partenaire, code_region_partenaire, code_ville_partenaire, "
                "code_type_partenaire, code_gamme, code_specialite FROM tab_partenaire "
                "WHERE id_partenaire = %s",
                (n, partner),
            )
        self._connection.commit()
        self.contacts += len(met)
        return time.perf_counter(), self.contacts

    def _update(self, cursor: pymysql.cursors.Cursor) -> None:
        self._connection.begin()
        cursor.execute(
            "UPDATE tab_visite SET code_statut_visite = %s WHERE id_visite = %s",
            (self._random.choice(["VALI", "ANNU", "REAL"]), self._random.randint(1, self._old)),
        )
        self._connection.commit()


class Prober(threading.Thread):
    """Asks /data for the rep's contacts every PROBE_EVERY seconds; records when each
    count was first seen."""

    def __init__(self, server: Server, rep: int) -> None:
        super().__init__(name="prober")
        self._server, self._body = server, json.dumps({"id_utilisateur": rep}).encode()
        self.seen: list[tuple[float, int]] = []  # (when, contacts), counts growing
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                status, body = self._server.request("POST", "/data", self._body)
            except OSError:  # the server is being stopped
                return
            answered = time.perf_counter()
            if status == 200:
                counters = json.loads(body)["statistiques"]
                contacts = counters["nbr_total_visites_planifiees"]
                if not self.seen or contacts > self.seen[-1][1]:
                    self.seen.append((answered, contacts))
            time.sleep(PROBE_EVERY)

    def counted(self, contacts: int) -> float | None:
        """When an answer first counted ``contacts`` contacts or more."""
        return next((when for when, seen in self.seen if seen >= contacts), None)


def follower_log_figures(log: Path, since: int) -> tuple[int, float, float]:
    """Versions published after line ``since`` of the log, median publish and build s."""
    lines = log.read_text().splitlines()[since:]
    messages = [json.loads(line)["message"] for line in lines if line.startswith("{")]
    published = [float(m) for t in messages for m in re.findall(r"^published .* in ([\d.]+) s$", t)]
    built = [float(m) for t in messages for m in re.findall(r"^built serving .* in ([\d.]+) s$", t)]
    return len(published), median(published or [0]), median(built or [0])


def one_run(
    writer: Writer, server: Server, follower: subprocess.Popen, log: Path, rep: int,
    seconds: int,
) -> Run:  # fmt: skip
    lines = len(log.read_text().splitlines())
    prober = Prober(server, rep)
    prober.start()
    # Every earlier commit of the rep is counted, and nothing else is.
    while not prober.seen:
        time.sleep(PROBE_EVERY)
    if prober.seen[0][1] != writer.contacts:
        raise SystemExit(f"/data counts {prober.seen[0][1]} contacts, not {writer.contacts}")
    Path(f"/proc/{follower.pid}/clear_refs").write_text("5")  # resets VmHWM
    cpu, started = cpu_seconds(follower.pid), time.perf_counter()
    committed, updates = writer.run(seconds)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(follower.pid) - cpu
    peak = rss_mb(follower.pid, "VmHWM")
    deadline = time.perf_counter() + 600
    while prober.counted(committed[-1][1]) is None and time.perf_counter() < deadline:
        time.sleep(0.1)
    prober.stop.set()
    prober.join()
    freshness = []
    for when, contacts in committed:
        counted = prober.counted(contacts)
        if counted is None:
            raise SystemExit(f"a commit was never counted: see {log}")
        freshness.append(counted - when)
    versions, publish_s, build_s = follower_log_figures(log, lines)
    return Run(
        commits=len(committed),
        updates=updates,
        p50=percentile(freshness, 0.5),
        p95=percentile(freshness, 0.95),
        max=max(freshness),
        cpu_cores=cpu / elapsed,
        peak_rss_mb=peak,
        versions=versions,
        publish_s=publish_s,
        build_s=build_s,
        load=os.getloadavg()[0],
    )


def unused_id(tables: dict[str, pa.Table]) -> int:
    """A user id that no row names (messy data has visits by ids beyond the users')."""
    named = [
        pc.max(tables[table][column]).as_py() or 0
        for table, column in [
            ("tab_utilisateur", "id_utilisateur"),
            ("tab_utilisateur", "id_responsable"),
            ("tab_visite", "id_utilisateur"),
            ("tab_visite", "id_responsable"),
            ("tab_evaluation", "id_createur"),
            ("tab_evaluation", "id_utilisateur_evalue"),
            ("tab_partenaire_bc", "id_responsable"),
        ]
    ]
    return max(named) + 1


def wait_first_version(data: Path, follower: subprocess.Popen, log: Path) -> None:
    while not data.exists() or current_id(data) is None:
        if follower.poll() is not None:
            raise SystemExit(f"visites follow exited: see {log}")
        time.sleep(0.2)


def bench(visits: int, args: argparse.Namespace) -> Size:
    with tempfile.TemporaryDirectory(prefix="bench-follow-") as tmp:
        folder = Path(tmp)
        (folder / "db").mkdir()
        with PrivateMariaDB(folder / "db", "--innodb-buffer-pool-size=1G") as mariadb:
            mariadb.execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4")
            tables = generate(visits=visits, seed=SEED, messy=True)
            rep = unused_id(tables)
            old = pc.max(tables["tab_visite"]["id_visite"]).as_py()
            # New visits must not adopt orphan partner rows (messy data has some).
            first = max(old, pc.max(tables["tab_partenaire_visite"]["id_visite"]).as_py()) + 1
            partners = tables["tab_partenaire"]["id_partenaire"].to_pylist()[:1000]
            contacts = tables["tab_partenaire_visite"].num_rows
            started = time.perf_counter()
            load_into_mysql(tables, mariadb.url(DATABASE))
            load_s = time.perf_counter() - started
            del tables
            mariadb.execute(
                f"INSERT INTO {DATABASE}.tab_utilisateur VALUES "
                f"({rep}, NULL, 'Banc', 'Essai', 'DEL', NOW())"
            )
            data, log = folder / "data", folder / "follow.log"
            env = {k: v for k, v in os.environ.items() if not k.startswith("VISITES_")}
            env |= {"VISITES_MYSQL_URL": mariadb.url(DATABASE), "VISITES_DATA_DIR": str(data)}
            started = time.perf_counter()
            with open(log, "w") as stderr:
                follower = subprocess.Popen(
                    [sys.executable, "-m", "cli.main", "follow"], cwd=ROOT, env=env, stderr=stderr
                )
            try:
                wait_first_version(data, follower, log)
                full_snapshot_s = time.perf_counter() - started
                life_peak = rss_mb(follower.pid, "VmHWM")
                server = Server(
                    data, create_token(data / "tokens.json", "bench"), folder / "serve.log"
                )
                writer = Writer(mariadb, rep, first, old, partners, (args.rate, args.updates))
                try:
                    runs = []
                    for _ in range(args.runs):
                        runs.append(one_run(writer, server, follower, log, rep, args.seconds))
                        print(msgspec.json.encode(runs[-1]).decode(), flush=True)
                        life_peak = max(life_peak, runs[-1].peak_rss_mb)
                finally:
                    server.stop()
            finally:
                follower.terminate()
                follower.wait(timeout=120)
    return Size(visits, contacts, load_s, full_snapshot_s, life_peak, runs)


def mark(ok: bool) -> str:
    return " ✓" if ok else " ✗"


def markdown(sizes: list[Size], args: argparse.Namespace, command: str) -> str:
    lines = [
        "## Freshness under writes (`just bench-follow`)",
        "",
        f"Command: `{command}` (bench/bench_follow.py). Machine: {machine()}; shared with "
        "other work, so each run gives the load average at its end.",
        f"A private MariaDB 10.11 (binary log on, ROW, FULL images and metadata) holds the "
        f"messy demo CRM (seed {SEED}); `visites follow` with its defaults "
        "(`VISITES_FOLLOW_INTERVAL` 2 s, `VISITES_MEMORY_LIMIT` 512MB, `VISITES_THREADS` 2) "
        "follows it, `visites serve` (one worker, `VISITES_POLL_INTERVAL` 0.2 s) serves its "
        f"data directory. Each run: {args.seconds} s of a writer committing {args.rate} new "
        "visits per second (each with one or two partner rows, by one rep of their own) and "
        f"{args.updates} updates per second of older visits, while a client asks "
        '`POST /data {"id_utilisateur": rep}` every 50 ms. Freshness: from a visit\'s '
        "COMMIT to the first /data answer that counts it, over every visit of the run. CPU: "
        "the follower's CPU seconds per second of the run; peak RSS: its `VmHWM`, reset at "
        "the start of the run. Versions: published during the run, with the median time "
        "one took to publish and, of that, to build its serving database.",
        "",
    ]
    for size in sizes:
        runs = size.runs
        lines += [
            f"### {size.visits:,} visits ({size.contacts:,} contact rows)",
            "",
            f"Demo CRM loaded in {size.load_s:.0f} s; the follower's first version (its full "
            f"snapshot, published) {size.full_snapshot_s:.1f} s after its start; its peak RSS "
            f"over its life, full snapshot included, {size.life_peak_rss_mb:.0f} MB.",
            "",
            "| run | visits / updates committed | freshness p50 (s) | p95 (s) | max (s) | "
            "versions | publish (s) | of which build (s) | follower CPU (cores) | "
            "peak RSS (MB) | load |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for i, run in enumerate(runs, 1):
            lines.append(
                f"| {i} | {run.commits:,} / {run.updates:,} | {run.p50:.1f} | {run.p95:.1f} | "
                f"{run.max:.1f} | {run.versions} | {run.publish_s:.1f} | {run.build_s:.1f} | "
                f"{run.cpu_cores:.2f} | {run.peak_rss_mb:.0f} | {run.load:.1f} |"
            )
        p95, worst = median(r.p95 for r in runs), median(r.max for r in runs)
        goal = size.visits <= 1_000_000
        lines += [
            f"| median | | {median(r.p50 for r in runs):.1f} | {p95:.1f}"
            f"{mark(p95 <= GOAL_P95) if goal else ''} | {worst:.1f}"
            f"{mark(worst <= GOAL_MAX) if goal else ''} | {median(r.versions for r in runs)} | "
            f"{median(r.publish_s for r in runs):.1f} | {median(r.build_s for r in runs):.1f} | "
            f"{median(r.cpu_cores for r in runs):.2f} | "
            f"{median(r.peak_rss_mb for r in runs):.0f} | |",
            "",
        ]
    lines += [
        f"Goal at 1M visits: p95 ≤ {GOAL_P95:g} s, max ≤ {GOAL_MAX:g} s (✓ met, ✗ missed).",
        "",
        "Where the time goes: a commit waits for the version being published to finish, "
        "then for the next one to be published whole, then for the server's next look at "
        "`CURRENT`; so freshness is between one and two publish times, plus the poll. A "
        "publish is the state's Parquet files (only the tables that changed: here "
        "`tab_visite` and `tab_partenaire_visite`, the others hard-linked), the quality "
        "counts, then the serving database, which the engine rebuilds from the Parquet files "
        "in full for every version: nearly all of the publish time, and the one figure to "
        "cut for the goal (an incremental build in the engine; the follower's own work, "
        "applying the changes and writing the files, is the difference between the two "
        "columns).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=50, help="new visits per second")
    parser.add_argument("--updates", type=int, default=5, help="updates per second")
    args = parser.parse_args()
    sizes = [bench(visits, args) for visits in args.visits]
    command = "just bench-follow " + " ".join(sys.argv[1:])
    write_section("follow", markdown(sizes, args, command.strip()))


if __name__ == "__main__":
    main()
