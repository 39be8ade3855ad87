"""The snapshot job against a real MariaDB: exact round trips, SPEC §3 repairs with
their quality counts, and failures that leave the previous snapshot current."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from helpers import ROOT, VISITES, mysql_connect, run_visites, visites_environ
from sqlalchemy.engine import make_url

from snapshot.demo.generator import generate
from snapshot.demo.mysql_loader import load_into_mysql, schema_statements
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import current_dir, current_id, published_ids, snapshots_dir, table_path
from snapshot.manifest import read_manifest
from snapshot.tables import TABLES


def create_crm(url: str, rows: dict[str, list[tuple]]) -> None:
    """The CRM schema, filled with ``rows`` by plain INSERTs (zero dates allowed)."""
    with mysql_connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = ''")
        for statement in schema_statements():
            cursor.execute(statement)
        for table, values in rows.items():
            if values:
                marks = ", ".join(["%s"] * len(values[0]))
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", values)


def visites(data_dir: Path, url: str | None, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`visites` on ``data_dir`` with ``url`` as the CRM (none: VISITES_MYSQL_URL unset)."""
    source = {} if url is None else {"VISITES_MYSQL_URL": url}
    return run_visites(*args, VISITES_DATA_DIR=str(data_dir), **source, **env)


def read_table(data_dir: Path, table: str) -> list[dict]:
    folder = current_dir(data_dir)
    assert folder is not None
    return pq.read_table(table_path(folder, table)).to_pylist()


# A clean CRM whose every value must come back exactly.
CLEAN = {
    "tab_par_codification": [
        ("RE00001", "Fès-Meknès", "REGI"),
        ("RE00002", "Laâyoune-Sakia El Hamra", "REGI"),
        ("VI00001", 'Fès "médina"', "VILL"),
        ("GA00001", "Cardiologie", "GAMM"),
        ("SP00001", "Cardiologue", "SPEC"),
        ("ET00001", "Cabinet privé", "ETPR"),
        ("ET00002", "Pharmacie d'officine", "ETPR"),
        ("CE00001", "Connaissance produit", "CATE"),
        ("SEV00001", "Argumentaire", "SCAT"),
        ("TI00001", "Congrès", "TINV"),
        ("CI00001", "Formation médicale", "CINV"),
    ],
    "tab_utilisateur": [
        (1, None, "El Amrani", "Aïcha", "DIR", "2019-03-04 08:15:00"),
        (2, 1, "Benjelloun", "Mehdi", "SUP", None),
        (3, 2, "Ouazzani", "Zineb, Lalla", "DEL", "2021-12-31 23:59:59"),
    ],
    "tab_partenaire": [
        (
            10,
            "Tazi",
            None,
            "A",
            "ET00001",
            "VALI",
            "GA00001",
            "SP00001",
            "MEDE",
            "RE00001",
            "VI00001",
        ),
        (11, "Pharmacie Atlas", "Karim", "C", "ET00002", "ATTE", None, None, "PHAR", None, None),
    ],
    "tab_visite": [
        (100, 3, 2, "PLAN", "CLOT", "N", "2023-04-05 09:30:00", "10:05:30", "S"),
        (101, 3, None, "HOPL", None, None, None, None, None),
        (102, 2, 1, "PLAN", "REAL", "O", "2024-02-29 17:00:00", "00:00:00", "G"),
    ],
    "tab_partenaire_visite": [
        (100, 10, "RE00001", "VI00001", "MEDE", "GA00001", "SP00001"),
        (102, 10, "RE00001", "VI00001", "MEDE", "GA00001", "SP00001"),
        (102, 11, "RE00002", None, "PHAR", None, None),
    ],
    "tab_evaluation": [
        (1, 2, 3, Decimal("87.50"), Decimal("100.00"), "2023-06-30 12:00:00"),
        (2, 1, 2, None, None, None),
    ],
    "tab_evaluation_detailed": [
        (1, 1, "CE00001", "SEV00001", Decimal("4.25"), Decimal("5.00")),
        (2, 1, "CE00001", None, None, None),
    ],
    "tab_partenaire_bc": [
        (1, 10, 2, "VALI", "TI00001", "CI00001", Decimal("1234567890.12"), "2023-01-31"),
        (2, 10, None, None, None, None, None, None),
    ],
}

