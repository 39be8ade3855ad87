"""`visites follow`'s working tables: every row of the eight source tables, normalised by
the snapshot job's own SPEC §3 rules (snapshot/normalise.py), in a DuckDB database of
their own; orphans included, since a parent may come back for them.

A table is a multiset of clean rows. An insert adds the clean form of its row, a delete
takes away one row equal to the clean form of its before-image, an update does both. So
a batch of changes applies at once, whatever the order of its transactions: the net
count of each distinct clean row. A full snapshot is the same with inserts only. The
per-column quality counts change alike: the counts over the raw rows added, minus those
over the raw rows taken away. Everything that needs whole tables (orphans, labels,
relations) is counted again over them, by the job's own SQL, when a version is written.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import duckdb
import pyarrow as pa

from snapshot.job import Contents
from snapshot.layout import orphans_path, table_path
from snapshot.manifest import Manifest
from snapshot.normalise import (
    KEEP_WHEN,
    STREAM_BATCH_ROWS,
    ColumnCounts,
    Parent,
    clean_select,
    column_counts,
    quality_of,
    relation_counts,
    set_snapshot_day,
    unlabelled_codes,
    write_parquet,
)
from snapshot.tables import BY_NAME, CODIFICATION, TABLES, Table


class Diverged(RuntimeError):
    """A change takes away a row the state does not hold: it no longer mirrors the
    source, and only a full snapshot can set it right."""


def _kept(parent: Parent, child: Table, keep: bool) -> str:
    """SQL of a child table's rows that have a parent (``keep``) or have none."""
    keys = f'SELECT "{parent.table.key}" FROM state.{parent.table.name}'
    test = "IN" if keep else "NOT IN"
    return f'SELECT * FROM state.{child.name} WHERE "{parent.child_key}" {test} ({keys})'


def _published(table: Table) -> str:
    """SQL of the rows a snapshot publishes (SPEC §3: a child without parent is dropped)."""
    parent = KEEP_WHEN.get(table.name)
    return f"SELECT * FROM state.{table.name}" if parent is None else _kept(parent, table, True)


