"""The six endpoints over a small hand-built snapshot; every expected value below was
worked out by hand from the rows in HAND (SPEC §3 to §6), not produced by the engine.

The rows hold one of each edge case: a visit with no partner (4), a group visit
across two regions (2), a partner met twice in one visit (8), two cities labelled
"Centre" in different regions, codes missing from the codification (RE09, SP09, ET99,
CE09, TI09), NULL keys and dates, a visit of an unknown user (50) and of an unknown
partner (999), a rep with no visit (5, role "del"), a cycle 7 -> 8 -> 7 under 6, a
responsable that is no user (99), a partner with two business cases (100), NULL
budgets, unknown codes (VISI, X, Z, XXXX), and an evaluation without details (7).

Contact rows, numbered for the comments below (visit: partner, region, city, type,
gamme, speciality):
     1 V1  u3: 100 RE01 VI01 MEDE GA01 SP01    PLAN N S  2024-01-10
     2 V2  u3: 100 RE01 VI01 MEDE GA01 SP01    HOPL O G  2024-01-12
     3 V2  u3: 102 RE02 VI02 PHAR GA02 -       HOPL O G  2024-01-12
     4 V3  u4: 101 RE01 VI03 MEDE GA01 SP02    PLAN N S  2024-01-12
     5 V4  u4: (no partner)                    PLAN - S  2024-02-01
     6 V5  u6: 103 RE09 -    MEDE GA02 SP09    HOPL N S  2023-12-31
     7 V6 u50: 999 RE02 VI02 PHAR GA02 SP02    PLAN N S  2024-01-12
     8 V7  u9: 100 RE01 VI01 MEDE GA01 SP01    VISI Z X  (no date)
     9 V8  u3: 101 RE01 VI03 MEDE GA01 SP02    PLAN N G  2024-02-01
    10 V8  u3: 101 RE01 VI03 MEDE GA01 SP02    PLAN N G  2024-02-01
    11 V8  u3: 104 RE01 VI01 XXXX GA02 SP01    PLAN N G  2024-02-01
    12 V9  u6: 100 RE02 VI02 MEDE GA01 SP01    PLAN O S  2024-03-15 08:00
    13 V10 u2: 102 RE02 VI02 PHAR GA02 -       PLAN N S  2024-03-15 14:00
Teams: 1 {1,2,3,4,5}, 2 {2,3,4}, 7 and 8 {6,7,8}, 99 {9,99}.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import msgspec
import pytest
from engine_snapshot import general_path_only, publish, write_snapshot

from engine import ENDPOINTS, Engine, InvestFilter, SnapshotView, VisiteFilter
from engine.statement import render


def rows(columns: str, *values: tuple) -> list[dict[str, Any]]:
    return [dict(zip(columns.split(), v, strict=True)) for v in values]


HAND = {
    "tab_par_codification": rows(
        "code_codification libelle_codification type_codification",
        ("RE01", "Casablanca", "REGI"),
        ("RE02", "Rabat", "REGI"),
        ("VI01", "Centre", "VILL"),
        ("VI02", "Centre", "VILL"),
        ("VI03", "Anfa", "VILL"),
        ("GA01", "Cardio", "GAMM"),
        ("GA02", "Dermato", "GAMM"),
        ("SP01", "Cardiologue", "SPEC"),
        ("SP02", "Généraliste", "SPEC"),
        ("ET01", "Clinique privée", "ETPR"),
        ("ET02", "Hôpital public", "ETPU"),
        ("CE01", "Connaissance produit", "CATE"),
        ("CE02", "Communication", "CATE"),
        ("SEV01", "Argumentaire", "SCAT"),
        ("SEV02", "Écoute", "SCAT"),
        ("TI01", "Congrès", "TINV"),
        ("TI02", "Matériel", "TINV"),
        ("CI01", "Formation", "CINV"),
    ),
    "tab_utilisateur": rows(
        "id_utilisateur id_responsable nom_utilisateur prenom_utilisateur role",
        (1, None, "Alami", "Driss", "DIR"),
        (2, 1, "Bennani", "Sara", "SUP"),
        (3, 2, "Chraibi", "Omar", "DEL"),
        (4, 2, "Dahbi", "Nadia", "DEL"),
        (5, 1, "Ezzahi", "Karim", "del"),
        (6, 7, "Fassi", "Lina", "DEL"),
        (7, 8, "Ghali", "Youssef", "SUP"),
        (8, 7, "Hajji", "Amine", "SUP"),
        (9, 99, "Idrissi", "Mona", "DEL"),
    ),
    "tab_partenaire": rows(
        "id_partenaire nom_partenaire code_potentiel code_type_etablissement "
        "code_statut_partenaire code_gamme code_specialite code_type_partenaire "
        "code_region_partenaire code_ville_partenaire",
        (100, "Dr A", "A", "ET01", "VALI", "GA01", "SP01", "MEDE", "RE01", "VI01"),
        (101, "Dr B", "B", "ET02", "VALI", "GA01", "SP02", "MEDE", "RE01", "VI03"),
        (102, "Pharma C", "C", "ET01", "ATTE", "GA02", None, "PHAR", "RE02", "VI02"),
        (103, "Dr D", None, None, "REJE", "GA02", "SP01", "MEDE", "RE09", None),
        (104, "X", "Z", "ET99", "VALI", "GA02", "SP01", "XXXX", "RE01", "VI01"),
    ),
    "tab_visite": rows(
        "id_visite id_utilisateur id_responsable code_type_visite flag_accompagnee "
        "date_visite type_visite",
        (1, 3, 2, "PLAN", "N", datetime(2024, 1, 10, 9, 0), "S"),
        (2, 3, 2, "HOPL", "O", datetime(2024, 1, 12, 10, 0), "G"),
        (3, 4, 2, "PLAN", "N", datetime(2024, 1, 12, 15, 30), "S"),
        (4, 4, None, "PLAN", None, datetime(2024, 2, 1, 11, 0), "S"),
        (5, 6, 7, "HOPL", "N", datetime(2023, 12, 31, 23, 0), "S"),
        (6, 50, 2, "PLAN", "N", datetime(2024, 1, 12, 8, 0), "S"),
        (7, 9, 99, "VISI", "Z", None, "X"),
        (8, 3, 2, "PLAN", "N", datetime(2024, 2, 1, 16, 0), "G"),
        (9, 6, 7, "PLAN", "O", datetime(2024, 3, 15, 8, 0), "S"),
        (10, 2, 1, "PLAN", "N", datetime(2024, 3, 15, 14, 0), "S"),
    ),
    "tab_partenaire_visite": rows(
        "id_visite id_partenaire code_region_partenaire code_ville_partenaire "
        "code_type_partenaire code_gamme_partenaire code_specialite_partenaire",
        (1, 100, "RE01", "VI01", "MEDE", "GA01", "SP01"),
        (2, 100, "RE01", "VI01", "MEDE", "GA01", "SP01"),
        (2, 102, "RE02", "VI02", "PHAR", "GA02", None),
        (3, 101, "RE01", "VI03", "MEDE", "GA01", "SP02"),
        (5, 103, "RE09", None, "MEDE", "GA02", "SP09"),
        (6, 999, "RE02", "VI02", "PHAR", "GA02", "SP02"),
        (7, 100, "RE01", "VI01", "MEDE", "GA01", "SP01"),
        (8, 101, "RE01", "VI03", "MEDE", "GA01", "SP02"),
        (8, 101, "RE01", "VI03", "MEDE", "GA01", "SP02"),
        (8, 104, "RE01", "VI01", "XXXX", "GA02", "SP01"),
        (9, 100, "RE02", "VI02", "MEDE", "GA01", "SP01"),
        (10, 102, "RE02", "VI02", "PHAR", "GA02", None),
    ),
    "tab_evaluation": rows(
        "id id_createur id_utilisateur_evalue points_obtenu points_total date_integration",
        (1, 2, 3, D("15.50"), D("20"), datetime(2024, 1, 20, 10)),
        (2, 2, 4, D("12.00"), D("20"), datetime(2024, 1, 25, 10)),
        (3, 1, 3, D("17.00"), D("20"), datetime(2024, 2, 10, 10)),
        (4, 7, 6, D("15.50"), D("20"), datetime(2024, 2, 11, 10)),
        (5, 2, 5, None, D("20"), None),
        (6, 77, 3, D("10.00"), D("20"), datetime(2024, 3, 1, 10)),
        (7, 2, 4, D("19.00"), D("20"), datetime(2024, 3, 5, 10)),
    ),
    "tab_evaluation_detailed": rows(
        "id id_evaluation code_categorie code_sous_categorie point_obtenu point_sur",
        (1, 1, "CE01", "SEV01", D("4.00"), D("5")),
        (2, 1, "CE01", "SEV02", D("3.50"), D("5")),
        (3, 1, "CE02", "SEV01", D("8.00"), D("10")),
        (4, 2, "CE01", "SEV01", D("2.00"), D("5")),
        (5, 3, "CE02", "SEV02", D("9.00"), D("10")),
        (6, 4, "CE01", "SEV01", D("5.00"), D("5")),
        (7, 5, "CE01", None, None, D("5")),
        (8, 6, "CE09", "SEV01", D("1.00"), D("5")),
    ),
    "tab_partenaire_bc": rows(
        "id_business_case id_partenaire id_responsable code_statut_bc "
        "code_type_investissement code_categorie_investissement budget date_realisation",
        (1, 100, 2, "VALI", "TI01", "CI01", D("1000.50"), date(2024, 1, 15)),
        (2, 100, 3, "REAL", "TI02", "CI01", D("250.25"), date(2024, 2, 20)),
        (3, 101, 7, "ENCO", "TI01", None, None, date(2024, 3, 1)),
        (4, 102, None, "ANNU", "TI09", "CI01", D("99.99"), None),
        (5, 999, 6, "VALI", "TI01", "CI01", D("10.00"), date(2023, 12, 1)),
        (6, 103, 99, None, None, None, None, date(2024, 1, 1)),
    ),
}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotView]:
    data_dir: Path = tmp_path_factory.mktemp("data")
    write_snapshot(data_dir, "hand", HAND)
    publish(data_dir, "hand")
    engine = Engine.open(data_dir)
    with engine.lease() as pinned:
        yield pinned
    engine.close()


def ask(view: SnapshotView, endpoint: str, **fields: Any) -> dict[str, Any]:
    """The endpoint's answer as it goes on the wire (keys, ints, floats, ISO dates)."""
    return msgspec.to_builtins(view.answer(endpoint, ENDPOINTS[endpoint](**fields)))


