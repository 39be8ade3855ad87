"""One generic path from a ``.sql`` file to a statement DuckDB can run.

A query's text names the rows it filters with a placeholder per subject, e.g.
``WHERE {contacts}``; rendering replaces each with the compiled filter and binds only
the parameters the final text uses (DuckDB refuses unused ones). ``{!name}`` is TRUE
when the strict subject ``name`` cannot take the filter and FALSE when it can: a query
reads its fast rows under ``{name}`` and its general path under ``{!name}``, and DuckDB
drops the branch whose condition is the constant FALSE before running anything
(docs/engine.md).
"""

from __future__ import annotations

import re

import msgspec

import queries
from engine.compiler import SUBJECTS, compile_filter

# A bare word in braces; DuckDB struct literals ({'key': ...}) never look like that.
PLACEHOLDER = re.compile(r"\{(!?)(\w+)\}")
PARAMETER = re.compile(r"\$(\w+)")


class Statement(msgspec.Struct, frozen=True):
    sql: str
    params: dict[str, object]


def render(name: str, filter_: msgspec.Struct | None = None, **params: object) -> Statement:
    """The statement of ``queries/<name>.sql`` for ``filter_`` and extra ``params``."""
    bound = dict(params)

    def where(match: re.Match[str]) -> str:
        negated, subject = match.groups()
        assert filter_ is not None, f"queries/{name}.sql filters rows: it needs a filter"
        compiled = compile_filter(filter_, SUBJECTS[subject])
        if negated:
            return "FALSE" if compiled.exact else "TRUE"
        bound.update(compiled.params)
        return compiled.sql

    sql = PLACEHOLDER.sub(where, queries.load(name))
    used = set(PARAMETER.findall(sql))
    return Statement(sql, {k: v for k, v in bound.items() if k in used})
