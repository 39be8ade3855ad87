"""The six endpoints and /snapshot through the real app, over the hand-built snapshot
(tests/engine_hand.py): every expected answer is worked out by hand from its rows (the
contact rows are numbered in its docstring), never asked of an engine. So a wrong
answer fails here even when the engine gives it, SPEC violations of a scope included.

Tokens: an admin, and one scoped to manager 2, whose team is {2, 3, 4}; users 3 and 4
are its reps. Its visits: 1, 2, 8 (user 3), 3, 4, 11 (user 4), 10 (user 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from engine_hand import (
    HAND,
    counters,
    data_gamme,
    data_region,
    days,
    evaluation,
    invest,
    keyed,
    labelled,
    partenaire_gamme,
    partenaire_region,
    performance,
    users,
)
from engine_snapshot import publish, write_snapshot
from litestar.testing import TestClient

from api.app import create_app
from config import Settings
from engine import Engine
from security.tokens import create_token


@dataclass(frozen=True)
class Hand:
    client: TestClient
    admin: str
    scoped: str  # manager 2's team

    def post(self, endpoint: str, body: dict[str, Any], token: str) -> httpx.Response:
        return self.client.post(
            f"/{endpoint}",
            content=msgspec.json.encode(body),
            headers={"Authorization": f"Bearer {token}"},
        )

    def answer(self, endpoint: str, body: dict[str, Any], token: str) -> Any:
        response = self.post(endpoint, body, token)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hand]:
    data_dir: Path = tmp_path_factory.mktemp("hand")
    write_snapshot(data_dir, "hand", HAND)
    publish(data_dir, "hand")
    tokens = data_dir / "tokens.json"
    admin = create_token(tokens, "admin", admin=True)
    scoped = create_token(tokens, "team-2", responsable=2)
    engine = Engine.open(data_dir)
    try:
        settings = Settings(data_dir=data_dir, tokens_file=tokens)
        with TestClient(create_app(settings, engine)) as client:
            yield Hand(client, admin, scoped)
    finally:
        engine.close()


# ------------------------------------------------------------------ an admin token


def test_data(hand: Hand) -> None:
    # GA02 from 2024-02-01: rows 11 (PLAN, XXXX, ET99, G, N), 13 (PLAN, PHAR, ET01, S,
    # N) and 14 (PLAN, XXXX, ET99, S, N); row 13 has no speciality.
    assert hand.answer("data", {"gamme": " GA02 ", "start_date": "2024-02-01"}, hand.admin) == {
        "statistiques": {
            **counters(
                total=(3, 0), pharmaceutiques=(1, 0), privees=(1, 0), simple=(2, 0),
                groupe=(1, 0), indiviuel=(3, 0),
            ),
            "region": [
                data_region("RE01", 2, ("VI01", 2)),
                data_region("RE02", 1, ("VI02", 1)),
            ],
            "gammes": [data_gamme("GA02", 3, ("SP01", 2))],
        }
    }  # fmt: skip


def test_performance(hand: Hand) -> None:
    # Team 1 = {1, ..., 5} in 2024: visits 1, 2, 3, 4, 8, 10 (11 is 2025, 6 is user
    # 50's). MEDE: 1, 2, 3, 8; PHAR: 2, 10; XXXX: 8. VALI (100, 101, 104): 1, 2, 3, 8;
    # ATTE (102): 2, 10. RE01: 1, 2, 3, 8; RE02: 2, 10. Reps of team 1: 3, 4, 5.
    got = hand.answer("performance", {"id_responsable": "1", "annee": 2024}, hand.admin)
    assert got == performance(
        types=[("MEDE", 4), ("PHAR", 2), ("XXXX", 1)],
        statuts=[("ATTE", 2), ("VALI", 4)],
        potentiels=[("A", 2), ("B", 2), ("C", 2), ("Z", 1)],
        regions=[("RE01", 4), ("RE02", 2)],
        top=[(3, 3), (4, 2), (2, 1)],
        fewest=[(5, 0), (4, 2), (3, 3)],
        per_day=days(
            date(2024, 1, 10), date(2024, 3, 15),
            d2024_01_10=1, d2024_01_12=2, d2024_02_01=2, d2024_03_15=1,
        ),
    )  # fmt: skip


def test_partenaire(hand: Hand) -> None:
    # User 4: visits 3 (101, RE01 VI03 GA01 SP02), 4 (no partner), 11 (104, RE01 VI01
    # GA02 SP01): 2 pairs / 2 partners. ET99 (no label) sorts before "Hôpital public".
    assert hand.answer("partenaire", {"id_utilisateur": 4}, hand.admin) == {
        "Nombre_de_comptes_par_potentiel": keyed(
            "code_potentiel", "nombre_partenaire", ("B", 1), ("Z", 1)
        ),
        "Nombre_de_visites_moyen": 1.0,
        "Nombre_de_comptes_par_etablissement": labelled(
            "code_type_etablissement", "etablissement", "nombre_partenaire",
            ("ET99", 1), ("ET02", 1),
        ),
        "region_partenaire": [partenaire_region("RE01", 2, ("VI03", 1), ("VI01", 1))],
        "gamme_partenaire": [
            partenaire_gamme("GA01", 1, ("SP02", 1)),
            partenaire_gamme("GA02", 1, ("SP01", 1)),
        ],
    }  # fmt: skip


def test_users(hand: Hand) -> None:
    # January of any year: visits 1, 2 (user 3), 3 (4), 6 (50) in 2024 and 11 (4) in
    # 2025, all under responsable 2. GA01: rows 1, 2 (3), 4 (4); GA02: rows 3 (3), 7
    # (50), 14 (4). VALI: rows 1, 2 (3), 4, 14 (4); ATTE: row 3 (3); 999 has none.
    assert hand.answer("users", {"mois": "01"}, hand.admin) == users(
        mois=[(2024, 1, 3), (2025, 1, 1)],
        gammes=[("GA01", 2), ("GA02", 3)],
        responsables=[(2, 5, 100.0)],
        regions=[("RE01", 2), ("RE02", 2)],
        statuts=[("ATTE", 1), ("VALI", 2)],
        roles=[("DEL", 2)],
    )


def test_evaluation(hand: Hand) -> None:
    # CE02: details 3 (evaluation 1: user 3, creator 2 SUP, 15.5, January) and 5
    # (evaluation 3: user 3, creator 1 DIR, 17.0, February). User 3 made 3 visits.
    assert hand.answer("evaluation", {"code_categorie": "CE02"}, hand.admin) == evaluation(
        scores=[(15.5, 3), (17.0, 3)],
        mois=[("2024-01", 1), ("2024-02", 1)],
        roles=[("DIR", 1, 50.0), ("SUP", 1, 50.0)],
        points=[(3, 16.25)],
        categories=[("CE02", 16.25, [("SEV01", 8.0), ("SEV02", 9.0)])],
    )


def test_invest(hand: Hand) -> None:
    # TI02: business cases 2 (partner 100, 4 visits, REAL, 250.25) and 7 (partner 105,
    # never visited, VALI, 500.00).
    assert hand.answer("invest", {"code_type_investissement": "TI02"}, hand.admin) == invest(
        visites=[(0, 500.0), (4, 250.25)],
        gammes=[("GA01", 250.25), ("GA02", 500.0)],
        statuts=[("REAL", 250.25), ("VALI", 500.0)],
        potentiels=[("A", 250.25), ("B", 500.0)],
        specialites=[("SP01", 250.25), ("SP02", 500.0)],
        regions=[("RE01", 250.25), ("RE02", 500.0)],
        types=[("TI02", 750.25)],
        categories=[("CI01", 750.25)],
    )


def test_invest_of_a_team_counts_every_visit_for_an_admin(hand: Hand) -> None:
    # A plain filter: partner 100's all-time visits, 4 (1, 2, 7, 9), whoever made them.
    got = hand.answer("invest", {"id_responsable": 2}, hand.admin)
    assert got["budget_par_visites"] == keyed(
        "Nombre de nombre de visites", "budget", (0, 500.0), (4, 1250.75)
    )


def test_snapshot(hand: Hand) -> None:
    status = hand.client.get("/snapshot", headers={"Authorization": f"Bearer {hand.admin}"})
    assert status.status_code == 200
    got = status.json()
    assert (got["id"], got["created_at"]) == ("hand", "2024-04-01T00:00:00+00:00")
    assert got["rows"] == {
        "tab_par_codification": 18, "tab_utilisateur": 9, "tab_partenaire": 6,
        "tab_visite": 11, "tab_partenaire_visite": 13, "tab_evaluation": 7,
        "tab_evaluation_detailed": 8, "tab_partenaire_bc": 7,
    }  # fmt: skip
    assert got["quality"] == 0 and got["bytes"] > 0


# ------------------------------------------------------- a token scoped to manager 2


def test_scoped_data(hand: Hand) -> None:
    # The team's 2024 visits 1, 2, 3, 4, 8, 10: rows 1 (PLAN MEDE ET01 S N), 2 and 3
    # (HOPL, MEDE ET01 / PHAR ET01, G O), 4 (PLAN MEDE ET02 S N), 5 (PLAN, no partner,
    # S, no flag), 9 and 10 (PLAN MEDE ET02 G N), 11 (PLAN XXXX ET99 G N), 13 (PLAN
    # PHAR ET01 S N). Visits 6 (user 50, in no team) and 11 (2025) are out.
    assert hand.answer("data", {"annee": 2024}, hand.scoped) == {
        "statistiques": {
            **counters(
                total=(7, 2), medicales=(4, 1), pharmaceutiques=(1, 1), privees=(2, 2),
                publiques=(3, 0), simple=(4, 0), groupe=(3, 2), indiviuel=(6, 0),
                en_double=(0, 2),
            ),
            "region": [
                data_region("RE01", 6, ("VI03", 3), ("VI01", 3)),
                data_region("RE02", 2, ("VI02", 2)),
            ],
            "gammes": [
                data_gamme("GA01", 5, ("SP01", 2), ("SP02", 3)),
                data_gamme("GA02", 3, ("SP01", 1)),
            ],
        }
    }  # fmt: skip


def test_scoped_performance(hand: Hand) -> None:
    # Visits 1, 2, 3, 4, 8, 10, 11. MEDE: 1, 2, 3, 8; PHAR: 2, 10; XXXX: 8, 11. VALI:
    # 1, 2, 3, 8, 11; ATTE: 2, 10. A: 1, 2; B: 3, 8; C: 2, 10; Z: 8, 11. RE01: 1, 2,
    # 3, 8, 11; RE02: 2, 10. Users 3 and 4 tie at 3 (Chraibi before Dahbi); the
    # candidate reps are the team's only.
    assert hand.answer("performance", {}, hand.scoped) == performance(
        types=[("MEDE", 4), ("PHAR", 2), ("XXXX", 2)],
        statuts=[("ATTE", 2), ("VALI", 5)],
        potentiels=[("A", 2), ("B", 2), ("C", 2), ("Z", 2)],
        regions=[("RE01", 5), ("RE02", 2)],
        top=[(3, 3), (4, 3), (2, 1)],
        fewest=[(3, 3), (4, 3)],
        per_day=days(
            date(2024, 1, 10), date(2025, 1, 1),
            d2024_01_10=1, d2024_01_12=2, d2024_02_01=2, d2024_03_15=1, d2025_01_01=1,
        ),
    )  # fmt: skip


def test_scoped_partenaire(hand: Hand) -> None:
    # Partners of the team's visits: 100 (1, 2), 101 (3, 8), 102 (2, 10), 104 (8, 11):
    # 8 pairs / 4. Partner 100 in RE02 was visit 9, user 6's: not the team's.
    assert hand.answer("partenaire", {}, hand.scoped) == {
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
            partenaire_region("RE02", 1, ("VI02", 1)),
        ],
        "gamme_partenaire": [
            partenaire_gamme("GA01", 2, ("SP01", 1), ("SP02", 1)),
            partenaire_gamme("GA02", 2, ("SP01", 1)),
        ],
    }  # fmt: skip


def test_scoped_users_of_one_member(hand: Hand) -> None:
    # User 3: visits 1, 2 (January), 8 (February), all under responsable 2; rows 1, 2,
    # 9, 10 (GA01, RE01, VALI), 3 (GA02, RE02, ATTE), 11 (GA02, RE01, VALI).
    assert hand.answer("users", {"id_utilisateur": 3}, hand.scoped) == users(
        mois=[(2024, 1, 1), (2024, 2, 1)],
        gammes=[("GA01", 1), ("GA02", 1)],
        responsables=[(2, 3, 100.0)],
        regions=[("RE01", 1), ("RE02", 1)],
        statuts=[("ATTE", 1), ("VALI", 1)],
        roles=[("DEL", 1)],
    )


def test_scoped_evaluation(hand: Hand) -> None:
    # Evaluated users in the team: evaluations 1 (user 3, by 2 SUP, 15.5), 2 (4, by 2
    # SUP, 12.0), 3 (3, by 1 DIR, 17.0), 6 (3, by 77 unknown, 10.0); 7 has no detail.
    # Each score's visits are the evaluated user's own, all the team's rows: users 3
    # (1, 2, 8) and 4 (3, 4, 11) made 3 each. Shares are of 4 evaluations.
    assert hand.answer("evaluation", {}, hand.scoped) == evaluation(
        scores=[(10.0, 3), (12.0, 3), (15.5, 3), (17.0, 3)],
        mois=[("2024-01", 2), ("2024-02", 1), ("2024-03", 1)],
        roles=[("DIR", 1, 25.0), ("SUP", 2, 50.0)],
        points=[(3, 42.5 / 3), (4, 12.0)],
        categories=[
            ("CE09", 10.0, [("SEV01", 1.0)]),
            ("CE02", 16.25, [("SEV01", 8.0), ("SEV02", 9.0)]),
            ("CE01", 13.75, [("SEV01", 3.0), ("SEV02", 3.5)]),
        ],
    )


def test_scoped_invest_counts_the_team_visits_only(hand: Hand) -> None:
    # Business cases of the team: 1 (responsable 2) and 2 (3), partner 100, and 7 (4),
    # partner 105. Partner 100's visits by the team are 1 and 2 (user 3); 7 (user 9)
    # and 9 (user 6) are other teams' and do not count (an admin gets 4 buckets here).
    assert hand.answer("invest", {}, hand.scoped) == invest(
        visites=[(0, 500.0), (2, 1250.75)],
        gammes=[("GA01", 1250.75), ("GA02", 500.0)],
        statuts=[("REAL", 250.25), ("VALI", 1500.5)],
        potentiels=[("A", 1250.75), ("B", 500.0)],
        specialites=[("SP01", 1250.75), ("SP02", 500.0)],
        regions=[("RE01", 1250.75), ("RE02", 500.0)],
        types=[("TI01", 1000.5), ("TI02", 750.25)],
        categories=[("CI01", 1750.75)],
    )
    # Narrowed to user 3's business case 2: the same team count, 2.
    got = hand.answer("invest", {"id_responsable": 3}, hand.scoped)
    assert got["budget_par_visites"] == keyed("Nombre de nombre de visites", "budget", (2, 250.25))


def test_scoped_snapshot_shows_no_company_figures(hand: Hand) -> None:
    status = hand.client.get("/snapshot", headers={"Authorization": f"Bearer {hand.scoped}"})
    assert status.status_code == 200
    got = status.json()
    assert set(got) == {"id", "created_at", "age_seconds"}
    assert (got["id"], got["created_at"]) == ("hand", "2024-04-01T00:00:00+00:00")
    assert got["age_seconds"] > 0


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("data", {"id_utilisateur": 6}, "id_utilisateur"),  # team 7's
        ("performance", {"id_responsable": 1}, "id_responsable"),  # manager 2's own manager
        ("partenaire", {"id_utilisateur": 50}, "id_utilisateur"),  # no CRM user: no team's
        ("users", {"id_responsable": 2, "id_utilisateur": 5}, "id_utilisateur"),
        ("evaluation", {"id_utilisateur": 5}, "id_utilisateur"),
        ("invest", {"id_responsable": 7}, "id_responsable"),
    ],
)
def test_scoped_token_is_refused_users_outside_its_team(
    hand: Hand, endpoint: str, body: dict[str, Any], field: str
) -> None:
    response = hand.post(endpoint, body, hand.scoped)
    assert response.status_code == 403
    assert response.json()["field"] == field