# ---------------------------------------------------------------- item builders


def counters(**pairs: tuple[int, int]) -> dict[str, int]:
    """The 18 /data counters from (planifiees, non_planifiees) pairs; absent = 0."""
    out = {}
    for x in ("total", "medicales", "pharmaceutiques", "privees", "publiques", "simple",
              "groupe", "indiviuel", "en_double"):  # fmt: skip
        prefix = "nbr_total_visites" if x == "total" else f"nbr_visites_{x}"
        out[f"{prefix}_planifiees"], out[f"{prefix}_non_planifiees"] = pairs.get(x, (0, 0))
    return out


LABEL = {
    "RE01": "Casablanca", "RE02": "Rabat", "VI01": "Centre", "VI02": "Centre",
    "VI03": "Anfa", "GA01": "Cardio", "GA02": "Dermato", "SP01": "Cardiologue",
    "SP02": "Généraliste", "ET01": "Clinique privée", "ET02": "Hôpital public",
    "SEV01": "Argumentaire", "SEV02": "Écoute", "CE01": "Connaissance produit",
    "CE02": "Communication", "TI01": "Congrès", "TI02": "Matériel", "CI01": "Formation",
}  # fmt: skip


def label(code: str) -> str:
    return LABEL.get(code, code)  # SPEC §3: a missing label falls back to the code


