"""Test helpers: write a published snapshot from Python rows, as the snapshot job would;
force the queries' general path.

Rows are dicts in the clean schema of snapshot/tables.py (missing columns are NULL);
the folder gets one Parquet file per table and a manifest.json, and ``publish``
points CURRENT at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq

from engine import statement
from engine.compiler import Subject, Where, compile_filter
from snapshot.layout import CURRENT, MANIFEST, snapshot_dir, table_path, write_atomically
from snapshot.manifest import Manifest, Source, TableStats, encode_manifest
from snapshot.tables import TABLES

Rows = Mapping[str, Sequence[Mapping[str, Any]]]


def write_snapshot(data_dir: Path, snapshot_id: str, rows: Rows) -> Path:
    """Write snapshot ``snapshot_id`` holding ``rows`` (table name -> rows)."""
    folder = snapshot_dir(data_dir, snapshot_id)
    folder.mkdir(parents=True)
    stats = {}
    for table in TABLES:
        schema = table.clean_schema()
        data = [{c: row.get(c) for c in schema.names} for row in rows.get(table.name, ())]
        path = table_path(folder, table.name)
        pq.write_table(pa.Table.from_pylist(data, schema=schema), path)
        stats[table.name] = TableStats(len(data), path.stat().st_size, len(data))
    manifest = Manifest(
        id=snapshot_id,
        created_at="2024-04-01T00:00:00+00:00",
        source=Source(kind="demo"),
        tables=stats,
        quality={},
        duration_seconds=0.0,
    )
    (folder / MANIFEST).write_text(encode_manifest(manifest), encoding="utf-8")
    return folder


def publish(data_dir: Path, snapshot_id: str) -> None:
    write_atomically(data_dir / CURRENT, snapshot_id + "\n")


@contextmanager
def general_path_only() -> Iterator[None]:
    """Inside the block, every strict subject refuses every filter (as it does a filter
    with a user or a date), so that queries take their general path: its answers must
    equal those of the fast path that the same filter takes outside."""

    def refuse(filter_: Any, subject: Subject) -> Where:
        if subject.strict:
            return Where("FALSE", {}, exact=False)
        return compile_filter(filter_, subject)

    with mock.patch.object(statement, "compile_filter", refuse):
        yield
