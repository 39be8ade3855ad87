"use strict";
/* What the dashboard shows (SPEC §6, §11): every block of the six answers, described
once here. charts.js draws them; dashboard.js makes the page around them. */

const MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];

// The codes the API returns without a libelle, as shared/schema.sql describes them.
const LIBELLES = {
  MEDE: "Médecins", PHAR: "Pharmacies",
  VALI: "Validé", ATTE: "En attente", REJE: "Rejeté",
  ENCO: "En cours", ANNU: "Annulé", REAL: "Réalisé",
  DEL: "Délégués", SUP: "Superviseurs", DR: "Directeurs régionaux", DIR: "Direction",
};
const libelle = (code) => LIBELLES[code] ?? code;
const potentiel = (row) => `Potentiel ${row.code_potentiel}`;

// The filter fields each endpoint accepts (SPEC §5-§6): the others are not sent, the
// API would refuse an unknown field.
const PERIOD = ["annee", "mois", "start_date", "end_date"];
const VISITES = ["id_responsable", "id_utilisateur", "gamme", "region", ...PERIOD];

// The 18 counters of /data: a dimension, the start of its two keys.
const COUNTERS = [
  ["Total", "nbr_total_visites"], ["Médicales", "nbr_visites_medicales"],
  ["Pharmaceutiques", "nbr_visites_pharmaceutiques"], ["Privées", "nbr_visites_privees"],
  ["Publiques", "nbr_visites_publiques"], ["Simples", "nbr_visites_simple"],
  ["En groupe", "nbr_visites_groupe"], ["Individuelles", "nbr_visites_indiviuel"],
  ["En double", "nbr_visites_en_double"],
];

const utilisateurs = new Map(); // id -> name, to name the responsables
const utilisateurName = (id) => utilisateurs.get(id) ?? `Utilisateur ${id}`;
const delegue = (row) => row.delegue ?? utilisateurName(row.id_utilisateur);

// A click on a region, a gamme, a utilisateur sets that filter (`field`), with the code
// read in the row (`code`). The API filters by neither ville nor specialite (SPEC §5):
// a ville sets its region, a specialite its gamme (their rows carry them).
const BY_REGION = { field: "region", code: "code_region_partenaire" };
const BY_GAMME = { field: "gamme", code: "code_gamme" };
const BY_UTILISATEUR = { field: "id_utilisateur", code: "id_utilisateur" };

