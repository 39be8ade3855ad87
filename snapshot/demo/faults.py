"""Messy mode: the faults of a real CRM, each on a small share of rows.

``make_messy`` soils the clean tables ``generate`` built, fault after fault (``MESSY_FAULTS``
names them in order), so that the normalisation has something to count and a test can check
each count against the clean truth.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from snapshot.demo.reference import DEL, DR, ROLES, SUP
from snapshot.tables import TABLES, Kind

ZERO_DATETIME = "0000-00-00 00:00:00"
ZERO_DATE = "0000-00-00"
# The last and the first day MySQL stores, as the text of a DATETIME or a DATE (whose zero
# value is the key): valid dates, typed into old records as placeholders.
FAR_DAYS = {
    ZERO_DATETIME: ("9999-12-31 23:59:59", "1000-01-01 00:00:00"),
    ZERO_DATE: ("9999-12-31", "1000-01-01"),
}
# CHAR(1) columns: MySQL cannot store a code padded with spaces there (it would truncate it).
ONE_CHARACTER = frozenset({("tab_visite", "flag_accompagnee"), ("tab_visite", "type_visite")})


class _Soiler:
    """Applies faults to the tables. Each fault gets rows of its own in a column (disjoint
    slices of one uniform draw per column), so no fault hides another and each stays
    countable; every fault gets at least `minimum` rows, however small the table."""

    def __init__(self, rng: np.random.Generator, tables: dict[str, pa.Table]) -> None:
        self.rng = rng
        self.tables = dict(tables)
        self._lots: dict[tuple[str, str], np.ndarray] = {}
        self._taken: dict[tuple[str, str], float] = {}

    def lots(self, table: str, column: str) -> np.ndarray:
        key = (table, column)
        if key not in self._lots:
            self._lots[key] = self.rng.random(self.tables[table].num_rows)
        return self._lots[key]

    def rows(self, table: str, column: str, share: float, minimum: int = 1) -> np.ndarray:
        """A boolean mask of fresh rows for one fault on one column."""
        lots = self.lots(table, column)
        low = self._taken.get((table, column), 0.0)
        high = low + share
        self._taken[(table, column)] = high
        mask = (lots >= low) & (lots < high)
        missing = minimum - int(mask.sum())
        free = np.flatnonzero(lots >= high)
        if missing > 0 and len(free):
            extra = self.rng.choice(free, min(missing, len(free)), replace=False)
            lots[extra] = low
            mask[extra] = True
        return mask

    def keep(self, table: str, column: str, mask: np.ndarray) -> None:
        """Shield rows from later faults on this column (a cycle, an already NULL value)."""
        self.lots(table, column)[mask] = -1.0

    def column(self, table: str, column: str) -> pa.Array:
        return self.tables[table].column(column).combine_chunks()

    def numpy(self, table: str, column: str) -> np.ndarray:
        return self.column(table, column).to_numpy(zero_copy_only=False)

    def put(self, table: str, column: str, mask: np.ndarray, values: pa.Array | pa.Scalar) -> None:
        """Replace the masked rows (in row order) by `values`, or by one scalar."""
        t = self.tables[table]
        i = t.schema.get_field_index(column)
        new = pc.replace_with_mask(self.column(table, column), pa.array(mask), values)
        self.tables[table] = t.set_column(i, t.schema.field(i), new)

    def reshape(self, table: str, new: pa.Table) -> None:
        """Replace a table by one with other rows; only before any fault drew rows in it."""
        assert not any(t == table for t, _ in self._lots), f"{table} already has faults"
        self.tables[table] = new.combine_chunks()


def _columns(kinds: set[Kind], nullable: bool | None = None) -> list[tuple[str, str]]:
    """(table, column) of every source column of these kinds (and nullability)."""
    return [
        (t.name, c.name)
        for t in TABLES
        for c in t.columns
        if c.kind in kinds and (nullable is None or c.nullable == nullable)
    ]


def _share(n: int, share: float) -> int:
    return max(1, round(n * share))


def _deleted_utilisateurs(s: _Soiler) -> None:
    """Visits recorded by user accounts deleted since (ids past the last user)."""
    last = int(pc.max(s.tables["tab_utilisateur"].column("id_utilisateur")).as_py())
    mask = s.rows("tab_visite", "id_utilisateur", 0.003)
    ghosts = last + 1 + s.rng.integers(0, 3, int(mask.sum()))
    s.put("tab_visite", "id_utilisateur", mask, pa.array(ghosts.astype(np.int32)))


def _deleted_partenaires(s: _Soiler) -> None:
    """Partners deleted from tab_partenaire though visits and business cases point at them."""
    ids = s.numpy("tab_partenaire", "id_partenaire")
    visited = np.unique(s.numpy("tab_partenaire_visite", "id_partenaire"))
    invested = np.unique(s.numpy("tab_partenaire_bc", "id_partenaire"))
    gone = np.concatenate(
        [
            s.rng.choice(invested, 1),
            s.rng.choice(visited, _share(len(ids), 0.005), replace=False),
        ]
    )
    s.reshape("tab_partenaire", s.tables["tab_partenaire"].filter(pa.array(~np.isin(ids, gone))))


def _orphan_partenaire_visites(s: _Soiler) -> None:
    """Partner rows left behind by visits deleted from tab_visite."""
    met = s.tables["tab_partenaire_visite"]
    k = _share(met.num_rows, 0.003)
    extra = met.take(pa.array(s.rng.integers(0, met.num_rows, k)))
    last = int(pc.max(s.tables["tab_visite"].column("id_visite")).as_py())
    deleted = (last + 1 + s.rng.integers(0, 3 * k, k)).astype(np.int32)
    extra = extra.set_column(0, met.schema.field(0), pa.array(deleted))
    s.reshape("tab_partenaire_visite", pa.concat_tables([met, extra]))


def _orphan_evaluation_details(s: _Soiler) -> None:
    """Evaluation headers deleted while their detail rows stayed."""
    ids = s.numpy("tab_evaluation", "id")
    detailed = np.unique(s.numpy("tab_evaluation_detailed", "id_evaluation"))
    gone = s.rng.choice(detailed, _share(len(ids), 0.01), replace=False)
    s.reshape("tab_evaluation", s.tables["tab_evaluation"].filter(pa.array(~np.isin(ids, gone))))


def _missing_libelles(s: _Soiler) -> None:
    """Codes the data use but tab_par_codification lacks: a city whose row was deleted, and
    codes that were never declared."""
    villes = pc.value_counts(s.column("tab_partenaire_visite", "code_ville_partenaire"))
    rarest = villes.field("values")[int(np.argmin(villes.field("counts").to_numpy()))]
    codification = s.tables["tab_par_codification"]
    s.reshape(
        "tab_par_codification",
        codification.filter(pc.not_equal(codification.column("code_codification"), rarest)),
    )
    for table, column, code, share in (
        ("tab_partenaire", "code_ville_partenaire", "VI09999", 0.002),
        ("tab_partenaire_visite", "code_gamme_partenaire", "GA00099", 0.001),
        ("tab_evaluation_detailed", "code_sous_categorie", "SEV09999", 0.002),
        ("tab_partenaire_bc", "code_type_investissement", "TI00099", 0.01),
    ):
        s.put(table, column, s.rows(table, column, share), pa.scalar(code))


def _responsable_cycles(s: _Soiler) -> None:
    """Two supervisors managing each other, and a rep managing itself."""
    ids = s.numpy("tab_utilisateur", "id_utilisateur")
    role = s.numpy("tab_utilisateur", "role")
    pool = np.flatnonzero(role == ROLES[SUP])
    if len(pool) < 2:
        pool = np.flatnonzero((role == ROLES[SUP]) | (role == ROLES[DR]))
    a, b = s.rng.choice(pool, 2, replace=False)
    c = s.rng.choice(np.flatnonzero(role == ROLES[DEL]))
    rows = np.array([a, b, c])
    values = np.array([ids[b], ids[a], ids[c]], dtype=np.int32)
    order = np.argsort(rows)
    mask = np.isin(np.arange(len(ids)), rows)
    s.put("tab_utilisateur", "id_responsable", mask, pa.array(values[order]))
    s.keep("tab_utilisateur", "id_responsable", mask)


def _role_case(s: _Soiler) -> None:
    """Roles typed by hand: 'del', 'Sup '."""
    mask = s.rows("tab_utilisateur", "role", 0.1, minimum=2)
    roles = s.column("tab_utilisateur", "role").filter(pa.array(mask))
    titled = pc.binary_join_element_wise(pc.utf8_capitalize(roles), " ", "")
    lower = pa.array(np.arange(len(roles)) % 2 == 0)
    s.put("tab_utilisateur", "role", mask, pc.if_else(lower, pc.utf8_lower(roles), titled))


def _code_spaces(s: _Soiler) -> None:
    """Stray spaces around codes, in every code column that can hold them: ' B',
    'RE00003 ', ' GA00002 '."""
    for table, column in _columns({Kind.CODE}):
        if (table, column) in ONE_CHARACTER:
            continue
        mask = s.rows(table, column, 0.01)
        codes = s.column(table, column).filter(pa.array(mask))
        style = np.arange(len(codes)) % 3
        left = pa.array(np.where(style != 1, " ", ""))
        right = pa.array(np.where(style != 0, " ", ""))
        s.put(table, column, mask, pc.binary_join_element_wise(left, codes, right, ""))


def _empty_strings(s: _Soiler) -> None:
    """'' where a code or a label is expected (never in the codification key)."""
    columns = [c for c in _columns({Kind.CODE}) if c[0] != "tab_par_codification"]
    for table, column in [*columns, ("tab_par_codification", "libelle_codification")]:
        s.put(table, column, s.rows(table, column, 0.005), pa.scalar(""))


def _unknown_codes(s: _Soiler) -> None:
    """Values outside the CRM's enumerations."""
    for table, column, code in (
        ("tab_visite", "code_type_visite", "XXXX"),
        ("tab_visite", "flag_accompagnee", "X"),
        ("tab_partenaire", "code_potentiel", "D"),
        ("tab_partenaire", "code_type_partenaire", "AUTR"),
        ("tab_partenaire_visite", "code_type_partenaire", "AUTR"),
    ):
        s.put(table, column, s.rows(table, column, 0.002), pa.scalar(code))


