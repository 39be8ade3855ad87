"""POST /data over the hand-built snapshot: every expected value is worked out by hand
from the rows of engine_hand.py, never produced by the engine."""

from __future__ import annotations

from datetime import date

from engine_hand import ask, counters, data_gamme, data_region

from engine import SnapshotView


def test_data_counter_keys_are_the_wire_contract(view: SnapshotView) -> None:
    keys = set(ask(view, "data")["statistiques"])
    assert keys == {
        "nbr_total_visites_planifiees", "nbr_total_visites_non_planifiees",
        "nbr_visites_medicales_planifiees", "nbr_visites_medicales_non_planifiees",
        "nbr_visites_pharmaceutiques_planifiees", "nbr_visites_pharmaceutiques_non_planifiees",
        "nbr_visites_privees_planifiees", "nbr_visites_privees_non_planifiees",
        "nbr_visites_publiques_planifiees", "nbr_visites_publiques_non_planifiees",
        "nbr_visites_simple_planifiees", "nbr_visites_simple_non_planifiees",
        "nbr_visites_groupe_planifiees", "nbr_visites_groupe_non_planifiees",
        "nbr_visites_indiviuel_planifiees", "nbr_visites_indiviuel_non_planifiees",
        "nbr_visites_en_double_planifiees", "nbr_visites_en_double_non_planifiees",
        "region", "gammes",
    }  # fmt: skip


def test_data_everything(view: SnapshotView) -> None:
    # Row 8 (VISI) is in no counter; ET99 and XXXX (rows 11, 14) are neither private
    # nor public, neither medical nor pharmaceutical; row 5 has no region; RE09 sorts
    # between Casablanca and Rabat (code points: 'E' < 'a').
    assert ask(view, "data") == {
        "statistiques": {
            **counters(
                total=(10, 3), medicales=(5, 2), pharmaceutiques=(2, 1), privees=(3, 2),
                publiques=(3, 0), simple=(7, 1), groupe=(3, 2), indiviuel=(8, 1),
                en_double=(1, 2),
            ),
            "region": [
                data_region("RE01", 8, ("VI03", 3), ("VI01", 5)),
                data_region("RE09", 1),
                data_region("RE02", 4, ("VI02", 4)),
            ],
            "gammes": [
                data_gamme("GA01", 7, ("SP01", 4), ("SP02", 3)),
                data_gamme("GA02", 6, ("SP01", 2), ("SP02", 1), ("SP09", 1)),
            ],
        }
    }  # fmt: skip


def test_data_team_of_a_responsable_who_is_no_user(view: SnapshotView) -> None:
    # Team of 99 = {9, 99}: visit 7 only, whose codes are all unknown.
    assert ask(view, "data", id_responsable=99) == {
        "statistiques": {
            **counters(),
            "region": [data_region("RE01", 1, ("VI01", 1))],
            "gammes": [data_gamme("GA01", 1, ("SP01", 1))],
        }
    }


def test_data_annee(view: SnapshotView) -> None:
    # 2024: rows 6 (2023-12-31 23:00), 8 (no date) and 14 (2025-01-01 00:00) are out.
    assert ask(view, "data", annee=2024) == {
        "statistiques": {
            **counters(
                total=(9, 2), medicales=(5, 1), pharmaceutiques=(2, 1), privees=(3, 2),
                publiques=(3, 0), simple=(6, 0), groupe=(3, 2), indiviuel=(7, 0),
                en_double=(1, 2),
            ),
            "region": [
                data_region("RE01", 6, ("VI03", 3), ("VI01", 3)),
                data_region("RE02", 4, ("VI02", 4)),
            ],
            "gammes": [
                data_gamme("GA01", 6, ("SP01", 3), ("SP02", 3)),
                data_gamme("GA02", 4, ("SP01", 1), ("SP02", 1)),
            ],
        }
    }  # fmt: skip


def test_data_annee_from_its_first_midnight(view: SnapshotView) -> None:
    # 2025: row 14 only, at 2025-01-01 00:00 (PLAN, XXXX, ET99, S, N).
    assert ask(view, "data", annee=2025) == {
        "statistiques": {
            **counters(total=(1, 0), simple=(1, 0), indiviuel=(1, 0)),
            "region": [data_region("RE01", 1, ("VI01", 1))],
            "gammes": [data_gamme("GA02", 1, ("SP01", 1))],
        }
    }


def test_data_start_date(view: SnapshotView) -> None:
    # From 2024-02-01: visits 4, 8, 9, 10, 11 (rows 5, 9-14).
    assert ask(view, "data", start_date=date(2024, 2, 1)) == {
        "statistiques": {
            **counters(
                total=(7, 0), medicales=(3, 0), pharmaceutiques=(1, 0), privees=(2, 0),
                publiques=(2, 0), simple=(4, 0), groupe=(3, 0), indiviuel=(5, 0),
                en_double=(1, 0),
            ),
            "region": [
                data_region("RE01", 4, ("VI03", 2), ("VI01", 2)),
                data_region("RE02", 2, ("VI02", 2)),
            ],
            "gammes": [
                data_gamme("GA01", 3, ("SP01", 1), ("SP02", 2)),
                data_gamme("GA02", 3, ("SP01", 2)),
            ],
        }
    }  # fmt: skip


def test_data_team_year_month_combined(view: SnapshotView) -> None:
    # Team of 1 in January 2024: visits 1, 2, 3 (visit 6 is user 50's, no team member).
    assert ask(view, "data", id_responsable=1, annee=2024, mois=1) == {
        "statistiques": {
            **counters(
                total=(2, 2), medicales=(2, 1), pharmaceutiques=(0, 1), privees=(1, 2),
                publiques=(1, 0), simple=(2, 0), groupe=(0, 2), indiviuel=(2, 0),
                en_double=(0, 2),
            ),
            "region": [
                data_region("RE01", 3, ("VI03", 1), ("VI01", 2)),
                data_region("RE02", 1, ("VI02", 1)),
            ],
            "gammes": [
                data_gamme("GA01", 3, ("SP01", 2), ("SP02", 1)),
                data_gamme("GA02", 1),
            ],
        }
    }  # fmt: skip


def test_data_unknown_code_matches_nothing(view: SnapshotView) -> None:
    assert ask(view, "data", gamme="NOPE") == {
        "statistiques": {**counters(), "region": [], "gammes": []}
    }
