"use strict";
/* Ce que montre le tableau de bord (SPEC §6, §11): chaque bloc des six réponses, décrit
une fois ici. graphiques.js les dessine; dashboard.js fait la page autour. */

const MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];

// Les codes que l'API renvoie sans libellé, tels que shared/schema.sql les décrit.
const LIBELLES = {
  MEDE: "Médecins", PHAR: "Pharmacies",
  VALI: "Validé", ATTE: "En attente", REJE: "Rejeté",
  ENCO: "En cours", ANNU: "Annulé", REAL: "Réalisé",
  DEL: "Délégués", SUP: "Superviseurs", DR: "Directeurs régionaux", DIR: "Direction",
};
const libelle = (code) => LIBELLES[code] ?? code;
const potentiel = (ligne) => `Potentiel ${ligne.code_potentiel}`;

// Les champs du filtre que chaque endpoint accepte (SPEC §5-§6): les autres ne sont pas
// envoyés, l'API refuserait un champ inconnu.
const PERIODE = ["annee", "mois", "start_date", "end_date"];
const VISITES = ["id_responsable", "id_utilisateur", "gamme", "region", ...PERIODE];

// Les 18 compteurs de /data: une dimension, le début de ses deux clés.
const COMPTEURS = [
  ["Total", "nbr_total_visites"], ["Médicales", "nbr_visites_medicales"],
  ["Pharmaceutiques", "nbr_visites_pharmaceutiques"], ["Privées", "nbr_visites_privees"],
  ["Publiques", "nbr_visites_publiques"], ["Simples", "nbr_visites_simple"],
  ["En groupe", "nbr_visites_groupe"], ["Individuelles", "nbr_visites_indiviuel"],
  ["En double", "nbr_visites_en_double"],
];

const utilisateurs = new Map(); // id -> nom, pour nommer les responsables
const nomUtilisateur = (id) => utilisateurs.get(id) ?? `Utilisateur ${id}`;
const delegue = (ligne) => ligne.delegue ?? nomUtilisateur(ligne.id_utilisateur);

// Un clic sur une région, une gamme, un utilisateur pose ce filtre (`champ`), avec le
// code lu dans la ligne (`code`). L'API ne filtre ni par ville ni par spécialité
// (SPEC §5): une ville pose sa région, une spécialité sa gamme (leurs lignes les portent).
const PAR_REGION = { champ: "region", code: "code_region_partenaire" };
const PAR_GAMME = { champ: "gamme", code: "code_gamme" };
const PAR_UTILISATEUR = { champ: "id_utilisateur", code: "id_utilisateur" };

