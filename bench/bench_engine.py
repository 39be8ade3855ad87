"""Engine benchmark: the six endpoints on demo snapshots of 1M and 10M contact rows.

For each size: publish a demo snapshot (cached under data/bench-engine/, reused by the
next run), then in a fresh process load it, note the load time and the RSS, and time
every endpoint for three filters: (a) the empty filter, (b) one SUP's team for one
year, (c) one rep for one month. Each figure is the median of ``--runs`` runs; the
engine caches nothing, so every run computes its answer. Results go to the
`engine` section of docs/benchmarks.md.

    just bench-engine                          # 1M and 10M contact rows, 10 runs
    just bench-engine --contacts 200000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.report import machine, write_section
from engine import ENDPOINTS, Engine, InvestFilter
from engine.analyst import connect
from snapshot.demo.generator import generate
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_id

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "bench-engine"
SEED = 42
# Targets on this 2-core machine, per endpoint median (ms): contacts -> filter -> ms.
TARGETS = {1_000_000: {"empty": 40}, 10_000_000: {"empty": 250, "team-year": 50}}
RSS_TARGET_MB = 2048


def contact_rows(data_dir: Path) -> int:
    """Visit rows (SPEC §4) of the current snapshot."""
    con = connect(data_dir)
    return con.execute(
        "SELECT count(*) FROM tab_visite LEFT JOIN tab_partenaire_visite USING (id_visite)"
    ).fetchone()[0]


def prepare(contacts: int) -> Path:
    """A published demo snapshot of about ``contacts`` visit rows (cached)."""
    data_dir = CACHE / f"contacts-{contacts}-seed-{SEED}"
    if current_id(data_dir) is not None:
        return data_dir
    # The generator makes about 1.46 visit rows per visit; measure it on a small draw.
    sample = 20_000
    ratio = generate(visits=sample, seed=SEED)["tab_partenaire_visite"].num_rows / sample
    visits = round(contacts / ratio)
    print(f"generating {visits:,} visits for ~{contacts:,} contact rows", file=sys.stderr)
    data_dir.mkdir(parents=True, exist_ok=True)
    take_demo_snapshot(data_dir, visits=visits, seed=SEED, keep=1, batch_rows=65_536)
    return data_dir


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def pick_filters(data_dir: Path) -> dict[str, dict[str, object]]:
    """(b) the SUP with the most reps, in the busiest year; (c) the rep with the most
    visits that year, in their busiest month. Chosen with plain SQL on the snapshot."""
    con = connect(data_dir)
    annee = con.execute(
        "SELECT year(date_visite) FROM tab_visite WHERE date_visite IS NOT NULL "
        "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    sup = con.execute(
        "SELECT s.id_utilisateur FROM tab_utilisateur s "
        "JOIN tab_utilisateur d ON d.id_responsable = s.id_utilisateur "
        "WHERE s.role = 'SUP' GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]
    rep, mois = con.execute(
        "SELECT v.id_utilisateur, month(v.date_visite) FROM tab_visite v "
        "JOIN tab_utilisateur u USING (id_utilisateur) "
        "WHERE u.role = 'DEL' AND year(v.date_visite) = $annee "
        "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1",
        {"annee": annee},
    ).fetchone()
    return {
        "empty": {},
        "team-year": {"id_responsable": sup, "annee": annee},
        "rep-month": {"id_utilisateur": rep, "annee": annee, "mois": mois},
    }


def endpoint_filter(endpoint: str, fields: dict[str, object]) -> object:
    """The endpoint's filter for ``fields``; /invest's business cases have a
    responsable but no user, so its rep filter is the rep as responsable."""
    if ENDPOINTS[endpoint] is InvestFilter and "id_utilisateur" in fields:
        fields = {"id_responsable": fields["id_utilisateur"]} | {
            k: v for k, v in fields.items() if k != "id_utilisateur"
        }
    return ENDPOINTS[endpoint](**fields)


def measure(data_dir: Path, filters: dict[str, dict[str, object]], runs: int) -> dict:
    """Run in a fresh process that loads nothing but the engine, so that the RSS is the
    engine's."""
    before = rss_mb()
    started = time.perf_counter()
    engine = Engine.open(data_dir)
    load = time.perf_counter() - started
    rss = rss_mb()
    timings: dict[str, dict[str, float]] = {}
    with engine.lease() as view:
        for endpoint in ENDPOINTS:
            timings[endpoint] = {}
            for case, fields in filters.items():
                query = endpoint_filter(endpoint, fields)
                view.answer(endpoint, query)  # warm-up: first touch of the pages
                samples = []
                for _ in range(runs):
                    started = time.perf_counter()
                    view.answer(endpoint, query)
                    samples.append(time.perf_counter() - started)
                timings[endpoint][case] = statistics.median(samples) * 1000
    after_runs = rss_mb()
    engine.close()
    return {
        "load_s": load,
        "rss_mb": rss,
        "rss_after_runs_mb": after_runs,
        "rss_before_mb": before,
        "ms": timings,
    }


