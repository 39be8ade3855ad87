"""``visites sql "<query>"``: read-only SQL on the current snapshot, streamed.

DuckDB hands the result over as Arrow record batches (a relation's
``to_arrow_reader``), and each batch is written before the next one is read: memory
stays flat whatever the size of the result (docs/benchmarks.md, analysts). The table
format reads only the rows it shows. Bad SQL, or an error half-way, is one line on
stderr and exit status 1; with ``--output`` nothing is left behind then, the file
being written aside and renamed once complete.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.compute as pa_compute
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from config import Settings
from engine.analyst import connect
from engine.engine import NoSnapshot
from engine.serving import Resources
from snapshot.layout import BadCurrent, aside

BATCH_ROWS = 50_000  # per record batch: a few MB, whatever the columns
DEFAULT_LIMIT = 100  # rows the table format shows


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run read-only SQL on the current snapshot",
        description="Run SQL on the current snapshot of VISITES_DATA_DIR, where each of "
        "the eight CRM tables is a view named after it (tab_visite, tab_utilisateur, ...), "
        "beside visite_rows (visit rows with labels), team (the team of a responsable) "
        "and codification (labels): docs/analysts.md. Nothing can be written. The "
        "result is streamed: any size takes the same memory.",
    )
    parser.add_argument(
        "query", help='e.g. "SELECT count(*) FROM tab_visite"; - reads it from stdin'
    )
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="table",
        help="table (default: aligned, the first --limit rows), csv, ndjson (one JSON "
        "object per line), json (one array) or parquet (needs --output)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        help=f"rows the table format shows (default {DEFAULT_LIMIT}); the other formats "
        "write every row",
    )
    parser.add_argument(
        "--output", type=Path, help="write to this file (made once complete) instead of stdout"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Like any filter: `visites sql ... | head` ends quietly when head has had enough.
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        return query_snapshot(args, settings)
    finally:
        signal.signal(signal.SIGPIPE, previous)


def query_snapshot(args: argparse.Namespace, settings: Settings) -> int:
    query = sys.stdin.read() if args.query == "-" else args.query
    if reason := refused(args, query):
        print(f"visites sql: {reason}", file=sys.stderr)
        return 2
    try:
        con = connect(settings.data_dir, Resources.of(settings))
    except NoSnapshot as error:
        print(f"visites sql: {error} (run `visites snapshot` first)", file=sys.stderr)
        return 1
    except BadCurrent as error:
        print(f"visites sql: {error}", file=sys.stderr)
        return 1
    try:
        result = con.sql(query)
        if result is None:  # a statement without a result
            return 0
        with opened(args.output) as out:
            FORMATS[args.format](result, out, args.limit)
    except (duckdb.Error, OSError, pa.ArrowException) as error:
        print(f"visites sql: {one_line(error)}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def refused(args: argparse.Namespace, query: str) -> str | None:
    """What is wrong with the arguments, before anything is read."""
    if not query.strip():
        return "the query is empty"
    if args.limit < 1:
        return f"--limit must be at least 1, not {args.limit}"
    if args.format == "parquet" and args.output is None:
        return "--format parquet needs --output FILE (Parquet is no terminal text)"
    return None


def one_line(error: Exception) -> str:
    """DuckDB's message in one line: its lines joined, the caret under the query left out."""
    lines = (line.strip() for line in str(error).splitlines())
    return " ".join(line for line in lines if line and line != "^")


