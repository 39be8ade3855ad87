"""What each endpoint answers (SPEC §6): the keys are a wire contract, typos included.

Every list item is a Struct of its own so that the API's OpenAPI schema shows it. Keys
that are not valid Python names are renamed with ``msgspec.field(name=...)``. Counts
are ints, averages ``float | None`` (None: an average over nothing), budgets and
percentages floats already rounded to 2 decimals by the SQL. Every field says what it
holds (``Meta(description=...)``, SPEC §6's words): the OpenAPI schema shows it.
"""

from __future__ import annotations

import datetime
from typing import Annotated

import msgspec
from msgspec import Meta


def _said(text: str) -> Meta:
    return Meta(description=text)


# The codes and labels that many blocks share. A label is the codification's
# libelle_codification, or the code itself when the codification lacks it (SPEC §3).
RegionCode = Annotated[str, _said("The region's code (code_region_partenaire), e.g. RE00001")]
Region = Annotated[str, _said("The region's label")]
VilleCode = Annotated[str, _said("The city's code (code_ville_partenaire), e.g. VI00001")]
Ville = Annotated[str, _said("The city's label")]
GammeCode = Annotated[str, _said("The gamme's code, e.g. GA00001")]
Gamme = Annotated[str, _said("The gamme's label")]
SpecialiteCode = Annotated[str, _said("The speciality's code, e.g. SP00001")]
Specialite = Annotated[str, _said("The speciality's label")]
TypePartenaireCode = Annotated[
    str, _said("The partner type at the visit (code_type_partenaire): MEDE, PHAR...")
]
StatutCode = Annotated[str, _said("The partner's current status (code_statut_partenaire)")]
PotentielCode = Annotated[str, _said("The partner's current potential (code_potentiel)")]
UtilisateurId = Annotated[int, _said("The user's id (id_utilisateur)")]
Percentage = Annotated[
    float,
    _said(
        "Share of all filtered visits or evaluations, in percent, rounded half-up to 2 "
        "decimals; those whose key is NULL count in the denominator, so shares may sum "
        "to less than 100"
    ),
]
Budget = Annotated[
    float, _said("Sum of the business cases' budget (NULL budgets ignored; 0 if all NULL)")
]


