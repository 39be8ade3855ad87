"""The eight CRM source tables: their columns, how each is read and how it is typed.

One description serves the MySQL extraction, the demo generator, the normalisation
and the engine, so a column is named and typed in exactly one place.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import msgspec
import pyarrow as pa


class Kind(Enum):
    """What a column holds; decides its raw and its normalised Arrow type."""

    ID = "id"  # INT
    CODE = "code"  # a code: trimmed, empty -> NULL
    TEXT = "text"  # a label or a name: trimmed, empty -> NULL
    ROLE = "role"  # like CODE, and upper-cased
    DATETIME = "datetime"  # zero or invalid -> NULL
    DATE = "date"
    TIME = "time"
    SCORE = "score"  # DECIMAL(6,2)
    MONEY = "money"  # DECIMAL(12,2)


# Raw: what the extraction reads, faithful to MySQL's text (so that zero dates survive
# until the normalisation can count them). Normalised: what a snapshot publishes.
RAW_TYPES: dict[Kind, pa.DataType] = {
    Kind.ID: pa.int32(),
    Kind.CODE: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.ROLE: pa.string(),
    Kind.DATETIME: pa.string(),
    Kind.DATE: pa.string(),
    Kind.TIME: pa.string(),
    Kind.SCORE: pa.decimal128(6, 2),
    Kind.MONEY: pa.decimal128(12, 2),
}
CLEAN_TYPES: dict[Kind, pa.DataType] = RAW_TYPES | {
    Kind.DATETIME: pa.timestamp("us"),
    Kind.DATE: pa.date32(),
    Kind.TIME: pa.time64("us"),
}
TEXT_KINDS = frozenset({Kind.CODE, Kind.TEXT, Kind.ROLE})
TEMPORAL_KINDS = frozenset({Kind.DATETIME, Kind.DATE, Kind.TIME})


class Column(msgspec.Struct, frozen=True):
    name: str
    kind: Kind
    nullable: bool = True
    # The codification types whose labels this code has (e.g. REGI for a region).
    labelled_by: tuple[str, ...] = ()
    # The only values SPEC gives a meaning to; others are counted as unknown codes.
    domain: tuple[str, ...] = ()


class Table(msgspec.Struct, frozen=True):
    name: str
    columns: tuple[Column, ...]
    # The column the extraction walks in key order; unique for every table but
    # tab_partenaire_visite, whose rows are walked by visit.
    key: str
    key_unique: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def raw_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, RAW_TYPES[c.kind], c.nullable) for c in self.columns])

    def clean_schema(self) -> pa.Schema:
        # Normalisation may turn any text or date into NULL, so only ids keep NOT NULL.
        return pa.schema(
            [
                pa.field(c.name, CLEAN_TYPES[c.kind], c.nullable or c.kind not in {Kind.ID})
                for c in self.columns
            ]
        )


def _table(name: str, key: str, *columns: tuple[Any, ...], key_unique: bool = True) -> Table:
    return Table(name, tuple(Column(*c) for c in columns), key, key_unique)


REGI, VILL, GAMM, SPEC = ("REGI",), ("VILL",), ("GAMM",), ("SPEC",)
ETABLISSEMENT = ("ETPR", "ETPU")
TYPE_PARTENAIRE = ("MEDE", "PHAR")


NOT_NULL, NULL = False, True

CODIFICATION = _table(
    "tab_par_codification",
    "code_codification",
    ("code_codification", Kind.CODE, NOT_NULL),
    ("libelle_codification", Kind.TEXT, NOT_NULL),
    ("type_codification", Kind.CODE, NOT_NULL),
)
UTILISATEUR = _table(
    "tab_utilisateur",
    "id_utilisateur",
    ("id_utilisateur", Kind.ID, NOT_NULL),
    ("id_responsable", Kind.ID, NULL),
    ("nom_utilisateur", Kind.TEXT, NOT_NULL),
    ("prenom_utilisateur", Kind.TEXT, NOT_NULL),
    ("role", Kind.ROLE, NOT_NULL),
    ("date_creation", Kind.DATETIME, NULL),
)
PARTENAIRE = _table(
    "tab_partenaire",
    "id_partenaire",
    ("id_partenaire", Kind.ID, NOT_NULL),
    ("nom_partenaire", Kind.TEXT, NOT_NULL),
    ("prenom_partenaire", Kind.TEXT, NULL),
    ("code_potentiel", Kind.CODE, NULL, (), ("A", "B", "C")),
    ("code_type_etablissement", Kind.CODE, NULL, ETABLISSEMENT),
    ("code_statut_partenaire", Kind.CODE, NULL),
    ("code_gamme", Kind.CODE, NULL, GAMM),
    ("code_specialite", Kind.CODE, NULL, SPEC),
    ("code_type_partenaire", Kind.CODE, NULL, (), TYPE_PARTENAIRE),
    ("code_region_partenaire", Kind.CODE, NULL, REGI),
    ("code_ville_partenaire", Kind.CODE, NULL, VILL),
)
VISITE = _table(
    "tab_visite",
    "id_visite",
    ("id_visite", Kind.ID, NOT_NULL),
    ("id_utilisateur", Kind.ID, NOT_NULL),
    ("id_responsable", Kind.ID, NULL),
    ("code_type_visite", Kind.CODE, NOT_NULL, (), ("PLAN", "HOPL")),
    ("code_statut_visite", Kind.CODE, NULL),
    ("flag_accompagnee", Kind.CODE, NULL, (), ("N", "O")),
    ("date_visite", Kind.DATETIME, NULL),
    ("heure_fin_visite", Kind.TIME, NULL),
    ("type_visite", Kind.CODE, NULL, (), ("S", "G")),
)
PARTENAIRE_VISITE = _table(
    "tab_partenaire_visite",
    "id_visite",
    ("id_visite", Kind.ID, NOT_NULL),
    ("id_partenaire", Kind.ID, NOT_NULL),
    ("code_region_partenaire", Kind.CODE, NULL, REGI),
    ("code_ville_partenaire", Kind.CODE, NULL, VILL),
    ("code_type_partenaire", Kind.CODE, NULL, (), TYPE_PARTENAIRE),
    ("code_gamme_partenaire", Kind.CODE, NULL, GAMM),
    ("code_specialite_partenaire", Kind.CODE, NULL, SPEC),
    key_unique=False,
)
EVALUATION = _table(
    "tab_evaluation",
    "id",
    ("id", Kind.ID, NOT_NULL),
    ("id_createur", Kind.ID, NOT_NULL),
    ("id_utilisateur_evalue", Kind.ID, NOT_NULL),
    ("points_obtenu", Kind.SCORE, NULL),
    ("points_total", Kind.SCORE, NULL),
    ("date_integration", Kind.DATETIME, NULL),
)
EVALUATION_DETAILED = _table(
    "tab_evaluation_detailed",
    "id",
    ("id", Kind.ID, NOT_NULL),
    ("id_evaluation", Kind.ID, NOT_NULL),
    ("code_categorie", Kind.CODE, NOT_NULL, ("CATE",)),
    ("code_sous_categorie", Kind.CODE, NULL, ("SCAT",)),
    ("point_obtenu", Kind.SCORE, NULL),
    ("point_sur", Kind.SCORE, NULL),
)
PARTENAIRE_BC = _table(
    "tab_partenaire_bc",
    "id_business_case",
    ("id_business_case", Kind.ID, NOT_NULL),
    ("id_partenaire", Kind.ID, NOT_NULL),
    ("id_responsable", Kind.ID, NULL),
    ("code_statut_bc", Kind.CODE, NULL),
    ("code_type_investissement", Kind.CODE, NULL, ("TINV",)),
    ("code_categorie_investissement", Kind.CODE, NULL, ("CINV",)),
    ("budget", Kind.MONEY, NULL),
    ("date_realisation", Kind.DATE, NULL),
)

TABLES: tuple[Table, ...] = (
    CODIFICATION,
    UTILISATEUR,
    PARTENAIRE,
    VISITE,
    PARTENAIRE_VISITE,
    EVALUATION,
    EVALUATION_DETAILED,
    PARTENAIRE_BC,
)
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
