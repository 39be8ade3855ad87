"""POST /invest over the hand-built snapshot: every expected value is worked out by hand
from the rows of engine_hand.py, never produced by the engine."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from engine_hand import ask, invest, keyed, labelled

from engine import InvestFilter, SnapshotView


def test_invest_everything(view: SnapshotView) -> None:
    # Partner 100 (4 visits) has two business cases (1, 2); 3 and 6 have NULL budgets
    # (their groups sum to 0); 999 is unknown (no gamme, region...); partners 101 and
    # 102 have 2 visits each, 103 and 999 one; 105 (business case 7) none: bucket 0.
    assert ask(view, "invest") == invest(
        visites=[(0, 500.0), (1, 10.0), (2, 99.99), (4, 1250.75)],
        gammes=[("GA01", 1250.75), ("GA02", 599.99)],
        statuts=[("ANNU", 99.99), ("ENCO", 0.0), ("REAL", 250.25), ("VALI", 1510.5)],
        potentiels=[("A", 1250.75), ("B", 500.0), ("C", 99.99)],
        specialites=[("SP01", 1250.75), ("SP02", 500.0)],
        regions=[("RE01", 1250.75), ("RE09", 0.0), ("RE02", 599.99)],
        types=[("TI01", 1010.5), ("TI02", 750.25), ("TI09", 99.99)],
        categories=[("CI01", 1860.74)],
    )


PARTENAIRE_100 = invest(
    visites=[(4, 1250.75)],
    gammes=[("GA01", 1250.75)],
    statuts=[("REAL", 250.25), ("VALI", 1000.5)],
    potentiels=[("A", 1250.75)],
    specialites=[("SP01", 1250.75)],
    regions=[("RE01", 1250.75)],
    types=[("TI01", 1000.5), ("TI02", 250.25)],
    categories=[("CI01", 1250.75)],
)


def test_invest_team(view: SnapshotView) -> None:
    # Team 2 = {2, 3, 4}: business cases 1 (responsable 2) and 2 (3) of partner 100, and
    # 7 (4) of partner 105. A plain filter counts the partners' visits company-wide (100:
    # 4, other teams' visits 7 and 9 included); only a scoped token counts its team's.
    assert ask(view, "invest", id_responsable=2) == invest(
        visites=[(0, 500.0), (4, 1250.75)],
        gammes=[("GA01", 1250.75), ("GA02", 500.0)],
        statuts=[("REAL", 250.25), ("VALI", 1500.5)],
        potentiels=[("A", 1250.75), ("B", 500.0)],
        specialites=[("SP01", 1250.75), ("SP02", 500.0)],
        regions=[("RE01", 1250.75), ("RE02", 500.0)],
        types=[("TI01", 1000.5), ("TI02", 750.25)],
        categories=[("CI01", 1750.75)],
    )


def test_invest_scoped_counts_the_team_visits(view: SnapshotView) -> None:
    # Scope 2 (team {2, 3, 4}): partner 100's visits by the team are 1 and 2 (user 3);
    # 7 (user 9) and 9 (user 6) are other teams'. Partner 105 is still never visited.
    got = view.answer("invest", InvestFilter(id_responsable=2), scope=2)
    assert msgspec.to_builtins(got)["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (0, 500.0), (2, 1250.75)
    )
    # Scope 7 (team {6, 7, 8}) asking for business case 3: partner 101's visits are 3
    # (user 4) and 8 (user 3), none by the team.
    got = view.answer("invest", InvestFilter(id_business_case=3), scope=7)
    assert msgspec.to_builtins(got)["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (0, 0.0)
    )


def test_invest_partenaire(view: SnapshotView) -> None:
    assert ask(view, "invest", id_partenaire=100) == PARTENAIRE_100


def test_invest_team_of_a_responsable_who_is_no_user(view: SnapshotView) -> None:
    assert ask(view, "invest", id_responsable=99) == invest(
        visites=[(1, 0.0)], gammes=[("GA02", 0.0)], specialites=[("SP01", 0.0)],
        regions=[("RE09", 0.0)],
    )  # fmt: skip


def test_invest_never_visited_partner(view: SnapshotView) -> None:
    # Partner 105 has no visit row at all: its count is 0, not NULL.
    assert ask(view, "invest", id_partenaire=105) == invest(
        visites=[(0, 500.0)], gammes=[("GA02", 500.0)], statuts=[("VALI", 500.0)],
        potentiels=[("B", 500.0)], specialites=[("SP02", 500.0)], regions=[("RE02", 500.0)],
        types=[("TI02", 500.0)], categories=[("CI01", 500.0)],
    )  # fmt: skip


def test_invest_business_case(view: SnapshotView) -> None:
    assert ask(view, "invest", id_business_case=4) == invest(
        visites=[(2, 99.99)], gammes=[("GA02", 99.99)], statuts=[("ANNU", 99.99)],
        potentiels=[("C", 99.99)], regions=[("RE02", 99.99)], types=[("TI09", 99.99)],
        categories=[("CI01", 99.99)],
    )  # fmt: skip


def test_invest_type(view: SnapshotView) -> None:
    # TI01: business cases 1, 3 (NULL budget) and 5 (unknown partner).
    assert ask(view, "invest", code_type_investissement="TI01") == invest(
        visites=[(1, 10.0), (2, 0.0), (4, 1000.5)],
        gammes=[("GA01", 1000.5)],
        statuts=[("ENCO", 0.0), ("VALI", 1010.5)],
        potentiels=[("A", 1000.5), ("B", 0.0)],
        specialites=[("SP01", 1000.5), ("SP02", 0.0)],
        regions=[("RE01", 1000.5)],
        types=[("TI01", 1010.5)],
        categories=[("CI01", 1010.5)],
    )


def test_invest_region(view: SnapshotView) -> None:
    got = ask(view, "invest", region="RE01")
    assert got["budget_par_region"] == labelled(
        "code_region_partenaire", "region", "budget", ("RE01", 1250.75)
    )
    assert got["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (2, 0.0), (4, 1250.75)
    )


def test_invest_period(view: SnapshotView) -> None:
    def statuts(**fields: Any) -> list[dict[str, Any]]:
        return ask(view, "invest", **fields)["budget_par_statut"]

    # 2024: 1, 2, 3, 6 (4 has no date, 5 is 2023, 7 is 2025-01-01).
    assert ask(view, "invest", annee=2024)["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (1, 0.0), (2, 0.0), (4, 1250.75)
    )
    assert ask(view, "invest", annee=2025)["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (0, 500.0)
    )
    assert ask(view, "invest", mois=12) == invest(
        visites=[(1, 10.0)], statuts=[("VALI", 10.0)], types=[("TI01", 10.0)],
        categories=[("CI01", 10.0)],
    )  # fmt: skip
    assert statuts(start_date=date(2024, 2, 1)) == keyed(
        "code_statut_bc", "budget", ("ENCO", 0.0), ("REAL", 250.25), ("VALI", 500.0)
    )
    assert statuts(end_date=date(2024, 1, 15)) == keyed(
        "code_statut_bc", "budget", ("VALI", 1010.5)
    )


def test_invest_region_and_type(view: SnapshotView) -> None:
    got = ask(view, "invest", region="RE01", code_type_investissement="TI01")
    assert got["budget_par_type_investissement"] == labelled(
        "code_type_investissement", "type_investissement", "budget", ("TI01", 1000.5)
    )
    assert got["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (2, 0.0), (4, 1000.5)
    )
