"""Compression benchmark: the bytes each endpoint's ``{}`` answer weighs on the wire,
uncompressed, gzipped and in brotli, and what compressing it costs.

The demo snapshot of `visites serve`'s first run (`visites demo`: 200k visits, seed 42),
served by the app in-process (Litestar's test client, the whole middleware stack), with
``Accept-Encoding: identity``, ``gzip`` and ``br``; the bytes counted are the body as
sent. The cost is the median time of compressing the answer in-process at the levels
the app uses (api/headers.py), many times over. Results go to the ``compression``
section of docs/benchmarks.md.

    just bench-compression
    just bench-compression --visits 50000 --runs 50
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import brotli
from litestar.testing import TestClient

from api.app import create_app
from api.headers import compression
from bench.report import machine, write_section
from config import Settings
from engine import ENDPOINTS, Engine
from security.tokens import create_token
from snapshot.demo.generator import DEFAULT_SEED, DEFAULT_VISITS
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_dir
from snapshot.manifest import read_manifest

CODINGS = ("identity", "gzip", "br")
# Each endpoint's {} answer as JSON, and one CSV export: the dashboard's daily series.
REQUESTS = [(f"/{endpoint}", "application/json") for endpoint in ENDPOINTS] + [
    ("/performance?block=nombre_compte_visite_par_jour", "text/csv")
]


def sent(client: TestClient, token: str, path: str, accept: str) -> dict[str, bytes]:
    """The body as sent, for each content coding asked."""
    bodies = {}
    for coding in CODINGS:
        headers = {"Authorization": f"Bearer {token}", "Accept": accept, "Accept-Encoding": coding}
        with client.stream("POST", path, content=b"{}", headers=headers) as response:
            assert response.status_code == 200, path
            assert response.headers.get("content-encoding", "identity") == coding, path
            bodies[coding] = b"".join(response.iter_raw())
    return bodies


def cost_ms(compress: Callable[[bytes], bytes], body: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        compress(body)
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def measure(data_dir: Path, runs: int) -> list[tuple[str, str, dict[str, int], float, float]]:
    config = compression()

    def gzipped(body: bytes) -> bytes:
        return gzip.compress(body, config.gzip_compress_level)

    def brotlied(body: bytes) -> bytes:
        return brotli.compress(body, quality=config.brotli_quality, mode=brotli.MODE_TEXT)

    tokens = data_dir / "bench-tokens.json"
    tokens.unlink(missing_ok=True)
    token = create_token(tokens, "bench")
    engine = Engine.open(data_dir)
    rows = []
    try:
        with TestClient(create_app(Settings(data_dir=data_dir, tokens_file=tokens), engine)) as c:
            for path, accept in REQUESTS:
                bodies = sent(c, token, path, accept)
                sizes = {coding: len(body) for coding, body in bodies.items()}
                kind = "CSV" if accept == "text/csv" else "JSON"
                gzip_ms = cost_ms(gzipped, bodies["identity"], runs)
                brotli_ms = cost_ms(brotlied, bodies["identity"], runs)
                rows.append((path, kind, sizes, gzip_ms, brotli_ms))
    finally:
        engine.close()
    return rows


def report(
    rows: list[tuple[str, str, dict[str, int], float, float]], visits: int, contacts: int, runs: int
) -> str:
    config = compression()
    lines = [
        "## Compression (`just bench-compression`)",
        "",
        f"Command: `just bench-compression --visits {visits} --runs {runs}` "
        f"(bench/bench_compression.py). Machine: {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end.",
        f"Data: the demo snapshot `visites serve` makes on a fresh machine ({visits:,} visits = "
        f"{contacts:,} contacts). Each endpoint's answer to `{{}}` through the whole app, "
        "body bytes as sent with `Accept-Encoding: identity`, `gzip` and `br`; the cost is "
        f"the median of {runs} in-process compressions of that answer at the app's levels "
        f"(gzip {config.gzip_compress_level}, brotli quality {config.brotli_quality}).",
        "",
        "| request | type | raw (bytes) | gzip (bytes) | brotli (bytes) | raw ÷ gzip | "
        "raw ÷ brotli | gzip (ms) | brotli (ms) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, kind, sizes, gzip_ms, brotli_ms in rows:
        raw, packed, br = sizes["identity"], sizes["gzip"], sizes["br"]
        lines.append(
            f"| `POST {path}` | {kind} | {raw:,} | {packed:,} | {br:,} | {raw / packed:.1f} | "
            f"{raw / br:.1f} | {gzip_ms:.2f} | {brotli_ms:.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=DEFAULT_VISITS)
    parser.add_argument("--runs", type=int, default=20, help="compressions timed per answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="visites-bench-compression-") as work:
        data_dir = Path(work)
        print(f"publishing demo data: {args.visits:,} visits...", file=sys.stderr)
        take_demo_snapshot(
            data_dir, visits=args.visits, seed=DEFAULT_SEED, keep=1, batch_rows=50_000
        )
        folder = current_dir(data_dir)
        assert folder is not None
        contacts = read_manifest(folder).tables["tab_partenaire_visite"].rows
        rows = measure(data_dir, args.runs)
    markdown = report(rows, args.visits, contacts, args.runs)
    write_section("compression", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
