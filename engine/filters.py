"""The filters of the six endpoints (SPEC §5), as validated, immutable values.

Decoding a payload with ``msgspec.json.decode(body, type=VisiteFilter)`` or
``msgspec.convert(obj, VisiteFilter)`` already rejects unknown fields, wrong types and
out-of-range values, naming the field. Every field is optional; ``None`` means absent.
"""

from __future__ import annotations

import datetime
from typing import Annotated

import msgspec
from msgspec.structs import force_setattr

# Ids are MySQL INTs; an id that exists nowhere simply matches nothing.
Id = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Annee = Annotated[int, msgspec.Meta(ge=1900, le=2100)]
Mois = Annotated[int, msgspec.Meta(ge=1, le=12)]
Code = Annotated[str, msgspec.Meta(max_length=255)]


class _PeriodFilter(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Fields every filter has: a period."""

    annee: Annee | None = None
    mois: Mois | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None

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

    id_responsable: Id | None = None
    id_utilisateur: Id | None = None
    gamme: Code | None = None
    region: Code | None = None


class EvaluationFilter(_PeriodFilter, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """/evaluation: keeps evaluation detail rows (on the header's date_integration)."""

    id_utilisateur: Id | None = None
    id_responsable: Id | None = None
    code_categorie: Code | None = None


class InvestFilter(_PeriodFilter, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """/invest: keeps business cases (on date_realisation)."""

    id_responsable: Id | None = None
    id_partenaire: Id | None = None
    id_business_case: Id | None = None
    code_type_investissement: Code | None = None
    region: Code | None = None


Filter = VisiteFilter | EvaluationFilter | InvestFilter
