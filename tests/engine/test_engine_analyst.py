"""The analysts' door: one view per table, the views in the dashboards' terms
(queries/analyst.sql), read-only. ``visites sql`` itself: tests/test_sql.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from engine_snapshot import publish, write_snapshot

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


# ------------------------------------------------------- visite_rows and team, by hand
# A chain 1 <- 2 <- 3, a cycle 4 <-> 5, user 6 under 99 who is no user; labels for
# RE1 and ET1 only (VI1 falls back to its code); partner 11 has no tab_partenaire row;
# visit 8 met nobody.
VIEW_ROWS = {
    "tab_par_codification": [
        {"code_codification": "RE1", "libelle_codification": "Casablanca",
         "type_codification": "REGION"},
        {"code_codification": "ET1", "libelle_codification": "Clinique",
         "type_codification": "ETPR"},
    ],
    "tab_utilisateur": [
        {"id_utilisateur": 1, "nom_utilisateur": "Alami", "prenom_utilisateur": "Driss",
         "role": "DIR"},
        {"id_utilisateur": 2, "id_responsable": 1, "nom_utilisateur": "Bennani",
         "prenom_utilisateur": "Sara", "role": "SUP"},
        {"id_utilisateur": 3, "id_responsable": 2, "nom_utilisateur": "Chraibi",
         "prenom_utilisateur": "Omar", "role": "del"},
        {"id_utilisateur": 4, "id_responsable": 5, "nom_utilisateur": "Daoudi",
         "role": "DEL"},
        {"id_utilisateur": 5, "id_responsable": 4, "nom_utilisateur": "Eddahbi",
         "prenom_utilisateur": "Hind", "role": "SUP"},
        {"id_utilisateur": 6, "id_responsable": 99, "nom_utilisateur": "Fassi",
         "prenom_utilisateur": "Ali", "role": "DEL"},
    ],
    "tab_partenaire": [
        {"id_partenaire": 10, "nom_partenaire": "Clinique A", "code_potentiel": "A",
         "code_type_etablissement": "ET1", "code_statut_partenaire": "VALI"},
    ],
    "tab_visite": [
        {"id_visite": 7, "id_utilisateur": 3, "id_responsable": 2, "code_type_visite": "PLAN",
         "date_visite": datetime(2024, 1, 10, 9, 30)},
        {"id_visite": 8, "id_utilisateur": 4, "code_type_visite": "HOPL",
         "date_visite": datetime(2023, 12, 31, 23, 0)},
        {"id_visite": 9, "id_utilisateur": 6, "code_type_visite": "PLAN",
         "date_visite": datetime(2024, 2, 1, 8, 0)},
    ],
    "tab_partenaire_visite": [
        {"id_visite": 7, "id_partenaire": 10, "code_region_partenaire": "RE1",
         "code_ville_partenaire": "VI1", "code_gamme_partenaire": "GA1"},
        {"id_visite": 7, "id_partenaire": 11, "code_region_partenaire": "RE1"},
        {"id_visite": 9, "id_partenaire": 10, "code_region_partenaire": "RE2"},
    ],
}  # fmt: skip


@pytest.fixture
def views(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    write_snapshot(tmp_path, "s1", VIEW_ROWS)
    publish(tmp_path, "s1")
    return connect(tmp_path)


def test_visite_rows_are_the_visit_rows_with_labels(views: duckdb.DuckDBPyConnection) -> None:
    rows = views.execute(
        "SELECT id_visite, annee, mois, utilisateur, role, id_partenaire, region, ville, "
        "gamme, code_potentiel, etablissement, type_etablissement FROM visite_rows "
        "ORDER BY id_visite, id_partenaire"
    ).fetchall()
    assert rows == [
        (7, 2024, 1, "Chraibi Omar", "DEL", 10, "Casablanca", "VI1", "GA1", "A", "Clinique",
         "ETPR"),
        (7, 2024, 1, "Chraibi Omar", "DEL", 11, "Casablanca", None, None, None, None, None),
        (8, 2023, 12, "Daoudi", "DEL", None, None, None, None, None, None, None),
        (9, 2024, 2, "Fassi Ali", "DEL", 10, "RE2", None, None, "A", "Clinique", "ETPR"),
    ]  # fmt: skip
    assert views.execute(
        "SELECT count(*), count(DISTINCT id_visite) FROM visite_rows"
    ).fetchone() == (4, 3)


def test_team_reaches_every_depth_and_survives_a_cycle(views: duckdb.DuckDBPyConnection) -> None:
    pairs = set(views.execute("SELECT id_responsable, id_utilisateur FROM team").fetchall())
    assert pairs == {
        (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6),  # everyone is in their own team
        (1, 2), (1, 3), (2, 3),  # the chain 1 <- 2 <- 3
        (4, 5), (5, 4),  # the cycle
        (99, 6),  # under an id that is no user
    }  # fmt: skip


def test_codification_gives_each_code_its_label(views: duckdb.DuckDBPyConnection) -> None:
    assert views.execute("SELECT * FROM codification ORDER BY code").fetchall() == [
        ("ET1", "Clinique", "ETPR"),
        ("RE1", "Casablanca", "REGION"),
    ]
