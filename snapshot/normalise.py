"""SPEC §3, done once: raw source tables in, clean snapshot tables and quality counts out.

Runs in DuckDB over the raw Parquet files of a staging folder, streaming: every clean
table is written batch by batch in its explicit Arrow schema, so memory stays bounded
whatever the table size. Every repair, default and drop is counted in ``quality``.

The rules are one set of functions over any relation of raw rows (``clean_select``,
``column_counts``) and over a schema ``clean`` of clean tables (``unlabelled_codes``,
``relation_counts``): the snapshot job applies them to whole tables, ``visites follow``
(snapshot/state.py) to the rows a change brings and to its working tables.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from snapshot.layout import table_path
from snapshot.tables import (
    EVALUATION,
    EVALUATION_DETAILED,
    PARTENAIRE_VISITE,
    TEMPORAL_KINDS,
    TEXT_KINDS,
    VISITE,
    Column,
    Kind,
    Table,
)

ROW_GROUP_ROWS = 122_880
STREAM_BATCH_ROWS = 65_536

# SPEC §3: dates outside [1990-01-01, snapshot day + 366 days] are typing accidents
# (9999-12-31, 1000-01-01); kept, one would stretch the zero-filled daily series to
# millions of days. The bounds are set once per connection as DuckDB variables, so
# every rule's SQL stays one constant text.
FIRST_PLAUSIBLE_DAY = datetime.date(1990, 1, 1)
PLAUSIBLE_DAYS_AHEAD = 366
PLAUSIBLE_KINDS = frozenset({Kind.DATETIME, Kind.DATE})
_PLAUSIBLE = "getvariable('first_plausible_day') AND getvariable('last_plausible_day')"


class Quality(msgspec.Struct, frozen=True):
    totals: dict[str, int]  # rule -> count, every rule present
    by_column: dict[str, dict[str, int]]  # rule -> "table.column" -> count, non-zero only


def _sql_text(values: tuple[str, ...]) -> str:
    # Only our own constants (codification types, SPEC codes) go through here.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _quoted(column: Column) -> str:
    return f'"{column.name}"'


_TEMPORAL_TYPES = {Kind.DATETIME: "TIMESTAMP", Kind.DATE: "DATE", Kind.TIME: "TIME"}


def _parsed(column: Column) -> str:
    """A temporal column's value, NULL when it is no valid date or time."""
    return f"TRY_CAST({_quoted(column)} AS {_TEMPORAL_TYPES[column.kind]})"


def _clean_expr(column: Column) -> str:
    name = _quoted(column)
    if column.kind is Kind.ROLE:
        return f"NULLIF(upper(trim({name})), '')"
    if column.kind in TEXT_KINDS:
        return f"NULLIF(trim({name}), '')"
    if column.kind in PLAUSIBLE_KINDS:
        parsed = _parsed(column)
        return f"CASE WHEN CAST({parsed} AS DATE) BETWEEN {_PLAUSIBLE} THEN {parsed} END"
    if column.kind in TEMPORAL_KINDS:
        return _parsed(column)
    return name


# Per-column rules: (rule, applies to the column?, SQL that is true for a counted value).
COLUMN_RULES: tuple[tuple[str, Callable[[Column], bool], Callable[[str, Column], str]], ...] = (
    (
        "codes_trimmed",
        lambda c: c.kind in TEXT_KINDS,
        lambda n, c: f"{n} <> trim({n}) AND trim({n}) <> ''",
    ),
    ("empty_strings_nulled", lambda c: c.kind in TEXT_KINDS, lambda n, c: f"trim({n}) = ''"),
    (
        "roles_uppercased",
        lambda c: c.kind is Kind.ROLE,
        lambda n, c: f"upper(trim({n})) <> trim({n})",
    ),
    (
        "invalid_dates_nulled",
        lambda c: c.kind in TEMPORAL_KINDS,
        lambda n, c: f"{n} IS NOT NULL AND {_parsed(c)} IS NULL",
    ),
    (
        "implausible_dates_nulled",
        lambda c: c.kind in PLAUSIBLE_KINDS,
        lambda n, c: f"CAST({_parsed(c)} AS DATE) NOT BETWEEN {_PLAUSIBLE}",
    ),
    ("null_codes", lambda c: c.kind is Kind.CODE and c.nullable, lambda n, c: f"{n} IS NULL"),
    (
        "unknown_codes",
        lambda c: bool(c.domain),
        lambda n, c: f"trim({n}) <> '' AND trim({n}) NOT IN ({_sql_text(c.domain)})",
    ),
)


