"""``visites demo``: realistic synthetic CRM data, as a snapshot or into MySQL."""

from __future__ import annotations

import argparse
import sys

import pymysql

from cli.snapshot import publish, serving_builder
from config import Settings
from snapshot.demo.generator import DEFAULT_SEED, DEFAULT_VISITS, generate
from snapshot.demo.mysql_loader import load_into_mysql
from snapshot.demo.publish import take_demo_snapshot
from snapshot.demo.reference import MESSY_MIN_VISITS
from snapshot.mysql import SourceError, describe_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def refused(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, before anything is generated."""
    least = MESSY_MIN_VISITS if args.messy else 1
    if args.visits < least:
        messy = " with --messy" if args.messy else ""
        return f"--visits must be at least {least}{messy}, not {args.visits}"
    if args.seed < 0:
        return f"--seed must be 0 or more, not {args.seed}"
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if reason := refused(args):
        print(f"visites demo: {reason}", file=sys.stderr)
        return 2
    if args.mysql:
        if not settings.mysql_url:
            print("visites demo: failed: VISITES_MYSQL_URL is not set", file=sys.stderr)
            return 1
        try:
            host, database = describe_url(settings.mysql_url)
            tables = generate(visits=args.visits, seed=args.seed, messy=args.messy)
            load_into_mysql(tables, settings.mysql_url)
        except (SourceError, pymysql.err.MySQLError) as error:
            print(f"visites demo: failed: {error}", file=sys.stderr)
            return 1
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
