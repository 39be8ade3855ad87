"""Load the source tables (e.g. ``generate()``) into a MySQL/MariaDB database, fast.

The database gets ``schema.sql`` (a copy of the contract's shared/schema.sql; the eight
tables are dropped first if they exist), then each table is bulk-loaded with ``LOAD DATA
LOCAL INFILE`` from a temporary tab-separated file. The file is written batch by batch with
pyarrow compute (escaping, NULL as ``\\N``) and the bytes of the joined lines go straight to
disk: no Python object per row.
The session runs with ``sql_mode=''`` so MySQL zero dates load as they are.
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pymysql

from snapshot.mysql import SourceError, parse_url
from snapshot.tables import BY_NAME

BATCH_ROWS = 256 * 1024  # rows joined at once: a few tens of MB of text at most
NULL = "\\N"
# MySQL's default LOAD DATA escapes, applied backslash first so no escape is escaped twice.
ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
NEEDS_ESCAPE = r"[\\\t\n\r]"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def load_into_mysql(tables: dict[str, pa.Table], url: str) -> None:
    """Create the source schema in the database of ``url`` and bulk-load ``tables`` into it.

    ``url`` is a SQLAlchemy URL (``mysql+pymysql://user:pw@host:3306/db?charset=utf8mb4``).
    Tables are keyed by source table name; their columns must be source columns. Any
    warning from the server (a truncated value, a skipped duplicate) is an error: the
    database must hold exactly what the tables hold.
    """
    unknown = sorted(set(tables) - set(BY_NAME))
    if unknown:
        raise ValueError(f"not source tables: {', '.join(unknown)}")
    with (
        tempfile.TemporaryDirectory(prefix="visites-load-") as folder,
        closing(pymysql.connect(**_connection_args(url))) as connection,
        connection.cursor() as cursor,
    ):
        # No strict mode (zero dates load), no per-row unique/foreign key checks (MariaDB
        # then bulk-loads an empty table in one go).
        cursor.execute("SET SESSION sql_mode = ''")
        cursor.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        create_schema(cursor)
        for name, table in tables.items():
            path = Path(folder) / f"{name}.tsv"
            write_tsv(table, path)
            _load_file(cursor, name, table.column_names, path)
            connection.commit()
            path.unlink()


def _connection_args(url: str) -> dict[str, Any]:
    parsed = parse_url(url)
    if not parsed.database:
        raise SourceError("VISITES_MYSQL_URL names no database")
    return {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 3306,
        "user": parsed.username or "root",
        "password": parsed.password or "",
        "database": parsed.database,
        "charset": str(parsed.query.get("charset", "utf8mb4")),
        "local_infile": True,
        "autocommit": False,
    }


def schema_statements() -> list[str]:
    """The CREATE TABLE statements of schema.sql, comments removed."""
    lines = SCHEMA_SQL.read_text(encoding="utf-8").splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]


def create_schema(cursor: pymysql.cursors.Cursor) -> None:
    """(Re)create the eight source tables from schema.sql."""
    for name in BY_NAME:
        cursor.execute(f"DROP TABLE IF EXISTS `{name}`")
    for statement in schema_statements():
        cursor.execute(statement)


def _load_file(cursor: pymysql.cursors.Cursor, name: str, columns: list[str], path: Path) -> None:
    known = set(BY_NAME[name].column_names)
    if not set(columns) <= known:
        raise ValueError(f"{name}: unknown columns {sorted(set(columns) - known)}")
    column_list = ", ".join(f"`{c}`" for c in columns)
    cursor.execute(
        f"LOAD DATA LOCAL INFILE %s INTO TABLE `{name}` CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
        f"({column_list})",
        (str(path),),
    )
    cursor.execute("SHOW WARNINGS LIMIT 3")
    warnings = cursor.fetchall()
    if warnings:
        raise RuntimeError(f"loading {name}: the server changed the data: {warnings}")


def write_tsv(table: pa.Table, path: Path) -> None:
    """``table`` as MySQL LOAD DATA text: tab-separated, ``\\N`` for NULL, backslash escapes."""
    with open(path, "wb") as out:
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            if batch.num_rows:
                out.write(_lines(batch))


def _lines(batch: pa.RecordBatch) -> memoryview:
    """The batch's lines as one contiguous byte range (the joined strings' data buffer)."""
    fields = [_field_text(column) for column in batch.columns]
    fields[-1] = pc.binary_join_element_wise(fields[-1], "\n", "")
    lines = pc.binary_join_element_wise(*fields, "\t")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return memoryview(lines.buffers()[2])[first:last]


def _field_text(column: pa.Array) -> pa.Array:
    """A column as escaped text, NULL as \\N (so the joined line is never NULL)."""
    text = column.cast(pa.string())
    is_text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    if is_text and pc.any(pc.match_substring_regex(text, NEEDS_ESCAPE)).as_py():
        for raw, escaped in ESCAPES:
            text = pc.replace_substring(text, raw, escaped)
    return pc.fill_null(text, NULL)
