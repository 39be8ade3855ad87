"""``visites sql``: formats, streaming, stdin, one-line errors, and the documented
queries (README, docs/analysts.md) against the dashboards' own answers."""

from __future__ import annotations

import argparse
import io
import json
import re
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from engine_snapshot import publish, write_snapshot
from helpers import ROOT, VISITES, engine_answer, visites_environ

from cli import sql
from config import Settings
from engine import ENDPOINTS, VisiteFilter
from engine.analyst import connect
from snapshot.demo.generator import DEFAULT_SEED, DEFAULT_VISITS
from snapshot.demo.publish import take_demo_snapshot

ROWS = {
    "tab_utilisateur": [
        {"id_utilisateur": 1, "nom_utilisateur": "Alami", "prenom_utilisateur": "Driss",
         "role": "DIR"},
        {"id_utilisateur": 2, "id_responsable": 1, "nom_utilisateur": "Bennani",
         "prenom_utilisateur": "Sara", "role": "SUP"},
    ],
    "tab_visite": [
        {"id_visite": 7, "id_utilisateur": 2, "code_type_visite": "PLAN",
         "date_visite": datetime(2024, 1, 10, 9, 30)},
    ],
}  # fmt: skip
QUERY = (
    "SELECT id_utilisateur, nom_utilisateur, id_responsable "
    "FROM tab_utilisateur ORDER BY id_utilisateur"
)
# A million rows, the last half of which fail if they are ever computed.
TRAP = "SELECT CASE WHEN i < 500000 THEN i ELSE error('read too far') END AS i FROM range(1000000) t(i)"  # noqa: E501


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_snapshot(tmp_path, "s1", ROWS)
    publish(tmp_path, "s1")
    return tmp_path


def visites_sql(data_dir: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="visites")
    sql.register(parser.add_subparsers())
    args = parser.parse_args(["sql", *argv])
    return args.run(args, Settings(data_dir=data_dir))