class _Result(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every result (subclasses inherit both options): immutable, since answers
    are cached and shared, and strict, so a key the SQL misspells fails loudly."""


# ---------------------------------------------------------------- /data (contacts)


class VilleContacts(_Result, frozen=True):
    code_ville_partenaire: VilleCode
    code_region_partenaire: RegionCode
    ville: Ville
    region: Region
    nb_visites: Annotated[int, _said("Contacts in this city")]


class RegionContacts(_Result, frozen=True):
    code_region_partenaire: RegionCode
    region: Region
    nb_visites_total: Annotated[
        int, _said("Contacts in this region, those whose city is NULL included")
    ]
    ville: Annotated[list[VilleContacts], _said("The region's cities, by label then code")]


class SpecialiteContacts(_Result, frozen=True):
    code_specialite: SpecialiteCode
    specialite: Specialite
    gamme: Gamme
    code_gamme: GammeCode
    nb_visites_total: Annotated[int, _said("Contacts with this speciality in this gamme")]


class GammeContacts(_Result, frozen=True):
    code_gamme: GammeCode
    gamme: Gamme
    nbr_total_visites: Annotated[
        int, _said("Contacts in this gamme, those whose speciality is NULL included")
    ]
    specialites: Annotated[
        list[SpecialiteContacts], _said("The gamme's specialities, by label then code")
    ]


def _counter(what: str, planned: bool) -> Meta:
    kind = "PLAN (planned)" if planned else "HOPL (unplanned)"
    return _said(f"Contacts of visits of type {kind}{what}")


class Statistics(_Result, frozen=True):
    nbr_total_visites_planifiees: Annotated[int, _counter("", True)]
    nbr_total_visites_non_planifiees: Annotated[int, _counter("", False)]
    nbr_visites_medicales_planifiees: Annotated[int, _counter(" with a MEDE partner", True)]
    nbr_visites_medicales_non_planifiees: Annotated[int, _counter(" with a MEDE partner", False)]
    nbr_visites_pharmaceutiques_planifiees: Annotated[int, _counter(" with a PHAR partner", True)]
    nbr_visites_pharmaceutiques_non_planifiees: Annotated[
        int, _counter(" with a PHAR partner", False)
    ]
    nbr_visites_privees_planifiees: Annotated[
        int, _counter(" with a private establishment (ETPR)", True)
    ]
    nbr_visites_privees_non_planifiees: Annotated[
        int, _counter(" with a private establishment (ETPR)", False)
    ]
    nbr_visites_publiques_planifiees: Annotated[
        int, _counter(" with a public establishment (ETPU)", True)
    ]
    nbr_visites_publiques_non_planifiees: Annotated[
        int, _counter(" with a public establishment (ETPU)", False)
    ]
    nbr_visites_simple_planifiees: Annotated[int, _counter(", type_visite S (simple)", True)]
    nbr_visites_simple_non_planifiees: Annotated[int, _counter(", type_visite S (simple)", False)]
    nbr_visites_groupe_planifiees: Annotated[int, _counter(", type_visite G (group)", True)]
    nbr_visites_groupe_non_planifiees: Annotated[int, _counter(", type_visite G (group)", False)]
    nbr_visites_indiviuel_planifiees: Annotated[
        int, _counter(", not accompanied (flag_accompagnee N)", True)
    ]
    nbr_visites_indiviuel_non_planifiees: Annotated[
        int, _counter(", not accompanied (flag_accompagnee N)", False)
    ]
    nbr_visites_en_double_planifiees: Annotated[
        int, _counter(", accompanied (flag_accompagnee O)", True)
    ]
    nbr_visites_en_double_non_planifiees: Annotated[
        int, _counter(", accompanied (flag_accompagnee O)", False)
    ]
    region: Annotated[
        list[RegionContacts],
        _said("Contacts per region (the visit-time code), by label then code; NULL left out"),
    ]
    gammes: Annotated[
        list[GammeContacts], _said("Contacts per gamme, by label then code; NULL left out")
    ]


class DataResult(_Result, frozen=True):
    statistiques: Annotated[
        Statistics, _said("18 counters of contacts (0 when nothing matches), then the lists")
    ]


# ---------------------------------------------------------- /performance (visits)


class TypePartenaireVisites(_Result, frozen=True):
    code_type_partenaire: TypePartenaireCode
    nombre_visites: Annotated[int, _said("Visits with a partner of this type")]


class StatutVisites(_Result, frozen=True):
    code_statut_partenaire: StatutCode
    nombre_visites: Annotated[int, _said("Visits with a partner of this status")]


class PotentielVisites(_Result, frozen=True):
    code_potentiel: PotentielCode
    nombre_visites: Annotated[int, _said("Visits with a partner of this potential")]


class RegionVisites(_Result, frozen=True):
    code_region_partenaire: RegionCode
    region: Region
    nombre_visites: Annotated[int, _said("Visits with a partner in this region")]


class DelegueVisites(_Result, frozen=True):
    id_utilisateur: UtilisateurId
    delegue: Annotated[
        str | None,
        _said("The user's full name (nom prenom); null for an id missing from tab_utilisateur"),
    ]
    nombre_visites: Annotated[int, _said("The user's visits under the filter")]


class DayVisites(_Result, frozen=True):
    date_visite: Annotated[datetime.date, _said("The calendar day")]
    nombre_visites: Annotated[int, _said("Visits that day (0 on a day without)")]


class PerformanceResult(_Result, frozen=True):
    nombre_compte_visite_par_type_compte: Annotated[
        list[TypePartenaireVisites], _said("Visits per partner type, by code")
    ]
    nombre_compte_visite_par_status: Annotated[
        list[StatutVisites], _said("Visits per partner status, by code")
    ]
    nombre_visites_par_potenciel: Annotated[
        list[PotentielVisites], _said("Visits per partner potential, by code")
    ]
    nombre_visites_par_region: Annotated[
        list[RegionVisites], _said("Visits per region, by label then code")
    ]
    utilisateurs_plus_grand_nombre_visites: Annotated[
        list[DelegueVisites], _said("The 5 users with the most visits, most first, ties by name")
    ]
    delegues_moins_nombre_visites: Annotated[
        list[DelegueVisites],
        _said(
            "The 5 reps (role DEL) with the fewest visits, fewest first, ties by name, reps "
            "with 0 visits included; the candidates are the reps the filter's "
            "id_utilisateur / id_responsable allow"
        ),
    ]
    nombre_compte_visite_par_jour: Annotated[
        list[DayVisites],
        _said("Visits per day, every day from the first to the last with a visit, zero-filled"),
    ]


# --------------------------------------------------------- /partenaire (partners)


class PotentielPartenaires(_Result, frozen=True):
    code_potentiel: PotentielCode
    nombre_partenaire: Annotated[int, _said("Distinct partners reached with this potential")]


class EtablissementPartenaires(_Result, frozen=True):
    code_type_etablissement: Annotated[str, _said("The establishment's code")]
    etablissement: Annotated[str, _said("The establishment's label")]
    nombre_partenaire: Annotated[int, _said("Distinct partners reached in this establishment")]


class VillePartenaires(_Result, frozen=True):
    code_ville_partenaire: VilleCode
    code_region_partenaire: RegionCode
    ville: Ville
    region: Region
    nb_partenaire: Annotated[int, _said("Distinct partners reached in this city")]


class RegionPartenaires(_Result, frozen=True):
    code_region_partenaire: RegionCode
    region: Region
    total_partenaire: Annotated[
        int,
        _said("Distinct partners reached in this region (not the sum of its cities)"),
    ]
    ville: Annotated[list[VillePartenaires], _said("The region's cities, by label then code")]


class SpecialitePartenaires(_Result, frozen=True):
    code_specialite: SpecialiteCode
    specialite: Specialite
    gamme: Gamme
    code_gamme: GammeCode
    nb_partenaire: Annotated[
        int, _said("Distinct partners reached with this speciality in this gamme")
    ]


class GammePartenaires(_Result, frozen=True):
    code_gamme: GammeCode
    gamme: Gamme
    total_partenaire: Annotated[
        int,
        _said("Distinct partners reached in this gamme (not the sum of its specialities)"),
    ]
    specialites: Annotated[
        list[SpecialitePartenaires], _said("The gamme's specialities, by label then code")
    ]


class PartenaireResult(_Result, frozen=True):
    Nombre_de_comptes_par_potentiel: Annotated[
        list[PotentielPartenaires], _said("Distinct partners reached per potential, by code")
    ]
    Nombre_de_visites_moyen: Annotated[
        float | None,
        _said(
            "Average visits per partner reached: distinct (visit, partner) pairs / distinct "
            "partners; null when no partner was reached"
        ),
    ]
    Nombre_de_comptes_par_etablissement: Annotated[
        list[EtablissementPartenaires],
        _said("Distinct partners reached per establishment, by label then code"),
    ]
    region_partenaire: Annotated[
        list[RegionPartenaires], _said("Distinct partners reached per region and city")
    ]
    gamme_partenaire: Annotated[
        list[GammePartenaires], _said("Distinct partners reached per gamme and speciality")
    ]


# ----------------------------------------------------------- /users (sales force)


class MoisUtilisateurs(_Result, frozen=True):
    annee: Annotated[int, _said("The year")]
    mois: Annotated[int, _said("The month, 1 to 12")]
    nombre_utilisateur: Annotated[int, _said("Distinct users who made a visit that month")]


class GammeUtilisateurs(_Result, frozen=True):
    code_gamme_partenaire: GammeCode
    gamme: Gamme
    nombre_utilisateur: Annotated[int, _said("Distinct users who visited in this gamme")]


class ResponsableVisites(_Result, frozen=True):
    id_responsable: Annotated[
        int, _said("The visit's own id_responsable; 0 for visits without one")
    ]
    nombre_visites: Annotated[int, _said("Visits with this id_responsable")]
    pourcentage: Percentage


class RegionUtilisateurs(_Result, frozen=True):
    code_region_partenaire: RegionCode
    region: Region
    nombre_utilisateur: Annotated[int, _said("Distinct users who visited in this region")]


class StatutUtilisateurs(_Result, frozen=True):
    code_statut_partenaire: StatutCode
    nombre_utilisateur: Annotated[int, _said("Distinct users who visited a partner of this status")]


class RoleUtilisateurs(_Result, frozen=True):
    role: Annotated[str, _said("The user's role, upper-cased: DEL, SUP...")]
    nombre_utilisateur: Annotated[int, _said("Distinct users of this role who made a visit")]


class UsersResult(_Result, frozen=True):
    nombre_nouvelle_utilisateur_par_mois: Annotated[
        list[MoisUtilisateurs],
        _said("Active users per calendar month, in time order (the name is historical)"),
    ]
    nombre_utilisateur_par_gammes: Annotated[
        list[GammeUtilisateurs], _said("Active users per gamme, by label then code")
    ]
    pourcentage_visites_par_responsable: Annotated[
        list[ResponsableVisites],
        _said("Visits per the visit's own id_responsable and their share, by id_responsable"),
    ]
    nombre_utilisateur_par_regions: Annotated[
        list[RegionUtilisateurs], _said("Active users per region, by label then code")
    ]
    nombre_utilisateur_par_status: Annotated[
        list[StatutUtilisateurs], _said("Active users per partner status, by code")
    ]
    nombre_utilisateur_par_role: Annotated[
        list[RoleUtilisateurs], _said("Active users per role, by role")
    ]


# ---------------------------------------------------------------- /evaluation

Evaluations = Annotated[int, _said("Evaluations (headers with at least one detail row)")]


class ScoreVisites(_Result, frozen=True):
    points_obtenus: Annotated[float, _said("A header score (points_obtenu)")]
    nombre_visites: Annotated[
        int,
        _said(
            "Sum, over the filtered evaluations with this score, of the evaluated user's "
            "all-time visit count"
        ),
    ]


class MoisEvaluations(_Result, frozen=True):
    date_integration: Annotated[str, _said("The month, YYYY-MM")]
    Nombre_evaluation: Evaluations


class RoleEvaluations(_Result, frozen=True):
    role_createur: Annotated[str, _said("The role of the evaluation's creator")]
    Nombre_evaluation: Evaluations
    pourcentage: Percentage


class UtilisateurPoints(_Result, frozen=True):
    id_utilisateur: Annotated[int, _said("The evaluated user's id")]
    FullName_utilisateur: Annotated[
        str | None,
        _said("The evaluated user's full name; null for an id missing from tab_utilisateur"),
    ]
    points_obtenus: Annotated[
        float | None, _said("Mean header score over the user's evaluations; null if none")
    ]


class SousCategoriePoints(_Result, frozen=True):
    code_sous_categorie: Annotated[str, _said("The sub-category's code")]
    sous_categorie: Annotated[str, _said("The sub-category's label")]
    moyenne_points_sous_categorie: Annotated[
        float | None,
        _said("Mean detail point_obtenu over its detail rows in the category; null if none"),
    ]


class CategoriePoints(_Result, frozen=True):
    code_categorie: Annotated[str, _said("The category's code")]
    categorie: Annotated[str, _said("The category's label")]
    moyenne_points_categorie: Annotated[
        float | None,
        _said(
            "Mean header score over the evaluations with a detail row in this category; "
            "null if none"
        ),
    ]
    sous_categories: Annotated[
        list[SousCategoriePoints], _said("The category's sub-categories, by label then code")
    ]


class EvaluationResult(_Result, frozen=True):
    Nombre_visites_par_moyen_evaluation: Annotated[
        list[ScoreVisites], _said("Per distinct header score, ascending")
    ]
    Nombre_evaluation_par_Mois: Annotated[
        list[MoisEvaluations], _said("Evaluations per month, in time order")
    ]
    pourcentage_evaluations_role: Annotated[
        list[RoleEvaluations], _said("Evaluations per creator role, and their share")
    ]
    moyenne_points_utilisateurs: Annotated[
        list[UtilisateurPoints], _said("Mean header score per evaluated user")
    ]
    categories: Annotated[list[CategoriePoints], _said("Mean scores per category and sub-category")]


# -------------------------------------------------------------------- /invest


class BudgetVisites(_Result, frozen=True):
    nombre_visites: Annotated[
        int,
        _said(
            "The partner's all-time visit count (a scoped token: its team's visits only); "
            "0 for a partner never visited"
        ),
    ] = msgspec.field(name="Nombre de nombre de visites")
    budget: Budget


class BudgetGamme(_Result, frozen=True):
    code_gamme: GammeCode
    gamme: Gamme
    budget: Budget


class BudgetStatut(_Result, frozen=True):
    code_statut_bc: Annotated[str, _said("The business case's status (code_statut_bc)")]
    budget: Budget


class BudgetPotentiel(_Result, frozen=True):
    code_potentiel: PotentielCode
    budget: Budget


class BudgetSpecialite(_Result, frozen=True):
    code_specialite: SpecialiteCode
    specialite: Specialite
    budget: Budget


class BudgetRegion(_Result, frozen=True):
    code_region_partenaire: Annotated[str, _said("The partner's current region code")]
    region: Region
    budget: Budget


class BudgetTypeInvestissement(_Result, frozen=True):
    code_type_investissement: Annotated[str, _said("The investment type's code")]
    type_investissement: Annotated[str, _said("The investment type's label")]
    budget: Budget


class BudgetCategorieInvestissement(_Result, frozen=True):
    code_categorie_investissement: Annotated[str, _said("The investment category's code")]
    categorie_investissement: Annotated[str, _said("The investment category's label")]
    budget: Budget


class InvestResult(_Result, frozen=True):
    budget_par_visites: Annotated[
        list[BudgetVisites],
        _said("Budgets by the partner's visit count, ascending (one row per business case)"),
    ]
    budget_par_gamme: Annotated[list[BudgetGamme], _said("Budgets by the partner's current gamme")]
    budget_par_statut: Annotated[list[BudgetStatut], _said("Budgets by business case status")]
    budget_par_potentiel: Annotated[
        list[BudgetPotentiel], _said("Budgets by the partner's current potential")
    ]
    budget_par_specialite: Annotated[
        list[BudgetSpecialite], _said("Budgets by the partner's current speciality")
    ]
    budget_par_region: Annotated[
        list[BudgetRegion], _said("Budgets by the partner's current region")
    ]
    budget_par_type_investissement: Annotated[
        list[BudgetTypeInvestissement], _said("Budgets by investment type")
    ]
    budget_par_categorie_investissement: Annotated[
        list[BudgetCategorieInvestissement], _said("Budgets by investment category")
    ]


# ------------------------------------------------------- the dashboard's filter bar


class CodeLabel(_Result, frozen=True):
    code: Annotated[str, _said("A code, as the filters take it")]
    label: Annotated[str, _said("Its label")]


class UtilisateurChoice(_Result, frozen=True):
    id_utilisateur: UtilisateurId
    name: Annotated[str | None, _said("The user's full name; null if unknown")]
    role: Annotated[str | None, _said("The user's role, upper-cased; null if unknown")]


class Choices(_Result, frozen=True):
    gammes: Annotated[list[CodeLabel], _said("The gammes, for the gamme filter")]
    regions: Annotated[list[CodeLabel], _said("The regions, for the region filter")]
    utilisateurs: Annotated[
        list[UtilisateurChoice],
        _said("The users, for the id_utilisateur and id_responsable filters"),
    ]


Result = (
    DataResult
    | PerformanceResult
    | PartenaireResult
    | UsersResult
    | EvaluationResult
    | InvestResult
)