class Parent(msgspec.Struct, frozen=True):
    """A child table's rows are kept only when ``child_key`` names a row of ``table``
    (SPEC §3); the rows dropped are counted as ``rule``."""

    table: Table
    child_key: str
    rule: str


KEEP_WHEN: dict[str, Parent] = {
    PARTENAIRE_VISITE.name: Parent(VISITE, "id_visite", "orphan_partenaire_visite_dropped"),
    EVALUATION_DETAILED.name: Parent(
        EVALUATION, "id_evaluation", "orphan_evaluation_detailed_dropped"
    ),
}

# DuckDB's hash of a semi-join's parent keys does not keep to its memory limit and
# grows with the parent, so a child is cleaned one range of about this many parent
# keys at a time. Extraction writes parents and tab_partenaire_visite in key order, so
# Parquet statistics let each range read only its own row groups.
KEYS_PER_RANGE = 250_000

# Rules across tables: rule -> SQL counting it over the clean tables (ids are never
# changed by the cleaning, so counts over ids are those of the source rows).
RELATION_RULES: dict[str, str] = {
    "visites_unknown_utilisateur": (
        "SELECT count(*) FROM clean.tab_visite "
        "WHERE id_utilisateur NOT IN (SELECT id_utilisateur FROM clean.tab_utilisateur)"
    ),
    "partenaires_unknown": (
        "SELECT count(*) FROM (SELECT id_partenaire FROM clean.tab_partenaire_visite "
        "UNION ALL SELECT id_partenaire FROM clean.tab_partenaire_bc) "
        "WHERE id_partenaire NOT IN (SELECT id_partenaire FROM clean.tab_partenaire)"
    ),
    # Users from whom the id_responsable chain comes back to themselves. UNION (not
    # UNION ALL) stops the walk once every (start, reached) pair has been seen.
    "hierarchy_cycle_users": """
        WITH RECURSIVE chain(start, reached) AS (
            SELECT id_utilisateur, id_responsable FROM clean.tab_utilisateur
            WHERE id_responsable IS NOT NULL
            UNION
            SELECT chain.start, u.id_responsable
            FROM chain JOIN clean.tab_utilisateur u ON u.id_utilisateur = chain.reached
            WHERE u.id_responsable IS NOT NULL
        )
        SELECT count(DISTINCT start) FROM chain WHERE reached = start""",
}

RULES: tuple[str, ...] = (
    *(rule for rule, _, _ in COLUMN_RULES),
    "labels_missing",
    *(parent.rule for parent in KEEP_WHEN.values()),
    *RELATION_RULES,
)


def _unlabelled_codes_sql(table: Table) -> str | None:
    """Distinct codes of one clean table that have no label of any of their types; one
    table at a time keeps DuckDB's working set that of the largest table, not the sum."""
    used = " UNION ALL ".join(
        f"SELECT code, [{_sql_text(c.labelled_by)}] AS types FROM (SELECT DISTINCT "
        f"{_quoted(c)} AS code FROM clean.{table.name} WHERE {_quoted(c)} IS NOT NULL)"
        for c in table.columns
        if c.labelled_by
    )
    if not used:
        return None
    return (
        f"SELECT DISTINCT code FROM ({used}) used WHERE NOT EXISTS ("
        "SELECT 1 FROM clean.tab_par_codification k WHERE k.code_codification = used.code "
        "AND list_contains(used.types, k.type_codification))"
    )


