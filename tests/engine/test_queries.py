"""The SQL helpers of queries/, checked against an independent oracle."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

import queries


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(queries.load("build/6_macros"))
    return con


@pytest.mark.parametrize(
    ("part", "total", "expected"),
    [
        (1, 3, 33.33),
        (2, 3, 66.67),
        (1, 8, 12.5),
        (1, 32, 3.13),  # 3.125: half-up, where banker's rounding gives 3.12
        (3, 32, 9.38),  # 9.375
        (1, 800, 0.13),  # 0.125
        (0, 7, 0.0),
        (7, 7, 100.0),
    ],
)
def test_percentage_by_hand(
    con: duckdb.DuckDBPyConnection, part: int, total: int, expected: float
) -> None:
    assert con.execute("SELECT percentage($p, $t)", {"p": part, "t": total}).fetchone() == (
        expected,
    )


def test_percentage_is_exact_half_up(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute(
        "SELECT p, t, percentage(p, t) FROM range(1, 161) a(t), range(0, 161) b(p) WHERE p <= t"
    ).fetchall()
    for part, total, share in got:
        exact = (Decimal(100 * part) / Decimal(total)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert share == float(exact), (part, total)


def test_build_scripts_run_in_order() -> None:
    names = queries.build_scripts()
    assert names == sorted(names) and names[0] == "build/1_code"
    assert all(queries.load(name).strip() for name in names)
