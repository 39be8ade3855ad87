"""The filter structs (SPEC §5): what decoding a payload accepts and rejects."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from engine import ENDPOINTS, EvaluationFilter, InvestFilter, VisiteFilter


def decode(body: bytes, filter_type: type = VisiteFilter) -> msgspec.Struct:
    return msgspec.json.decode(body, type=filter_type)


def test_empty_body_is_everything() -> None:
    assert decode(b"{}") == VisiteFilter()
    assert decode(b'{"annee": null}') == VisiteFilter()


def test_every_field() -> None:
    body = (
        b'{"id_responsable": 2, "id_utilisateur": 3, "annee": 2024, "mois": 2, '
        b'"gamme": "GA01", "region": "RE01", "start_date": "2024-02-01", '
        b'"end_date": "2024-02-29"}'
    )
    assert decode(body) == VisiteFilter(
        id_responsable=2, id_utilisateur=3, annee=2024, mois=2, gamme="GA01",
        region="RE01", start_date=date(2024, 2, 1), end_date=date(2024, 2, 29),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"mois": 13}', "$.mois"),
        (b'{"mois": 0}', "$.mois"),
        (b'{"annee": 1899}', "$.annee"),
        (b'{"annee": 2101}', "$.annee"),
        (b'{"id_responsable": -1}', "$.id_responsable"),
        (b'{"id_utilisateur": 1.5}', "$.id_utilisateur"),
        (b'{"gamme": 7}', "$.gamme"),
        (b'{"start_date": "2023-02-30"}', "$.start_date"),
        (b'{"end_date": "30/01/2023"}', "$.end_date"),
    ],
)
def test_bad_values_name_their_field(body: bytes, path: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=f"at `\\{path}`"):
        decode(body)


def test_limits_are_accepted() -> None:
    assert decode(b'{"annee": 1900, "mois": 1, "id_utilisateur": 0}').annee == 1900
    assert decode(b'{"annee": 2100, "mois": 12}').mois == 12


def test_unknown_field_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `code_categorie`"):
        decode(b'{"code_categorie": "CE01"}')
    with pytest.raises(msgspec.ValidationError, match="unknown field `gamme`"):
        decode(b'{"gamme": "GA01"}', EvaluationFilter)


def test_start_after_end_names_start_date() -> None:
    with pytest.raises(msgspec.ValidationError, match="start_date"):
        decode(b'{"start_date": "2024-02-02", "end_date": "2024-02-01"}')
    with pytest.raises(ValueError, match="start_date"):
        InvestFilter(start_date=date(2024, 2, 2), end_date=date(2024, 2, 1))
    # The same day, or either bound alone, is fine.
    assert decode(b'{"start_date": "2024-02-01", "end_date": "2024-02-01"}')
    assert decode(b'{"end_date": "2024-02-01"}').start_date is None


def test_codes_are_trimmed() -> None:
    assert decode(b'{"gamme": "  GA01 ", "region": "RE01 "}') == VisiteFilter(
        gamme="GA01", region="RE01"
    )
    assert EvaluationFilter(code_categorie=" CE01").code_categorie == "CE01"
    assert InvestFilter(code_type_investissement="TI01 ").code_type_investissement == "TI01"


def test_filters_are_values() -> None:
    # Frozen and hashable: a filter can key a cache.
    assert hash(VisiteFilter(gamme=" GA01")) == hash(VisiteFilter(gamme="GA01"))
    with pytest.raises(AttributeError):
        VisiteFilter().annee = 2024  # type: ignore[misc]
    with pytest.raises(TypeError):
        VisiteFilter(2024)  # type: ignore[misc]  # keyword-only


def test_endpoints() -> None:
    assert dict(ENDPOINTS) == {
        "data": VisiteFilter,
        "performance": VisiteFilter,
        "partenaire": VisiteFilter,
        "users": VisiteFilter,
        "evaluation": EvaluationFilter,
        "invest": InvestFilter,
    }


@pytest.mark.parametrize("blank", ["", " ", " \t "])
def test_a_blank_code_is_refused_not_matched_against_nothing(blank: str) -> None:
    with pytest.raises(msgspec.ValidationError, match="gamme is blank"):
        decode(msgspec.json.encode({"gamme": blank}))
    with pytest.raises(ValueError, match="code_categorie is blank"):
        EvaluationFilter(code_categorie=blank)