/* A block: `key` (its name in the page), `path` (the answer's block for the CSV export,
SPEC §12; `key` otherwise), `rows` (where to read its rows; answer[key] otherwise), `kind`
(see KINDS), `label` and `value` (a field or a function of a row), `unit` for the hover
and the tables, `decimals` for means and budgets, `mean` for values that do not add up,
`click` (the filter a click sets), `wide` for the full width. */
const TABS = [
  { id: "data", title: "Contacts", filters: VISITES, blocks: [
    { key: "counters", path: "statistiques", title: "Contacts planifiés et non planifiés",
      kind: "grouped", wide: true, unit: "contacts", label: "dimension",
      series: [["planifiees", "Planifiés"], ["non_planifiees", "Non planifiés"]],
      rows: ({ statistiques: s }) => COUNTERS.map(([dimension, key]) => ({
        dimension,
        planifiees: s[`${key}_planifiees`],
        non_planifiees: s[`${key}_non_planifiees`],
      })) },
    { key: "region", path: "statistiques.region", title: "Contacts par région et ville",
      kind: "hierarchy", shape: "treemap", unit: "contacts", click: BY_REGION,
      rows: (r) => r.statistiques.region, label: "region", value: "nb_visites_total",
      children: "ville", childLabel: "ville", childValue: "nb_visites" },
    { key: "gammes", path: "statistiques.gammes", title: "Contacts par gamme et spécialité",
      kind: "hierarchy", shape: "sunburst", unit: "contacts", click: BY_GAMME,
      rows: (r) => r.statistiques.gammes, label: "gamme", value: "nbr_total_visites",
      children: "specialites", childLabel: "specialite", childValue: "nb_visites_total" },
  ] },
  { id: "performance", title: "Performance", filters: VISITES, blocks: [
    { key: "nombre_compte_visite_par_jour", title: "Visites par jour", kind: "line",
      slider: true, wide: true, unit: "visites", label: "date_visite",
      value: "nombre_visites", hoverDate: "%A %d %B %Y" },
    // A group visite counts for each type, statut, potentiel of its accounts: these groups
    // overlap, so they are bars and not slices.
    { key: "nombre_compte_visite_par_type_compte", title: "Visites par type de compte",
      kind: "hbars", unit: "visites", value: "nombre_visites",
      label: (l) => libelle(l.code_type_partenaire) },
    { key: "nombre_compte_visite_par_status", title: "Visites par statut du compte",
      kind: "hbars", unit: "visites", value: "nombre_visites",
      label: (l) => libelle(l.code_statut_partenaire) },
    { key: "nombre_visites_par_potenciel", title: "Visites par potentiel du compte",
      kind: "hbars", unit: "visites", value: "nombre_visites", label: potentiel },
    { key: "nombre_visites_par_region", title: "Visites par région", kind: "hbars",
      unit: "visites", label: "region", value: "nombre_visites", click: BY_REGION },
    { key: "utilisateurs_plus_grand_nombre_visites", title: "Les 5 utilisateurs les plus actifs",
      kind: "hbars", unit: "visites", label: delegue, value: "nombre_visites",
      click: BY_UTILISATEUR },
    // Delegues with 0 visites are the list a responsable looks for: it is drawn.
    { key: "delegues_moins_nombre_visites", title: "Les 5 délégués les moins actifs",
      kind: "hbars", unit: "visites", label: delegue, value: "nombre_visites",
      click: BY_UTILISATEUR },
  ] },
  { id: "partenaire", title: "Partenaires", filters: VISITES, blocks: [
    { key: "Nombre_de_visites_moyen", title: "Visites moyennes par partenaire", kind: "number",
      unit: "visites", decimals: 2, value: "mean",
      rows: (r) => (r.Nombre_de_visites_moyen === null ? []
        : [{ mean: r.Nombre_de_visites_moyen }]) },
    { key: "Nombre_de_comptes_par_potentiel", title: "Partenaires par potentiel",
      kind: "donut", unit: "partenaires", label: potentiel, value: "nombre_partenaire" },
    { key: "Nombre_de_comptes_par_etablissement", title: "Partenaires par établissement",
      kind: "hbars", unit: "partenaires", label: "etablissement",
      value: "nombre_partenaire" },
    { key: "region_partenaire", title: "Partenaires par région et ville", kind: "hierarchy",
      shape: "treemap", unit: "partenaires", label: "region", value: "total_partenaire",
      children: "ville", childLabel: "ville", childValue: "nb_partenaire",
      click: BY_REGION },
    { key: "gamme_partenaire", title: "Partenaires par gamme et spécialité",
      kind: "hierarchy", shape: "sunburst", unit: "partenaires", label: "gamme",
      value: "total_partenaire", children: "specialites", childLabel: "specialite",
      childValue: "nb_partenaire", click: BY_GAMME },
  ] },
  { id: "users", title: "Force de vente", filters: VISITES, blocks: [
    { key: "nombre_nouvelle_utilisateur_par_mois", title: "Utilisateurs actifs par mois",
      kind: "line", wide: true, unit: "utilisateurs", value: "nombre_utilisateur",
      hoverDate: "%B %Y", label: (l) => `${l.annee}-${String(l.mois).padStart(2, "0")}` },
    { key: "pourcentage_visites_par_responsable", title: "Part des visites par responsable",
      kind: "donut", unit: "visites", value: "nombre_visites", share: "pourcentage",
      label: (l) => (l.id_responsable === 0 ? "Sans responsable"
        : utilisateurName(l.id_responsable)),
      click: { field: "id_responsable", code: (l) => l.id_responsable || null } },
    { key: "nombre_utilisateur_par_gammes", title: "Utilisateurs par gamme", kind: "hbars",
      unit: "utilisateurs", label: "gamme", value: "nombre_utilisateur",
      click: { field: "gamme", code: "code_gamme_partenaire" } },
    { key: "nombre_utilisateur_par_regions", title: "Utilisateurs par région",
      kind: "hbars", unit: "utilisateurs", label: "region",
      value: "nombre_utilisateur", click: BY_REGION },
    { key: "nombre_utilisateur_par_status", title: "Utilisateurs par statut des comptes visités",
      kind: "hbars", unit: "utilisateurs", value: "nombre_utilisateur",
      label: (l) => libelle(l.code_statut_partenaire) },
    { key: "nombre_utilisateur_par_role", title: "Utilisateurs par rôle", kind: "donut",
      unit: "utilisateurs", value: "nombre_utilisateur", label: (l) => libelle(l.role) },
  ] },
  { id: "evaluation", title: "Évaluations", filters: ["id_responsable", "id_utilisateur", ...PERIOD],
    blocks: [
      { key: "Nombre_evaluation_par_Mois", title: "Évaluations par mois", kind: "bars",
        unit: "évaluations", label: "date_integration", value: "Nombre_evaluation",
        hoverDate: "%B %Y" },
      { key: "pourcentage_evaluations_role", title: "Évaluations par rôle de l'évaluateur",
        kind: "donut", unit: "évaluations", value: "Nombre_evaluation", share: "pourcentage",
        label: (l) => libelle(l.role_createur) },
      { key: "Nombre_visites_par_moyen_evaluation", title: "Visites des évalués, par note",
        kind: "bars", wide: true, unit: "visites", label: "points_obtenus",
        value: "nombre_visites", axis: "Note de l'évaluation" },
      { key: "moyenne_points_utilisateurs", title: "Note moyenne par utilisateur évalué",
        kind: "hbars", unit: "points", decimals: 2, mean: true,
        value: "points_obtenus", click: BY_UTILISATEUR,
        label: (l) => l.FullName_utilisateur ?? utilisateurName(l.id_utilisateur) },
      { key: "sous_categories", path: "categories", title: "Note moyenne par sous-catégorie",
        kind: "hbars", unit: "points", decimals: 2, mean: true,
        value: "moyenne_points_sous_categorie", label: "sous_categorie", group: "categorie",
        rows: (r) => r.categories.flatMap((c) =>
          c.sous_categories.map((s) => ({ ...s, categorie: c.categorie }))) },
      { key: "categories", title: "Note moyenne par catégorie", kind: "hbars", wide: true,
        unit: "points", decimals: 2, mean: true, label: "categorie",
        value: "moyenne_points_categorie" },
    ] },
  { id: "invest", title: "Investissements", filters: ["id_responsable", "region", ...PERIOD],
    blocks: [
      { key: "budget_par_visites", title: "Budget selon les visites reçues par le partenaire",
        kind: "bars", wide: true, unit: "MAD", decimals: 2, value: "budget",
        label: "Nombre de nombre de visites", axis: "Visites reçues par le partenaire" },
      ...[
        ["budget_par_gamme", "gamme", "Budget par gamme"],
        ["budget_par_statut", (l) => libelle(l.code_statut_bc), "Budget par statut"],
        ["budget_par_potentiel", potentiel, "Budget par potentiel du partenaire"],
        ["budget_par_specialite", "specialite", "Budget par spécialité"],
        ["budget_par_region", "region", "Budget par région", BY_REGION],
        ["budget_par_type_investissement", "type_investissement",
          "Budget par type d'investissement"],
        ["budget_par_categorie_investissement", "categorie_investissement",
          "Budget par catégorie d'investissement"],
      ].map(([key, label, title, click]) => ({
        key, title, label, click, kind: "hbars", unit: "MAD", decimals: 2,
        value: "budget",
      })),
    ] },
];
