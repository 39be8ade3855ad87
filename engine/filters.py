"""The filters of the six endpoints (SPEC §5), as validated, immutable values.

Decoding a payload with ``msgspec.json.decode(body, type=VisiteFilter)`` or
``msgspec.convert(obj, VisiteFilter)`` already rejects unknown fields, wrong types and
out-of-range values, naming the field. Every field is optional; ``None`` means absent.
"""

from __future__ import annotations

import datetime
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta
from msgspec.structs import force_setattr

# Ids are MySQL INTs; an id that exists nowhere simply matches nothing.
Id = Annotated[int, Meta(ge=0, le=2**63 - 1)]
Annee = Annotated[int, Meta(ge=1900, le=2100)]
Mois = Annotated[int, Meta(ge=1, le=12)]
Code = Annotated[str, Meta(max_length=255)]
# What each field keeps (SPEC §5), for the OpenAPI schema; {date} is the filter's DATE.
ANNEE = Meta(description="Keeps the rows whose {date} falls in this year")
MOIS = Meta(description="Keeps the rows whose {date} falls in this month (of any year)")
START_DATE = Meta(description="Keeps the rows whose {date} is on or after this day")
END_DATE = Meta(description="Keeps the rows whose {date} is on or before this day, the whole day")
TEAM = "the team of this user (the user and everyone whose chain of id_responsable reaches them)"


class _PeriodFilter(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Fields every filter has: a period."""

    DATE: ClassVar[str]  # the column the period fields test

    annee: Annotated[Annee | None, ANNEE] = None
    mois: Annotated[Mois | None, MOIS] = None
    start_date: Annotated[datetime.date | None, START_DATE] = None
    end_date: Annotated[datetime.date | None, END_DATE] = None

    def __post_init__(self) -> None:
        # Codes are matched after trimming, so " GA1" and "GA1" are the same filter
        # (and the same cache key). Every str field of a filter is a code.
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, str):
                if not value.strip():  # would match nothing: a client bug, not a filter
                    raise ValueError(f"{name} is blank: a code is expected, or null")
                force_setattr(self, name, value.strip())
        if self.start_date and self.end_date and self.start_date > self.end_date:
            # msgspec turns this into a ValidationError when decoding a payload.
            raise ValueError(f"start_date ({self.start_date}) is after end_date ({self.end_date})")


class VisiteFilter(_PeriodFilter, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """/data, /performance, /partenaire, /users: keeps visit rows."""

    DATE = "date_visite"

    id_responsable: Annotated[Id | None, Meta(description=f"Keeps the visits made by {TEAM}")] = (
        None
    )
    id_utilisateur: Annotated[Id | None, Meta(description="Keeps the visits this user made")] = None
    gamme: Annotated[
        Code | None,
        Meta(description="Keeps the visit rows whose gamme (code_gamme_partenaire) is this code"),
    ] = None
    region: Annotated[
        Code | None,
        Meta(description="Keeps the visit rows whose region (code_region_partenaire) is this code"),
    ] = None


class EvaluationFilter(_PeriodFilter, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """/evaluation: keeps evaluation detail rows (on the header's date_integration)."""

    DATE = "date_integration"

    id_utilisateur: Annotated[
        Id | None, Meta(description="Keeps the evaluations of this evaluated user")
    ] = None
    id_responsable: Annotated[
        Id | None, Meta(description=f"Keeps the evaluations of users in {TEAM}")
    ] = None
    code_categorie: Annotated[
        Code | None, Meta(description="Keeps only the detail rows of this category")
    ] = None


class InvestFilter(_PeriodFilter, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """/invest: keeps business cases (on date_realisation)."""

    DATE = "date_realisation"

    id_responsable: Annotated[
        Id | None, Meta(description=f"Keeps the business cases whose id_responsable is in {TEAM}")
    ] = None
    id_partenaire: Annotated[
        Id | None, Meta(description="Keeps the business cases of this partner")
    ] = None
    id_business_case: Annotated[Id | None, Meta(description="Keeps this business case")] = None
    code_type_investissement: Annotated[
        Code | None, Meta(description="Keeps the business cases of this investment type")
    ] = None
    region: Annotated[
        Code | None,
        Meta(
            description="Keeps the business cases whose partner is now in this region "
            "(its current code_region_partenaire)"
        ),
    ] = None


Filter = VisiteFilter | EvaluationFilter | InvestFilter