def _nulls(s: _Soiler) -> None:
    """NULL in every nullable id, code, score and budget column, on rows not NULL already."""
    for table, column in _columns({Kind.ID, Kind.CODE, Kind.SCORE, Kind.MONEY}, nullable=True):
        s.keep(table, column, s.column(table, column).is_null().to_numpy(zero_copy_only=False))
        field = s.tables[table].schema.field(column)
        s.put(table, column, s.rows(table, column, 0.005), pa.scalar(None, field.type))


_DATES = (
    ("tab_visite", "date_visite", ZERO_DATETIME, 0.002),
    ("tab_evaluation", "date_integration", ZERO_DATETIME, 0.01),
    ("tab_utilisateur", "date_creation", ZERO_DATETIME, 0.02),
    ("tab_partenaire_bc", "date_realisation", ZERO_DATE, 0.02),
)


def _zero_dates(s: _Soiler) -> None:
    """MySQL's zero dates, as left by old imports."""
    for table, column, zero, share in _DATES:
        s.put(table, column, s.rows(table, column, share), pa.scalar(zero))


def _null_dates(s: _Soiler) -> None:
    """Dates never filled in."""
    for table, column, _, share in (*_DATES, ("tab_visite", "heure_fin_visite", None, 0.002)):
        s.put(table, column, s.rows(table, column, share), pa.scalar(None, pa.string()))