EXPECTED_CLEAN = {
    "tab_par_codification": [
        dict(
            zip(("code_codification", "libelle_codification", "type_codification"), r, strict=True)
        )
        for r in sorted(CLEAN["tab_par_codification"])
    ],
    "tab_utilisateur": [
        {
            "id_utilisateur": 1,
            "id_responsable": None,
            "nom_utilisateur": "El Amrani",
            "prenom_utilisateur": "Aïcha",
            "role": "DIR",
            "date_creation": dt.datetime(2019, 3, 4, 8, 15),
        },
        {
            "id_utilisateur": 2,
            "id_responsable": 1,
            "nom_utilisateur": "Benjelloun",
            "prenom_utilisateur": "Mehdi",
            "role": "SUP",
            "date_creation": None,
        },
        {
            "id_utilisateur": 3,
            "id_responsable": 2,
            "nom_utilisateur": "Ouazzani",
            "prenom_utilisateur": "Zineb, Lalla",
            "role": "DEL",
            "date_creation": dt.datetime(2021, 12, 31, 23, 59, 59),
        },
    ],
    "tab_visite": [
        {
            "id_visite": 100,
            "id_utilisateur": 3,
            "id_responsable": 2,
            "code_type_visite": "PLAN",
            "code_statut_visite": "CLOT",
            "flag_accompagnee": "N",
            "date_visite": dt.datetime(2023, 4, 5, 9, 30),
            "heure_fin_visite": dt.time(10, 5, 30),
            "type_visite": "S",
        },
        {
            "id_visite": 101,
            "id_utilisateur": 3,
            "id_responsable": None,
            "code_type_visite": "HOPL",
            "code_statut_visite": None,
            "flag_accompagnee": None,
            "date_visite": None,
            "heure_fin_visite": None,
            "type_visite": None,
        },
        {
            "id_visite": 102,
            "id_utilisateur": 2,
            "id_responsable": 1,
            "code_type_visite": "PLAN",
            "code_statut_visite": "REAL",
            "flag_accompagnee": "O",
            "date_visite": dt.datetime(2024, 2, 29, 17, 0),
            "heure_fin_visite": dt.time(0, 0),
            "type_visite": "G",
        },
    ],
    "tab_evaluation": [
        {
            "id": 1,
            "id_createur": 2,
            "id_utilisateur_evalue": 3,
            "points_obtenu": Decimal("87.50"),
            "points_total": Decimal("100.00"),
            "date_integration": dt.datetime(2023, 6, 30, 12),
        },
        {
            "id": 2,
            "id_createur": 1,
            "id_utilisateur_evalue": 2,
            "points_obtenu": None,
            "points_total": None,
            "date_integration": None,
        },
    ],
    "tab_partenaire_bc": [
        {
            "id_business_case": 1,
            "id_partenaire": 10,
            "id_responsable": 2,
            "code_statut_bc": "VALI",
            "code_type_investissement": "TI00001",
            "code_categorie_investissement": "CI00001",
            "budget": Decimal("1234567890.12"),
            "date_realisation": dt.date(2023, 1, 31),
        },
        {
            "id_business_case": 2,
            "id_partenaire": 10,
            "id_responsable": None,
            "code_statut_bc": None,
            "code_type_investissement": None,
            "code_categorie_investissement": None,
            "budget": None,
            "date_realisation": None,
        },
    ],
}


def as_dicts(table: str) -> list[dict]:
    names = next(t for t in TABLES if t.name == table).column_names
    return [dict(zip(names, row, strict=True)) for row in CLEAN[table]]