def markdown(results: list[dict], runs: int, command: str) -> str:
    lines = [
        "## Engine (`just bench-engine`)",
        "",
        f"Command: `{command}` (bench/bench_engine.py). Machine: {machine()}.",
        f"Demo data (seed {SEED}); each figure is the median of {runs} runs of one endpoint "
        "in one process, nothing cached; RSS is the process's after the load.",
        "",
    ]
    for r in results:
        targets = TARGETS.get(r["target"], {})
        f = r["filters"]
        lines += [
            f"### {r['contacts']:,} contact rows",
            "",
            f"Load {r['load_s']:.1f} s; RSS {r['rss_mb']:.0f} MB after the load, "
            f"{r['rss_after_runs_mb']:.0f} MB after the runs ({r['rss_before_mb']:.0f} MB "
            f"before the load; target < {RSS_TARGET_MB} MB). Load average of the machine "
            f"during the runs: {r['load_average']:.1f}. "
            f"Filters: (b) team of SUP {f['team-year']['id_responsable']} in "
            f"{f['team-year']['annee']}; (c) rep {f['rep-month']['id_utilisateur']} in "
            f"{f['rep-month']['annee']}-{f['rep-month']['mois']:02d}.",
            "",
            "| endpoint | (a) empty (ms) | (b) team, year (ms) | (c) rep, month (ms) |",
            "|---|---:|---:|---:|",
        ]
        for endpoint, ms in r["ms"].items():
            cells = []
            for case in ("empty", "team-year", "rep-month"):
                target = targets.get(case)
                mark = "" if target is None else (" ✓" if ms[case] <= target else " ✗")
                cells.append(f"{ms[case]:.1f}{mark}")
            lines.append(f"| /{endpoint} | " + " | ".join(cells) + " |")
        if targets:
            wanted = ", ".join(f"{case} ≤ {ms} ms" for case, ms in targets.items())
            lines += ["", f"Targets: {wanted} (✓ met, ✗ missed)."]
        lines.append("")
    return "\n".join(lines + NOTES)


NOTES = [
    "### How the engine gets there, and where it does not",
    "",
    "- Loading builds one contact table (a row per visit row, SPEC §4) with 2-byte code "
    "ids, stored by management-tree rank and date: a team's or a rep's filter is a "
    "semi-join whose key range DuckDB pushes into the scan, so (b) and (c) read a few "
    "row groups whatever the size.",
    "- Distinct visits are counted without count(DISTINCT): each row carries, per key, "
    "a mask saying whether it is the first of its visit under each filter shape "
    "(docs/engine.md), so every block is a plain filtered count.",
    "- Loading also builds smaller tables at the grain some blocks need, each exact "
    "under a class of filters, never under one particular filter: visits per user, "
    "responsable and day (exact without a gamme or region filter: /performance's user "
    "and day blocks, /users's responsables); and, exact under a filter of gamme and "
    "region only (the empty filter included), contacts per combination of /data's keys, "
    "visits per combination of /performance's four small keys, gamme, region and "
    "filter shape, and the partner profiles and "
    "users' monthly activity with masks saying 'first row of this partner (user) for "
    "this key under this filter shape', so /partenaire and /users count distinct "
    "partners and users with plain counts. The filter compiler picks the path per "
    "query (engine/compiler.py, strict subjects); the other path is the constant "
    "FALSE and DuckDB drops it. Tests compare both paths on every case "
    "(tests/engine/test_engine_paths.py, tests/engine/test_engine_properties.py).",
    "- The price is load time: at 10M rows the masks' window functions and the extra "
    "tables add about 15 s (18.7 s before them, 33.9 s with them, measured back to back; "
    "RSS after the load was 1663 MB before, 1087 MB with them). A filter with a user or "
    "a date field takes the general path over the contact rows, as before, except for "
    "the blocks that the visits per user, responsable and day serve.",
    "- The machine is shared: the load average above counts the other work that ran "
    "at the same time, which slows every figure.",
    "",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--contacts", type=int, nargs="+", default=[1_000_000, 10_000_000], help="sizes"
    )
    parser.add_argument("--runs", type=int, default=10, help="runs per figure (default 10)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--filters", help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, json.loads(args.filters), args.runs)))
        return
    results = []
    for contacts in args.contacts:
        data_dir = prepare(contacts)
        filters = pick_filters(data_dir)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(data_dir), "--runs", str(args.runs),
             "--filters", json.dumps(filters)],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
        results.append(
            json.loads(child.stdout)
            | {
                "target": contacts,
                "contacts": contact_rows(data_dir),
                "filters": filters,
                "load_average": os.getloadavg()[0],
            }
        )
    command = "just bench-engine " + " ".join(sys.argv[1:])
    text = markdown(results, args.runs, command.strip())
    write_section("engine", text)
    print(text)


if __name__ == "__main__":
    main()
