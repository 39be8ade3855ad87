"""POST /partenaire over the hand-built snapshot: every expected value is worked out by hand
from the rows of engine_hand.py, never produced by the engine."""

from __future__ import annotations

from engine_hand import ask, keyed, labelled, partenaire_gamme, partenaire_region

from engine import SnapshotView


def test_partenaire_everything(view: SnapshotView) -> None:
    # Partners 100 (4 visits: 1, 2, 7, 9), 101 (3, 8: its two rows in 8 are one
    # visit), 102 (2, 10), 103 (5), 104 (8, 11), 999 (6): 12 (visit, partner) pairs /
    # 6 partners; 105 is never visited. Partner 100 is in RE01 and, at visit 9, in
    # RE02: it counts in both.
    assert ask(view, "partenaire") == {
        "Nombre_de_comptes_par_potentiel": keyed(
            "code_potentiel", "nombre_partenaire", ("A", 1), ("B", 1), ("C", 1), ("Z", 1)
        ),
        "Nombre_de_visites_moyen": 2.0,
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
    # RE01: 100 at visits 1, 2, 7; 101 at 3, 8; 104 at 8, 11 -> 7 pairs / 3 partners.
    assert ask(view, "partenaire", region="RE01")["Nombre_de_visites_moyen"] == 7 / 3


def test_partenaire_gamme(view: SnapshotView) -> None:
    # GA02: rows 3, 6, 7, 11, 13, 14 -> partners 102 (visits 2, 10), 103 (5), 999 (6),
    # 104 (8, 11): 6 pairs / 4.
    # 999 is no CRM partner (no potential, no establishment); 102 has no speciality.
    assert ask(view, "partenaire", gamme="GA02") == {
        "Nombre_de_comptes_par_potentiel": keyed(
            "code_potentiel", "nombre_partenaire", ("C", 1), ("Z", 1)
        ),
        "Nombre_de_visites_moyen": 1.5,
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