def data_region(code: str, total: int, *villes: tuple[str, int]) -> dict[str, Any]:
    return {
        "code_region_partenaire": code, "region": label(code), "nb_visites_total": total,
        "ville": [
            {"code_ville_partenaire": v, "code_region_partenaire": code, "ville": label(v),
             "region": label(code), "nb_visites": n}
            for v, n in villes
        ],
    }  # fmt: skip


def data_gamme(code: str, total: int, *specialites: tuple[str, int]) -> dict[str, Any]:
    return {
        "code_gamme": code, "gamme": label(code), "nbr_total_visites": total,
        "specialites": [
            {"code_specialite": s, "specialite": label(s), "gamme": label(code),
             "code_gamme": code, "nb_visites_total": n}
            for s, n in specialites
        ],
    }  # fmt: skip


def keyed(key: str, value: str, *pairs: tuple[Any, Any]) -> list[dict[str, Any]]:
    return [{key: k, value: v} for k, v in pairs]


def labelled(key: str, name: str, value: str, *pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{key: k, name: label(k), value: v} for k, v in pairs]


NAMES = {1: "Alami Driss", 2: "Bennani Sara", 3: "Chraibi Omar", 4: "Dahbi Nadia",
         5: "Ezzahi Karim", 6: "Fassi Lina", 7: "Ghali Youssef", 8: "Hajji Amine",
         9: "Idrissi Mona"}  # fmt: skip


def delegues(*pairs: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"id_utilisateur": u, "delegue": NAMES.get(u), "nombre_visites": n} for u, n in pairs]


def jours(first: date, last: date, **visites: int) -> list[dict[str, Any]]:
    """Every day from first to last; days not given (as d2024_01_12=3) have 0 visits."""
    days = [first + timedelta(n) for n in range((last - first).days + 1)]
    counts = {date.fromisoformat(k[1:].replace("_", "-")): v for k, v in visites.items()}
    return [{"date_visite": d.isoformat(), "nombre_visites": counts.get(d, 0)} for d in days]


def performance(
    types=(), statuts=(), potentiels=(), regions=(), top=(), moins=(), jour=()
) -> dict[str, Any]:
    visites = "nombre_visites"
    return {
        "nombre_compte_visite_par_type_compte": keyed("code_type_partenaire", visites, *types),
        "nombre_compte_visite_par_status": keyed("code_statut_partenaire", visites, *statuts),
        "nombre_visites_par_potenciel": keyed("code_potentiel", visites, *potentiels),
        "nombre_visites_par_region": labelled(
            "code_region_partenaire", "region", visites, *regions
        ),
        "utilisateurs_plus_grand_nombre_visites": delegues(*top),
        "delegues_moins_nombre_visites": delegues(*moins),
        "nombre_compte_visite_par_jour": list(jour),
    }


def users(mois=(), gammes=(), responsables=(), regions=(), statuts=(), roles=()) -> dict:
    nombre = "nombre_utilisateur"
    return {
        "nombre_nouvelle_utilisateur_par_mois": [
            {"annee": a, "mois": m, nombre: n} for a, m, n in mois
        ],
        "nombre_utilisateur_par_gammes": labelled(
            "code_gamme_partenaire", "gamme", nombre, *gammes
        ),
        "pourcentage_visites_par_responsable": [
            {"id_responsable": r, "nombre_visites": n, "pourcentage": p} for r, n, p in responsables
        ],
        "nombre_utilisateur_par_regions": labelled(
            "code_region_partenaire", "region", nombre, *regions
        ),
        "nombre_utilisateur_par_status": keyed("code_statut_partenaire", nombre, *statuts),
        "nombre_utilisateur_par_role": keyed("role", nombre, *roles),
    }