class State:
    """The clean tables of ``day`` (the day that bounds plausible dates), changed by
    ``apply`` and written out as a snapshot's files by ``write``. Use as a context
    manager. ``scratch`` holds what does not fit in ``memory_limit``."""

    def __init__(self, day: datetime.date, *, memory_limit: str, threads: int, scratch: Path):
        self.day = day
        self._con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": threads,
                "temp_directory": str(scratch),
            }
        )
        set_snapshot_day(self._con, day)
        self._con.execute("CREATE SCHEMA state; CREATE SCHEMA clean")
        for table in TABLES:
            self._con.register("empty", table.clean_schema().empty_table())
            self._con.execute(f"CREATE TABLE state.{table.name} AS SELECT * FROM empty")
            self._con.unregister("empty")
            self._con.execute(f"CREATE VIEW clean.{table.name} AS {_published(table)}")
        self._counts: ColumnCounts = {}
        # Tables whose files differ from those of the last version written.
        self._stale: set[str] = {table.name for table in TABLES}
        self._unlabelled: dict[str, set[str]] = {}

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    @classmethod
    def load(
        cls, folder: Path, manifest: Manifest, *, memory_limit: str, threads: int, scratch: Path
    ) -> State:
        """The state a version of `visites follow` was written from (its files and its
        counts); its files are those of the next version until a table changes."""
        assert manifest.snapshot_day is not None, "not a version of visites follow"
        day = datetime.date.fromisoformat(manifest.snapshot_day)
        state = cls(day, memory_limit=memory_limit, threads=threads, scratch=scratch)
        for table in TABLES:
            paths = [table_path(folder, table.name)]
            if table.name in KEEP_WHEN:
                paths.append(orphans_path(folder, table.name))
            for path in paths:
                state._con.execute(
                    f"INSERT INTO state.{table.name} SELECT * FROM read_parquet($path)",
                    {"path": str(path)},
                )
        state._counts = {
            (rule, column): count
            for rule, columns in manifest.quality_by_column.items()
            for column, count in columns.items()
        }
        state._stale.clear()
        return state

    def apply(self, table: Table, removed: pa.Table, added: pa.Table) -> None:
        """Take the clean forms of the raw rows ``removed`` away from ``table``, add those
        of ``added``; both have the table's raw schema. Raises ``Diverged``."""
        for rows, name, sign in ((added, "added", 1), (removed, "removed", -1)):
            self._con.register(name, rows)
            if rows.num_rows:
                for key, count in column_counts(self._con, table, name).items():
                    self._counts[key] = self._counts.get(key, 0) + sign * count
        select = clean_select(table)
        try:
            if removed.num_rows:
                self._apply_net(table, select)
            elif added.num_rows:
                self._con.execute(f"INSERT INTO state.{table.name} {select} FROM added")
        finally:
            for name in ("added", "removed"):
                self._con.unregister(name)
        self._changed(table)

    def _apply_net(self, table: Table, select: str) -> None:
        """Add and take away the net count of each distinct clean row."""
        con = self._con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE net AS "
            "SELECT row_number() OVER () AS net_row, * FROM ("
            "SELECT * EXCLUDE (sign), sum(sign)::BIGINT AS net_count FROM ("
            f"{select}, 1 AS sign FROM added UNION ALL {select}, -1 AS sign FROM removed"
            ") GROUP BY ALL HAVING sum(sign) <> 0)"
        )
        con.execute(
            f"INSERT INTO state.{table.name} SELECT * EXCLUDE (net_row, net_count, copy) "
            "FROM (SELECT *, unnest(range(net_count)) AS copy FROM net WHERE net_count > 0)"
        )
        same = " AND ".join(
            f's."{name}" IS NOT DISTINCT FROM n."{name}"' for name in table.column_names
        )
        [(taken,)] = con.execute(
            f"DELETE FROM state.{table.name} WHERE rowid IN (SELECT row FROM ("
            "SELECT s.rowid AS row, n.net_count, "
            "row_number() OVER (PARTITION BY n.net_row) AS copy "
            f"FROM state.{table.name} AS s JOIN net AS n ON {same} WHERE n.net_count < 0"
            ") WHERE copy <= -net_count)"
        ).fetchall()
        [(wanted,)] = con.execute(
            "SELECT coalesce(-sum(net_count), 0) FROM net WHERE net_count < 0"
        ).fetchall()
        if taken != wanted:
            raise Diverged(f"{table.name}: {wanted} rows to take away, {taken} found")

    def _changed(self, table: Table) -> None:
        # A parent's rows decide which of its children are published.
        changed = {table.name} | {name for name, p in KEEP_WHEN.items() if p.table == table}
        self._stale |= changed
        for name in BY_NAME if table == CODIFICATION else changed:
            self._unlabelled.pop(name, None)

    @property
    def changed(self) -> bool:
        """Whether a table differs from the last version written."""
        return bool(self._stale)

    def written(self) -> None:
        """The last version ``write`` wrote was published: it is the next one's base."""
        self._stale.clear()

    def write(self, folder: Path, previous: Path | None) -> Contents:
        """Write every table's published rows (and, for a child table, its orphans) into
        ``folder``; a table unchanged since ``previous`` (the last version published) is
        linked to its file there. Returns what the manifest needs."""
        rows: dict[str, int] = {}
        source_rows: dict[str, int] = {}
        for table in TABLES:
            files = [(table_path, _published(table))]
            if (parent := KEEP_WHEN.get(table.name)) is not None:
                files.append((orphans_path, _kept(parent, table, False)))
            for path_of, sql in files:
                if previous is None or table.name in self._stale:
                    reader = self._con.sql(sql).to_arrow_reader(STREAM_BATCH_ROWS)
                    write_parquet(reader, table, path_of(folder, table.name))
                else:
                    os.link(path_of(previous, table.name), path_of(folder, table.name))
            rows[table.name] = self._count(f"clean.{table.name}")
            source_rows[table.name] = self._count(f"state.{table.name}")
        dropped = {p.rule: source_rows[name] - rows[name] for name, p in KEEP_WHEN.items()}
        unlabelled = set().union(*(self._unlabelled_codes(table) for table in TABLES))
        quality = quality_of(self._counts, dropped, unlabelled, relation_counts(self._con))
        return Contents(rows=rows, source_rows=source_rows, quality=quality)

    def _count(self, relation: str) -> int:
        [(count,)] = self._con.execute(f"SELECT count(*) FROM {relation}").fetchall()
        return int(count)

    def _unlabelled_codes(self, table: Table) -> set[str]:
        if table.name not in self._unlabelled:
            self._unlabelled[table.name] = unlabelled_codes(self._con, table)
        return self._unlabelled[table.name]
