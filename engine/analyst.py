"""Analysts' door to a snapshot (SPEC §9): DuckDB with one view per source table, and
the views that say the dashboards' terms (queries/analyst.sql: ``visite_rows``,
``team``, ``codification``; docs/analysts.md).

    uv run python -i -c "from engine.analyst import connect; con = connect()"
    >>> con.sql("SELECT role, count(*) FROM tab_utilisateur GROUP BY role").show()

The views read the Parquet files through Arrow datasets, and DuckDB's own file access
is switched off and locked before the connection is handed over: a query can read the
eight tables but cannot write, copy or attach any file, the snapshot's included.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds

from config import load_settings
from engine.engine import NoSnapshot
from engine.serving import Resources
from queries import load
from snapshot.layout import current_dir, table_path
from snapshot.tables import TABLES


def connect(
    data_dir: Path | None = None, resources: Resources | None = None
) -> duckdb.DuckDBPyConnection:
    """The current snapshot of ``data_dir`` read-only, with DuckDB bounded by
    ``resources`` (by default, each from the VISITES_ settings)."""
    settings = load_settings()
    data_dir = data_dir or settings.data_dir
    folder = current_dir(data_dir)
    if folder is None:
        raise NoSnapshot(f"no current snapshot in {data_dir}")
    con = duckdb.connect(":memory:", config=(resources or Resources.of(settings)).config())
    for table in TABLES:
        con.register(table.name, ds.dataset(table_path(folder, table.name), format="parquet"))
    con.execute(load("analyst"))
    con.execute("SET enable_progress_bar = false")  # output is data only, on any terminal
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con
