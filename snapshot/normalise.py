"""SPEC §3, done once: raw source tables in, clean snapshot tables and quality counts out.

Runs in DuckDB over the raw Parquet files of a staging folder, streaming: every clean
table is written batch by batch in its explicit Arrow schema, so memory stays bounded
whatever the table size. Every repair, default and drop is counted in ``quality``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import msgspec
import pyarrow.parquet as pq

from snapshot.layout import table_path
from snapshot.tables import (
    EVALUATION_DETAILED,
    PARTENAIRE_VISITE,
    TABLES,
    TEMPORAL_KINDS,
    TEXT_KINDS,
    Column,
    Kind,
    Table,
)

ROW_GROUP_ROWS = 122_880
STREAM_BATCH_ROWS = 65_536


class Quality(msgspec.Struct, frozen=True):
    totals: dict[str, int]  # rule -> count, every rule present
    by_column: dict[str, dict[str, int]]  # rule -> "table.column" -> count, non-zero only


def _sql_text(values: tuple[str, ...]) -> str:
    # Only our own constants (codification types, SPEC codes) go through here.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _quoted(column: Column) -> str:
    return f'"{column.name}"'


def _clean_expr(column: Column) -> str:
    name = _quoted(column)
    if column.kind is Kind.ROLE:
        return f"NULLIF(upper(trim({name})), '')"
    if column.kind in TEXT_KINDS:
        return f"NULLIF(trim({name}), '')"
    if column.kind is Kind.DATETIME:
        return f"TRY_CAST({name} AS TIMESTAMP)"
    if column.kind is Kind.DATE:
        return f"TRY_CAST({name} AS DATE)"
    if column.kind is Kind.TIME:
        return f"TRY_CAST({name} AS TIME)"
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
        lambda n, c: f"{n} IS NOT NULL AND {_clean_expr(c)} IS NULL",
    ),
    ("null_codes", lambda c: c.kind is Kind.CODE and c.nullable, lambda n, c: f"{n} IS NULL"),
    (
        "unknown_codes",
        lambda c: bool(c.domain),
        lambda n, c: f"trim({n}) <> '' AND trim({n}) NOT IN ({_sql_text(c.domain)})",
    ),
)

# Rules across tables: rule -> SQL counting it over the raw views.
RELATION_RULES: dict[str, str] = {
    "orphan_partenaire_visite_dropped": (
        "SELECT count(*) FROM raw.tab_partenaire_visite "
        "WHERE id_visite NOT IN (SELECT id_visite FROM raw.tab_visite)"
    ),
    "orphan_evaluation_detailed_dropped": (
        "SELECT count(*) FROM raw.tab_evaluation_detailed "
        "WHERE id_evaluation NOT IN (SELECT id FROM raw.tab_evaluation)"
    ),
    "visites_unknown_utilisateur": (
        "SELECT count(*) FROM raw.tab_visite "
        "WHERE id_utilisateur NOT IN (SELECT id_utilisateur FROM raw.tab_utilisateur)"
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

# Rows kept only when their parent exists (SPEC §3).
KEEP_WHEN: dict[str, str] = {
    PARTENAIRE_VISITE.name: "id_visite IN (SELECT id_visite FROM raw.tab_visite)",
    EVALUATION_DETAILED.name: "id_evaluation IN (SELECT id FROM raw.tab_evaluation)",
}

RULES: tuple[str, ...] = (
    *(rule for rule, _, _ in COLUMN_RULES),
    "labels_missing",
    *RELATION_RULES,
)


def _labels_missing_sql() -> str:
    """Distinct codes used by the data that have no label of any of their types."""
    used = " UNION ".join(
        f'SELECT "{c.name}" AS code, [{_sql_text(c.labelled_by)}] AS types '
        f'FROM clean.{t.name} WHERE "{c.name}" IS NOT NULL'
        for t in TABLES
        for c in t.columns
        if c.labelled_by
    )
    return (
        f"SELECT count(DISTINCT code) FROM ({used}) used WHERE NOT EXISTS ("
        "SELECT 1 FROM clean.tab_par_codification k WHERE k.code_codification = used.code "
        "AND list_contains(used.types, k.type_codification))"
    )


def _view(con: duckdb.DuckDBPyConnection, schema: str, folder: Path, table: Table) -> None:
    path = str(table_path(folder, table.name)).replace("'", "''")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(
        f"CREATE OR REPLACE VIEW {schema}.{table.name} AS SELECT * FROM read_parquet('{path}')"
    )


def _write_clean(con: duckdb.DuckDBPyConnection, table: Table, out: Path) -> int:
    columns = ", ".join(f'{_clean_expr(c)} AS "{c.name}"' for c in table.columns)
    where = f" WHERE {KEEP_WHEN[table.name]}" if table.name in KEEP_WHEN else ""
    reader = con.sql(f"SELECT {columns} FROM raw.{table.name}{where}").to_arrow_reader(
        STREAM_BATCH_ROWS
    )
    schema = table.clean_schema()
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch.cast(schema), row_group_size=ROW_GROUP_ROWS)
            rows += batch.num_rows
    return rows


def _column_counts(con: duckdb.DuckDBPyConnection, table: Table) -> dict[tuple[str, str], int]:
    checks = [
        (rule, column.name, f"count(*) FILTER (WHERE {test(_quoted(column), column)})")
        for rule, applies, test in COLUMN_RULES
        for column in table.columns
        if applies(column)
    ]
    if not checks:
        return {}
    values = con.execute(
        f"SELECT {', '.join(sql for _, _, sql in checks)} FROM raw.{table.name}"
    ).fetchone()
    return {(rule, column): int(v) for (rule, column, _), v in zip(checks, values, strict=True)}


class Normaliser:
    """Cleans the raw tables of ``raw_dir`` into ``clean_dir``, one table at a time (so
    that a table can be cleaned while the next one is still being read), then counts
    what needs all of them. Parents come first in TABLES, as KEEP_WHEN needs."""

    def __init__(self, raw_dir: Path, clean_dir: Path, memory_limit: str = "128MB") -> None:
        self._raw, self._clean = raw_dir, clean_dir
        self._con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": 2,
                "temp_directory": str(clean_dir / ".duckdb-tmp"),
            }
        )
        self._by_column: dict[str, dict[str, int]] = {rule: {} for rule in RULES}

    def __enter__(self) -> Normaliser:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def clean(self, table: Table) -> int:
        """Write the clean table; returns its rows."""
        _view(self._con, "raw", self._raw, table)
        rows = _write_clean(self._con, table, table_path(self._clean, table.name))
        _view(self._con, "clean", self._clean, table)
        for (rule, column), count in _column_counts(self._con, table).items():
            if count:
                self._by_column[rule][f"{table.name}.{column}"] = count
        return rows

    def quality(self) -> Quality:
        """Every count, once all tables are clean."""
        totals = {rule: sum(counts.values()) for rule, counts in self._by_column.items()}
        for rule, sql in {"labels_missing": _labels_missing_sql(), **RELATION_RULES}.items():
            totals[rule] = int(self._con.execute(sql).fetchone()[0])
        return Quality(
            totals={rule: totals[rule] for rule in RULES},
            by_column={r: c for r, c in self._by_column.items() if c},
        )