def _implausible_dates(s: _Soiler) -> None:
    """Placeholder dates far in the future and the past, in turn (SPEC §3 nulls them)."""
    for table, column, zero, _ in _DATES:
        mask = s.rows(table, column, 0.001, minimum=2)
        future, past = FAR_DAYS[zero]
        s.put(table, column, mask, pa.array(np.where(np.arange(mask.sum()) % 2, past, future)))


# Applied in this order: the faults that add or remove rows come before those that soil values.
_FAULTS: tuple[tuple[str, Callable[[_Soiler], None]], ...] = (
    ("deleted_utilisateurs", _deleted_utilisateurs),
    ("deleted_partenaires", _deleted_partenaires),
    ("orphan_partenaire_visites", _orphan_partenaire_visites),
    ("orphan_evaluation_details", _orphan_evaluation_details),
    ("missing_libelles", _missing_libelles),
    ("responsable_cycles", _responsable_cycles),
    ("role_case", _role_case),
    ("code_spaces", _code_spaces),
    ("empty_strings", _empty_strings),
    ("unknown_codes", _unknown_codes),
    ("nulls", _nulls),
    ("zero_dates", _zero_dates),
    ("null_dates", _null_dates),
    ("implausible_dates", _implausible_dates),
)
MESSY_FAULTS: tuple[str, ...] = tuple(name for name, _ in _FAULTS)


def make_messy(rng: np.random.Generator, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    soiler = _Soiler(rng, tables)
    for _, fault in _FAULTS:
        fault(soiler)
    return soiler.tables