/* Un bloc: `cle` (son nom dans la page), `chemin` (le bloc de la réponse pour l'export
CSV, SPEC §12; `cle` sinon), `lignes` (où lire ses lignes; reponse[cle] sinon), `genre`
(voir GENRES), `etiquette` et `valeur` (un champ ou une fonction d'une ligne), `unite`
pour le survol et les tableaux, `decimales` pour les moyennes et budgets, `moyenne` pour
des valeurs qui ne s'additionnent pas, `clic` (le filtre qu'un clic pose), `large` pour
toute la largeur. */
const ONGLETS = [
  { id: "data", titre: "Contacts", filtres: VISITES, blocs: [
    { cle: "compteurs", chemin: "statistiques", titre: "Contacts planifiés et non planifiés",
      genre: "groupees", large: true, unite: "contacts", etiquette: "dimension",
      series: [["planifiees", "Planifiés"], ["non_planifiees", "Non planifiés"]],
      lignes: ({ statistiques: s }) => COMPTEURS.map(([dimension, cle]) => ({
        dimension,
        planifiees: s[`${cle}_planifiees`],
        non_planifiees: s[`${cle}_non_planifiees`],
      })) },
    { cle: "region", chemin: "statistiques.region", titre: "Contacts par région et ville",
      genre: "hierarchie", forme: "treemap", unite: "contacts", clic: PAR_REGION,
      lignes: (r) => r.statistiques.region, etiquette: "region", valeur: "nb_visites_total",
      enfants: "ville", etiquetteEnfant: "ville", valeurEnfant: "nb_visites" },
    { cle: "gammes", chemin: "statistiques.gammes", titre: "Contacts par gamme et spécialité",
      genre: "hierarchie", forme: "sunburst", unite: "contacts", clic: PAR_GAMME,
      lignes: (r) => r.statistiques.gammes, etiquette: "gamme", valeur: "nbr_total_visites",
      enfants: "specialites", etiquetteEnfant: "specialite", valeurEnfant: "nb_visites_total" },
  ] },
  { id: "performance", titre: "Performance", filtres: VISITES, blocs: [
    { cle: "nombre_compte_visite_par_jour", titre: "Visites par jour", genre: "ligne",
      curseur: true, large: true, unite: "visites", etiquette: "date_visite",
      valeur: "nombre_visites", survolDate: "%A %d %B %Y" },
    // Une visite de groupe compte pour chaque type, statut, potentiel de ses comptes:
    // ces groupes se recouvrent, ce sont des barres et non des parts.
    { cle: "nombre_compte_visite_par_type_compte", titre: "Visites par type de compte",
      genre: "barres_h", unite: "visites", valeur: "nombre_visites",
      etiquette: (l) => libelle(l.code_type_partenaire) },
    { cle: "nombre_compte_visite_par_status", titre: "Visites par statut du compte",
      genre: "barres_h", unite: "visites", valeur: "nombre_visites",
      etiquette: (l) => libelle(l.code_statut_partenaire) },
    { cle: "nombre_visites_par_potenciel", titre: "Visites par potentiel du compte",
      genre: "barres_h", unite: "visites", valeur: "nombre_visites", etiquette: potentiel },
    { cle: "nombre_visites_par_region", titre: "Visites par région", genre: "barres_h",
      unite: "visites", etiquette: "region", valeur: "nombre_visites", clic: PAR_REGION },
    { cle: "utilisateurs_plus_grand_nombre_visites", titre: "Les 5 utilisateurs les plus actifs",
      genre: "barres_h", unite: "visites", etiquette: delegue, valeur: "nombre_visites",
      clic: PAR_UTILISATEUR },
    // Des délégués à 0 visite sont la liste qu'un responsable cherche: elle se dessine.
    { cle: "delegues_moins_nombre_visites", titre: "Les 5 délégués les moins actifs",
      genre: "barres_h", unite: "visites", etiquette: delegue, valeur: "nombre_visites",
      clic: PAR_UTILISATEUR },
  ] },
  { id: "partenaire", titre: "Partenaires", filtres: VISITES, blocs: [
    { cle: "Nombre_de_visites_moyen", titre: "Visites moyennes par partenaire", genre: "nombre",
      unite: "visites", decimales: 2, valeur: "moyenne",
      lignes: (r) => (r.Nombre_de_visites_moyen === null ? []
        : [{ moyenne: r.Nombre_de_visites_moyen }]) },
    { cle: "Nombre_de_comptes_par_potentiel", titre: "Partenaires par potentiel",
      genre: "donut", unite: "partenaires", etiquette: potentiel, valeur: "nombre_partenaire" },
    { cle: "Nombre_de_comptes_par_etablissement", titre: "Partenaires par établissement",
      genre: "barres_h", unite: "partenaires", etiquette: "etablissement",
      valeur: "nombre_partenaire" },
    { cle: "region_partenaire", titre: "Partenaires par région et ville", genre: "hierarchie",
      forme: "treemap", unite: "partenaires", etiquette: "region", valeur: "total_partenaire",
      enfants: "ville", etiquetteEnfant: "ville", valeurEnfant: "nb_partenaire",
      clic: PAR_REGION },
    { cle: "gamme_partenaire", titre: "Partenaires par gamme et spécialité",
      genre: "hierarchie", forme: "sunburst", unite: "partenaires", etiquette: "gamme",
      valeur: "total_partenaire", enfants: "specialites", etiquetteEnfant: "specialite",
      valeurEnfant: "nb_partenaire", clic: PAR_GAMME },
  ] },
  { id: "users", titre: "Force de vente", filtres: VISITES, blocs: [
    { cle: "nombre_nouvelle_utilisateur_par_mois", titre: "Utilisateurs actifs par mois",
      genre: "ligne", large: true, unite: "utilisateurs", valeur: "nombre_utilisateur",
      survolDate: "%B %Y", etiquette: (l) => `${l.annee}-${String(l.mois).padStart(2, "0")}` },
    { cle: "pourcentage_visites_par_responsable", titre: "Part des visites par responsable",
      genre: "donut", unite: "visites", valeur: "nombre_visites", part: "pourcentage",
      etiquette: (l) => (l.id_responsable === 0 ? "Sans responsable"
        : nomUtilisateur(l.id_responsable)),
      clic: { champ: "id_responsable", code: (l) => l.id_responsable || null } },
    { cle: "nombre_utilisateur_par_gammes", titre: "Utilisateurs par gamme", genre: "barres_h",
      unite: "utilisateurs", etiquette: "gamme", valeur: "nombre_utilisateur",
      clic: { champ: "gamme", code: "code_gamme_partenaire" } },
    { cle: "nombre_utilisateur_par_regions", titre: "Utilisateurs par région",
      genre: "barres_h", unite: "utilisateurs", etiquette: "region",
      valeur: "nombre_utilisateur", clic: PAR_REGION },
    { cle: "nombre_utilisateur_par_status", titre: "Utilisateurs par statut des comptes visités",
      genre: "barres_h", unite: "utilisateurs", valeur: "nombre_utilisateur",
      etiquette: (l) => libelle(l.code_statut_partenaire) },
    { cle: "nombre_utilisateur_par_role", titre: "Utilisateurs par rôle", genre: "donut",
      unite: "utilisateurs", valeur: "nombre_utilisateur", etiquette: (l) => libelle(l.role) },
  ] },
  { id: "evaluation", titre: "Évaluations", filtres: ["id_responsable", "id_utilisateur", ...PERIODE],
    blocs: [
      { cle: "Nombre_evaluation_par_Mois", titre: "Évaluations par mois", genre: "barres",
        unite: "évaluations", etiquette: "date_integration", valeur: "Nombre_evaluation",
        survolDate: "%B %Y" },
      { cle: "pourcentage_evaluations_role", titre: "Évaluations par rôle de l'évaluateur",
        genre: "donut", unite: "évaluations", valeur: "Nombre_evaluation", part: "pourcentage",
        etiquette: (l) => libelle(l.role_createur) },
      { cle: "Nombre_visites_par_moyen_evaluation", titre: "Visites des évalués, par note",
        genre: "barres", large: true, unite: "visites", etiquette: "points_obtenus",
        valeur: "nombre_visites", axe: "Note de l'évaluation" },
      { cle: "moyenne_points_utilisateurs", titre: "Note moyenne par utilisateur évalué",
        genre: "barres_h", unite: "points", decimales: 2, moyenne: true,
        valeur: "points_obtenus", clic: PAR_UTILISATEUR,
        etiquette: (l) => l.FullName_utilisateur ?? nomUtilisateur(l.id_utilisateur) },
      { cle: "sous_categories", chemin: "categories", titre: "Note moyenne par sous-catégorie",
        genre: "barres_h", unite: "points", decimales: 2, moyenne: true,
        valeur: "moyenne_points_sous_categorie", etiquette: "sous_categorie", groupe: "categorie",
        lignes: (r) => r.categories.flatMap((c) =>
          c.sous_categories.map((s) => ({ ...s, categorie: c.categorie }))) },
      { cle: "categories", titre: "Note moyenne par catégorie", genre: "barres_h", large: true,
        unite: "points", decimales: 2, moyenne: true, etiquette: "categorie",
        valeur: "moyenne_points_categorie" },
    ] },
  { id: "invest", titre: "Investissements", filtres: ["id_responsable", "region", ...PERIODE],
    blocs: [
      { cle: "budget_par_visites", titre: "Budget selon les visites reçues par le partenaire",
        genre: "barres", large: true, unite: "MAD", decimales: 2, valeur: "budget",
        etiquette: "Nombre de nombre de visites", axe: "Visites reçues par le partenaire" },
      ...[
        ["budget_par_gamme", "gamme", "Budget par gamme"],
        ["budget_par_statut", (l) => libelle(l.code_statut_bc), "Budget par statut"],
        ["budget_par_potentiel", potentiel, "Budget par potentiel du partenaire"],
        ["budget_par_specialite", "specialite", "Budget par spécialité"],
        ["budget_par_region", "region", "Budget par région", PAR_REGION],
        ["budget_par_type_investissement", "type_investissement",
          "Budget par type d'investissement"],
        ["budget_par_categorie_investissement", "categorie_investissement",
          "Budget par catégorie d'investissement"],
      ].map(([cle, etiquette, titre, clic]) => ({
        cle, titre, etiquette, clic, genre: "barres_h", unite: "MAD", decimales: 2,
        valeur: "budget",
      })),
    ] },
];
