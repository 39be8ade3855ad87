"""`visites follow`'s working tables: every row of the eight source tables, normalised by
the snapshot job's own SPEC §3 rules (snapshot/normalise.py), in a DuckDB database of
their own; orphans included, since a parent may come back for them.

A table is a multiset of clean rows. An insert adds the clean form of its row, a delete
takes away one row equal to the clean form of its before-image, an update does both. So
a batch of changes applies at once, whatever the order of its transactions: the net
count of each distinct clean row. A full snapshot is the same with inserts only. The
per-column quality counts change alike: the counts over the raw rows added, minus those
over the raw rows taken away. A child table's row sits with the published rows or with
the orphans as its parent exists or not, moved when the parent comes or goes (so a
version is written without a join). Labels and relations, which need whole tables, are
counted again over them by the job's own SQL when a version is written.
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


def _homes(table: Table) -> list[tuple[str, str]]:
    """Where the rows of ``table`` live, each with the test that sends an incoming row
    there: a child table's rows with a parent in ``clean`` (what a snapshot publishes,
    SPEC §3), those without in ``orphans``; any other table's in ``clean``."""
    if table.name in KEEP_WHEN:
        return [(f"clean.{table.name}", "kept"), (f"orphans.{table.name}", "NOT kept")]
    return [(f"clean.{table.name}", "TRUE")]


class State:
    """The clean tables of ``day`` (the day that bounds plausible dates), changed by
    ``apply`` and written out as a snapshot's files by ``write``. Use as a context
    manager. ``scratch`` holds what does not fit in ``memory_limit``.

    The schema ``clean`` holds what a snapshot publishes, so the job's rules across
    tables read it as they read a snapshot's; ``orphans`` holds each child table's rows
    that have no parent (yet)."""

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
        self._con.execute("CREATE SCHEMA clean; CREATE SCHEMA orphans")
        for table in TABLES:
            self._con.register("empty", table.clean_schema().empty_table())
            for home, _ in _homes(table):
                self._con.execute(f"CREATE TABLE {home} AS SELECT * FROM empty")
            self._con.unregister("empty")
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
            for (home, _), path_of in zip(_homes(table), (table_path, orphans_path), strict=False):
                state._con.execute(
                    f"INSERT INTO {home} SELECT * FROM read_parquet($path)",
                    {"path": str(path_of(folder, table.name))},
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
        try:
            self._incoming(table, with_removed=removed.num_rows > 0)
        finally:
            for name in ("added", "removed"):
                self._con.unregister(name)
        for home, test in _homes(table):
            self._add(home, test)
            if removed.num_rows:
                self._take_away(table, home, test)
        for child, parent in KEEP_WHEN.items():
            if parent.table == table:
                self._settle(BY_NAME[child], parent)
        self._changed(table)

    def _incoming(self, table: Table, *, with_removed: bool) -> None:
        """The temporary table ``incoming``: each distinct clean row with its net count
        (added minus taken away), and for a child table whether its parent exists."""
        select = clean_select(table)
        source = f"{select}, 1::BIGINT AS incoming_count FROM added"
        if with_removed:
            source = (
                "SELECT * EXCLUDE (sign), sum(sign)::BIGINT AS incoming_count FROM ("
                f"{select}, 1 AS sign FROM added UNION ALL {select}, -1 AS sign FROM removed"
                ") GROUP BY ALL HAVING sum(sign) <> 0"
            )
        parent = KEEP_WHEN.get(table.name)
        kept = "TRUE"
        if parent is not None:
            parent_keys = f'SELECT "{parent.table.key}" FROM clean.{parent.table.name}'
            kept = f'"{parent.child_key}" IN ({parent_keys})'
        self._con.execute(
            "CREATE OR REPLACE TEMP TABLE incoming AS SELECT row_number() OVER () "
            f"AS incoming_row, *, {kept} AS kept FROM ({source})"
        )

    def _add(self, home: str, test: str) -> None:
        self._con.execute(
            f"INSERT INTO {home} SELECT * EXCLUDE (incoming_row, incoming_count, kept, copy) "
            "FROM (SELECT *, unnest(range(incoming_count)) AS copy FROM incoming "
            f"WHERE incoming_count > 0 AND {test})"
        )

    def _take_away(self, table: Table, home: str, test: str) -> None:
        """Delete, for each incoming row with a negative count, that many equal rows."""
        same = " AND ".join(
            f's."{name}" IS NOT DISTINCT FROM i."{name}"' for name in table.column_names
        )
        [(taken,)] = self._con.execute(
            f"DELETE FROM {home} WHERE rowid IN (SELECT row FROM ("
            "SELECT s.rowid AS row, i.incoming_count, "
            "row_number() OVER (PARTITION BY i.incoming_row) AS copy "
            f"FROM {home} AS s JOIN incoming AS i ON {same} "
            f"WHERE i.incoming_count < 0 AND {test}) WHERE copy <= -incoming_count)"
        ).fetchall()
        [(wanted,)] = self._con.execute(
            f"SELECT coalesce(-sum(incoming_count), 0) FROM incoming "
            f"WHERE incoming_count < 0 AND {test}"
        ).fetchall()
        if taken != wanted:
            raise Diverged(f"{table.name}: {wanted} rows to take away, {taken} found")

    def _settle(self, child: Table, parent: Parent) -> None:
        """After a change of ``parent``'s rows: the child rows of each parent key it
        touched move to ``clean`` if the key now exists, to ``orphans`` if not."""
        key, child_key = f'"{parent.table.key}"', f'"{parent.child_key}"'
        self._con.execute(
            "CREATE OR REPLACE TEMP TABLE touched AS SELECT key, key IN "
            f"(SELECT {key} FROM clean.{parent.table.name}) AS present "
            f"FROM (SELECT DISTINCT {key} AS key FROM incoming)"
        )
        for source, target, present in (
            (f"orphans.{child.name}", f"clean.{child.name}", "present"),
            (f"clean.{child.name}", f"orphans.{child.name}", "NOT present"),
        ):
            moving = f"{child_key} IN (SELECT key FROM touched WHERE {present})"
            self._con.execute(f"INSERT INTO {target} SELECT * FROM {source} WHERE {moving}")
            self._con.execute(f"DELETE FROM {source} WHERE {moving}")

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
            counts = []
            for (home, _), path_of in zip(_homes(table), (table_path, orphans_path), strict=False):
                if previous is None or table.name in self._stale:
                    reader = self._con.sql(f"SELECT * FROM {home}").to_arrow_reader(
                        STREAM_BATCH_ROWS
                    )
                    write_parquet(reader, table, path_of(folder, table.name))
                else:
                    os.link(path_of(previous, table.name), path_of(folder, table.name))
                [(count,)] = self._con.execute(f"SELECT count(*) FROM {home}").fetchall()
                counts.append(int(count))
            rows[table.name], source_rows[table.name] = counts[0], sum(counts)
        dropped = {p.rule: source_rows[name] - rows[name] for name, p in KEEP_WHEN.items()}
        unlabelled = set().union(*(self._unlabelled_codes(table) for table in TABLES))
        quality = quality_of(self._counts, dropped, unlabelled, relation_counts(self._con))
        return Contents(rows=rows, source_rows=source_rows, quality=quality)

    def _unlabelled_codes(self, table: Table) -> set[str]:
        if table.name not in self._unlabelled:
            self._unlabelled[table.name] = unlabelled_codes(self._con, table)
        return self._unlabelled[table.name]
