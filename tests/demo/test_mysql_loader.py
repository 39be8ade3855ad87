"""The MySQL bulk loader: the generated tables round-trip through MariaDB unchanged, zero
dates, NULLs, accents and escapes included."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest
from demo_tables import ZERO_DATETIME
from helpers import mysql_connect

from snapshot.demo.generator import generate
from snapshot.demo.mysql_loader import load_into_mysql
from snapshot.tables import BY_NAME


def as_text(table: pa.Table) -> Counter:
    """Every row as a tuple of MySQL-printed strings (NULL as None), as a multiset."""
    columns = [c.cast(pa.string()).to_pylist() for c in table.columns]
    return Counter(zip(*columns, strict=True))


def test_load_creates_the_eight_tables_even_when_empty(mysql_database: str) -> None:
    load_into_mysql({}, mysql_database)
    load_into_mysql({}, mysql_database)  # again: the tables are replaced, not duplicated
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW TABLES")
        assert sorted(name for (name,) in cursor.fetchall()) == sorted(BY_NAME)


def test_messy_tables_round_trip_through_mysql(mysql_database: str) -> None:
    tables = generate(2000, seed=9, messy=True)
    load_into_mysql(tables, mysql_database)
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM `{name}`")
            assert cursor.fetchone()[0] == table.num_rows, name
            printed = ", ".join(f"CAST(`{c}` AS CHAR)" for c in table.column_names)
            cursor.execute(f"SELECT {printed} FROM `{name}`")
            assert Counter(cursor.fetchall()) == as_text(table), name

        codification = tables["tab_par_codification"].to_pylist()
        accented = next(r for r in codification if r["libelle_codification"].startswith("Tanger-"))
        cursor.execute(
            "SELECT libelle_codification FROM tab_par_codification WHERE code_codification = %s",
            (accented["code_codification"],),
        )
        assert cursor.fetchone()[0] == "Tanger-Tétouan-Al Hoceïma"

        visits = tables["tab_visite"].to_pylist()
        zero = next(v["id_visite"] for v in visits if v["date_visite"] == ZERO_DATETIME)
        cursor.execute(
            "SELECT CAST(date_visite AS CHAR) FROM tab_visite WHERE id_visite = %s", (zero,)
        )
        assert cursor.fetchone()[0] == ZERO_DATETIME

        cases = tables["tab_partenaire_bc"].to_pylist()
        priced = next(c for c in cases if c["budget"] is not None and c["budget"] % 1)
        unpriced = next(c for c in cases if c["budget"] is None)
        cursor.execute(
            "SELECT id_business_case, budget FROM tab_partenaire_bc "
            "WHERE id_business_case IN (%s, %s)",
            (priced["id_business_case"], unpriced["id_business_case"]),
        )
        read = dict(cursor.fetchall())
        assert read == {
            priced["id_business_case"]: priced["budget"],
            unpriced["id_business_case"]: None,
        }


def test_load_escapes_tabs_newlines_backslashes(mysql_database: str) -> None:
    tricky = [
        "tab\there",
        "new\nline",
        "carriage\rreturn",
        "back\\slash",
        "\\N",
        "N",
        "",
        "Fès\t\\n",
    ]
    schema = BY_NAME["tab_par_codification"].raw_schema()
    table = pa.table(
        {
            "code_codification": [f"T{i}" for i in range(len(tricky))],
            "libelle_codification": tricky,
            "type_codification": ["TEST"] * len(tricky),
        },
        schema=schema,
    )
    visits = pa.table(
        {
            "id_visite": [1, 2],
            "id_utilisateur": [7, 8],
            "id_responsable": [None, 3],
            "code_type_visite": ["PLAN", "\\"],
            "code_statut_visite": [None, ""],
            "flag_accompagnee": ["O", None],
            "date_visite": [ZERO_DATETIME, None],
            "heure_fin_visite": ["09:30:00", None],
            "type_visite": [None, "G"],
        },
        schema=BY_NAME["tab_visite"].raw_schema(),
    )
    load_into_mysql({"tab_par_codification": table, "tab_visite": visits}, mysql_database)
    with mysql_connect(mysql_database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT code_codification, libelle_codification FROM tab_par_codification")
        assert dict(cursor.fetchall()) == {f"T{i}": text for i, text in enumerate(tricky)}
        printed = ", ".join(f"CAST(`{c}` AS CHAR)" for c in visits.column_names)
        cursor.execute(f"SELECT {printed} FROM tab_visite")
        assert Counter(cursor.fetchall()) == as_text(visits)
        cursor.execute("SELECT COUNT(*) FROM tab_partenaire")
        assert cursor.fetchone()[0] == 0


def test_load_refuses_unknown_tables(mysql_database: str) -> None:
    with pytest.raises(ValueError, match="not source tables"):
        load_into_mysql({"tab_inconnue": pa.table({"x": [1]})}, mysql_database)
