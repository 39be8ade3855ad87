"""SPEC §3 rule by rule, on Arrow tables alone (no MariaDB, no subprocess): each test
soils one value or row of a small clean CRM, runs the normaliser over it as Parquet,
and checks the clean rows and the quality counts the manifest publishes (``quality``
and ``quality_by_column``) against values written by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import Engine
from snapshot.job import take_snapshot
from snapshot.layout import current_dir, table_path
from snapshot.manifest import Source
from snapshot.normalise import Normaliser, Quality
from snapshot.tables import BY_NAME, TABLES

Rows = dict[str, list[dict[str, Any]]]

# The day every test's snapshot is taken: dates up to 366 days later are plausible.
SNAPSHOT_DAY = dt.date(2024, 6, 30)

# Every rule of docs/snapshot.md's table: the manifest names each one, 0 when clean.
NOTHING_COUNTED = dict.fromkeys(
    (
        "codes_trimmed",
        "empty_strings_nulled",
        "roles_uppercased",
        "invalid_dates_nulled",
        "implausible_dates_nulled",
        "null_codes",
        "unknown_codes",
        "labels_missing",
        "orphan_partenaire_visite_dropped",
        "orphan_evaluation_detailed_dropped",
        "visites_unknown_utilisateur",
        "partenaires_unknown",
        "hierarchy_cycle_users",
    ),
    0,
)


def crm() -> Rows:
    """A CRM in the raw form the extraction writes, with nothing to repair or count:
    every code filled, known and labelled, every date valid, every row with its parent.
    The first row of each table is the one the tests soil."""
    return {
        "tab_par_codification": [
            {
                "code_codification": "RE00001",
                "libelle_codification": "Casablanca-Settat",
                "type_codification": "REGI",
            },
            {
                "code_codification": "RE00002",
                "libelle_codification": "Fès-Meknès",
                "type_codification": "REGI",
            },
            *(
                {"code_codification": code, "libelle_codification": label, "type_codification": t}
                for code, label, t in (
                    ("VI00001", "Anfa", "VILL"),
                    ("GA00001", "Cardiologie", "GAMM"),
                    ("SP00001", "Cardiologue", "SPEC"),
                    ("ET00001", "Cabinet privé", "ETPR"),
                    ("CE00001", "Connaissance produit", "CATE"),
                    ("SEV00001", "Argumentaire", "SCAT"),
                    ("TI00001", "Congrès", "TINV"),
                    ("CI00001", "Formation médicale", "CINV"),
                )
            ),
        ],
        "tab_utilisateur": [
            {
                "id_utilisateur": 3,
                "id_responsable": 2,
                "nom_utilisateur": "Ouazzani",
                "prenom_utilisateur": "Zineb",
                "role": "DEL",
                "date_creation": "2021-12-31 23:59:59",
            },
            {
                "id_utilisateur": 2,
                "id_responsable": 1,
                "nom_utilisateur": "Benjelloun",
                "prenom_utilisateur": "Mehdi",
                "role": "SUP",
                "date_creation": "2020-05-04 08:00:00",
            },
            {
                "id_utilisateur": 1,
                "id_responsable": None,
                "nom_utilisateur": "El Amrani",
                "prenom_utilisateur": "Aïcha",
                "role": "DIR",
                "date_creation": "2019-03-04 08:15:00",
            },
        ],
        "tab_partenaire": [
            {
                "id_partenaire": 10,
                "nom_partenaire": "Tazi",
                "prenom_partenaire": "Karim",
                "code_potentiel": "A",
                "code_type_etablissement": "ET00001",
                "code_statut_partenaire": "VALI",
                "code_gamme": "GA00001",
                "code_specialite": "SP00001",
                "code_type_partenaire": "MEDE",
                "code_region_partenaire": "RE00001",
                "code_ville_partenaire": "VI00001",
            }
        ],
        "tab_visite": [
            {
                "id_visite": 100,
                "id_utilisateur": 3,
                "id_responsable": 2,
                "code_type_visite": "PLAN",
                "code_statut_visite": "CLOT",
                "flag_accompagnee": "N",
                "date_visite": "2024-03-05 10:30:00",
                "heure_fin_visite": "11:00:00",
                "type_visite": "S",
            },
            {
                "id_visite": 200,
                "id_utilisateur": 3,
                "id_responsable": 2,
                "code_type_visite": "HOPL",
                "code_statut_visite": "REAL",
                "flag_accompagnee": "O",
                "date_visite": "2024-03-06 15:00:00",
                "heure_fin_visite": "15:45:00",
                "type_visite": "G",
            },
        ],
        "tab_partenaire_visite": [
            {
                "id_visite": visite,
                "id_partenaire": 10,
                "code_region_partenaire": "RE00001",
                "code_ville_partenaire": "VI00001",
                "code_type_partenaire": "MEDE",
                "code_gamme_partenaire": "GA00001",
                "code_specialite_partenaire": "SP00001",
            }
            for visite in (100, 200)
        ],
        "tab_evaluation": [
            {
                "id": evaluation,
                "id_createur": 2,
                "id_utilisateur_evalue": 3,
                "points_obtenu": Decimal("15.50"),
                "points_total": Decimal("20.00"),
                "date_integration": "2024-03-10 08:00:00",
            }
            for evaluation in (7, 9)
        ],
        "tab_evaluation_detailed": [
            {
                "id": detail,
                "id_evaluation": evaluation,
                "code_categorie": "CE00001",
                "code_sous_categorie": "SEV00001",
                "point_obtenu": Decimal("7.50"),
                "point_sur": Decimal("10.00"),
            }
            for detail, evaluation in ((70, 7), (90, 9))
        ],
        "tab_partenaire_bc": [
            {
                "id_business_case": 5,
                "id_partenaire": 10,
                "id_responsable": 2,
                "code_statut_bc": "VALI",
                "code_type_investissement": "TI00001",
                "code_categorie_investissement": "CI00001",
                "budget": Decimal("1200.00"),
                "date_realisation": "2024-04-01",
            }
        ],
    }


def arrow(rows: Rows, table: str) -> pa.Table:
    return pa.Table.from_pylist(rows[table], schema=BY_NAME[table].raw_schema())


class Normalised(msgspec.Struct, frozen=True):
    tables: Rows
    quality: Quality

    def row(self, table: str, key: Any) -> dict[str, Any]:
        """The clean row of ``table`` whose key column holds ``key``."""
        [found] = [r for r in self.tables[table] if r[BY_NAME[table].key] == key]
        return found


def normalise(folder: Path, rows: Rows) -> Normalised:
    """What the snapshot job does between reading the source and writing the manifest."""
    raw, clean = folder / "raw", folder / "clean"
    raw.mkdir()
    clean.mkdir()
    with Normaliser(raw, clean, snapshot_day=SNAPSHOT_DAY) as normaliser:
        for table in TABLES:
            source = arrow(rows, table.name)
            pq.write_table(source, table_path(raw, table.name))
            normaliser.clean(table, source.num_rows)
        quality = normaliser.quality()
    tables = {t.name: pq.read_table(table_path(clean, t.name)).to_pylist() for t in TABLES}
    return Normalised(tables, quality)


def soiled(table: str, column: str, value: Any) -> Rows:
    """The clean CRM with ``value`` in ``column`` of the first row of ``table``."""
    rows = crm()
    rows[table][0][column] = value
    return rows


def test_a_clean_crm_is_kept_as_it_is_and_counts_nothing(tmp_path):
    result = normalise(tmp_path, crm())

    assert result.quality.totals == NOTHING_COUNTED
    assert result.quality.by_column == {}
    assert {name: len(rows) for name, rows in result.tables.items()} == {
        "tab_par_codification": 10,
        "tab_utilisateur": 3,
        "tab_partenaire": 1,
        "tab_visite": 2,
        "tab_partenaire_visite": 2,
        "tab_evaluation": 2,
        "tab_evaluation_detailed": 2,
        "tab_partenaire_bc": 1,
    }
    assert result.row("tab_visite", 100) == {
        "id_visite": 100,
        "id_utilisateur": 3,
        "id_responsable": 2,
        "code_type_visite": "PLAN",
        "code_statut_visite": "CLOT",
        "flag_accompagnee": "N",
        "date_visite": dt.datetime(2024, 3, 5, 10, 30),
        "heure_fin_visite": dt.time(11, 0),
        "type_visite": "S",
    }
    assert result.row("tab_partenaire_bc", 5)["date_realisation"] == dt.date(2024, 4, 1)
    assert result.row("tab_evaluation", 7)["points_obtenu"] == Decimal("15.50")


@pytest.mark.parametrize(
    ("table", "column", "raw", "clean"),
    [
        ("tab_partenaire", "code_potentiel", " B", "B"),
        # Trimmed, the code finds its label again: nothing counted as missing.
        ("tab_partenaire_visite", "code_region_partenaire", "RE00001  ", "RE00001"),
        (
            "tab_par_codification",
            "libelle_codification",
            " Casablanca-Settat ",
            "Casablanca-Settat",
        ),
        ("tab_utilisateur", "nom_utilisateur", "  Ouazzani", "Ouazzani"),
    ],
)
def test_codes_labels_and_names_are_trimmed(tmp_path, table, column, raw, clean):
    rows = soiled(table, column, raw)
    key = rows[table][0][BY_NAME[table].key]

    result = normalise(tmp_path, rows)

    assert result.row(table, key)[column] == clean
    assert result.quality.totals == NOTHING_COUNTED | {"codes_trimmed": 1}
    assert result.quality.by_column == {"codes_trimmed": {f"{table}.{column}": 1}}


@pytest.mark.parametrize(
    ("table", "column", "raw"),
    [
        ("tab_visite", "code_statut_visite", ""),
        ("tab_partenaire", "prenom_partenaire", "   "),
        # A column the CRM declares NOT NULL is no exception.
        ("tab_utilisateur", "prenom_utilisateur", ""),
        ("tab_partenaire_bc", "code_type_investissement", " "),
    ],
)
def test_empty_strings_become_null(tmp_path, table, column, raw):
    rows = soiled(table, column, raw)
    key = rows[table][0][BY_NAME[table].key]

    result = normalise(tmp_path, rows)

    assert result.row(table, key)[column] is None
    # Counted as emptied, not as a NULL code of the source.
    assert result.quality.totals == NOTHING_COUNTED | {"empty_strings_nulled": 1}
    assert result.quality.by_column == {"empty_strings_nulled": {f"{table}.{column}": 1}}


@pytest.mark.parametrize(
    ("raw", "clean", "counted"),
    [
        ("del", "DEL", {"roles_uppercased": 1}),
        ("Sup", "SUP", {"roles_uppercased": 1}),
        (" dir ", "DIR", {"roles_uppercased": 1, "codes_trimmed": 1}),
        (" DEL", "DEL", {"codes_trimmed": 1}),
    ],
)
def test_roles_are_upper_cased(tmp_path, raw, clean, counted):
    result = normalise(tmp_path, soiled("tab_utilisateur", "role", raw))

    assert result.row("tab_utilisateur", 3)["role"] == clean
    assert result.quality.totals == NOTHING_COUNTED | counted
    assert result.quality.by_column == {
        rule: {"tab_utilisateur.role": count} for rule, count in counted.items()
    }


@pytest.mark.parametrize(
    ("table", "column", "raw"),
    [
        ("tab_visite", "date_visite", "0000-00-00 00:00:00"),
        ("tab_utilisateur", "date_creation", "2023-02-30 08:00:00"),
        ("tab_evaluation", "date_integration", "2023-02-29 12:00:00"),
        ("tab_partenaire_bc", "date_realisation", "0000-00-00"),
        ("tab_partenaire_bc", "date_realisation", "2024-13-01"),
        ("tab_visite", "heure_fin_visite", "25:00:00"),
    ],
)
def test_zero_and_invalid_dates_become_null(tmp_path, table, column, raw):
    rows = soiled(table, column, raw)
    key = rows[table][0][BY_NAME[table].key]

    result = normalise(tmp_path, rows)

    assert result.row(table, key)[column] is None
    assert result.quality.totals == NOTHING_COUNTED | {"invalid_dates_nulled": 1}
    assert result.quality.by_column == {"invalid_dates_nulled": {f"{table}.{column}": 1}}


@pytest.mark.parametrize(
    ("table", "column", "raw"),
    [
        ("tab_visite", "date_visite", "9999-12-31 23:59:59"),
        ("tab_visite", "date_visite", "1000-01-01 00:00:00"),
        ("tab_visite", "date_visite", "1989-12-31 23:59:59"),
        # 2025-07-01 is 366 days after SNAPSHOT_DAY (2024 is a leap year, 2025 is not).
        ("tab_visite", "date_visite", "2025-07-02 00:00:00"),
        ("tab_utilisateur", "date_creation", "1000-01-01 00:00:00"),
        ("tab_evaluation", "date_integration", "9999-12-31 23:59:59"),
        ("tab_partenaire_bc", "date_realisation", "9999-12-31"),
        ("tab_partenaire_bc", "date_realisation", "1900-01-01"),
    ],
)
def test_implausible_dates_become_null(tmp_path, table, column, raw):
    rows = soiled(table, column, raw)
    key = rows[table][0][BY_NAME[table].key]

    result = normalise(tmp_path, rows)

    assert result.row(table, key)[column] is None
    # Counted once, as implausible: the date itself is valid.
    assert result.quality.totals == NOTHING_COUNTED | {"implausible_dates_nulled": 1}
    assert result.quality.by_column == {"implausible_dates_nulled": {f"{table}.{column}": 1}}


@pytest.mark.parametrize(
    ("table", "column", "raw", "clean"),
    [
        ("tab_visite", "date_visite", "1990-01-01 00:00:00", dt.datetime(1990, 1, 1)),
        ("tab_visite", "date_visite", "2025-07-01 23:59:59", dt.datetime(2025, 7, 1, 23, 59, 59)),
        ("tab_partenaire_bc", "date_realisation", "1990-01-01", dt.date(1990, 1, 1)),
        ("tab_partenaire_bc", "date_realisation", "2025-07-01", dt.date(2025, 7, 1)),
    ],
)
def test_the_first_and_last_plausible_days_are_kept(tmp_path, table, column, raw, clean):
    rows = soiled(table, column, raw)
    key = rows[table][0][BY_NAME[table].key]

    result = normalise(tmp_path, rows)

    assert result.row(table, key)[column] == clean
    assert result.quality.totals == NOTHING_COUNTED


def test_a_date_the_source_left_null_is_not_counted(tmp_path):
    result = normalise(tmp_path, soiled("tab_visite", "date_visite", None))

    assert result.row("tab_visite", 100)["date_visite"] is None
    assert result.quality.totals == NOTHING_COUNTED


@pytest.mark.parametrize(
    ("codes", "missing"),
    [
        ([("tab_partenaire", "code_region_partenaire", "RE00009")], 1),
        # One code used by two tables is one code missing.
        (
            [
                ("tab_partenaire", "code_region_partenaire", "RE00009"),
                ("tab_partenaire_visite", "code_region_partenaire", "RE00009"),
            ],
            1,
        ),
        (
            [
                ("tab_partenaire", "code_region_partenaire", "RE00009"),
                ("tab_evaluation_detailed", "code_sous_categorie", "SEV00009"),
            ],
            2,
        ),
        # A label of another type is not this code's label.
        ([("tab_partenaire", "code_gamme", "RE00001")], 1),
    ],
)
def test_codes_without_a_label_of_their_type_are_counted(tmp_path, codes, missing):
    rows = crm()
    for table, column, code in codes:
        rows[table][0][column] = code

    result = normalise(tmp_path, rows)

    assert result.quality.totals == NOTHING_COUNTED | {"labels_missing": missing}
    assert result.quality.by_column == {}


def test_a_code_without_a_label_is_shown_as_itself(tmp_path):
    """The fallback is the engine's (queries/build/1_code.sql): the snapshot keeps the
    code as it is and only counts it."""
    rows = soiled("tab_partenaire_visite", "code_region_partenaire", "RE00009")
    rows["tab_partenaire_visite"][0]["code_gamme_partenaire"] = "GA00009"

    manifest = take_snapshot(
        tmp_path, Source(kind="demo"), lambda table: [arrow(rows, table.name)], keep=5
    )
    engine = Engine.open(tmp_path)
    try:
        with engine.lease() as view:
            choices = msgspec.to_builtins(view.choices())
    finally:
        engine.close()

    assert manifest.quality == NOTHING_COUNTED | {"labels_missing": 2}
    assert manifest.quality_by_column == {}
    published = pq.read_table(table_path(current_dir(tmp_path), "tab_partenaire_visite"))
    assert sorted(published["code_region_partenaire"].to_pylist()) == ["RE00001", "RE00009"]
    assert choices["regions"] == [
        {"code": "RE00001", "label": "Casablanca-Settat"},
        {"code": "RE00002", "label": "Fès-Meknès"},
        {"code": "RE00009", "label": "RE00009"},
    ]
    assert choices["gammes"] == [
        {"code": "GA00001", "label": "Cardiologie"},
        {"code": "GA00009", "label": "GA00009"},
    ]


@pytest.mark.parametrize(
    ("table", "key", "rule"),
    [
        ("tab_partenaire_visite", "id_visite", "orphan_partenaire_visite_dropped"),
        ("tab_evaluation_detailed", "id_evaluation", "orphan_evaluation_detailed_dropped"),
    ],
)
def test_rows_whose_parent_is_missing_are_dropped(tmp_path, table, key, rule):
    """Orphans below, between and above the parents' keys (100 and 200, or 7 and 9)."""
    rows = crm()
    kept = list(rows[table])
    for orphan in (1, 8, 150, 999):
        rows[table].append(kept[0] | {key: orphan})

    result = normalise(tmp_path, rows)

    assert sorted(r[key] for r in result.tables[table]) == sorted(r[key] for r in kept)
    assert result.quality.totals == NOTHING_COUNTED | {rule: 4}
    assert result.quality.by_column == {}


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("tab_visite", "code_statut_visite", None, "null_codes"),
        ("tab_partenaire", "code_gamme", None, "null_codes"),
        ("tab_visite", "code_type_visite", "XXXX", "unknown_codes"),
        ("tab_partenaire", "code_potentiel", "D", "unknown_codes"),
    ],
)
def test_null_and_unknown_codes_are_kept_and_counted(tmp_path, table, column, value, rule):
    rows = soiled(table, column, value)
    key = rows[table][0][BY_NAME[table].key]

    result = normalise(tmp_path, rows)

    assert result.row(table, key)[column] == value
    assert result.quality.totals == NOTHING_COUNTED | {rule: 1}
    assert result.quality.by_column == {rule: {f"{table}.{column}": 1}}


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("tab_visite", "id_utilisateur", 99, "visites_unknown_utilisateur"),
        ("tab_partenaire_visite", "id_partenaire", 77, "partenaires_unknown"),
        ("tab_partenaire_bc", "id_partenaire", 88, "partenaires_unknown"),
    ],
)
def test_rows_of_an_unknown_user_or_partner_are_kept_and_counted(
    tmp_path, table, column, value, rule
):
    rows = soiled(table, column, value)

    result = normalise(tmp_path, rows)

    assert len(result.tables[table]) == len(rows[table])
    assert result.quality.totals == NOTHING_COUNTED | {rule: 1}


@pytest.mark.parametrize(
    ("id_utilisateur", "id_responsable", "in_loop"),
    [
        (3, 3, 1),  # manages himself
        (2, 3, 2),  # 3 -> 2 -> 3
        (1, 3, 3),  # 3 -> 2 -> 1 -> 3
    ],
)
def test_users_whose_hierarchy_loops_are_kept_and_counted(
    tmp_path, id_utilisateur, id_responsable, in_loop
):
    rows = crm()
    [user] = [u for u in rows["tab_utilisateur"] if u["id_utilisateur"] == id_utilisateur]
    user["id_responsable"] = id_responsable

    result = normalise(tmp_path, rows)

    assert result.row("tab_utilisateur", id_utilisateur)["id_responsable"] == id_responsable
    assert result.quality.totals == NOTHING_COUNTED | {"hierarchy_cycle_users": in_loop}
