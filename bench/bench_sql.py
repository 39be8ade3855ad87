"""`visites sql` benchmark: peak RSS and time per format of `SELECT * FROM tab_visite`
on demo snapshots of 100k and 1M visits (so 100k and 1M result rows), and of rows that
DuckDB makes (1M and 10M), which isolate the streaming from the Parquet reading.

The result is streamed, so the peak RSS should not grow with the rows. Each run is a
fresh `visites sql` process; its peak RSS is the kernel's (wait4's ru_maxrss, what
`/usr/bin/time -v` prints). Snapshots are cached under data/bench-sql/. Writes the
`analysts` section of docs/benchmarks.md.

    just bench-sql                       # the four sizes, 3 runs each
    just bench-sql --visits 20000 --made 100000 --runs 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import machine, write_section
from cli.sql import FORMATS
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_id

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "bench-sql"
SEED = 42
QUERY = "SELECT * FROM tab_visite"
# Rows DuckDB makes, four columns of the usual kinds: no file read at all.
MADE = (
    "SELECT i, i * 2 AS j, 'visite ' || i AS label, "
    "TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS t FROM range({rows}) r(i)"
)


def prepare(visits: int) -> Path:
    data_dir = CACHE / f"visits-{visits}-seed-{SEED}"
    if current_id(data_dir) is None:
        print(f"generating {visits:,} visits", file=sys.stderr)
        data_dir.mkdir(parents=True, exist_ok=True)
        take_demo_snapshot(data_dir, visits=visits, seed=SEED, keep=1, batch_rows=65_536)
    return data_dir


def run_once(data_dir: Path, query: str, format_: str, output: Path) -> tuple[float, float, int]:
    """One `visites sql`: its peak RSS (MB), wall time (s) and bytes written."""
    command = [sys.executable, "-m", "cli.main", "sql", query, "--format", format_]
    if format_ == "parquet":
        command += ["--output", str(output)]
    env = {**os.environ, "VISITES_DATA_DIR": str(data_dir)}
    with open(output if format_ != "parquet" else os.devnull, "wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return usage.ru_maxrss / 1024, seconds, output.stat().st_size


Figures = dict[str, tuple[float, float, int]]  # format -> median MB, median s, bytes


def measure(data_dir: Path, query: str, runs: int) -> Figures:
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for format_ in FORMATS:
            output = Path(folder) / f"out.{format_}"
            samples = [run_once(data_dir, query, format_, output) for _ in range(runs)]
            figures[format_] = (
                statistics.median(s[0] for s in samples),
                statistics.median(s[1] for s in samples),
                samples[-1][2],
            )
    return figures


def table(results: dict[str, Figures]) -> list[str]:
    lines = [
        "| format | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for format_ in FORMATS:
        cells = [
            f"{rss:.0f} MB, {seconds:.1f} s, {size / 2**20:.1f} MiB"
            for rss, seconds, size in (figures[format_] for figures in results.values())
        ]
        lines.append(f"| {format_} | " + " | ".join(cells) + " |")
    return lines


def rss_growth(fewer: Figures, more: Figures) -> list[float]:
    """Per format, how much more peak RSS (MB) the larger result took."""
    return [more[format_][0] - fewer[format_][0] for format_ in FORMATS]


def markdown(snapshots: dict[str, Figures], made: dict[str, Figures], runs: int) -> str:
    command = "just bench-sql " + " ".join(sys.argv[1:])
    sizes = list(made.values())
    made_spread = max(map(abs, rss_growth(sizes[0], sizes[-1])))
    once, repeated = list(snapshots.values())[-2:]
    repeat_low, repeat_high = min(rss_growth(once, repeated)), max(rss_growth(once, repeated))
    return "\n".join(
        [
            "## Analysts' SQL (`just bench-sql`)",
            "",
            f"Command: `{command.strip()}` (bench/bench_sql.py). Machine: {machine()}. "
            f"Load average at the end: {os.getloadavg()[0]:.1f}.",
            "",
            "`visites sql QUERY --format F` (stdout to a file; parquet with `--output`), a "
            f"fresh process per run, median of {runs} runs of each: peak RSS (the kernel's "
            "ru_maxrss, as `/usr/bin/time -v` shows it), wall time, output size. The table "
            "format reads its first 100 rows only.",
            "",
            f"`{QUERY}` on the demo snapshots:",
            "",
            *table(snapshots),
            "",
            f"Rows DuckDB makes (`{MADE.format(rows='N')}`), no file read:",
            "",
            *table(made),
            "",
            f"The peak does not follow the rows: the streaming itself (second table) takes "
            f"the same memory at the most rows as at the fewest (within {made_spread:.0f} MB), "
            f"and reading the largest snapshot several times over (last column of the first) "
            f"about as much as reading it once ({repeat_low:.0f} to {repeat_high:.0f} MB "
            "more). The step from the 100k to the 1M snapshot comes with the Parquet file, "
            "not the rows written: the table format, which computes 100 rows, takes it too. "
            "The scanner holds a few of the file's row groups (65,536 rows each) in flight, "
            "and the 100k file has only two. The base is the libraries (Python, DuckDB, "
            "pyarrow). Before streaming, `--format json` fetched every row first: 1.28 GB "
            "and 11 s at 1M rows (issue 15).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--made", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--repeat", type=int, default=5, help="times the largest snapshot is read (default 5)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args()
    snapshots = {
        f"{visits:,} rows": measure(prepare(visits), QUERY, args.runs) for visits in args.visits
    }
    # The largest snapshot read several times over: more rows than any file holds.
    largest, times = max(args.visits), args.repeat
    snapshots[f"{largest * times:,} rows ({largest:,} {times} times)"] = measure(
        prepare(largest), " UNION ALL ".join([QUERY] * times), args.runs
    )
    any_snapshot = prepare(args.visits[0])
    made = {
        f"{rows:,} rows": measure(any_snapshot, MADE.format(rows=rows), args.runs)
        for rows in args.made
    }
    text = markdown(snapshots, made, args.runs)
    write_section("analysts", text)
    print(text)


if __name__ == "__main__":
    main()