def test_every_table_round_trips_exactly(mysql_database, tmp_path):
    create_crm(mysql_database, CLEAN)
    result = visites(tmp_path, mysql_database, "snapshot")
    assert result.returncode == 0, result.stderr
    assert "published" in result.stdout
    for table in ("tab_partenaire", "tab_partenaire_visite", "tab_evaluation_detailed"):
        EXPECTED_CLEAN.setdefault(table, as_dicts(table))
    for table, expected in EXPECTED_CLEAN.items():
        assert read_table(tmp_path, table) == expected, table
    manifest = read_manifest(current_dir(tmp_path))
    assert {n: s.rows for n, s in manifest.tables.items()} == {n: len(r) for n, r in CLEAN.items()}
    # Nothing to repair; only the NULL codes the clean data legitimately has
    # (partner 11: 4, visit 101: 3, visit 102's second partner: 3, detail 2: 1, bc 2: 3).
    assert manifest.quality == {rule: 0 for rule in manifest.quality} | {"null_codes": 14}
    assert manifest.source.kind == "mysql"
    assert manifest.source.database == make_url(mysql_database).database


# Messy rows, one or two per SPEC §3 rule; the expected counts are worked out by hand.
MESSY = {
    "tab_par_codification": [
        (" RE00001 ", "Fès-Meknès", "REGI"),  # trimmed (1)
        ("VI00001", "", "VILL"),  # empty label (1)
    ],
    "tab_utilisateur": [
        (1, 2, "A", "B", "dir", "0000-00-00 00:00:00"),  # role case (1), zero date (1)
        # role trimmed and case (1 + 1); 1 <-> 2 cycle; MySQL's first day (implausible)
        (2, 1, "C", "D", " sup ", "1000-01-01 00:00:00"),
        (3, 3, "E", "F", "DEL", "2020-01-01 00:00:00"),  # a user who manages himself
        (4, None, "G", "H", "DEL", "9999-12-31 23:59:59"),  # MySQL's last day (implausible)
    ],
    "tab_partenaire": [
        (10, "P", None, " B", "ET00001", "VALI", "GA00001", None, "MEDE", "RE00001", "VI00001"),
        (11, "Q", "", "D", None, None, None, None, "AUTR", None, None),  # '' (1), unknown (2)
    ],
    "tab_visite": [
        (100, 4, None, "PLAN ", "", "N", "0000-00-00 00:00:00", "10:00:00", "S"),
        (101, 99, None, "XXXX", None, "X", "2023-02-30 10:00:00", None, "G"),  # unknown user
    ],
    "tab_partenaire_visite": [
        (100, 10, "RE00001 ", "VI00009", "MEDE", "GA00001", None),
        (101, 77, None, None, " PHAR", None, None),  # unknown partner
        (555, 10, None, None, None, None, None),  # orphan: visit 555 does not exist
    ],
    "tab_evaluation": [(1, 1, 4, Decimal("10.00"), Decimal("20.00"), "0000-00-00 00:00:00")],
    "tab_evaluation_detailed": [
        (1, 1, "CE00001 ", None, Decimal("1.00"), Decimal("2.00")),
        (2, 9, "CE00001", None, None, None),  # orphan: evaluation 9 does not exist
    ],
    "tab_partenaire_bc": [(1, 88, None, "VALI", "TI00001", None, None, "0000-00-00")],
}

EXPECTED_QUALITY = {
    # ' RE00001 ', ' sup ', ' B', 'PLAN ', 'RE00001 ', ' PHAR', 'CE00001 '
    "codes_trimmed": 7,
    # libelle '', prenom '', code_statut_visite ''
    "empty_strings_nulled": 3,
    "roles_uppercased": 2,  # dir, sup
    # 0000 (user 1), 0000 + 02-30 (visits), 0000 (evaluation), 0000 (bc)
    "invalid_dates_nulled": 5,
    "implausible_dates_nulled": 2,  # users 2 and 4
    # NULL codes, in the source: partners 1 + 6, visit 101: 1, partner visits 1 + 4 + 5,
    # details 2, business case 1
    "null_codes": 7 + 1 + 10 + 2 + 1,
    # 'D', 'AUTR', 'XXXX', 'X'
    "unknown_codes": 4,
    # VI00009 (never labelled); GA00001, ET00001, CE00001, TI00001 (no label at all)
    "labels_missing": 5,
    "orphan_partenaire_visite_dropped": 1,
    "orphan_evaluation_detailed_dropped": 1,
    "visites_unknown_utilisateur": 1,
    "partenaires_unknown": 2,  # partner 77 (visit row), partner 88 (business case)
    "hierarchy_cycle_users": 3,  # 1 and 2 manage each other; 3 manages himself
}


