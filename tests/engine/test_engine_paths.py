"""The fast and the general path of the visit endpoints (docs/engine.md) give the same
answers, and the filter picks the path."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from engine_hand import ask
from engine_snapshot import general_path_only

from engine import SnapshotView, VisiteFilter
from engine.statement import render


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
    # a filter without them the load's visits per user and day (docs/engine.md);
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
