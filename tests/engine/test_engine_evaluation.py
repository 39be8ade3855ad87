"""POST /evaluation over the hand-built snapshot: every expected value is worked out by hand
from the rows of engine_hand.py, never produced by the engine."""

from __future__ import annotations

from datetime import date

from engine_hand import ask, evaluation, keyed

from engine import SnapshotView


def test_evaluation_everything(view: SnapshotView) -> None:
    # Evaluation 7 has no detail row: it is nowhere. Scores: 15.5 twice (users 3 and 6:
    # 3 + 2 visits); 12.0 is user 4's (visits 3, 4, 11). Creators: 2 (SUP) x3, 1 (DIR),
    # 7 (SUP), 77 (unknown) -> 6 in all.
    assert ask(view, "evaluation") == evaluation(
        scores=[(10.0, 3), (12.0, 3), (15.5, 5), (17.0, 3)],
        mois=[("2024-01", 2), ("2024-02", 2), ("2024-03", 1)],
        roles=[("DIR", 1, 16.67), ("SUP", 4, 66.67)],
        points=[(3, 42.5 / 3), (4, 12.0), (5, None), (6, 15.5)],
        categories=[
            ("CE09", 10.0, [("SEV01", 1.0)]),
            ("CE02", 16.25, [("SEV01", 8.0), ("SEV02", 9.0)]),
            ("CE01", 43 / 3, [("SEV01", 11 / 3), ("SEV02", 3.5)]),
        ],
    )


def test_evaluation_one_user(view: SnapshotView) -> None:
    # User 3: evaluations 1, 3, 6 (creators 2 SUP, 1 DIR, 77 unknown).
    assert ask(view, "evaluation", id_utilisateur=3) == evaluation(
        scores=[(10.0, 3), (15.5, 3), (17.0, 3)],
        mois=[("2024-01", 1), ("2024-02", 1), ("2024-03", 1)],
        roles=[("DIR", 1, 33.33), ("SUP", 1, 33.33)],
        points=[(3, 42.5 / 3)],
        categories=[
            ("CE09", 10.0, [("SEV01", 1.0)]),
            ("CE02", 16.25, [("SEV01", 8.0), ("SEV02", 9.0)]),
            ("CE01", 15.5, [("SEV01", 4.0), ("SEV02", 3.5)]),
        ],
    )


def test_evaluation_team_with_a_cycle(view: SnapshotView) -> None:
    assert ask(view, "evaluation", id_responsable=7) == evaluation(
        scores=[(15.5, 2)],
        mois=[("2024-02", 1)],
        roles=[("SUP", 1, 100.0)],
        points=[(6, 15.5)],
        categories=[("CE01", 15.5, [("SEV01", 5.0)])],
    )


def test_evaluation_categorie(view: SnapshotView) -> None:
    # CE01 details: 1, 2 (evaluation 1), 4 (2), 6 (4), 7 (5, no score, no sub-category).
    assert ask(view, "evaluation", code_categorie="CE01") == evaluation(
        scores=[(12.0, 3), (15.5, 5)],
        mois=[("2024-01", 2), ("2024-02", 1)],
        roles=[("SUP", 4, 100.0)],
        points=[(3, 15.5), (4, 12.0), (5, None), (6, 15.5)],
        categories=[("CE01", 43 / 3, [("SEV01", 11 / 3), ("SEV02", 3.5)])],
    )


def test_evaluation_annee(view: SnapshotView) -> None:
    # 2024: all but evaluation 5 (no date).
    assert ask(view, "evaluation", annee=2024) == evaluation(
        scores=[(10.0, 3), (12.0, 3), (15.5, 5), (17.0, 3)],
        mois=[("2024-01", 2), ("2024-02", 2), ("2024-03", 1)],
        roles=[("DIR", 1, 20.0), ("SUP", 3, 60.0)],
        points=[(3, 42.5 / 3), (4, 12.0), (6, 15.5)],
        categories=[
            ("CE09", 10.0, [("SEV01", 1.0)]),
            ("CE02", 16.25, [("SEV01", 8.0), ("SEV02", 9.0)]),
            ("CE01", 43 / 3, [("SEV01", 11 / 3), ("SEV02", 3.5)]),
        ],
    )


def test_evaluation_mois(view: SnapshotView) -> None:
    assert ask(view, "evaluation", mois=2) == evaluation(
        scores=[(15.5, 2), (17.0, 3)],
        mois=[("2024-02", 2)],
        roles=[("DIR", 1, 50.0), ("SUP", 1, 50.0)],
        points=[(3, 17.0), (6, 15.5)],
        categories=[
            ("CE02", 17.0, [("SEV02", 9.0)]),
            ("CE01", 15.5, [("SEV01", 5.0)]),
        ],
    )


def test_evaluation_dates(view: SnapshotView) -> None:
    since = ask(view, "evaluation", start_date=date(2024, 2, 10))
    assert since["Nombre_evaluation_par_Mois"] == keyed(
        "date_integration", "Nombre_evaluation", ("2024-02", 2), ("2024-03", 1)
    )
    assert (
        since["moyenne_points_utilisateurs"]
        == evaluation(points=[(3, 13.5), (6, 15.5)])["moyenne_points_utilisateurs"]
    )
    until = ask(view, "evaluation", end_date=date(2024, 1, 25))
    assert until["Nombre_evaluation_par_Mois"] == keyed(
        "date_integration", "Nombre_evaluation", ("2024-01", 2)
    )
    assert (
        until["moyenne_points_utilisateurs"]
        == evaluation(points=[(3, 15.5), (4, 12.0)])["moyenne_points_utilisateurs"]
    )


def test_evaluation_categorie_and_team(view: SnapshotView) -> None:
    assert ask(view, "evaluation", code_categorie="CE01", id_responsable=2) == evaluation(
        scores=[(12.0, 3), (15.5, 3)],
        mois=[("2024-01", 2)],
        roles=[("SUP", 2, 100.0)],
        points=[(3, 15.5), (4, 12.0)],
        categories=[("CE01", 13.75, [("SEV01", 3.0), ("SEV02", 3.5)])],
    )