# ------------------------------------------------------------------------ /data


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
    # Row 8 (VISI) is in no counter; ET99 is neither private nor public; row 5 has no
    # region; RE09 sorts between Casablanca and Rabat (code points: 'E' < 'a').
    assert ask(view, "data") == {
        "statistiques": {
            **counters(
                total=(9, 3), medicales=(5, 2), pharmaceutiques=(2, 1), privees=(3, 2),
                publiques=(3, 0), simple=(6, 1), groupe=(3, 2), indiviuel=(7, 1),
                en_double=(1, 2),
            ),
            "region": [
                data_region("RE01", 7, ("VI03", 3), ("VI01", 4)),
                data_region("RE09", 1),
                data_region("RE02", 4, ("VI02", 4)),
            ],
            "gammes": [
                data_gamme("GA01", 7, ("SP01", 4), ("SP02", 3)),
                data_gamme("GA02", 5, ("SP01", 1), ("SP02", 1), ("SP09", 1)),
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
    # 2024: rows 6 (2023) and 8 (no date) are out.
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


def test_data_start_date(view: SnapshotView) -> None:
    # From 2024-02-01: visits 4, 8, 9, 10 (rows 5, 9-13).
    assert ask(view, "data", start_date=date(2024, 2, 1)) == {
        "statistiques": {
            **counters(
                total=(6, 0), medicales=(3, 0), pharmaceutiques=(1, 0), privees=(2, 0),
                publiques=(2, 0), simple=(3, 0), groupe=(3, 0), indiviuel=(4, 0),
                en_double=(1, 0),
            ),
            "region": [
                data_region("RE01", 3, ("VI03", 2), ("VI01", 1)),
                data_region("RE02", 2, ("VI02", 2)),
            ],
            "gammes": [
                data_gamme("GA01", 3, ("SP01", 1), ("SP02", 2)),
                data_gamme("GA02", 2, ("SP01", 1)),
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


# ----------------------------------------------------------------- /performance

EVERY_DAY = jours(
    date(2023, 12, 31), date(2024, 3, 15),
    d2023_12_31=1, d2024_01_10=1, d2024_01_12=3, d2024_02_01=2, d2024_03_15=2,
)  # fmt: skip


def test_performance_everything(view: SnapshotView) -> None:
    # Visit 8 counts once for MEDE although two of its rows are MEDE; visit 7 has no
    # date and is in no day; user 50 is unknown (no name); rep 5 ("del") has 0.
    assert ask(view, "performance") == performance(
        types=[("MEDE", 7), ("PHAR", 3), ("XXXX", 1)],
        statuts=[("ATTE", 2), ("REJE", 1), ("VALI", 6)],
        potentiels=[("A", 4), ("B", 2), ("C", 2), ("Z", 1)],
        regions=[("RE01", 5), ("RE09", 1), ("RE02", 4)],
        top=[(3, 3), (4, 2), (6, 2), (2, 1), (9, 1)],
        moins=[(5, 0), (9, 1), (4, 2), (6, 2), (3, 3)],
        jour=EVERY_DAY,
    )


def test_performance_team_with_a_cycle(view: SnapshotView) -> None:
    # Team of 7 = {6, 7, 8} (7 and 8 are each other's responsable): visits 5 and 9.
    assert ask(view, "performance", id_responsable=7) == performance(
        types=[("MEDE", 2)],
        statuts=[("REJE", 1), ("VALI", 1)],
        potentiels=[("A", 1)],
        regions=[("RE09", 1), ("RE02", 1)],
        top=[(6, 2)],
        moins=[(6, 2)],
        jour=jours(date(2023, 12, 31), date(2024, 3, 15), d2023_12_31=1, d2024_03_15=1),
    )


def test_performance_team_candidates(view: SnapshotView) -> None:
    # Reps of team 2 = {2, 3, 4}: 3 and 4.
    got = ask(view, "performance", id_responsable=2)["delegues_moins_nombre_visites"]
    assert got == delegues((4, 2), (3, 3))


def test_performance_rep_without_visits(view: SnapshotView) -> None:
    assert ask(view, "performance", id_utilisateur=5) == performance(moins=[(5, 0)])


def test_performance_gamme_trimmed(view: SnapshotView) -> None:
    # " GA02 " is GA02: rows 3, 6, 7, 11, 13 = visits 2, 5, 6, 8, 10.
    assert ask(view, "performance", gamme=" GA02 ") == performance(
        types=[("MEDE", 1), ("PHAR", 3), ("XXXX", 1)],
        statuts=[("ATTE", 2), ("REJE", 1), ("VALI", 1)],
        potentiels=[("C", 2), ("Z", 1)],
        regions=[("RE01", 1), ("RE09", 1), ("RE02", 3)],
        top=[(3, 2), (2, 1), (6, 1), (50, 1)],
        moins=[(4, 0), (5, 0), (9, 0), (6, 1), (3, 2)],
        jour=jours(
            date(2023, 12, 31), date(2024, 3, 15),
            d2023_12_31=1, d2024_01_12=2, d2024_02_01=1, d2024_03_15=1,
        ),
    )  # fmt: skip


def test_performance_region(view: SnapshotView) -> None:
    # RE01: rows 1, 2, 4, 8, 9, 10, 11 = visits 1, 2, 3, 7, 8; visit 8 has three RE01
    # rows and counts once everywhere.
    assert ask(view, "performance", region="RE01") == performance(
        types=[("MEDE", 5), ("XXXX", 1)],
        statuts=[("VALI", 5)],
        potentiels=[("A", 3), ("B", 2), ("Z", 1)],
        regions=[("RE01", 5)],
        top=[(3, 3), (4, 1), (9, 1)],
        moins=[(5, 0), (6, 0), (4, 1), (9, 1), (3, 3)],
        jour=jours(
            date(2024, 1, 10), date(2024, 2, 1), d2024_01_10=1, d2024_01_12=2, d2024_02_01=1
        ),
    )


def test_performance_gamme_and_region(view: SnapshotView) -> None:
    # GA01 in RE02: row 12 only.
    assert ask(view, "performance", gamme="GA01", region="RE02") == performance(
        types=[("MEDE", 1)],
        statuts=[("VALI", 1)],
        potentiels=[("A", 1)],
        regions=[("RE02", 1)],
        top=[(6, 1)],
        moins=[(3, 0), (4, 0), (5, 0), (9, 0), (6, 1)],
        jour=jours(date(2024, 3, 15), date(2024, 3, 15), d2024_03_15=1),
    )
    # GA02 in RE01: row 11 of visit 8 only.
    assert ask(view, "performance", gamme="GA02", region="RE01") == performance(
        types=[("XXXX", 1)],
        statuts=[("VALI", 1)],
        potentiels=[("Z", 1)],
        regions=[("RE01", 1)],
        top=[(3, 1)],
        moins=[(4, 0), (5, 0), (6, 0), (9, 0), (3, 1)],
        jour=jours(date(2024, 2, 1), date(2024, 2, 1), d2024_02_01=1),
    )


def test_performance_one_whole_day(view: SnapshotView) -> None:
    # end_date keeps the whole day: visit 10 at 14:00 on 2024-03-15.
    got = ask(view, "performance", start_date=date(2024, 3, 15), end_date=date(2024, 3, 15))
    assert got["utilisateurs_plus_grand_nombre_visites"] == delegues((2, 1), (6, 1))
    assert got["nombre_compte_visite_par_jour"] == [
        {"date_visite": "2024-03-15", "nombre_visites": 2}
    ]


def test_performance_end_date(view: SnapshotView) -> None:
    # Every dated visit is on or before 2024-03-15; visit 7 (no date) is out.
    got = ask(view, "performance", end_date=date(2024, 3, 15))
    assert got["utilisateurs_plus_grand_nombre_visites"] == delegues(
        (3, 3), (4, 2), (6, 2), (2, 1), (50, 1)
    )
    assert got["nombre_compte_visite_par_jour"] == EVERY_DAY


# ------------------------------------------------------------------ /partenaire


def partenaire_region(code: str, total: int, *villes: tuple[str, int]) -> dict[str, Any]:
    return {
        "code_region_partenaire": code, "region": label(code), "total_partenaire": total,
        "ville": [
            {"code_ville_partenaire": v, "code_region_partenaire": code, "ville": label(v),
             "region": label(code), "nb_partenaire": n}
            for v, n in villes
        ],
    }  # fmt: skip


def partenaire_gamme(code: str, total: int, *specialites: tuple[str, int]) -> dict[str, Any]:
    return {
        "code_gamme": code, "gamme": label(code), "total_partenaire": total,
        "specialites": [
            {"code_specialite": s, "specialite": label(s), "gamme": label(code),
             "code_gamme": code, "nb_partenaire": n}
            for s, n in specialites
        ],
    }  # fmt: skip


def test_partenaire_everything(view: SnapshotView) -> None:
    # Partners 100 (4 visits: 1, 2, 7, 9), 101 (3, 8: its two rows in 8 are one
    # visit), 102 (2, 10), 103, 104, 999: 11 (visit, partner) pairs / 6 partners.
    # Partner 100 is in RE01 and, at visit 9, in RE02: it counts in both.
    assert ask(view, "partenaire") == {
        "Nombre_de_comptes_par_potentiel": keyed(
            "code_potentiel", "nombre_partenaire", ("A", 1), ("B", 1), ("C", 1), ("Z", 1)
        ),
        "Nombre_de_visites_moyen": 11 / 6,
        "Nombre_de_comptes_par_etablissement": labelled(
            "code_type_etablissement", "etablissement", "nombre_partenaire",
            ("ET01", 2), ("ET99", 1), ("ET02", 1),
        ),
        "region_partenaire": [
            partenaire_region("RE01", 3, ("VI03", 1), ("VI01", 2)),
            partenaire_region("RE09", 1),
            partenaire_region("RE02", 3, ("VI02", 3)),
        ],
        "gamme_partenaire": [
            partenaire_gamme("GA01", 2, ("SP01", 1), ("SP02", 1)),
            partenaire_gamme("GA02", 4, ("SP01", 1), ("SP02", 1), ("SP09", 1)),
        ],
    }  # fmt: skip


def test_partenaire_one_user(view: SnapshotView) -> None:
    # User 3: visits 1, 2, 8 (rows 1, 2, 3, 9, 10, 11); 100 twice, 102, 101, 104 once.
    assert ask(view, "partenaire", id_utilisateur=3) == {
        "Nombre_de_comptes_par_potentiel": keyed(
            "code_potentiel", "nombre_partenaire", ("A", 1), ("B", 1), ("C", 1), ("Z", 1)
        ),
        "Nombre_de_visites_moyen": 1.25,
        "Nombre_de_comptes_par_etablissement": labelled(
            "code_type_etablissement", "etablissement", "nombre_partenaire",
            ("ET01", 2), ("ET99", 1), ("ET02", 1),
        ),
        "region_partenaire": [
            partenaire_region("RE01", 3, ("VI03", 1), ("VI01", 2)),
            partenaire_region("RE02", 1, ("VI02", 1)),
        ],
        "gamme_partenaire": [
            partenaire_gamme("GA01", 2, ("SP01", 1), ("SP02", 1)),
            partenaire_gamme("GA02", 2, ("SP01", 1)),
        ],
    }  # fmt: skip


def test_partenaire_average_under_a_contact_filter(view: SnapshotView) -> None:
    # RE01: 100 at visits 1, 2, 7; 101 at 3, 8; 104 at 8 -> 6 pairs / 3 partners.
    assert ask(view, "partenaire", region="RE01")["Nombre_de_visites_moyen"] == 2.0


def test_partenaire_gamme(view: SnapshotView) -> None:
    # GA02: rows 3, 6, 7, 11, 13 -> partners 102 (visits 2, 10), 103, 999, 104: 5 pairs / 4.
    # 999 is no CRM partner (no potential, no establishment); 102 has no speciality.
    assert ask(view, "partenaire", gamme="GA02") == {
        "Nombre_de_comptes_par_potentiel": keyed(
            "code_potentiel", "nombre_partenaire", ("C", 1), ("Z", 1)
        ),
        "Nombre_de_visites_moyen": 1.25,
        "Nombre_de_comptes_par_etablissement": labelled(
            "code_type_etablissement", "etablissement", "nombre_partenaire",
            ("ET01", 1), ("ET99", 1),
        ),
        "region_partenaire": [
            partenaire_region("RE01", 1, ("VI01", 1)),
            partenaire_region("RE09", 1),
            partenaire_region("RE02", 2, ("VI02", 2)),
        ],
        "gamme_partenaire": [
            partenaire_gamme("GA02", 4, ("SP01", 1), ("SP02", 1), ("SP09", 1)),
        ],
    }  # fmt: skip


def test_partenaire_nothing(view: SnapshotView) -> None:
    assert ask(view, "partenaire", id_utilisateur=5) == {
        "Nombre_de_comptes_par_potentiel": [],
        "Nombre_de_visites_moyen": None,
        "Nombre_de_comptes_par_etablissement": [],
        "region_partenaire": [],
        "gamme_partenaire": [],
    }


# ------------------------------------------------------------------------ /users


def test_users_everything(view: SnapshotView) -> None:
    # Visit 4 has no responsable (0); user 50 has no role.
    assert ask(view, "users") == users(
        mois=[(2023, 12, 1), (2024, 1, 3), (2024, 2, 2), (2024, 3, 2)],
        gammes=[("GA01", 4), ("GA02", 4)],
        responsables=[(0, 1, 10.0), (1, 1, 10.0), (2, 5, 50.0), (7, 2, 20.0), (99, 1, 10.0)],
        regions=[("RE01", 3), ("RE09", 1), ("RE02", 4)],
        statuts=[("ATTE", 2), ("REJE", 1), ("VALI", 4)],
        roles=[("DEL", 4), ("SUP", 1)],
    )


def test_users_team(view: SnapshotView) -> None:
    # Team 2 = {2, 3, 4}: visits 1, 2, 3, 4, 8, 10; shares 1/6 and 4/6.
    assert ask(view, "users", id_responsable=2) == users(
        mois=[(2024, 1, 2), (2024, 2, 2), (2024, 3, 1)],
        gammes=[("GA01", 2), ("GA02", 2)],
        responsables=[(0, 1, 16.67), (1, 1, 16.67), (2, 4, 66.67)],
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
    # RE01: rows 1, 2, 4, 8, 9, 10, 11 -> users 3 (January, February), 4 (January) and 9
    # (no date); 3 met GA01 and GA02, 4 and 9 GA01; partners 100, 101, 104 are VALI.
    assert ask(view, "users", region="RE01") == users(
        mois=[(2024, 1, 2), (2024, 2, 1)],
        gammes=[("GA01", 3), ("GA02", 1)],
        responsables=[(2, 4, 80.0), (99, 1, 20.0)],
        regions=[("RE01", 3)],
        statuts=[("VALI", 3)],
        roles=[("DEL", 3)],
    )


def test_users_visits_under_a_contact_filter(view: SnapshotView) -> None:
    # RE01: visits 1, 2, 3, 8 (responsable 2) and 7 (99); visit 8's three rows count once.
    got = ask(view, "users", region="RE01")["pourcentage_visites_par_responsable"]
    assert got == [
        {"id_responsable": 2, "nombre_visites": 4, "pourcentage": 80.0},
        {"id_responsable": 99, "nombre_visites": 1, "pourcentage": 20.0},
    ]


# ------------------------------------------------- the fast and the general path


@pytest.mark.parametrize("endpoint", ["data", "performance", "partenaire", "users"])
@pytest.mark.parametrize(
    "fields",
    [{}, {"gamme": "GA01"}, {"gamme": "GA02"}, {"region": "RE02"},
     {"gamme": "GA02", "region": "RE02"}, {"region": "RE09"}, {"gamme": "GA99"},
     {"id_responsable": 2}, {"id_responsable": 7, "annee": 2024}, {"id_utilisateur": 3},
     {"mois": 1}, {"start_date": date(2024, 1, 12), "end_date": date(2024, 2, 1)},
     {"id_responsable": 1, "gamme": "GA01"}],
)  # fmt: skip
def test_fast_path_equals_general_path(
    view: SnapshotView, endpoint: str, fields: dict[str, Any]
) -> None:
    # A filter of gamme and region only reads the load's masks of partners and users,
    # a filter without them the load's visits per user and day (build/3_contact.sql);
    # the general path counts over the filtered rows.
    fast = ask(view, endpoint, **fields)
    with general_path_only():
        assert ask(view, endpoint, **fields) == fast


def test_the_path_is_chosen_by_the_filter() -> None:
    def paths(filter_: VisiteFilter) -> tuple[str, str]:
        fast = "FROM profile WHERE FALSE" not in render("partenaire", filter_).sql
        general = "SELECT DISTINCT id_profile FROM contact\n        WHERE TRUE" in (
            render("partenaire", filter_).sql
        )
        return fast, general

    assert paths(VisiteFilter()) == (True, False)
    assert paths(VisiteFilter(gamme="GA01", region="RE01")) == (True, False)
    for general in ({"id_utilisateur": 3}, {"id_responsable": 2}, {"annee": 2024},
                    {"mois": 1}, {"start_date": date(2024, 1, 1)},
                    {"end_date": date(2024, 1, 1)}, {"gamme": "GA01", "mois": 1}):  # fmt: skip
        assert paths(VisiteFilter(**general)) == (False, True), general
    with general_path_only():
        assert paths(VisiteFilter()) == (False, True)


# ------------------------------------------------------------------- /evaluation


def evaluation(scores=(), mois=(), roles=(), points=(), categories=()) -> dict[str, Any]:
    return {
        "Nombre_visites_par_moyen_evaluation": keyed("points_obtenus", "nombre_visites", *scores),
        "Nombre_evaluation_par_Mois": keyed("date_integration", "Nombre_evaluation", *mois),
        "pourcentage_evaluations_role": [
            {"role_createur": r, "Nombre_evaluation": n, "pourcentage": p} for r, n, p in roles
        ],
        "moyenne_points_utilisateurs": [
            {"id_utilisateur": u, "FullName_utilisateur": NAMES.get(u), "points_obtenus": p}
            for u, p in points
        ],
        "categories": [
            {"code_categorie": c, "categorie": label(c), "moyenne_points_categorie": m,
             "sous_categories": [
                 {"code_sous_categorie": s, "sous_categorie": label(s),
                  "moyenne_points_sous_categorie": sm}
                 for s, sm in subs
             ]}
            for c, m, subs in categories
        ],
    }  # fmt: skip


def test_evaluation_everything(view: SnapshotView) -> None:
    # Evaluation 7 has no detail row: it is nowhere. Scores: 15.5 twice (users 3 and 6:
    # 3 + 2 visits). Creators: 2 (SUP) x3, 1 (DIR), 7 (SUP), 77 (unknown) -> 6 in all.
    assert ask(view, "evaluation") == evaluation(
        scores=[(10.0, 3), (12.0, 2), (15.5, 5), (17.0, 3)],
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
        scores=[(12.0, 2), (15.5, 5)],
        mois=[("2024-01", 2), ("2024-02", 1)],
        roles=[("SUP", 4, 100.0)],
        points=[(3, 15.5), (4, 12.0), (5, None), (6, 15.5)],
        categories=[("CE01", 43 / 3, [("SEV01", 11 / 3), ("SEV02", 3.5)])],
    )


def test_evaluation_annee(view: SnapshotView) -> None:
    # 2024: all but evaluation 5 (no date).
    assert ask(view, "evaluation", annee=2024) == evaluation(
        scores=[(10.0, 3), (12.0, 2), (15.5, 5), (17.0, 3)],
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
        scores=[(12.0, 2), (15.5, 3)],
        mois=[("2024-01", 2)],
        roles=[("SUP", 2, 100.0)],
        points=[(3, 15.5), (4, 12.0)],
        categories=[("CE01", 13.75, [("SEV01", 3.0), ("SEV02", 3.5)])],
    )


# ----------------------------------------------------------------------- /invest


def invest(
    visites=(),
    gammes=(),
    statuts=(),
    potentiels=(),
    specialites=(),
    regions=(),
    types=(),
    categories=(),
) -> dict[str, Any]:
    return {
        "budget_par_visites": keyed("Nombre de nombre de visites", "budget", *visites),
        "budget_par_gamme": labelled("code_gamme", "gamme", "budget", *gammes),
        "budget_par_statut": keyed("code_statut_bc", "budget", *statuts),
        "budget_par_potentiel": keyed("code_potentiel", "budget", *potentiels),
        "budget_par_specialite": labelled("code_specialite", "specialite", "budget", *specialites),
        "budget_par_region": labelled("code_region_partenaire", "region", "budget", *regions),
        "budget_par_type_investissement": labelled(
            "code_type_investissement", "type_investissement", "budget", *types
        ),
        "budget_par_categorie_investissement": labelled(
            "code_categorie_investissement", "categorie_investissement", "budget", *categories
        ),
    }  # fmt: skip


def test_invest_everything(view: SnapshotView) -> None:
    # Partner 100 (4 visits) has two business cases; 3 and 6 have NULL budgets (their
    # groups sum to 0); 999 is unknown (no gamme, region...); 102's partner has 2 visits.
    assert ask(view, "invest") == invest(
        visites=[(1, 10.0), (2, 99.99), (4, 1250.75)],
        gammes=[("GA01", 1250.75), ("GA02", 99.99)],
        statuts=[("ANNU", 99.99), ("ENCO", 0.0), ("REAL", 250.25), ("VALI", 1010.5)],
        potentiels=[("A", 1250.75), ("B", 0.0), ("C", 99.99)],
        specialites=[("SP01", 1250.75), ("SP02", 0.0)],
        regions=[("RE01", 1250.75), ("RE09", 0.0), ("RE02", 99.99)],
        types=[("TI01", 1010.5), ("TI02", 250.25), ("TI09", 99.99)],
        categories=[("CI01", 1360.74)],
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
    # Team 2 = {2, 3, 4}: business cases 1 (responsable 2) and 2 (3).
    assert ask(view, "invest", id_responsable=2) == PARTENAIRE_100


def test_invest_partenaire(view: SnapshotView) -> None:
    assert ask(view, "invest", id_partenaire=100) == PARTENAIRE_100


def test_invest_team_of_a_responsable_who_is_no_user(view: SnapshotView) -> None:
    assert ask(view, "invest", id_responsable=99) == invest(
        visites=[(1, 0.0)], gammes=[("GA02", 0.0)], specialites=[("SP01", 0.0)],
        regions=[("RE09", 0.0)],
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

    # 2024: 1, 2, 3, 6 (4 has no date, 5 is 2023).
    assert ask(view, "invest", annee=2024)["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (1, 0.0), (2, 0.0), (4, 1250.75)
    )
    assert ask(view, "invest", mois=12) == invest(
        visites=[(1, 10.0)], statuts=[("VALI", 10.0)], types=[("TI01", 10.0)],
        categories=[("CI01", 10.0)],
    )  # fmt: skip
    assert statuts(start_date=date(2024, 2, 1)) == keyed(
        "code_statut_bc", "budget", ("ENCO", 0.0), ("REAL", 250.25)
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


# -------------------------------------------------------- teams, choices, misc


@pytest.mark.parametrize(
    ("responsable", "utilisateur", "member"),
    [
        (2, 3, True),
        (1, 4, True),  # two levels down
        (2, 2, True),  # everyone is in their own team
        (3, 2, False),
        (7, 6, True),
        (8, 6, True),  # 6 -> 7 -> 8: the cycle 7 <-> 8 ends the walk
        (8, 7, True),
        (7, 8, True),
        (6, 7, False),
        (99, 9, True),  # 99 is no user, but 9's chain reaches it
        (123, 123, True),
        (1, 50, False),  # 50 is no CRM user: in nobody's team
        (1, 7, False),
    ],
)
def test_in_team(view: SnapshotView, responsable: int, utilisateur: int, member: bool) -> None:
    assert view.in_team(responsable, utilisateur) is member


def test_choices(view: SnapshotView) -> None:
    assert msgspec.to_builtins(view.choices()) == {
        "gammes": [{"code": "GA01", "label": "Cardio"}, {"code": "GA02", "label": "Dermato"}],
        "regions": [
            {"code": "RE01", "label": "Casablanca"},
            {"code": "RE09", "label": "RE09"},
            {"code": "RE02", "label": "Rabat"},
        ],
        "utilisateurs": [
            {"id_utilisateur": u, "name": NAMES[u], "role": role}
            for u, role in [(1, "DIR"), (2, "SUP"), (3, "DEL"), (4, "DEL"), (5, "DEL"),
                            (6, "DEL"), (7, "SUP"), (8, "SUP"), (9, "DEL")]
        ],
    }  # fmt: skip


@pytest.mark.parametrize("responsable", [1, 2, 6, 7, 99, 123])
def test_choices_of_a_team_are_the_users_in_it(view: SnapshotView, responsable: int) -> None:
    everyone = view.choices().utilisateurs
    expected = [u for u in everyone if view.in_team(responsable, u.id_utilisateur)]
    assert view.choices(responsable).utilisateurs == expected


def test_view_names_its_snapshot(view: SnapshotView) -> None:
    assert view.id == "hand"
    assert view.manifest.tables["tab_visite"].rows == 10


def test_answer_refuses_the_wrong_filter(view: SnapshotView) -> None:
    with pytest.raises(TypeError, match="VisiteFilter"):
        view.answer("data", InvestFilter())


def test_no_value_reaches_the_sql_text(view: SnapshotView) -> None:
    evil = "GA01' OR '1'='1"
    statement = render("data", VisiteFilter(gamme=evil, annee=2024))
    assert evil not in statement.sql and "2024" not in statement.sql
    assert statement.params == {"gamme": evil, "annee": 2024}
    assert ask(view, "data", gamme=evil)["statistiques"]["region"] == []