def test_each_normalisation_rule_is_applied_and_counted(mysql_database, tmp_path):
    create_crm(mysql_database, MESSY)
    result = visites(tmp_path, mysql_database, "snapshot")
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(current_dir(tmp_path))
    assert manifest.quality == EXPECTED_QUALITY
    assert manifest.tables["tab_partenaire_visite"].source_rows == 3
    assert manifest.tables["tab_partenaire_visite"].rows == 2
    assert manifest.tables["tab_evaluation_detailed"].rows == 1
    users = {u["id_utilisateur"]: u for u in read_table(tmp_path, "tab_utilisateur")}
    assert [users[i]["role"] for i in (1, 2, 3, 4)] == ["DIR", "SUP", "DEL", "DEL"]
    assert [users[i]["date_creation"] for i in (1, 2, 3, 4)] == [
        None,
        None,
        dt.datetime(2020, 1, 1),
        None,
    ]
    codes = read_table(tmp_path, "tab_par_codification")
    assert codes == [
        {
            "code_codification": "RE00001",
            "libelle_codification": "Fès-Meknès",
            "type_codification": "REGI",
        },
        {"code_codification": "VI00001", "libelle_codification": None, "type_codification": "VILL"},
    ]
    visits = read_table(tmp_path, "tab_visite")
    assert [(v["code_type_visite"], v["code_statut_visite"], v["date_visite"]) for v in visits] == [
        ("PLAN", None, None),
        ("XXXX", None, None),
    ]
    partners = read_table(tmp_path, "tab_partenaire_visite")
    assert [
        (p["id_visite"], p["code_region_partenaire"], p["code_type_partenaire"]) for p in partners
    ] == [(100, "RE00001", "MEDE"), (101, None, "PHAR")]
    assert read_table(tmp_path, "tab_partenaire")[0]["code_potentiel"] == "B"


def test_unreachable_mysql_keeps_the_current_snapshot(mysql_database, tmp_path):
    create_crm(mysql_database, CLEAN)
    assert visites(tmp_path, mysql_database, "snapshot").returncode == 0
    before = current_id(tmp_path)
    secret = "Sup3r-Secret-pw"
    result = visites(tmp_path, f"mysql+pymysql://someone:{secret}@127.0.0.1:1/crm", "snapshot")
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot connect" in result.stderr and before in result.stderr
    assert secret not in result.stderr
    assert current_id(tmp_path) == before
    assert published_ids(tmp_path) == [before]
    assert [p.name for p in snapshots_dir(tmp_path).iterdir()] == [before]


def test_missing_table_fails_without_leaving_anything(mysql_database, tmp_path):
    create_crm(mysql_database, CLEAN)
    assert visites(tmp_path, mysql_database, "snapshot").returncode == 0
    before = current_id(tmp_path)
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE tab_partenaire_bc")
    result = visites(tmp_path, mysql_database, "snapshot")
    assert result.returncode != 0
    assert "tab_partenaire_bc" in result.stderr
    assert current_id(tmp_path) == before
    assert [p.name for p in snapshots_dir(tmp_path).iterdir()] == [before]


