"""Building a snapshot's serving database from its Parquet files (engine/serving.py).

The build scripts of ``queries/build`` run, in file-name order, on a file-backed DuckDB
over views of the Parquet files; the tables and macros they create persist in the
file, their TEMP helpers and the views do not. The snapshot job runs this before it
publishes (``take_snapshot(..., prepare=build_serving)``); a server only when a
snapshot lacks the file (``ensure_serving``). A module of its own because it needs
pyarrow, which a server that only opens files never loads.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import queries
from engine.serving import (
    DEFAULT_RESOURCES,
    Resources,
    SnapshotRefused,
    build_version,
    serving_name,
    sha256_of,
)
from snapshot.layout import fsync_dir, table_path
from snapshot.manifest import ServingFile
from snapshot.tables import TABLES, Table

log = logging.getLogger("visites.engine")


def check_schema(folder: Path, table: Table) -> None:
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


def run_build_scripts(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Make the derived tables of the snapshot in ``folder`` in ``con``'s database."""
    # file_row_number numbers the rows of tab_partenaire_visite, which has no key of its
    # own. The views are dropped at the end: they name this folder's paths (a staging
    # folder's, for the snapshot job), and the queries read only the derived tables.
    con.execute("SET enable_progress_bar = false")  # a long build would scribble on stderr
    for table in TABLES:
        source = con.read_parquet(str(table_path(folder, table.name)), file_row_number=True)
        source.create_view(table.name)
    for script in queries.build_scripts():
        con.execute(queries.load(script))
    for table in TABLES:
        con.execute(f"DROP VIEW {table.name}")


def build_serving(folder: Path, resources: Resources = DEFAULT_RESOURCES) -> ServingFile:
    """Build the serving database of the snapshot in ``folder``; return its record.

    Raises ``SnapshotRefused`` if a Parquet file is missing or wrong, or the build
    fails. The file appears under its name only complete and on disk (fsync, rename)."""
    for table in TABLES:
        check_schema(folder, table)
    started = time.monotonic()
    name = serving_name()
    building = folder / f".{name}.{os.getpid()}.tmp"
    spill = folder / f".{name}.{os.getpid()}.spill"  # DuckDB's own temporary files
    building.unlink(missing_ok=True)
    try:
        con = duckdb.connect(
            str(building), config={**resources.config(), "temp_directory": str(spill)}
        )
        try:
            run_build_scripts(con, folder)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        sha256 = sha256_of(building, sync=True)
        os.rename(building, folder / name)
        fsync_dir(folder)
    except duckdb.Error as error:
        raise SnapshotRefused(f"{folder.name}: cannot build {name}: {error}") from error
    finally:
        building.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
    record = ServingFile(
        file=name,
        bytes=(folder / name).stat().st_size,
        sha256=sha256,
        build_version=build_version(),
    )
    log.info(
        "built serving database %s/%s (%.1f MiB) in %.1f s",
        folder.name,
        name,
        record.bytes / 2**20,
        time.monotonic() - started,
    )
    return record
