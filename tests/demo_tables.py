"""What the demo data tests share: the CRM's labelled codes and enumerations, written here
from the schema and the product contract, and small readers of generated tables."""

from __future__ import annotations

import pyarrow as pa

Tables = dict[str, pa.Table]

ZERO_DATETIME = "0000-00-00 00:00:00"
ZERO_DATE = "0000-00-00"
# Codes that tab_par_codification labels, and the type their label must have.
LABELLED: dict[tuple[str, str], set[str]] = {
    ("tab_partenaire", "code_type_etablissement"): {"ETPR", "ETPU"},
    ("tab_partenaire", "code_gamme"): {"GAMM"},
    ("tab_partenaire", "code_specialite"): {"SPEC"},
    ("tab_partenaire", "code_region_partenaire"): {"REGI"},
    ("tab_partenaire", "code_ville_partenaire"): {"VILL"},
    ("tab_partenaire_visite", "code_region_partenaire"): {"REGI"},
    ("tab_partenaire_visite", "code_ville_partenaire"): {"VILL"},
    ("tab_partenaire_visite", "code_gamme_partenaire"): {"GAMM"},
    ("tab_partenaire_visite", "code_specialite_partenaire"): {"SPEC"},
    ("tab_evaluation_detailed", "code_categorie"): {"CATE"},
    ("tab_evaluation_detailed", "code_sous_categorie"): {"SCAT"},
    ("tab_partenaire_bc", "code_type_investissement"): {"TINV"},
    ("tab_partenaire_bc", "code_categorie_investissement"): {"CINV"},
}
# The CRM's enumerations (schema comments and product contract).
ENUMERATIONS: dict[tuple[str, str], set[str]] = {
    ("tab_visite", "code_type_visite"): {"PLAN", "HOPL"},
    ("tab_visite", "flag_accompagnee"): {"N", "O"},
    ("tab_visite", "type_visite"): {"S", "G"},
    ("tab_partenaire", "code_potentiel"): {"A", "B", "C"},
    ("tab_partenaire", "code_type_partenaire"): {"MEDE", "PHAR"},
    ("tab_partenaire", "code_statut_partenaire"): {"VALI", "ATTE", "REJE"},
    ("tab_partenaire_visite", "code_type_partenaire"): {"MEDE", "PHAR"},
    ("tab_partenaire_bc", "code_statut_bc"): {"VALI", "ENCO", "ANNU", "REAL"},
}


def values(tables: Tables, table: str, column: str) -> list:
    return tables[table].column(column).to_pylist()


def ids(tables: Tables, table: str, column: str) -> set[int]:
    return set(values(tables, table, column))


def labels(tables: Tables) -> dict[str, tuple[str, str]]:
    """code -> (label, type), codes and types trimmed."""
    t = tables["tab_par_codification"]
    return {
        c.strip(): (label, kind.strip())
        for c, label, kind in zip(
            t.column("code_codification").to_pylist(),
            t.column("libelle_codification").to_pylist(),
            t.column("type_codification").to_pylist(),
            strict=True,
        )
    }


def managers(tables: Tables) -> dict[int, int | None]:
    return dict(
        zip(
            values(tables, "tab_utilisateur", "id_utilisateur"),
            values(tables, "tab_utilisateur", "id_responsable"),
            strict=True,
        )
    )


def on_a_cycle(tree: dict[int, int | None]) -> set[int]:
    """Users whose own chain of id_responsable comes back to them."""
    looping = set()
    for user in tree:
        seen, current = set(), tree[user]
        while current is not None and current in tree and current not in seen:
            if current == user:
                looping.add(user)
                break
            seen.add(current)
            current = tree[current]
    return looping
