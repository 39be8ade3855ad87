"""Snapshot extraction benchmark: `visites snapshot` on messy demo CRMs in MariaDB.

For each size: load a messy database, run the job several times in a fresh process,
report source rows/s, wall time and the job's peak RSS, and check the acceptance
points of the manifest (row counts, quality counts, trimmed codes).

    just bench-snapshot                 # 250k and 1M visits, 3 runs each
    just bench-snapshot --visits 50000 --runs 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import duckdb
import pymysql

from bench.report import machine, write_section
from snapshot.layout import current_dir, table_path
from snapshot.manifest import Manifest, read_manifest
from snapshot.normalise import KEEP_WHEN
from snapshot.tables import TABLES, TEXT_KINDS

ROOT = Path(__file__).resolve().parents[1]
HOST, USER = "127.0.0.1", "root"
SERVER = f"mysql+pymysql://{USER}:@{HOST}:3306"
# What the job drops on purpose (SPEC §3); every other row must arrive.
DROPS = {name: parent.rule for name, parent in KEEP_WHEN.items()}


def visites(data_dir: Path, url: str, *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one `visites` process. This process stays
    small, so the child's peak RSS (which counts from fork) is the job's own."""
    env = os.environ | {"VISITES_DATA_DIR": str(data_dir), "VISITES_MYSQL_URL": url}
    started = time.monotonic()
    job = subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env)
    _, status, usage = os.wait4(job.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"visites {' '.join(args)} failed")
    return wall, usage.ru_maxrss * 1024


def check(manifest: Manifest, folder: Path, database: str) -> list[str]:
    """The acceptance points; returns what does not hold."""
    problems = []
    connection = pymysql.connect(host=HOST, user=USER, database=database)
    with connection, connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table.name}")
            (count,) = cursor.fetchone()
            dropped = manifest.quality[DROPS[table.name]] if table.name in DROPS else 0
            if manifest.tables[table.name].rows != count - dropped:
                problems.append(
                    f"{table.name}: {manifest.tables[table.name].rows} != {count} - {dropped}"
                )
    zero = [rule for rule, count in manifest.quality.items() if count == 0]
    if zero:
        problems.append(f"quality rules that counted nothing: {zero}")
    for table in TABLES:
        for column in table.columns:
            if column.kind in TEXT_KINDS:
                [(spaced,)] = duckdb.sql(
                    f"SELECT count(*) FROM '{table_path(folder, table.name)}' "
                    f'WHERE "{column.name}" <> trim("{column.name}")'
                ).fetchall()
                if spaced:
                    problems.append(f"{table.name}.{column.name}: {spaced} values with spaces")
    return problems


def bench(visits: int, runs: int) -> dict[str, object]:
    database = f"visites_bench_{visits}"
    admin = pymysql.connect(host=HOST, user=USER)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {database}")
        cursor.execute(f"CREATE DATABASE {database} CHARACTER SET utf8mb4")
    url = f"{SERVER}/{database}?charset=utf8mb4"
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            load_seconds, _ = visites(
                Path(data_dir),
                url,
                "demo",
                "--mysql",
                "--messy",
                "--seed",
                "1",
                "--visits",
                str(visits),
            )
            results = [visites(Path(data_dir), url, "snapshot") for _ in range(runs)]
            folder = current_dir(Path(data_dir))
            manifest = read_manifest(folder)
            problems = check(manifest, folder, database)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.close()
    source_rows = sum(t.source_rows for t in manifest.tables.values())
    wall = median([w for w, _ in results])
    return {
        "visits": visits,
        "source_rows": source_rows,
        "load_seconds": load_seconds,
        "wall": wall,
        "rows_per_second": source_rows / wall,
        "rss": max(r for _, r in results),
        "runs": runs,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = [bench(visits, args.runs) for visits in args.visits]
    lines = [
        "## Snapshot extraction (`just bench-snapshot`)",
        "",
        f"Machine: {machine()}; MariaDB on loopback; messy demo data (seed 1); "
        f"median of {args.runs} runs of `visites snapshot` each in a fresh process; "
        "peak RSS is the job process's `ru_maxrss`, the highest of the runs.",
        "",
        "| visits | source rows | demo load (s) | wall (s) | source rows/s | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['visits']:,} | {r['source_rows']:,} | {r['load_seconds']:.1f} | {r['wall']:.2f} "
            f"| {r['rows_per_second']:,.0f} | {r['rss'] / 2**20:.0f} |"
            for r in rows
        ),
        "",
        "Acceptance checks (manifest rows = MySQL `COUNT(*)` minus documented drops; every "
        "quality rule non-zero; no code with surrounding spaces): ",
    ]
    problems = [r["problems"] for r in rows if r["problems"]]
    lines[-1] += "all hold." if not problems else str(problems)
    write_section("snapshot", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
