"""A snapshot view beside the endpoints: teams, the dashboard's choices, its snapshot,
and the filters it takes."""

from __future__ import annotations

import msgspec
import pytest
from engine_hand import NAMES, ask

from engine import InvestFilter, SnapshotView, VisiteFilter
from engine.statement import render


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
    assert view.manifest.tables["tab_visite"].rows == 11


def test_answer_refuses_the_wrong_filter(view: SnapshotView) -> None:
    with pytest.raises(TypeError, match="VisiteFilter"):
        view.answer("data", InvestFilter())


def test_no_value_reaches_the_sql_text(view: SnapshotView) -> None:
    evil = "GA01' OR '1'='1"
    statement = render("data", VisiteFilter(gamme=evil, annee=2024))
    assert evil not in statement.sql and "2024" not in statement.sql
    assert statement.params == {"gamme": evil, "annee": 2024}
    assert ask(view, "data", gamme=evil)["statistiques"]["region"] == []
