"""Request bodies: SPEC §5's filter rules, decoded without any server."""

from __future__ import annotations

import datetime

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.errors import BadFilter
from api.payload import body_schema, decode_filter, integer_fields
from engine import ENDPOINTS, EvaluationFilter, InvestFilter, VisiteFilter


def test_empty_body_and_empty_object_mean_everything() -> None:
    for body in (b"", b"  \n", b"{}"):
        assert decode_filter(body, VisiteFilter) == VisiteFilter()


def test_null_means_absent() -> None:
    assert decode_filter(b'{"annee": null, "gamme": null}', VisiteFilter) == VisiteFilter()


def test_digit_strings_are_integers() -> None:
    body = b'{"annee": "2023", "mois": "007", "id_responsable": "0", "id_utilisateur": "42"}'
    assert decode_filter(body, VisiteFilter) == VisiteFilter(
        annee=2023, mois=7, id_responsable=0, id_utilisateur=42
    )


def test_a_surrogate_pair_is_one_character() -> None:
    assert decode_filter(b'{"gamme": "\\ud83d\\ude00"}', VisiteFilter) == VisiteFilter(
        gamme="\U0001f600"
    )


def test_a_key_repeated_inside_a_nested_value_is_that_values_problem() -> None:
    with pytest.raises(BadFilter) as refused:
        decode_filter(b'{"annee": {"a": 1, "a": 2}}', VisiteFilter)
    assert refused.value.field == "annee"
    assert "twice" not in refused.value.detail


def test_every_endpoint_takes_its_own_fields() -> None:
    assert decode_filter(b'{"code_categorie": "C1", "mois": "3"}', EvaluationFilter) == (
        EvaluationFilter(code_categorie="C1", mois=3)
    )
    body = b'{"id_partenaire": "12", "id_business_case": 3, "code_type_investissement": "T"}'
    assert decode_filter(body, InvestFilter) == InvestFilter(
        id_partenaire=12, id_business_case=3, code_type_investissement="T"
    )


def test_integer_fields_come_from_the_filter_types() -> None:
    assert integer_fields(VisiteFilter) == {"annee", "mois", "id_responsable", "id_utilisateur"}
    assert integer_fields(InvestFilter) == {
        "annee",
        "mois",
        "id_responsable",
        "id_partenaire",
        "id_business_case",
    }


BAD = [
    # (body, field named, words of the problem)
    (b'{"mois": 13}', "mois", "<= 12"),
    (b'{"mois": 0}', "mois", ">= 1"),
    (b'{"annee": 1899}', "annee", ">= 1900"),
    (b'{"annee": "2101"}', "annee", "<= 2100"),
    (b'{"id_responsable": -1}', "id_responsable", ">= 0"),
    (b'{"id_utilisateur": "-1"}', "id_utilisateur", "digits"),
    (b'{"annee": "+2023"}', "annee", "digits"),
    (b'{"annee": " 2023"}', "annee", "digits"),
    (b'{"annee": "2023.0"}', "annee", "digits"),
    (b'{"annee": "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa3"}', "annee", "digits"),  # Arabic-Indic digits
    (b'{"annee": 2023.0}', "annee", "float"),
    (b'{"annee": true}', "annee", "bool"),
    (b'{"annee": [2023]}', "annee", "array"),
    (b'{"id_utilisateur": "' + b"9" * 5000 + b'"}', "id_utilisateur", "out of range"),
    (b'{"id_utilisateur": 9223372036854775808}', "id_utilisateur", "<="),
    (b'{"gamme": 5}', "gamme", "str"),
    (b'{"start_date": "2023-02-30"}', "start_date", "YYYY-MM-DD"),
    (b'{"end_date": "2023-13-01"}', "end_date", "YYYY-MM-DD"),
    (b'{"start_date": "2023-3-1"}', "start_date", "YYYY-MM-DD"),
    (b'{"start_date": "2023-03-02", "end_date": "2023-03-01"}', "start_date", "after"),
    (b'{"id_partenaire": 1}', "id_partenaire", "not a field"),
    (b'{"Annee": 2023}', "Annee", "not a field"),
    (b"[]", None, "JSON object"),
    (b'"{}"', None, "JSON object"),
    (b"null", None, "JSON object"),
    (b"2023", None, "JSON object"),
    (b'{"annee": 2023', None, "not valid JSON"),
    (b"\xff", None, "not valid JSON"),
    (b'{"gamme": "\xed\xa0\x80"}', None, "UTF-8"),  # a surrogate, encoded
    # A lone surrogate, escaped: msgspec would say "truncated" or "malformed".
    (b'{"gamme": "\\ud800"}', "gamme", "lone surrogate"),
    (b'{"mois": 3, "region": "RE\\udc00"}', "region", "lone surrogate"),
    (b'{"gamme": "\\ud800\\u0041"}', "gamme", "lone surrogate"),
    (b'["\\ud800"]', None, "the body holds a lone surrogate"),
    (b'{"annee": 2023, "annee": 2024}', "annee", "twice"),
    (b'{"gamme": "GA1", "mois": 3, "gamme": "GA1"}', "gamme", "twice"),  # even the same value
    (b'{"annee": 2023, "\\u0061nnee": 2023}', "annee", "twice"),  # spelt with an escape
    (b'{"gamme": "  "}', "gamme", "blank"),
    (b'{"region": ""}', "region", "blank"),
    (b'{"annee": ' + b"[" * 30_000 + b"]" * 30_000 + b"}", None, "nested too deeply"),
]


@pytest.mark.parametrize(("body", "field", "problem"), BAD)
def test_bad_bodies_name_the_field_and_the_problem(
    body: bytes, field: str | None, problem: str
) -> None:
    with pytest.raises(BadFilter) as refused:
        decode_filter(body, VisiteFilter)
    assert refused.value.field == field
    assert problem in refused.value.detail


dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31))
ids = st.integers(0, 2**63 - 1)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "annee": st.integers(1900, 2100),
            "mois": st.integers(1, 12),
            "id_responsable": ids,
            "id_utilisateur": ids,
            "gamme": st.text(min_size=1, max_size=20).filter(str.strip),
            "start_date": dates,
        },
    ),
    st.data(),
)
def test_digit_strings_and_field_order_do_not_change_the_filter(
    fields: dict[str, object], data: st.DataObject
) -> None:
    as_ints = msgspec.json.encode(fields)
    # Any integer may come as a digit string, with leading zeros, in any order.
    mixed = {
        name: "0" * data.draw(st.integers(0, 3)) + str(value)
        if isinstance(value, int) and data.draw(st.booleans())
        else value
        for name, value in reversed(fields.items())
    }
    assert decode_filter(msgspec.json.encode(mixed), VisiteFilter) == decode_filter(
        as_ints, VisiteFilter
    )


def test_the_openapi_body_schema_allows_digit_strings_and_forbids_extra_fields() -> None:
    for filter_type in set(ENDPOINTS.values()):
        schema = body_schema(filter_type).to_schema()
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == set(filter_type.__struct_fields__)
        for name in integer_fields(filter_type):
            kinds = [alt["type"] for alt in schema["properties"][name]["oneOf"]]
            assert kinds == ["integer", "string", "null"]