def test_table(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert visites_sql(data_dir, QUERY) == 0
    assert capsys.readouterr().out == (
        "id_utilisateur  nom_utilisateur  id_responsable\n"
        "--------------  ---------------  --------------\n"
        "             1  Alami                      NULL\n"
        "             2  Bennani                       1\n"
        "(2 rows)\n"
    )


def test_the_table_says_where_it_stops_and_computes_no_more(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert visites_sql(data_dir, TRAP, "--limit", "3") == 0  # the error rows never ran
    assert capsys.readouterr().out == (
        "i\n-\n0\n1\n2\n"
        "(first 3 rows shown, more not read: --limit N shows N, "
        "--format csv or ndjson writes them all)\n"
    )
    assert visites_sql(data_dir, QUERY, "--limit", "2") == 0
    assert capsys.readouterr().out.endswith("(2 rows)\n")  # exactly the limit: nothing more


def test_csv(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT 1 AS n, 'a,\"b\"' AS text, NULL AS nothing, [1, 2] AS list"
    assert visites_sql(data_dir, query, "--format", "csv") == 0
    assert capsys.readouterr().out == 'n,text,nothing,list\n1,"a,""b""",,"[1,2]"\n'
    assert visites_sql(data_dir, QUERY, "--format", "csv") == 0
    assert capsys.readouterr().out == (
        'id_utilisateur,nom_utilisateur,id_responsable\n1,"Alami",\n2,"Bennani",1\n'
    )


def test_ndjson_and_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = (
        "SELECT id_visite, date_visite, 1.50::DECIMAL(6, 2) AS score, 'two\nlines' AS text, "
        "1 AS n, 2 AS n FROM tab_visite"
    )
    row = {"id_visite": 7, "date_visite": "2024-01-10 09:30:00", "score": 1.5,
           "text": "two\nlines", "n": 1, "n_1": 2}  # fmt: skip
    assert visites_sql(data_dir, query, "--format", "ndjson") == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [row]
    assert visites_sql(data_dir, query, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == [row]
    assert visites_sql(data_dir, "SELECT 1 AS n LIMIT 0", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_every_row_is_written_in_each_format(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several batches (sql.BATCH_ROWS each), none lost or repeated."""
    query = f"SELECT i, i * 2 AS double FROM range({sql.BATCH_ROWS * 2 + 7}) t(i)"
    expected = [{"i": i, "double": 2 * i} for i in range(sql.BATCH_ROWS * 2 + 7)]
    assert visites_sql(data_dir, query, "--format", "ndjson") == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == expected
    assert visites_sql(data_dir, query, "--format", "csv") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "i,double" and lines[1:] == [f"{r['i']},{r['double']}" for r in expected]
    output = tmp_path / "rows.parquet"
    assert visites_sql(data_dir, query, "--format", "parquet", "--output", str(output)) == 0
    assert pq.read_table(output).to_pylist() == expected
    assert capsys.readouterr().out == ""


def test_the_query_from_stdin(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT count(*) AS n\nFROM tab_utilisateur\n"))
    assert visites_sql(data_dir, "-", "--format", "csv") == 0
    assert capsys.readouterr().out == "n\n2\n"


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("SELECT nope FROM tab_visite", 'Referenced column "nope" not found'),
        ("SELECT * FROM tab_nothing", "Table with name tab_nothing does not exist"),
        ("SELEC 1", "syntax error"),
        (TRAP, "Invalid Input Error: read too far"),  # half-way through the rows
    ],
)
def test_bad_sql_is_one_line_and_leaves_no_file(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str, said: str
) -> None:
    output = tmp_path / "out.csv"
    assert visites_sql(data_dir, query, "--format", "csv", "--output", str(output)) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("visites sql: ") and said in line
    assert not output.exists() and not list(tmp_path.glob(".out.csv.*"))


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("  ",), "visites sql: the query is empty"),
        ((QUERY, "--limit", "0"), "visites sql: --limit must be at least 1, not 0"),
        ((QUERY, "--format", "parquet"), "visites sql: --format parquet needs --output FILE"),
    ],
)
def test_bad_arguments(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], said: str
) -> None:
    assert visites_sql(data_dir, *argv) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(said)


def test_without_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert visites_sql(tmp_path, "SELECT 1") == 1
    assert "no current snapshot" in capsys.readouterr().err


def test_a_reader_that_stops_early_ends_it_quietly(data_dir: Path) -> None:
    """`visites sql ... | head -1`: killed by SIGPIPE like any filter, no traceback."""
    process = subprocess.Popen(
        [*VISITES, "sql", "SELECT * FROM range(10000000)", "--format", "csv"],
        cwd=ROOT,
        env=visites_environ(VISITES_DATA_DIR=str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"range\n"
    process.stdout.close()
    assert process.wait(timeout=120) == -signal.SIGPIPE
    assert process.stderr.read() == b""


# ----------------------------------------------- the documented queries, reconciled


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo `visites serve` publishes on a fresh machine (200,000 visits, seed 42)."""
    data_dir = tmp_path_factory.mktemp("default-demo")
    demo = {"visits": DEFAULT_VISITS, "seed": DEFAULT_SEED}
    take_demo_snapshot(data_dir, **demo, keep=1, batch_rows=50_000)
    return data_dir


@pytest.fixture(scope="module")
def messy_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("messy-demo")
    take_demo_snapshot(data_dir, visits=5_000, seed=7, messy=True, keep=1, batch_rows=50_000)
    return data_dir


def readme_example() -> tuple[str, str]:
    """The README's `visites sql` example: its query and the output it shows."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- readme-analysts-example -->")[1].split("<!-- /")[0]
    fences = re.findall(r"```(\w*)\n(.*?)```", block, re.S)
    assert [language for language, _ in fences] == ["sh", ""]
    [(_, command), (_, output)] = fences
    return re.search(r'visites sql "(.*)"', command, re.S)[1], output


def test_the_readme_example_prints_the_dashboard_number(
    default_demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query, shown = readme_example()
    assert visites_sql(default_demo, query) == 0
    printed = capsys.readouterr().out
    assert printed == shown
    _, answer = engine_answer(default_demo, "data", VisiteFilter(id_responsable=4, annee=2024))
    assert int(printed.splitlines()[2]) == answer["statistiques"]["nbr_total_visites_planifiees"]


def documented_queries() -> Iterator[tuple[str, str, str]]:
    """docs/analysts.md's queries that name the block they reproduce:
    (endpoint, block, query), from each `-- /<endpoint>, <block>: ...` comment."""
    text = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        yield from re.findall(r"-- /(\w+), (\w+):.*?\n(.*?);", block, re.S)


@pytest.mark.parametrize("demo", ["default_demo", "messy_demo"])
def test_the_documented_queries_give_the_dashboards_blocks(
    demo: str, request: pytest.FixtureRequest
) -> None:
    data_dir: Path = request.getfixturevalue(demo)
    queries = list(documented_queries())
    assert len(queries) == 3
    con = connect(data_dir)
    for endpoint, key, query in queries:
        result = con.sql(query)
        got = [dict(zip(result.columns, row, strict=True)) for row in result.fetchall()]
        _, answer = engine_answer(data_dir, endpoint, ENDPOINTS[endpoint]())
        expected = [{c: item[c] for c in result.columns} for item in answer[key]]
        assert got == expected, (endpoint, key)
        assert got, "a block with items"


def test_nothing_is_written_through_visites_sql(data_dir: Path) -> None:
    """The same read-only connection as engine.analyst: COPY is refused."""
    target = data_dir / "copy.csv"
    with pytest.raises(duckdb.Error):
        connect(data_dir).execute(f"COPY (SELECT 1) TO '{target}'")
    assert visites_sql(data_dir, f"COPY (SELECT 1) TO '{target}'") == 1
    assert not target.exists()
