"""``visites demo``: realistic synthetic CRM data, as a snapshot or into MySQL."""

from __future__ import annotations

import argparse
import sys

from cli.snapshot import publish, serving_builder
from config import Settings
from snapshot.demo import DEFAULT_SEED, DEFAULT_VISITS, generate, take_demo_snapshot
from snapshot.demo_mysql import load_into_mysql
from snapshot.mysql import describe_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate demo CRM data and publish it as a snapshot (or load it into MySQL)",
        description="Generate a realistic synthetic CRM, deterministic from --seed, and "
        "publish it as the current snapshot; with --mysql, load it into the database "
        "named by VISITES_MYSQL_URL instead.",
    )
    parser.add_argument(
        "--visits", type=int, default=DEFAULT_VISITS, help=f"visits (default {DEFAULT_VISITS})"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--messy", action="store_true", help="inject real-world data faults")
    parser.add_argument("--mysql", action="store_true", help="load into VISITES_MYSQL_URL instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.mysql:
        if not settings.mysql_url:
            print("visites demo: failed: VISITES_MYSQL_URL is not set", file=sys.stderr)
            return 1
        tables = generate(visits=args.visits, seed=args.seed, messy=args.messy)
        load_into_mysql(tables, settings.mysql_url)
        host, database = describe_url(settings.mysql_url)
        rows = sum(t.num_rows for t in tables.values())
        print(f"loaded {rows:,} demo rows ({args.visits:,} visits) into {host}/{database}")
        return 0
    return publish(
        settings,
        lambda progress: take_demo_snapshot(
            settings.data_dir,
            visits=args.visits,
            seed=args.seed,
            messy=args.messy,
            keep=settings.keep_snapshots,
            batch_rows=settings.batch_rows,
            progress=progress,
            prepare=serving_builder(settings),
        ),
    )
