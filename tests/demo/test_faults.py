"""Messy mode: each declared fault is there, on few rows, in every column it targets, and
clean data has none of them. Each fault is counted here by its own check on the tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from demo_tables import (
    ENUMERATIONS,
    LABELLED,
    ZERO_DATE,
    ZERO_DATETIME,
    Tables,
    ids,
    labels,
    managers,
    on_a_cycle,
    values,
)

from snapshot.demo.faults import MESSY_FAULTS
from snapshot.tables import BY_NAME, Kind


def code_columns(table: str) -> list[str]:
    return [c.name for c in BY_NAME[table].columns if c.kind is Kind.CODE]


def count_spaces(t: Tables) -> dict[str, int]:
    families = {
        "tab_visite": ["code_type_visite", "code_statut_visite"],  # the others are CHAR(1)
        "tab_partenaire_visite": code_columns("tab_partenaire_visite"),
        "tab_partenaire": code_columns("tab_partenaire"),
        "tab_par_codification": ["code_codification", "type_codification"],
        "tab_partenaire_bc": code_columns("tab_partenaire_bc"),
        "tab_evaluation_detailed": code_columns("tab_evaluation_detailed"),
    }
    return {
        table: sum(v is not None and v != v.strip() for c in columns for v in values(t, table, c))
        for table, columns in families.items()
    }


def count_empty(t: Tables) -> dict[str, int]:
    found = {
        table: sum(v == "" for c in code_columns(table) for v in values(t, table, c))
        for table in (
            "tab_visite",
            "tab_partenaire_visite",
            "tab_partenaire",
            "tab_partenaire_bc",
            "tab_evaluation_detailed",
        )
    }
    found["libelle_codification"] = values(t, "tab_par_codification", "libelle_codification").count(
        ""
    )
    return found


def count_role_case(t: Tables) -> dict[str, int]:
    return {"role": sum(r != r.upper() for r in values(t, "tab_utilisateur", "role"))}


def count_missing_libelles(t: Tables) -> dict[str, int]:
    known = set(labels(t))
    found: Counter = Counter()
    for table, column in LABELLED:
        found[table] += sum(
            1
            for v in values(t, table, column)
            if v is not None and v.strip() and v.strip() not in known
        )
    return dict(found)


def count_orphan_partenaire_visites(t: Tables) -> dict[str, int]:
    visits = ids(t, "tab_visite", "id_visite")
    return {"rows": sum(v not in visits for v in values(t, "tab_partenaire_visite", "id_visite"))}


def count_orphan_details(t: Tables) -> dict[str, int]:
    headers = ids(t, "tab_evaluation", "id")
    return {
        "rows": sum(e not in headers for e in values(t, "tab_evaluation_detailed", "id_evaluation"))
    }


def count_deleted_utilisateurs(t: Tables) -> dict[str, int]:
    users = ids(t, "tab_utilisateur", "id_utilisateur")
    return {"visits": sum(u not in users for u in values(t, "tab_visite", "id_utilisateur"))}


def count_deleted_partenaires(t: Tables) -> dict[str, int]:
    partners = ids(t, "tab_partenaire", "id_partenaire")
    return {
        table: sum(p not in partners for p in values(t, table, "id_partenaire"))
        for table in ("tab_partenaire_visite", "tab_partenaire_bc")
    }


DATES = (
    ("tab_visite", "date_visite", ZERO_DATETIME),
    ("tab_evaluation", "date_integration", ZERO_DATETIME),
    ("tab_utilisateur", "date_creation", ZERO_DATETIME),
    ("tab_partenaire_bc", "date_realisation", ZERO_DATE),
)


def count_zero_dates(t: Tables) -> dict[str, int]:
    return {column: values(t, table, column).count(zero) for table, column, zero in DATES}


def count_implausible_dates(t: Tables) -> dict[str, int]:
    """Dates that are no zero date, yet before 1990 or past 2100 (ISO text sorts as time)."""
    return {
        column: sum(
            v is not None and v != zero and not "1990-01-01" <= v < "2100"
            for v in values(t, table, column)
        )
        for table, column, zero in DATES
    }


def count_null_dates(t: Tables) -> dict[str, int]:
    return {column: t[table].column(column).null_count for table, column, _ in DATES}


def count_cycles(t: Tables) -> dict[str, int]:
    tree = managers(t)
    return {
        "self": sum(u == m for u, m in tree.items()),
        "longer": len({u for u in on_a_cycle(tree) if tree[u] != u}),
    }


def count_nulls(t: Tables) -> dict[str, int]:
    roles = values(t, "tab_utilisateur", "role")
    managerless = values(t, "tab_utilisateur", "id_responsable")
    found = {
        "tab_utilisateur.id_responsable": sum(
            m is None and r.strip().upper() != "DIR"
            for m, r in zip(managerless, roles, strict=True)
        )
    }
    for table, column in (
        ("tab_visite", "id_responsable"),
        ("tab_visite", "flag_accompagnee"),
        ("tab_visite", "type_visite"),
        ("tab_visite", "code_statut_visite"),
        ("tab_partenaire_visite", "code_gamme_partenaire"),
        ("tab_partenaire", "code_potentiel"),
        ("tab_partenaire_bc", "code_statut_bc"),
        ("tab_evaluation", "points_obtenu"),
        ("tab_evaluation_detailed", "point_obtenu"),
    ):
        found[f"{table}.{column}"] = t[table].column(column).null_count
    return found


def count_unknown_codes(t: Tables) -> dict[str, int]:
    found = {}
    for (table, column), allowed in ENUMERATIONS.items():
        if column in {"type_visite", "code_statut_partenaire"} or table == "tab_partenaire_bc":
            continue  # no unknown value is injected there
        found[f"{table}.{column}"] = sum(
            v is not None and v.strip() not in allowed | {""} for v in values(t, table, column)
        )
    return found


CHECKS: dict[str, Callable[[Tables], dict[str, int]]] = {
    "code_spaces": count_spaces,
    "empty_strings": count_empty,
    "role_case": count_role_case,
    "missing_libelles": count_missing_libelles,
    "orphan_partenaire_visites": count_orphan_partenaire_visites,
    "orphan_evaluation_details": count_orphan_details,
    "deleted_utilisateurs": count_deleted_utilisateurs,
    "deleted_partenaires": count_deleted_partenaires,
    "zero_dates": count_zero_dates,
    "null_dates": count_null_dates,
    "implausible_dates": count_implausible_dates,
    "responsable_cycles": count_cycles,
    "nulls": count_nulls,
    "unknown_codes": count_unknown_codes,
}


def test_every_declared_fault_has_a_check() -> None:
    assert set(MESSY_FAULTS) == set(CHECKS)
    assert len(MESSY_FAULTS) == len(set(MESSY_FAULTS))


@pytest.mark.parametrize("fault", MESSY_FAULTS)
def test_messy_data_has_each_fault_everywhere_on_few_rows(fault: str, messy: Tables) -> None:
    found = CHECKS[fault](messy)
    assert all(found.values()), found


def test_messy_data_are_the_clean_data_with_few_rows_soiled(clean: Tables, messy: Tables) -> None:
    """Same seed: the messy tables are the clean ones, a small share of rows changed (in the
    big tables: a small one gets one row per fault at least)."""
    for name in ("tab_visite", "tab_partenaire_visite", "tab_evaluation_detailed"):
        before = clean[name].to_pylist()
        after = messy[name].to_pylist()[: len(before)]
        changed = sum(a != b for a, b in zip(before, after, strict=True))
        assert 0 < changed < 0.1 * len(before), name


def test_roles_in_the_wrong_case_look_like_typing(messy: Tables) -> None:
    odd = {r for r in values(messy, "tab_utilisateur", "role") if r != r.upper()}
    assert all(r.strip().upper() in {"DIR", "DR", "SUP", "DEL"} for r in odd)
    assert any(r == r.lower() for r in odd) and any(r != r.strip() for r in odd)


@pytest.mark.parametrize("which", ["clean", "large"])
def test_clean_data_has_no_fault(which: str, request: pytest.FixtureRequest) -> None:
    tables: Tables = request.getfixturevalue(which)
    for fault, check in CHECKS.items():
        found = check(tables)
        assert not any(found.values()), (fault, found)
