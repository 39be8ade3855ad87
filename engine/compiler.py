"""The one filter compiler: a filter struct in, a WHERE clause and its parameters out.

A ``Subject`` says, for the rows one kind of query reads, which SQL predicate tests
each filter field. Predicates are fixed text that refers to the field's value as a
DuckDB named parameter (``$annee``): no value is ever formatted into SQL. Subjects,
strict subjects, filter shapes and masks: docs/engine.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import msgspec

# A predicate, given the name of the parameter that holds the field's value.
Test = Callable[[str], str]


def equals(column: str) -> Test:
    return lambda p: f"{column} = ${p}"


def member_of(column: str, table: str, key: str, by: str) -> Test:
    """``column`` is one of ``table.key`` where ``table.by`` is the value. A semi-join:
    DuckDB pushes the keys' range into the scan, which skips row groups."""
    # Only our own identifiers (SUBJECTS below) are formatted; the value is bound.
    return lambda p: f"{column} IN (SELECT {key} FROM {table} WHERE {by} = ${p})"  # noqa: S608


def period_tests(column: str) -> dict[str, Test]:
    """annee, mois, start_date, end_date on a DATE column (calendar days, SPEC §3)."""
    return {
        # A range rather than year(column) = $annee, so that zone maps can prune.
        "annee": lambda p: (
            f"{column} >= make_date(${p}, 1, 1) AND {column} < make_date(${p} + 1, 1, 1)"
        ),
        "mois": lambda p: f"month({column}) = ${p}",
        "start_date": lambda p: f"{column} >= ${p}",
        "end_date": lambda p: f"{column} <= ${p}",
    }


def code_equals(column: str) -> Test:
    """A coded column holds the code's id (queries/build/1_code.sql); a code the
    snapshot does not know has no id, and so matches nothing."""
    return member_of(column, "code", "id", "code")


@dataclass(frozen=True)
class Subject:
    """How one kind of row is filtered."""

    tests: Mapping[str, Test]
    # Fields that keep some rows of a visit rather than whole visits, in the order of
    # the bits of the masks (docs/engine.md).
    contact_level: tuple[str, ...] = ()
    # A strict subject's rows stand for the visit rows only under filters it has a
    # test for every set field of; under any other filter it keeps nothing (FALSE), so
    # that a query can pick, at compile time, between its rows and a general path.
    strict: bool = False


# The visit filter's fields that keep or drop whole visits (SPEC §5).
VISIT_TESTS: dict[str, Test] = {
    "id_responsable": member_of("rank", "team", "rank", "id_responsable"),
    "id_utilisateur": member_of("rank", "utilisateur", "rank", "id_utilisateur"),
    **period_tests("date_visite"),
}
# The fields that keep some rows of a visit only, in the order of the masks' bits.
CONTACT_TESTS: dict[str, Test] = {
    "gamme": code_equals("code_gamme_partenaire"),
    "region": code_equals("code_region_partenaire"),
}

SUBJECTS: dict[str, Subject] = {
    # Visit rows (the contact table), for the four visit endpoints.
    "contacts": Subject({**VISIT_TESTS, **CONTACT_TESTS}, contact_level=tuple(CONTACT_TESTS)),
    # Visits counted per user, visit-time responsable and day (build/3_contact.sql):
    # exact under a filter without gamme or region, which keeps whole visits.
    "visites": Subject(VISIT_TESTS, strict=True),
    # Rows at a grain above the visit (build/3_contact.sql: partner profiles, user
    # activity) that carry each group's "first of its partner or user" masks per filter
    # shape: exact under a filter of gamme and region only, as those are their columns.
    "aggregates": Subject(CONTACT_TESTS, contact_level=tuple(CONTACT_TESTS), strict=True),
    # The reps /performance ranks, zero visits included: only the user and the team
    # filters restrict who they are.
    "delegues": Subject(
        {
            "id_responsable": VISIT_TESTS["id_responsable"],
            "id_utilisateur": equals("id_utilisateur"),
        }
    ),
    "evaluations": Subject(
        {
            "id_utilisateur": equals("id_utilisateur_evalue"),
            "id_responsable": member_of(
                "id_utilisateur_evalue", "team", "id_utilisateur", "id_responsable"
            ),
            "code_categorie": code_equals("code_categorie"),
            **period_tests("date_integration"),
        }
    ),
    "business_cases": Subject(
        {
            "id_responsable": member_of(
                "id_responsable", "team", "id_utilisateur", "id_responsable"
            ),
            "id_partenaire": equals("id_partenaire"),
            "id_business_case": equals("id_business_case"),
            "code_type_investissement": code_equals("code_type_investissement"),
            "region": code_equals("code_region_partenaire"),
            **period_tests("date_realisation"),
        }
    ),
}


class Where(msgspec.Struct, frozen=True):
    sql: str
    params: dict[str, object]
    # False when a strict subject cannot take the filter (``sql`` is then FALSE).
    exact: bool = True


def compile_filter(filter_: msgspec.Struct, subject: Subject) -> Where:
    """The conjunction of the subject's tests for the fields ``filter_`` sets.

    A subject with contact-level fields also binds ``shape``: the bit of the masks for
    the filter's shape, i.e. for which of those fields the filter sets."""
    if subject.strict and any(
        getattr(filter_, name) is not None
        for name in filter_.__struct_fields__
        if name not in subject.tests
    ):
        return Where("FALSE", {}, exact=False)
    clauses, params = [], {}
    for name, test in subject.tests.items():
        value = getattr(filter_, name)
        if value is not None:
            clauses.append(f"({test(name)})")
            params[name] = value
    if subject.contact_level:
        shape = sum(
            1 << i
            for i, name in enumerate(subject.contact_level)
            if getattr(filter_, name) is not None
        )
        params["shape"] = 1 << shape
    return Where(" AND ".join(clauses) or "TRUE", params)