def test_password_never_reaches_output_or_manifest(mysql_database, tmp_path):
    create_crm(mysql_database, CLEAN)
    database = make_url(mysql_database).database
    secret = "Pa55-w0rd-visites"
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE USER IF NOT EXISTS 'visites_reader'@'127.0.0.1' IDENTIFIED BY %s", (secret,)
        )
        cursor.execute(f"GRANT SELECT ON `{database}`.* TO 'visites_reader'@'127.0.0.1'")
    try:
        url = f"mysql+pymysql://visites_reader:{secret}@127.0.0.1:3306/{database}"
        result = visites(tmp_path, url, "snapshot")
        assert result.returncode == 0, result.stderr
        manifest_text = (current_dir(tmp_path) / "manifest.json").read_text()
        assert json.loads(manifest_text)["source"]["host"] == "127.0.0.1:3306"
        for text in (result.stdout, result.stderr, manifest_text):
            assert secret not in text
    finally:
        with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS 'visites_reader'@'127.0.0.1'")


def test_pruning_keeps_the_newest(mysql_database, tmp_path):
    create_crm(mysql_database, CLEAN)
    made = []
    for _ in range(4):
        assert visites(tmp_path, mysql_database, "snapshot", "--keep", "2").returncode == 0
        made.append(current_id(tmp_path))
    assert len(set(made)) == 4
    assert published_ids(tmp_path) == made[-2:]
    assert current_id(tmp_path) == made[-1]


def test_killed_mid_extraction_leaves_nothing_and_next_run_succeeds(mysql_database, tmp_path):
    create_crm(mysql_database, CLEAN)
    assert visites(tmp_path, mysql_database, "snapshot").returncode == 0
    before = current_id(tmp_path)
    # Enough visits, read in small chunks, that the run is surely still extracting.
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tab_visite SELECT seq, 3, 2, 'PLAN', 'CLOT', 'N', "
            "'2023-01-02 10:00:00', '10:30:00', 'S' FROM seq_1000_to_200000"
        )
    environ = visites_environ(
        VISITES_DATA_DIR=str(tmp_path), VISITES_MYSQL_URL=mysql_database, VISITES_BATCH_ROWS="500"
    )
    job = subprocess.Popen([*VISITES, "snapshot"], cwd=ROOT, env=environ)
    deadline = time.monotonic() + 60
    while not list(snapshots_dir(tmp_path).glob(".staging-*/raw/tab_visite.parquet")):
        assert job.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert current_id(tmp_path) == before
    assert published_ids(tmp_path) == [before]
    result = visites(tmp_path, mysql_database, "snapshot")
    assert result.returncode == 0, result.stderr
    assert current_id(tmp_path) != before
    assert [p.name for p in snapshots_dir(tmp_path).iterdir() if p.name.startswith(".")] == []
    assert read_manifest(current_dir(tmp_path)).tables["tab_visite"].rows == 3 + 199_001


def test_snapshot_without_mysql_url_says_so(tmp_path):
    result = visites(tmp_path, None, "snapshot")
    assert result.returncode != 0
    assert "VISITES_MYSQL_URL" in result.stderr


def test_demo_snapshot_and_mysql_snapshot_of_the_same_data_hold_the_same_rows(
    mysql_database, tmp_path
):
    visits, seed = 3_000, 11
    load_into_mysql(generate(visits=visits, seed=seed, messy=True), mysql_database)
    from_mysql, from_demo = tmp_path / "mysql", tmp_path / "demo"
    assert visites(from_mysql, mysql_database, "snapshot").returncode == 0
    take_demo_snapshot(from_demo, visits=visits, seed=seed, messy=True, keep=5, batch_rows=50_000)
    mysql_manifest = read_manifest(current_dir(from_mysql))
    demo_manifest = read_manifest(current_dir(from_demo))
    assert mysql_manifest.quality == demo_manifest.quality
    for table in TABLES:
        mysql_rows = pq.read_table(current_dir(from_mysql) / f"{table.name}.parquet")
        demo_rows = pq.read_table(current_dir(from_demo) / f"{table.name}.parquet")
        assert mysql_rows.schema == demo_rows.schema == table.clean_schema()
        # MySQL returns rows in key order (its collation for codes); compare as sets.
        assert sorted(map(repr, mysql_rows.to_pylist())) == sorted(map(repr, demo_rows.to_pylist()))