def unlabelled_codes(con: duckdb.DuckDBPyConnection, table: Table) -> set[str]:
    """The codes of ``clean.<table>`` that ``clean.tab_par_codification`` does not label."""
    sql = _unlabelled_codes_sql(table)
    return set() if sql is None else {code for (code,) in con.execute(sql).fetchall()}


def relation_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The rules across tables, over the schema ``clean`` holding all eight."""
    return {rule: int(_one_row(con, sql)[0]) for rule, sql in RELATION_RULES.items()}


# (rule, "table.column") -> values of that column the rule counted.
ColumnCounts = dict[tuple[str, str], int]


def quality_of(
    by_column: ColumnCounts,
    dropped: dict[str, int],
    unlabelled: set[str],
    relations: dict[str, int],
) -> Quality:
    """The manifest's counts from the per-column counts of every table, the rows dropped
    per KEEP_WHEN rule, the codes without label, and the rules across tables."""
    columns: dict[str, dict[str, int]] = {}
    for (rule, column), count in sorted(by_column.items()):
        if count:
            columns.setdefault(rule, {})[column] = count
    totals = {rule: sum(counts.values()) for rule, counts in columns.items()}
    totals |= dropped | relations | {"labels_missing": len(unlabelled)}
    return Quality(
        totals={rule: totals.get(rule, 0) for rule in RULES},
        by_column={rule: columns[rule] for rule in RULES if rule in columns},
    )


def set_snapshot_day(con: duckdb.DuckDBPyConnection, snapshot_day: datetime.date) -> None:
    """Bound the plausible dates of ``con``'s cleaning by the day of the snapshot."""
    con.execute("SET VARIABLE first_plausible_day = $day", {"day": FIRST_PLAUSIBLE_DAY})
    last = snapshot_day + datetime.timedelta(days=PLAUSIBLE_DAYS_AHEAD)
    con.execute("SET VARIABLE last_plausible_day = $day", {"day": last})


def clean_select(table: Table) -> str:
    """``SELECT`` of the clean columns of ``table``, to complete by any ``FROM`` of raw
    rows (a whole table, a chunk of one, the rows a change brings)."""
    return "SELECT " + ", ".join(f"{_clean_expr(c)} AS {_quoted(c)}" for c in table.columns)


def column_counts(con: duckdb.DuckDBPyConnection, table: Table, source: str) -> ColumnCounts:
    """What each per-column rule counts over the raw rows of ``source``, a relation with
    the columns of ``table``; every applicable (rule, column), zeros included."""
    checks = [
        (rule, column.name, f"count(*) FILTER (WHERE {test(_quoted(column), column)})")
        for rule, applies, test in COLUMN_RULES
        for column in table.columns
        if applies(column)
    ]
    if not checks:
        return {}
    values = _one_row(con, f"SELECT {', '.join(sql for _, _, sql in checks)} FROM {source}")
    return {
        (rule, f"{table.name}.{column}"): int(v)
        for (rule, column, _), v in zip(checks, values, strict=True)
    }


def write_parquet(batches: Iterable[pa.RecordBatch], table: Table, out: Path) -> int:
    """Clean rows of ``table`` into the Parquet file ``out``, in its clean schema;
    returns the rows written."""
    schema = table.clean_schema()
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch.cast(schema), row_group_size=ROW_GROUP_ROWS)
            rows += batch.num_rows
    return rows


def _view(con: duckdb.DuckDBPyConnection, schema: str, folder: Path, table: Table) -> None:
    path = str(table_path(folder, table.name)).replace("'", "''")
    con.execute(
        f"CREATE OR REPLACE VIEW {schema}.{table.name} AS SELECT * FROM read_parquet('{path}')"
    )


