"""The CRM's MySQL schema (a copy of shared/schema.sql), for demo and test databases."""

from __future__ import annotations

from pathlib import Path

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def schema_statements() -> list[str]:
    """The CREATE TABLE statements of schema.sql, comments removed."""
    lines = SCHEMA_SQL.read_text(encoding="utf-8").splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]