@contextlib.contextmanager
def opened(path: Path | None) -> Iterator[BinaryIO]:
    """stdout, or ``path`` written aside and renamed once complete (removed on failure)."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    tmp = aside(path)
    try:
        with open(tmp, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------- formats

Relation = duckdb.DuckDBPyRelation


def batches(result: Relation) -> pa.RecordBatchReader:
    """The result, streamed: DuckDB computes each batch as it is read."""
    return result.to_arrow_reader(batch_size=BATCH_ROWS)


def write_table(result: Relation, out: BinaryIO, limit: int) -> None:
    """Aligned columns, numbers to the right, under them the row count, or a note that
    the table stops at ``limit`` rows and how to see more."""
    rows: list[list[object]] = []
    with batches(result) as reader:
        columns = reader.schema.names
        for batch in reader:
            kept = batch.slice(0, limit + 1 - len(rows))
            rows += [list(row) for row in zip(*(c.to_pylist() for c in kept.columns), strict=True)]
            if len(rows) > limit:
                break  # the rest is never computed
    more = len(rows) > limit
    rows = rows[:limit]
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(r[i], int | float) for r in rows if r[i] is not None)
               for i in range(len(columns))]  # fmt: skip

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    text = io.StringIO()
    text.write(line(columns) + "\n")
    text.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        text.write(line(row) + "\n")
    if more:
        text.write(
            f"(first {limit} rows shown, more not read: --limit N shows N, "
            "--format csv or ndjson writes them all)\n"
        )
    else:
        text.write(f"({len(rows)} row{'' if len(rows) == 1 else 's'})\n")
    out.write(text.getvalue().encode())


def _text(value: object) -> str:
    return "NULL" if value is None else str(value)


def write_csv(result: Relation, out: BinaryIO, _: int) -> None:
    """RFC 4180: a header, text fields quoted, NULL as an empty field, a nested value
    (list, struct, map) as its JSON text."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(result.columns)
    out.write(header.getvalue().encode())
    options = pa_csv.WriteOptions(include_header=False)
    writer: pa_csv.CSVWriter | None = None
    with batches(result) as reader:
        for batch in reader:
            flat = _flattened(batch)
            writer = writer or pa_csv.CSVWriter(out, flat.schema, write_options=options)
            writer.write_batch(flat)
    if writer is not None:
        writer.close()


def _flattened(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with its nested columns as JSON text, which CSV can hold."""
    if not any(pa.types.is_nested(field.type) for field in batch.schema):
        return batch
    columns = [
        pa.array([None if v is None else _JSON(v).decode() for v in column.to_pylist()],
                 pa.string())
        if pa.types.is_nested(column.type) else column
        for column in batch.columns
    ]  # fmt: skip
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


_JSON = msgspec.json.Encoder(decimal_format="number").encode


def json_lines(result: Relation) -> Iterator[pa.Buffer]:
    """Batches of rows as JSON objects, one per line, made by DuckDB (``to_json`` of the
    row: fast, and a name given twice is kept twice, as ``a`` and ``a_1``). Each batch
    comes as one buffer, its lines joined by Arrow: no Python string is made of them."""
    rows = result.query("result", "SELECT to_json(r) || chr(10) AS line FROM result AS r")
    assert rows is not None  # a SELECT always has a result
    with batches(rows) as reader:
        for batch in reader:
            lines = batch.column(0)
            whole = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
            yield pa_compute.binary_join(whole, "")[0].as_buffer()


def write_ndjson(result: Relation, out: BinaryIO, _: int) -> None:
    """One JSON object per row and per line, keyed by column name."""
    for lines in json_lines(result):
        out.write(lines)


def write_json(result: Relation, out: BinaryIO, _: int) -> None:
    """One JSON array of objects keyed by column name, written as it comes."""
    out.write(b"[")
    separator = b"\n"
    for lines in json_lines(result):
        if lines.size:
            # A newline in DuckDB's JSON only ever ends a row: one in a value is escaped.
            out.write(separator + lines.to_pybytes()[:-1].replace(b"\n", b",\n"))
            separator = b",\n"
    out.write(b"\n]\n")


def write_parquet(result: Relation, out: BinaryIO, _: int) -> None:
    with batches(result) as reader, pq.ParquetWriter(out, reader.schema, compression="zstd") as w:
        for batch in reader:
            w.write_batch(batch)


FORMATS: dict[str, Callable[[Relation, BinaryIO, int], None]] = {
    "table": write_table,
    "csv": write_csv,
    "ndjson": write_ndjson,
    "json": write_json,
    "parquet": write_parquet,
}
