"""POST /users over the hand-built snapshot: every expected value is worked out by hand
from the rows of engine_hand.py, never produced by the engine."""

from __future__ import annotations

from datetime import date

from engine_hand import ask, users

from engine import SnapshotView


def test_users_everything(view: SnapshotView) -> None:
    # Visit 4 has no responsable (0); user 50 has no role. 11 visits: 6 under
    # responsable 2 (1, 2, 3, 6, 8, 11), 54.5454..% -> 54.55; 1/11 -> 9.09.
    assert ask(view, "users") == users(
        mois=[(2023, 12, 1), (2024, 1, 3), (2024, 2, 2), (2024, 3, 2), (2025, 1, 1)],
        gammes=[("GA01", 4), ("GA02", 5)],
        responsables=[(0, 1, 9.09), (1, 1, 9.09), (2, 6, 54.55), (7, 2, 18.18), (99, 1, 9.09)],
        regions=[("RE01", 3), ("RE09", 1), ("RE02", 4)],
        statuts=[("ATTE", 2), ("REJE", 1), ("VALI", 4)],
        roles=[("DEL", 4), ("SUP", 1)],
    )


def test_users_team(view: SnapshotView) -> None:
    # Team 2 = {2, 3, 4}: visits 1, 2, 3, 4, 8, 10, 11; shares 1/7 and 5/7.
    assert ask(view, "users", id_responsable=2) == users(
        mois=[(2024, 1, 2), (2024, 2, 2), (2024, 3, 1), (2025, 1, 1)],
        gammes=[("GA01", 2), ("GA02", 3)],
        responsables=[(0, 1, 14.29), (1, 1, 14.29), (2, 5, 71.43)],
        regions=[("RE01", 2), ("RE02", 2)],
        statuts=[("ATTE", 2), ("VALI", 2)],
        roles=[("DEL", 2), ("SUP", 1)],
    )


def test_users_mois(view: SnapshotView) -> None:
    # December: visit 5 only.
    assert ask(view, "users", mois=12) == users(
        mois=[(2023, 12, 1)],
        gammes=[("GA02", 1)],
        responsables=[(7, 1, 100.0)],
        regions=[("RE09", 1)],
        statuts=[("REJE", 1)],
        roles=[("DEL", 1)],
    )


def test_users_end_date(view: SnapshotView) -> None:
    # Up to 2024-01-12: visits 5, 1, 2, 3, 6 (rows 1, 2, 3, 4, 6, 7).
    assert ask(view, "users", end_date=date(2024, 1, 12)) == users(
        mois=[(2023, 12, 1), (2024, 1, 3)],
        gammes=[("GA01", 2), ("GA02", 3)],
        responsables=[(2, 4, 80.0), (7, 1, 20.0)],
        regions=[("RE01", 2), ("RE09", 1), ("RE02", 2)],
        statuts=[("ATTE", 1), ("REJE", 1), ("VALI", 2)],
        roles=[("DEL", 3)],
    )


def test_users_region(view: SnapshotView) -> None:
    # RE01: rows 1, 2, 4, 8, 9, 10, 11, 14 -> users 3 (January, February), 4 (January
    # 2024 and 2025) and 9 (no date); 3 and 4 met GA01 and GA02, 9 GA01; partners 100,
    # 101, 104 are VALI. Visits 1, 2, 3, 8, 11 (responsable 2) and 7 (99).
    assert ask(view, "users", region="RE01") == users(
        mois=[(2024, 1, 2), (2024, 2, 1), (2025, 1, 1)],
        gammes=[("GA01", 3), ("GA02", 2)],
        responsables=[(2, 5, 83.33), (99, 1, 16.67)],
        regions=[("RE01", 3)],
        statuts=[("VALI", 3)],
        roles=[("DEL", 3)],
    )


def test_users_visits_under_a_contact_filter(view: SnapshotView) -> None:
    # RE01: visits 1, 2, 3, 8, 11 (responsable 2) and 7 (99); visit 8's three rows
    # count once: 5/6 and 1/6.
    got = ask(view, "users", region="RE01")["pourcentage_visites_par_responsable"]
    assert got == [
        {"id_responsable": 2, "nombre_visites": 5, "pourcentage": 83.33},
        {"id_responsable": 99, "nombre_visites": 1, "pourcentage": 16.67},
    ]
