"""What every table draws from, whatever the seed: the codification of the reference data
(each item's code, and where it sits in tab_par_codification) and the working calendar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from snapshot.demo.arrays import cumulate, draw, source_table
from snapshot.demo.reference import (
    CATEGORIES_INVESTISSEMENT,
    ETABLISSEMENTS,
    EVALUATION_GRID,
    FIRST_DAY,
    GAMMES,
    HOLIDAYS_EVERY_YEAR,
    HOLIDAYS_LUNAR,
    LAST_DAY,
    MONTH_FACTOR,
    RAMADAN,
    RAMADAN_FACTOR,
    REGIONS,
    SPECIALITES,
    TYPES_INVESTISSEMENT,
    WEEKDAY_FACTOR,
)

# ---------------------------------------------------------------------------------------
# Codification: every labelled code, and where each reference item sits in it.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codification:
    codes: list[str]
    libelles: list[str]
    types: list[str]
    region: np.ndarray  # codification row of each region
    ville: np.ndarray  # codification row of each city (all regions, in order)
    ville_region: np.ndarray  # region index of each city
    ville_weight: np.ndarray  # population, the weight of a city among its region's
    region_villes: np.ndarray  # [start, stop) of each region's cities, shape (12, 2)
    gamme: np.ndarray
    specialite: np.ndarray
    etablissement: np.ndarray
    categorie: np.ndarray  # one row per evaluation category
    sous_categorie: np.ndarray  # one row per sub-category, grid order
    sous_categorie_parent: np.ndarray  # category index of each sub-category
    type_investissement: np.ndarray
    categorie_investissement: np.ndarray

    def table(self) -> pa.Table:
        return source_table(
            "tab_par_codification",
            {
                "code_codification": pa.array(self.codes, pa.string()),
                "libelle_codification": pa.array(self.libelles, pa.string()),
                "type_codification": pa.array(self.types, pa.string()),
            },
        )


def codification() -> Codification:
    """Number every reference item with its prefix (RE00001, VI00001, ...)."""
    codes: list[str] = []
    libelles: list[str] = []
    types: list[str] = []

    def add(prefix: str, kind: str | Sequence[str], names: Sequence[str]) -> np.ndarray:
        start = len(codes)
        kinds = [kind] * len(names) if isinstance(kind, str) else list(kind)
        codes.extend(f"{prefix}{i:05d}" for i in range(1, len(names) + 1))
        libelles.extend(names)
        types.extend(kinds)
        return np.arange(start, len(codes))

    villes = [(c, w, r) for r, (_, _, cs) in enumerate(REGIONS) for c, w in cs]
    bounds = np.cumsum([0] + [len(cs) for _, _, cs in REGIONS])
    grid = [(s, p, c) for c, (_, subs) in enumerate(EVALUATION_GRID) for s, p in subs]
    return Codification(
        codes=codes,
        libelles=libelles,
        types=types,
        region=add("RE", "REGI", [r for r, _, _ in REGIONS]),
        ville=add("VI", "VILL", [c for c, _, _ in villes]),
        ville_region=np.array([r for _, _, r in villes]),
        ville_weight=np.array([w for _, w, _ in villes]),
        region_villes=np.stack([bounds[:-1], bounds[1:]], axis=1),
        gamme=add("GA", "GAMM", [g for g, _, _ in GAMMES]),
        specialite=add("SP", "SPEC", [s for s, _ in SPECIALITES]),
        etablissement=add(
            "ET", [t for _, t, _ in ETABLISSEMENTS], [e for e, _, _ in ETABLISSEMENTS]
        ),
        categorie=add("CE", "CATE", [c for c, _ in EVALUATION_GRID]),
        sous_categorie=add("SEV", "SCAT", [s for s, _, _ in grid]),
        sous_categorie_parent=np.array([c for _, _, c in grid]),
        type_investissement=add("TI", "TINV", [t for t, _, _, _ in TYPES_INVESTISSEMENT]),
        categorie_investissement=add("CI", "CINV", list(CATEGORIES_INVESTISSEMENT)),
    )


# ---------------------------------------------------------------------------------------
# Calendar: how much field work each day sees.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    days: int
    weight: np.ndarray  # relative field activity of each day; 0 on Sundays and holidays
    cumulative: np.ndarray

    def draw(self, rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """A working day in [first, last] per row, busy days more likely."""
        return draw(rng, self.cumulative, first, last + 1)


def calendar() -> Calendar:
    """Weekdays, a dead August, a slow Ramadan, a busy autumn and no work on holidays."""
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    factor = MONTH_FACTOR[month] * WEEKDAY_FACTOR[weekday]
    for start, end in RAMADAN:
        factor[(days >= np.datetime64(start)) & (days <= np.datetime64(end))] *= RAMADAN_FACTOR
    years = range(int(str(FIRST_DAY)[:4]), int(str(LAST_DAY)[:4]) + 1)
    national = [f"{year}-{month_day}" for year in years for month_day in HOLIDAYS_EVERY_YEAR]
    holidays = np.array([*national, *HOLIDAYS_LUNAR], dtype="datetime64[D]")
    factor[np.isin(days, holidays)] = 0.0
    weight = np.round(factor * 1000).astype(np.int64)
    return Calendar(days=len(days), weight=weight, cumulative=cumulate(weight))
