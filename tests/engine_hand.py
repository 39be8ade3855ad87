"""A small hand-built snapshot for the endpoint tests (tests/engine/test_engine_*.py,
tests/api/test_api_hand.py), which work out every expected value by hand from the rows
in HAND (SPEC §3 to §6), never from the engine; and the helpers that spell those values.

The rows hold one of each edge case: a visit with no partner (4), a group visit
across two regions (2), a partner met twice in one visit (8), two cities labelled
"Centre" in different regions, codes missing from the codification (RE09, SP09, ET99,
CE09, TI09), NULL keys and dates, a visit of an unknown user (50) and of an unknown
partner (999), a rep with no visit (5, role "del"), a cycle 7 -> 8 -> 7 under 6, a
responsable that is no user (99), a partner with two business cases (100), NULL
budgets, unknown codes (VISI, X, Z, XXXX), an evaluation without details (7), a visit
and a business case at the first midnight of a year (visit 11 and business case 7, on
2025-01-01: in 2025, not 2024), and a business case of a partner never visited (105).
These rows are as a snapshot stores them, normalised: a zero or implausible date of the
CRM (0000-00-00, 9999-12-31) is NULL here (SPEC §3), like visit 7's, evaluation 5's and
business case 4's.

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
    14 V11 u4: 104 RE01 VI01 XXXX GA02 SP01    PLAN N S  2025-01-01 00:00
Teams: 1 {1,2,3,4,5}, 2 {2,3,4}, 7 and 8 {6,7,8}, 99 {9,99}.
Visits per partner: 100: V1 V2 V7 V9, 101: V3 V8, 102: V2 V10, 103: V5, 104: V8 V11,
999: V6, 105: none.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import msgspec

from engine import ENDPOINTS, SnapshotView


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
        (105, "Dr E", "B", "ET02", "VALI", "GA02", "SP02", "MEDE", "RE02", "VI02"),
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
        (11, 4, 2, "PLAN", "N", datetime(2025, 1, 1, 0, 0), "S"),
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
        (11, 104, "RE01", "VI01", "XXXX", "GA02", "SP01"),
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
        (7, 105, 4, "VALI", "TI02", "CI01", D("500.00"), date(2025, 1, 1)),
    ),
}


def ask(view: SnapshotView, endpoint: str, **fields: Any) -> dict[str, Any]:
    """The endpoint's answer as it goes on the wire (keys, ints, floats, ISO dates)."""
    return msgspec.to_builtins(view.answer(endpoint, ENDPOINTS[endpoint](**fields)))


LABEL = {
    "RE01": "Casablanca", "RE02": "Rabat", "VI01": "Centre", "VI02": "Centre",
    "VI03": "Anfa", "GA01": "Cardio", "GA02": "Dermato", "SP01": "Cardiologue",
    "SP02": "Généraliste", "ET01": "Clinique privée", "ET02": "Hôpital public",
    "SEV01": "Argumentaire", "SEV02": "Écoute", "CE01": "Connaissance produit",
    "CE02": "Communication", "TI01": "Congrès", "TI02": "Matériel", "CI01": "Formation",
}  # fmt: skip


def label(code: str) -> str:
    return LABEL.get(code, code)  # SPEC §3: a missing label falls back to the code


def keyed(key: str, value: str, *pairs: tuple[Any, Any]) -> list[dict[str, Any]]:
    return [{key: k, value: v} for k, v in pairs]


def labelled(key: str, name: str, value: str, *pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{key: k, name: label(k), value: v} for k, v in pairs]


NAMES = {1: "Alami Driss", 2: "Bennani Sara", 3: "Chraibi Omar", 4: "Dahbi Nadia",
         5: "Ezzahi Karim", 6: "Fassi Lina", 7: "Ghali Youssef", 8: "Hajji Amine",
         9: "Idrissi Mona"}  # fmt: skip


# -------------------------------------------------------------- /data


def counters(**pairs: tuple[int, int]) -> dict[str, int]:
    """The 18 /data counters from (planifiees, non_planifiees) pairs; absent = 0."""
    out = {}
    for x in ("total", "medicales", "pharmaceutiques", "privees", "publiques", "simple",
              "groupe", "indiviuel", "en_double"):  # fmt: skip
        prefix = "nbr_total_visites" if x == "total" else f"nbr_visites_{x}"
        out[f"{prefix}_planifiees"], out[f"{prefix}_non_planifiees"] = pairs.get(x, (0, 0))
    return out


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


# ------------------------------------------------------- /performance


def delegues(*pairs: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"id_utilisateur": u, "delegue": NAMES.get(u), "nombre_visites": n} for u, n in pairs]


def days(first: date, last: date, **visites: int) -> list[dict[str, Any]]:
    """Every day from first to last; days not given (as d2024_01_12=3) have 0 visits."""
    every = [first + timedelta(n) for n in range((last - first).days + 1)]
    counts = {date.fromisoformat(k[1:].replace("_", "-")): v for k, v in visites.items()}
    return [{"date_visite": d.isoformat(), "nombre_visites": counts.get(d, 0)} for d in every]


def performance(
    types=(), statuts=(), potentiels=(), regions=(), top=(), fewest=(), per_day=()
) -> dict[str, Any]:
    count_key = "nombre_visites"
    return {
        "nombre_compte_visite_par_type_compte": keyed("code_type_partenaire", count_key, *types),
        "nombre_compte_visite_par_status": keyed("code_statut_partenaire", count_key, *statuts),
        "nombre_visites_par_potenciel": keyed("code_potentiel", count_key, *potentiels),
        "nombre_visites_par_region": labelled(
            "code_region_partenaire", "region", count_key, *regions
        ),
        "utilisateurs_plus_grand_nombre_visites": delegues(*top),
        "delegues_moins_nombre_visites": delegues(*fewest),
        "nombre_compte_visite_par_jour": list(per_day),
    }


# -------------------------------------------------------- /partenaire


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


# ------------------------------------------------------------- /users


def users(mois=(), gammes=(), responsables=(), regions=(), statuts=(), roles=()) -> dict:
    count_key = "nombre_utilisateur"
    return {
        "nombre_nouvelle_utilisateur_par_mois": [
            {"annee": a, "mois": m, count_key: n} for a, m, n in mois
        ],
        "nombre_utilisateur_par_gammes": labelled(
            "code_gamme_partenaire", "gamme", count_key, *gammes
        ),
        "pourcentage_visites_par_responsable": [
            {"id_responsable": r, "nombre_visites": n, "pourcentage": p} for r, n, p in responsables
        ],
        "nombre_utilisateur_par_regions": labelled(
            "code_region_partenaire", "region", count_key, *regions
        ),
        "nombre_utilisateur_par_status": keyed("code_statut_partenaire", count_key, *statuts),
        "nombre_utilisateur_par_role": keyed("role", count_key, *roles),
    }


# -------------------------------------------------------- /evaluation


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


# ------------------------------------------------------------ /invest


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
