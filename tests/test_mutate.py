"""`just mutate` (tools/mutate.py, docs/testing.md): its SQL mutator makes one mutant per
operator site, none in comments, strings or placeholders, nor where a change cannot
alter an answer; it knows which Python functions run only at import. Every expected
value below is written out by hand."""

from __future__ import annotations

import pytest

from tools.mutate import _function_path, _import_time_functions, sql_mutants


def mutants(sql: str) -> list[str]:
    return sorted(m.text for m in sql_mutants("queries", "q.sql", sql))


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param(
            "SELECT a FROM t WHERE a < 1 -- a < 2\nAND b = 'x < y'",
            [
                "SELECT a FROM t WHERE a < 1 -- a < 2\nAND b <> 'x < y'",
                "SELECT a FROM t WHERE a < 1 -- a < 2\nOR b = 'x < y'",
                "SELECT a FROM t WHERE a < 2 -- a < 2\nAND b = 'x < y'",
                "SELECT a FROM t WHERE a <= 1 -- a < 2\nAND b = 'x < y'",
            ],
            id="comments-and-strings-untouched",
        ),
        pytest.param(
            "SELECT count(DISTINCT id) FROM contact WHERE {contacts} AND {!agregats}",
            [
                "SELECT count(DISTINCT id) FROM contact WHERE {contacts} OR {!agregats}",
                "SELECT count(id) FROM contact WHERE {contacts} AND {!agregats}",
            ],
            id="placeholders-untouched",
        ),
        pytest.param(
            "SELECT list(x ORDER BY a, b DESC NULLS LAST) FROM t",
            [
                "SELECT list(x ORDER BY a DESC, b DESC NULLS LAST) FROM t",
                "SELECT list(x ORDER BY a, b ASC NULLS LAST) FROM t",
                "SELECT list(x ORDER BY a, b DESC NULLS FIRST) FROM t",
            ],
            id="order-keys",
        ),
        pytest.param(
            "SELECT coalesce(sum(v), 0) FROM t LEFT JOIN u USING (k)",
            [
                "SELECT (sum(v)) FROM t LEFT JOIN u USING (k)",
                "SELECT coalesce(sum(v), 0) FROM t JOIN u USING (k)",
                "SELECT coalesce(sum(v), 1) FROM t LEFT JOIN u USING (k)",
            ],
            id="defaults-and-joins",
        ),
        pytest.param(
            "SELECT * FROM t WHERE a BETWEEN 1 AND 2 OR b IS NULL",
            [
                "SELECT * FROM t WHERE a BETWEEN 1 AND 2 AND b IS NULL",
                "SELECT * FROM t WHERE a BETWEEN 1 AND 2 OR b IS NOT NULL",
                "SELECT * FROM t WHERE a BETWEEN 1 AND 3 OR b IS NULL",
                "SELECT * FROM t WHERE a BETWEEN 2 AND 2 OR b IS NULL",
            ],
            id="between-keeps-its-and",
        ),
        pytest.param(
            "SELECT -1, a - 1, round(a / 3, 2) FROM t",
            [
                "SELECT -1, a - 1, (a / 3) FROM t",
                "SELECT -1, a - 1, round(a * 3, 2) FROM t",
                "SELECT -1, a - 1, round(a / 3, 3) FROM t",
                "SELECT -1, a - 1, round(a / 4, 2) FROM t",
                "SELECT -1, a - 2, round(a / 3, 2) FROM t",
                "SELECT -1, a + 1, round(a / 3, 2) FROM t",
                "SELECT -2, a - 1, round(a / 3, 2) FROM t",
            ],
            id="a-sign-is-no-operator",
        ),
        pytest.param(
            "SELECT a FROM t UNION ALL SELECT a FROM u UNION SELECT a FROM v",
            ["SELECT a FROM t UNION ALL SELECT a FROM u UNION ALL SELECT a FROM v"],
            id="a-later-union-removes-duplicates-anyway",
        ),
        pytest.param(
            "CREATE TABLE t AS SELECT CAST(x AS DECIMAL(18, 0)) AS y FROM s\n"
            "WHERE EXISTS (SELECT 1 FROM r) ORDER BY y",
            [],
            id="sites-that-change-no-answer",
        ),
        pytest.param(
            "WITH c AS NOT MATERIALIZED (SELECT min(v) AS m FROM t) SELECT m FROM c",
            ["WITH c AS NOT MATERIALIZED (SELECT max(v) AS m FROM t) SELECT m FROM c"],
            id="planner-hints-untouched",
        ),
    ],
)
def test_one_mutant_per_site(sql: str, expected: list[str]) -> None:
    assert mutants(sql) == sorted(expected)


def test_each_mutant_names_its_line_and_change() -> None:
    (only,) = sql_mutants("queries", "q.sql", "SELECT a\nFROM t\nWHERE NOT b")
    assert (only.path, only.line, only.change) == ("q.sql", 3, "drop `NOT`")


MODULE = """
def a(): return 1
def b(): return a()
def c(): return lambda: d()
def d(): return 2
def e(): return 3
X = b()
Y = c()
Z = [lambda: e()]
class K:
    k = a()
    def m(self): return e()
"""


def test_functions_that_run_at_import_are_known():
    # b and c are called by the module, a by b and by K's body; d only inside a lambda,
    # e only inside a lambda and a method: both run later, if ever.
    assert _import_time_functions(MODULE) == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("engine.engine.xǁEngineǁ__init____mutmut_1", ["Engine", "__init__"]),
        ("snapshot.normalise.x__sql_text__mutmut_10", ["_sql_text"]),
    ],
)
def test_a_mutmut_name_points_to_its_function(name, path):
    assert _function_path(name) == path
