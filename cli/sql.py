"""``visites sql "<query>"``: read-only SQL on the current snapshot, one view per table."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

import duckdb
import msgspec

from config import Settings
from engine.analyst import connect
from engine.engine import NoSnapshot
from snapshot.layout import BadCurrent

Rows = Sequence[tuple[object, ...]]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run read-only SQL on the current snapshot",
        description="Run SQL on the current snapshot of VISITES_DATA_DIR, where each of "
        "the eight CRM tables is a view named after it (tab_visite, tab_utilisateur, ...). "
        "Nothing can be written.",
    )
    parser.add_argument("query", help='e.g. "SELECT count(*) FROM tab_visite"')
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="table",
        help="output format (default: an aligned table)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        con = connect(settings.data_dir)
    except NoSnapshot as error:
        print(f"visites sql: {error} (run `visites snapshot` first)", file=sys.stderr)
        return 1
    except BadCurrent as error:
        print(f"visites sql: {error}", file=sys.stderr)
        return 1
    try:
        cursor = con.execute(args.query)
        if cursor.description is None:  # a statement without a result (SET, ...)
            return 0
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    except duckdb.Error as error:
        print(f"visites sql: {error}", file=sys.stderr)
        return 1
    finally:
        con.close()
    FORMATS[args.format](columns, rows, sys.stdout)
    return 0


def _text(value: object) -> str:
    return "NULL" if value is None else str(value)


def write_table(columns: Sequence[str], rows: Rows, out: TextIO) -> None:
    """Aligned columns, numbers to the right, and the row count."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(r[i], int | float) for r in rows if r[i] is not None)
               for i in range(len(columns))]  # fmt: skip

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out.write(line(columns) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")
    out.write(f"({len(rows)} row{'' if len(rows) == 1 else 's'})\n")


def write_csv(columns: Sequence[str], rows: Rows, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if v is None else v for v in row] for row in rows])


_JSON = msgspec.json.Encoder(decimal_format="number")


def write_json(columns: Sequence[str], rows: Rows, out: TextIO) -> None:
    """One JSON array of objects keyed by column name."""
    objects = [dict(zip(columns, row, strict=True)) for row in rows]
    out.write(_JSON.encode(objects).decode() + "\n")


FORMATS: dict[str, Callable[[Sequence[str], Rows, TextIO], None]] = {
    "table": write_table,
    "csv": write_csv,
    "json": write_json,
}
