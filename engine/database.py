"""One published snapshot, loaded into an in-memory DuckDB database of its own.

Loading checks the manifest and every table's Parquet schema, then runs the build
scripts of ``queries/build`` over views of the Parquet files to make the derived
tables the queries read. After that the files are no longer read: pruning the
snapshot folder cannot hurt a database that is still serving.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

import queries
from engine.statement import Statement
from snapshot.layout import table_path
from snapshot.manifest import Manifest, read_manifest
from snapshot.tables import TABLES, Table

T = TypeVar("T", bound=msgspec.Struct)


class SnapshotRefused(Exception):
    """A snapshot that cannot be served: missing or bad manifest, table or Parquet."""


def _read_manifest(folder: Path) -> Manifest:
    try:
        manifest = read_manifest(folder)
    except (OSError, msgspec.DecodeError) as error:
        raise SnapshotRefused(f"{folder.name}: unreadable manifest.json: {error}") from error
    if manifest.id != folder.name:
        raise SnapshotRefused(f"{folder.name}: manifest.json names snapshot {manifest.id!r}")
    return manifest


def _check_schema(folder: Path, table: Table) -> None:
    """The table's file exists, is Parquet, and has every column with its clean type."""
    path = table_path(folder, table.name)
    try:
        found = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        raise SnapshotRefused(f"{folder.name}: {path.name}: {error}") from error
    for expected in table.clean_schema():
        index = found.get_field_index(expected.name)
        if index < 0:
            raise SnapshotRefused(f"{folder.name}: {path.name} has no column {expected.name}")
        if not found.field(index).type.equals(expected.type):
            raise SnapshotRefused(
                f"{folder.name}: {path.name}: column {expected.name} is "
                f"{found.field(index).type}, expected {expected.type}"
            )


def _build(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    # A cursor of its own: the source views, temporary tables and macros of the build
    # vanish when it closes. file_row_number numbers the rows of tab_partenaire_visite,
    # which has no key of its own.
    with con.cursor() as build:
        build.execute("SET enable_progress_bar = false")  # a long load would scribble on stderr
        for table in TABLES:
            source = build.read_parquet(str(table_path(folder, table.name)), file_row_number=True)
            source.create_view(table.name)
        for script in queries.build_scripts():
            build.execute(queries.load(script))


class Database:
    """The derived tables of one snapshot; queries run on a cursor of their own each,
    so any number of threads can use it at once."""

    def __init__(self, manifest: Manifest, con: duckdb.DuckDBPyConnection) -> None:
        self.manifest = manifest
        self._con = con

    @property
    def id(self) -> str:
        return self.manifest.id

    @classmethod
    def open(cls, folder: Path) -> Database:
        """Load the snapshot in ``folder``; raises ``SnapshotRefused`` if it cannot."""
        manifest = _read_manifest(folder)
        for table in TABLES:
            _check_schema(folder, table)
        # Background threads give the build's transient memory back to the system.
        con = duckdb.connect(":memory:", config={"allocator_background_threads": True})
        try:
            _build(con, folder)
        except duckdb.Error as error:
            con.close()
            raise SnapshotRefused(f"{folder.name}: cannot load: {error}") from error
        return cls(manifest, con)

    def fetch(self, statement: Statement, result: type[T]) -> T:
        """Run a statement that answers one row, and decode that row into ``result``
        (its columns are the struct's keys)."""
        with self._con.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            names = [column[0] for column in cursor.description]
            row = cursor.fetchone()
        return msgspec.convert(dict(zip(names, row, strict=True)), result)

    def close(self) -> None:
        self._con.close()
