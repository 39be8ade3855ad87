"""The analysts' door: one view per table, read-only, and ``visites sql``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from engine_snapshot import publish, write_snapshot

from cli import sql
from config import Settings
from engine import NoSnapshot
from engine.analyst import connect
from snapshot.layout import snapshot_dir
from snapshot.tables import TABLES

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


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_snapshot(tmp_path, "s1", ROWS)
    publish(tmp_path, "s1")
    return tmp_path


def test_one_view_per_table(data_dir: Path) -> None:
    con = connect(data_dir)
    counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES}
    assert counts == {t.name: len(ROWS.get(t.name, [])) for t in TABLES}
    assert con.execute(
        "SELECT nom_utilisateur FROM tab_utilisateur WHERE role = 'SUP'"
    ).fetchall() == [("Bennani",)]


def test_no_snapshot(tmp_path: Path) -> None:
    with pytest.raises(NoSnapshot):
        connect(tmp_path)


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT 1 AS a) TO '{folder}/tab_visite.parquet' (FORMAT parquet)",
        "COPY tab_visite TO '{folder}/copy.csv'",
        "ATTACH '{folder}/db.duckdb'",
        "SELECT * FROM read_parquet('{folder}/tab_visite.parquet')",
        "SET enable_external_access = true",
    ],
)
def test_nothing_can_be_written(data_dir: Path, statement: str) -> None:
    folder = snapshot_dir(data_dir, "s1")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    con = connect(data_dir)
    with pytest.raises(duckdb.Error):
        con.execute(statement.format(folder=folder))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def visites_sql(data_dir: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="visites")
    sql.register(parser.add_subparsers())
    args = parser.parse_args(["sql", *argv])
    return args.run(args, Settings(data_dir=data_dir))


QUERY = (
    "SELECT id_utilisateur, nom_utilisateur, id_responsable "
    "FROM tab_utilisateur ORDER BY id_utilisateur"
)


def test_sql_table(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert visites_sql(data_dir, QUERY) == 0
    assert capsys.readouterr().out == (
        "id_utilisateur  nom_utilisateur  id_responsable\n"
        "--------------  ---------------  --------------\n"
        "             1  Alami                      NULL\n"
        "             2  Bennani                       1\n"
        "(2 rows)\n"
    )


def test_sql_csv(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert visites_sql(data_dir, QUERY, "--format", "csv") == 0
    assert capsys.readouterr().out == (
        "id_utilisateur,nom_utilisateur,id_responsable\n1,Alami,\n2,Bennani,1\n"
    )


def test_sql_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT id_visite, date_visite, 1.50::DECIMAL(6, 2) AS score FROM tab_visite"
    assert visites_sql(data_dir, query, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"id_visite": 7, "date_visite": "2024-01-10T09:30:00", "score": 1.5}
    ]


def test_sql_error_is_one_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert visites_sql(data_dir, "SELECT nope FROM tab_visite") == 1
    err = capsys.readouterr().err
    assert err.startswith("visites sql: ") and "nope" in err


def test_sql_without_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert visites_sql(tmp_path, "SELECT 1") == 1
    assert "no current snapshot" in capsys.readouterr().err
