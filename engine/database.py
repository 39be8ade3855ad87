"""One published snapshot, served from its serving database (engine/serving.py).

Opening checks the manifest, makes sure the serving file of this build version is
there (building it from the Parquet files if not) and matches its record, then opens
it read-only. The Parquet files are not read: pruning the snapshot folder cannot hurt
a database that is still serving, whose open file lives on until it is closed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import duckdb
import msgspec

from engine.serving import DEFAULT_RESOURCES, Resources, SnapshotRefused, connect, ensure_serving
from engine.statement import Statement
from snapshot.manifest import Manifest, read_manifest

T = TypeVar("T", bound=msgspec.Struct)


def read_checked_manifest(folder: Path) -> Manifest:
    """The snapshot's manifest; ``SnapshotRefused`` if unreadable or not its own."""
    try:
        manifest = read_manifest(folder)
    except (OSError, msgspec.DecodeError) as error:
        raise SnapshotRefused(f"{folder.name}: unreadable manifest.json: {error}") from error
    if manifest.id != folder.name:
        raise SnapshotRefused(f"{folder.name}: manifest.json names snapshot {manifest.id!r}")
    return manifest


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
    def open(cls, folder: Path, resources: Resources = DEFAULT_RESOURCES) -> Database:
        """Open the snapshot in ``folder``; raises ``SnapshotRefused`` if it cannot."""
        manifest = read_checked_manifest(folder)
        path = ensure_serving(folder, manifest, resources)
        try:
            con = connect(path, resources)
        except duckdb.Error as error:
            raise SnapshotRefused(f"{folder.name}: cannot open {path.name}: {error}") from error
        return cls(manifest, con)

    def fetch(self, statement: Statement, result: type[T]) -> T:
        """Run a statement that answers one row, and decode that row into ``result``
        (its columns are the struct's keys)."""
        with self._con.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            names = [column[0] for column in cursor.description]
            row = cursor.fetchone()
        assert row is not None, "every statement answers exactly one row"
        return msgspec.convert(dict(zip(names, row, strict=True)), result)

    def close(self) -> None:
        self._con.close()
