"""POST /performance over the hand-built snapshot: every expected value is worked out by hand
from the rows of engine_hand.py, never produced by the engine."""

from __future__ import annotations

from datetime import date

from engine_hand import ask, days, delegues, performance

from engine import SnapshotView

UNTIL_MARCH = days(
    date(2023, 12, 31), date(2024, 3, 15),
    d2023_12_31=1, d2024_01_10=1, d2024_01_12=3, d2024_02_01=2, d2024_03_15=2,
)  # fmt: skip
# Visit 11, at 2025-01-01 00:00, stretches the series over 2024's zero days.
EVERY_DAY = [
    *UNTIL_MARCH, *days(date(2024, 3, 16), date(2025, 1, 1), d2025_01_01=1)
]  # fmt: skip


def test_performance_everything(view: SnapshotView) -> None:
    # Visit 8 counts once for MEDE although two of its rows are MEDE; visit 7 has no
    # date and is in no day; user 50 is unknown (no name); rep 5 ("del") has 0. Users 3
    # (visits 1, 2, 8) and 4 (3, 4, 11) tie: by name, Chraibi before Dahbi. Partner 104
    # (Z, VALI, XXXX) is met at visits 8 and 11.
    assert ask(view, "performance") == performance(
        types=[("MEDE", 7), ("PHAR", 3), ("XXXX", 2)],
        statuts=[("ATTE", 2), ("REJE", 1), ("VALI", 7)],
        potentiels=[("A", 4), ("B", 2), ("C", 2), ("Z", 2)],
        regions=[("RE01", 6), ("RE09", 1), ("RE02", 4)],
        top=[(3, 3), (4, 3), (6, 2), (2, 1), (9, 1)],
        fewest=[(5, 0), (9, 1), (6, 2), (3, 3), (4, 3)],
        per_day=EVERY_DAY,
    )


def test_performance_team_with_a_cycle(view: SnapshotView) -> None:
    # Team of 7 = {6, 7, 8} (7 and 8 are each other's responsable): visits 5 and 9.
    assert ask(view, "performance", id_responsable=7) == performance(
        types=[("MEDE", 2)],
        statuts=[("REJE", 1), ("VALI", 1)],
        potentiels=[("A", 1)],
        regions=[("RE09", 1), ("RE02", 1)],
        top=[(6, 2)],
        fewest=[(6, 2)],
        per_day=days(date(2023, 12, 31), date(2024, 3, 15), d2023_12_31=1, d2024_03_15=1),
    )


def test_performance_team_candidates(view: SnapshotView) -> None:
    # Reps of team 2 = {2, 3, 4}: 3 (visits 1, 2, 8) and 4 (3, 4, 11), tied.
    got = ask(view, "performance", id_responsable=2)["delegues_moins_nombre_visites"]
    assert got == delegues((3, 3), (4, 3))


def test_performance_rep_without_visits(view: SnapshotView) -> None:
    assert ask(view, "performance", id_utilisateur=5) == performance(fewest=[(5, 0)])


def test_performance_gamme_trimmed(view: SnapshotView) -> None:
    # " GA02 " is GA02: rows 3, 6, 7, 11, 13, 14 = visits 2, 5, 6, 8, 10, 11.
    assert ask(view, "performance", gamme=" GA02 ") == performance(
        types=[("MEDE", 1), ("PHAR", 3), ("XXXX", 2)],
        statuts=[("ATTE", 2), ("REJE", 1), ("VALI", 2)],
        potentiels=[("C", 2), ("Z", 2)],
        regions=[("RE01", 2), ("RE09", 1), ("RE02", 3)],
        top=[(3, 2), (2, 1), (4, 1), (6, 1), (50, 1)],
        fewest=[(5, 0), (9, 0), (4, 1), (6, 1), (3, 2)],
        per_day=days(
            date(2023, 12, 31), date(2025, 1, 1),
            d2023_12_31=1, d2024_01_12=2, d2024_02_01=1, d2024_03_15=1, d2025_01_01=1,
        ),
    )  # fmt: skip


def test_performance_region(view: SnapshotView) -> None:
    # RE01: rows 1, 2, 4, 8, 9, 10, 11, 14 = visits 1, 2, 3, 7, 8, 11; visit 8 has
    # three RE01 rows and counts once everywhere.
    assert ask(view, "performance", region="RE01") == performance(
        types=[("MEDE", 5), ("XXXX", 2)],
        statuts=[("VALI", 6)],
        potentiels=[("A", 3), ("B", 2), ("Z", 2)],
        regions=[("RE01", 6)],
        top=[(3, 3), (4, 2), (9, 1)],
        fewest=[(5, 0), (6, 0), (9, 1), (4, 2), (3, 3)],
        per_day=days(
            date(2024, 1, 10), date(2025, 1, 1),
            d2024_01_10=1, d2024_01_12=2, d2024_02_01=1, d2025_01_01=1,
        ),
    )  # fmt: skip


def test_performance_gamme_and_region(view: SnapshotView) -> None:
    # GA01 in RE02: row 12 only.
    assert ask(view, "performance", gamme="GA01", region="RE02") == performance(
        types=[("MEDE", 1)],
        statuts=[("VALI", 1)],
        potentiels=[("A", 1)],
        regions=[("RE02", 1)],
        top=[(6, 1)],
        fewest=[(3, 0), (4, 0), (5, 0), (9, 0), (6, 1)],
        per_day=days(date(2024, 3, 15), date(2024, 3, 15), d2024_03_15=1),
    )
    # GA02 in RE01: row 11 of visit 8 and row 14 of visit 11, both partner 104.
    assert ask(view, "performance", gamme="GA02", region="RE01") == performance(
        types=[("XXXX", 2)],
        statuts=[("VALI", 2)],
        potentiels=[("Z", 2)],
        regions=[("RE01", 2)],
        top=[(3, 1), (4, 1)],
        fewest=[(5, 0), (6, 0), (9, 0), (3, 1), (4, 1)],
        per_day=days(date(2024, 2, 1), date(2025, 1, 1), d2024_02_01=1, d2025_01_01=1),
    )


def test_performance_one_whole_day(view: SnapshotView) -> None:
    # end_date keeps the whole day: visit 10 at 14:00 on 2024-03-15.
    got = ask(view, "performance", start_date=date(2024, 3, 15), end_date=date(2024, 3, 15))
    assert got["utilisateurs_plus_grand_nombre_visites"] == delegues((2, 1), (6, 1))
    assert got["nombre_compte_visite_par_jour"] == [
        {"date_visite": "2024-03-15", "nombre_visites": 2}
    ]


def test_performance_end_date(view: SnapshotView) -> None:
    # Visits 7 (no date) and 11 (2025) are out.
    got = ask(view, "performance", end_date=date(2024, 3, 15))
    assert got["utilisateurs_plus_grand_nombre_visites"] == delegues(
        (3, 3), (4, 2), (6, 2), (2, 1), (50, 1)
    )
    assert got["nombre_compte_visite_par_jour"] == UNTIL_MARCH
