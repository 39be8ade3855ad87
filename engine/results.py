"""What each endpoint answers (SPEC §6): the keys are a wire contract, typos included.

Every list item is a Struct of its own so that the API's OpenAPI schema shows it. Keys
that are not valid Python names are renamed with ``msgspec.field(name=...)``. Counts
are ints, averages ``float | None`` (None: an average over nothing), budgets and
percentages floats already rounded to 2 decimals by the SQL.
"""

from __future__ import annotations

import datetime

import msgspec


class _Result(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of every result (subclasses inherit both options): immutable, since answers
    are cached and shared, and strict, so a key the SQL misspells fails loudly."""


# ---------------------------------------------------------------- /data (contacts)


class VilleContacts(_Result, frozen=True):
    code_ville_partenaire: str
    code_region_partenaire: str
    ville: str
    region: str
    nb_visites: int


class RegionContacts(_Result, frozen=True):
    code_region_partenaire: str
    region: str
    nb_visites_total: int
    ville: list[VilleContacts]


class SpecialiteContacts(_Result, frozen=True):
    code_specialite: str
    specialite: str
    gamme: str
    code_gamme: str
    nb_visites_total: int


class GammeContacts(_Result, frozen=True):
    code_gamme: str
    gamme: str
    nbr_total_visites: int
    specialites: list[SpecialiteContacts]


class Statistics(_Result, frozen=True):
    nbr_total_visites_planifiees: int
    nbr_total_visites_non_planifiees: int
    nbr_visites_medicales_planifiees: int
    nbr_visites_medicales_non_planifiees: int
    nbr_visites_pharmaceutiques_planifiees: int
    nbr_visites_pharmaceutiques_non_planifiees: int
    nbr_visites_privees_planifiees: int
    nbr_visites_privees_non_planifiees: int
    nbr_visites_publiques_planifiees: int
    nbr_visites_publiques_non_planifiees: int
    nbr_visites_simple_planifiees: int
    nbr_visites_simple_non_planifiees: int
    nbr_visites_groupe_planifiees: int
    nbr_visites_groupe_non_planifiees: int
    nbr_visites_indiviuel_planifiees: int
    nbr_visites_indiviuel_non_planifiees: int
    nbr_visites_en_double_planifiees: int
    nbr_visites_en_double_non_planifiees: int
    region: list[RegionContacts]
    gammes: list[GammeContacts]


class DataResult(_Result, frozen=True):
    statistiques: Statistics


# ---------------------------------------------------------- /performance (visits)


class TypePartenaireVisites(_Result, frozen=True):
    code_type_partenaire: str
    nombre_visites: int


class StatutVisites(_Result, frozen=True):
    code_statut_partenaire: str
    nombre_visites: int


class PotentielVisites(_Result, frozen=True):
    code_potentiel: str
    nombre_visites: int


class RegionVisites(_Result, frozen=True):
    code_region_partenaire: str
    region: str
    nombre_visites: int


class DelegueVisites(_Result, frozen=True):
    id_utilisateur: int
    delegue: str | None  # None: a user id missing from tab_utilisateur
    nombre_visites: int


class DayVisites(_Result, frozen=True):
    date_visite: datetime.date
    nombre_visites: int


class PerformanceResult(_Result, frozen=True):
    nombre_compte_visite_par_type_compte: list[TypePartenaireVisites]
    nombre_compte_visite_par_status: list[StatutVisites]
    nombre_visites_par_potenciel: list[PotentielVisites]
    nombre_visites_par_region: list[RegionVisites]
    utilisateurs_plus_grand_nombre_visites: list[DelegueVisites]
    delegues_moins_nombre_visites: list[DelegueVisites]
    nombre_compte_visite_par_jour: list[DayVisites]


# --------------------------------------------------------- /partenaire (partners)


class PotentielPartenaires(_Result, frozen=True):
    code_potentiel: str
    nombre_partenaire: int


class EtablissementPartenaires(_Result, frozen=True):
    code_type_etablissement: str
    etablissement: str
    nombre_partenaire: int


class VillePartenaires(_Result, frozen=True):
    code_ville_partenaire: str
    code_region_partenaire: str
    ville: str
    region: str
    nb_partenaire: int


class RegionPartenaires(_Result, frozen=True):
    code_region_partenaire: str
    region: str
    total_partenaire: int
    ville: list[VillePartenaires]


class SpecialitePartenaires(_Result, frozen=True):
    code_specialite: str
    specialite: str
    gamme: str
    code_gamme: str
    nb_partenaire: int


class GammePartenaires(_Result, frozen=True):
    code_gamme: str
    gamme: str
    total_partenaire: int
    specialites: list[SpecialitePartenaires]


class PartenaireResult(_Result, frozen=True):
    Nombre_de_comptes_par_potentiel: list[PotentielPartenaires]
    Nombre_de_visites_moyen: float | None
    Nombre_de_comptes_par_etablissement: list[EtablissementPartenaires]
    region_partenaire: list[RegionPartenaires]
    gamme_partenaire: list[GammePartenaires]


# ----------------------------------------------------------- /users (sales force)


class MoisUtilisateurs(_Result, frozen=True):
    annee: int
    mois: int
    nombre_utilisateur: int


class GammeUtilisateurs(_Result, frozen=True):
    code_gamme_partenaire: str
    gamme: str
    nombre_utilisateur: int


class ResponsableVisites(_Result, frozen=True):
    id_responsable: int  # 0: visits without a responsable
    nombre_visites: int
    pourcentage: float


class RegionUtilisateurs(_Result, frozen=True):
    code_region_partenaire: str
    region: str
    nombre_utilisateur: int


class StatutUtilisateurs(_Result, frozen=True):
    code_statut_partenaire: str
    nombre_utilisateur: int


class RoleUtilisateurs(_Result, frozen=True):
    role: str
    nombre_utilisateur: int


class UsersResult(_Result, frozen=True):
    nombre_nouvelle_utilisateur_par_mois: list[MoisUtilisateurs]
    nombre_utilisateur_par_gammes: list[GammeUtilisateurs]
    pourcentage_visites_par_responsable: list[ResponsableVisites]
    nombre_utilisateur_par_regions: list[RegionUtilisateurs]
    nombre_utilisateur_par_status: list[StatutUtilisateurs]
    nombre_utilisateur_par_role: list[RoleUtilisateurs]


# ---------------------------------------------------------------- /evaluation


class ScoreVisites(_Result, frozen=True):
    points_obtenus: float
    nombre_visites: int


class MoisEvaluations(_Result, frozen=True):
    date_integration: str  # "YYYY-MM"
    Nombre_evaluation: int


class RoleEvaluations(_Result, frozen=True):
    role_createur: str
    Nombre_evaluation: int
    pourcentage: float


class UtilisateurPoints(_Result, frozen=True):
    id_utilisateur: int
    FullName_utilisateur: str | None  # None: a user id missing from tab_utilisateur
    points_obtenus: float | None


class SousCategoriePoints(_Result, frozen=True):
    code_sous_categorie: str
    sous_categorie: str
    moyenne_points_sous_categorie: float | None


class CategoriePoints(_Result, frozen=True):
    code_categorie: str
    categorie: str
    moyenne_points_categorie: float | None
    sous_categories: list[SousCategoriePoints]


class EvaluationResult(_Result, frozen=True):
    Nombre_visites_par_moyen_evaluation: list[ScoreVisites]
    Nombre_evaluation_par_Mois: list[MoisEvaluations]
    pourcentage_evaluations_role: list[RoleEvaluations]
    moyenne_points_utilisateurs: list[UtilisateurPoints]
    categories: list[CategoriePoints]


# -------------------------------------------------------------------- /invest


class BudgetVisites(_Result, frozen=True):
    nombre_visites: int = msgspec.field(name="Nombre de nombre de visites")
    budget: float


class BudgetGamme(_Result, frozen=True):
    code_gamme: str
    gamme: str
    budget: float


class BudgetStatut(_Result, frozen=True):
    code_statut_bc: str
    budget: float


class BudgetPotentiel(_Result, frozen=True):
    code_potentiel: str
    budget: float


class BudgetSpecialite(_Result, frozen=True):
    code_specialite: str
    specialite: str
    budget: float


class BudgetRegion(_Result, frozen=True):
    code_region_partenaire: str
    region: str
    budget: float


class BudgetTypeInvestissement(_Result, frozen=True):
    code_type_investissement: str
    type_investissement: str
    budget: float


class BudgetCategorieInvestissement(_Result, frozen=True):
    code_categorie_investissement: str
    categorie_investissement: str
    budget: float


class InvestResult(_Result, frozen=True):
    budget_par_visites: list[BudgetVisites]
    budget_par_gamme: list[BudgetGamme]
    budget_par_statut: list[BudgetStatut]
    budget_par_potentiel: list[BudgetPotentiel]
    budget_par_specialite: list[BudgetSpecialite]
    budget_par_region: list[BudgetRegion]
    budget_par_type_investissement: list[BudgetTypeInvestissement]
    budget_par_categorie_investissement: list[BudgetCategorieInvestissement]


# ------------------------------------------------------- the dashboard's filter bar


class CodeLabel(_Result, frozen=True):
    code: str
    label: str


class UtilisateurChoice(_Result, frozen=True):
    id_utilisateur: int
    name: str | None
    role: str | None


class Choices(_Result, frozen=True):
    gammes: list[CodeLabel]
    regions: list[CodeLabel]
    utilisateurs: list[UtilisateurChoice]


Result = (
    DataResult
    | PerformanceResult
    | PartenaireResult
    | UsersResult
    | EvaluationResult
    | InvestResult
)