def _key_ranges(
    con: duckdb.DuckDBPyConnection, parent: Parent, keys_per_range: int
) -> list[tuple[int, int]]:
    """Inclusive ranges that cover every parent key, about ``keys_per_range`` each.
    Child keys outside them have no parent, so no range needs to reach them."""
    key, source = f'"{parent.table.key}"', f"raw.{parent.table.name}"
    [(keys, low, high)] = con.execute(
        f"SELECT count(*), min({key}), max({key}) FROM {source}"
    ).fetchall()
    if not keys:
        return []
    parts = -(-keys // keys_per_range)
    cuts: list[int] = []
    if parts > 1:
        # approx_quantile keeps a bounded sketch; ranges only need to be about even.
        [(cuts,)] = con.execute(
            f"SELECT approx_quantile({key}, $fractions::FLOAT[]) FROM {source}",
            {"fractions": [i / parts for i in range(1, parts)]},
        ).fetchall()
    starts = sorted({low, *cuts})
    return [(start, end - 1) for start, end in itertools.pairwise(starts)] + [(starts[-1], high)]


def _clean_batches(
    con: duckdb.DuckDBPyConnection, table: Table, select: str, keys_per_range: int
) -> Iterator[pa.RecordBatch]:
    """The clean rows of one table, in batches; a child table's by parent key range."""
    parent = KEEP_WHEN.get(table.name)
    if parent is None:
        yield from con.sql(f"{select} FROM raw.{table.name}").to_arrow_reader(STREAM_BATCH_ROWS)
        return
    child_key, key = f'"{parent.child_key}"', f'"{parent.table.key}"'
    in_range = (
        f"{child_key} BETWEEN $low AND $high AND {child_key} IN "
        f"(SELECT {key} FROM raw.{parent.table.name} WHERE {key} BETWEEN $low AND $high)"
    )
    for low, high in _key_ranges(con, parent, keys_per_range):
        yield from con.sql(
            f"{select} FROM raw.{table.name} WHERE {in_range}",
            params={"low": low, "high": high},
        ).to_arrow_reader(STREAM_BATCH_ROWS)


def _one_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The row of a query of aggregates only, which always has exactly one."""
    [row] = con.execute(sql).fetchall()
    return tuple(row)


class Normaliser:
    """Cleans the raw tables of ``raw_dir`` into ``clean_dir``, one table at a time (so
    that a table can be cleaned while the next one is still being read), then counts
    what needs all of them. Parents come first in TABLES, as KEEP_WHEN needs, and the
    codification first of all, as the labels check needs. ``snapshot_day`` is the day the
    snapshot is taken, which bounds the plausible dates."""

    def __init__(
        self,
        raw_dir: Path,
        clean_dir: Path,
        *,
        snapshot_day: datetime.date,
        memory_limit: str = "128MB",
        keys_per_range: int = KEYS_PER_RANGE,
    ) -> None:
        self._raw, self._clean = raw_dir, clean_dir
        self._keys_per_range = keys_per_range
        self._con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                # The other core reads the next table from MySQL; one thread also
                # keeps DuckDB's working set the same whatever the table size.
                "threads": 1,
                "temp_directory": str(clean_dir / ".duckdb-tmp"),
            }
        )
        self._con.execute("CREATE SCHEMA raw; CREATE SCHEMA clean")
        set_snapshot_day(self._con, snapshot_day)
        self._by_column: ColumnCounts = {}
        self._dropped: dict[str, int] = {}
        self._unlabelled: set[str] = set()

    def __enter__(self) -> Normaliser:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def clean(self, table: Table, source_rows: int) -> int:
        """Write the clean table from its ``source_rows`` raw rows; returns its rows."""
        _view(self._con, "raw", self._raw, table)
        batches = _clean_batches(self._con, table, clean_select(table), self._keys_per_range)
        rows = write_parquet(batches, table, table_path(self._clean, table.name))
        _view(self._con, "clean", self._clean, table)
        if table.name in KEEP_WHEN:
            self._dropped[KEEP_WHEN[table.name].rule] = source_rows - rows
        self._by_column |= column_counts(self._con, table, f"raw.{table.name}")
        self._unlabelled |= unlabelled_codes(self._con, table)
        return rows

    def quality(self) -> Quality:
        """Every count, once all tables are clean."""
        return quality_of(
            self._by_column, self._dropped, self._unlabelled, relation_counts(self._con)
        )
