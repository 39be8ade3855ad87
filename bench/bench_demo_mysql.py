"""Time the demo generator and its MySQL bulk load.

    uv run python bench/bench_demo_mysql.py [VISITS] [--messy] [--url URL]

Creates (and drops afterwards) a scratch database on the given server unless --keep.
"""

from __future__ import annotations

import argparse
import time
import uuid

import pymysql
from sqlalchemy.engine import make_url

from snapshot.demo.generator import generate
from snapshot.demo.mysql_loader import load_into_mysql


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("visits", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--messy", action="store_true")
    parser.add_argument("--url", default="mysql+pymysql://root:@127.0.0.1:3306")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    started = time.perf_counter()
    tables = generate(args.visits, messy=args.messy)
    generated = time.perf_counter()
    print(f"generate({args.visits:,}, messy={args.messy}): {generated - started:.2f} s")
    for name, table in tables.items():
        print(f"  {name:26s} {table.num_rows:>12,d} rows")

    server = make_url(args.url)
    name = f"visites_bench_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(
        host=server.host,
        port=server.port or 3306,
        user=server.username,
        password=server.password or "",
    )
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        started = time.perf_counter()
        load_into_mysql(tables, f"{args.url}/{name}?charset=utf8mb4")
        print(f"load_into_mysql: {time.perf_counter() - started:.2f} s into {name}")
    finally:
        if not args.keep:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


if __name__ == "__main__":
    main()
