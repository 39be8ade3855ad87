"use strict";
/* Le tableau de bord de visites (SPEC §11): un client des six endpoints comme un autre.

Chaque bloc d'une réponse est décrit une fois dans ONGLETS (où le lire, quel genre de
graphique, quels champs); un seul chemin, dessiner(), en fait un graphique Plotly.
Le jeton reste dans sessionStorage: il disparaît avec l'onglet du navigateur. */

const MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];

// Plotly en français: mois des axes de dates, séparateurs « 1 234,5 », barre d'outils.
const FRANCAIS = {
  moduleType: "locale",
  name: "fr",
  dictionary: {
    "Download plot as a PNG": "Télécharger l'image (PNG)",
    "Zoom": "Zoomer", "Pan": "Déplacer", "Reset axes": "Rétablir les axes",
    "Autoscale": "Ajuster", "Double-click to zoom back out": "Double-cliquer pour dézoomer",
  },
  format: {
    days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    months: MOIS,
    shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
      "sept.", "oct.", "nov.", "déc."],
    date: "%d/%m/%Y",
    decimal: ",",
    thousands: "\u00a0",
  },
};

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

/* Un bloc: `cle` (sa clé dans la réponse, sauf si `lignes` dit où lire), `genre` (voir
GENRES), `etiquette` et `valeur` (un champ ou une fonction d'une ligne), `unite` pour le
survol, `decimales` pour les moyennes et budgets, `large` pour toute la largeur. */
const ONGLETS = [
  { id: "data", titre: "Contacts", filtres: VISITES, blocs: [
    { cle: "compteurs", titre: "Contacts planifiés et non planifiés", genre: "groupees",
      large: true, unite: "contacts", etiquette: "dimension",
      series: [["planifiees", "Planifiés"], ["non_planifiees", "Non planifiés"]],
      lignes: ({ statistiques: s }) => COMPTEURS.map(([dimension, cle]) => ({
        dimension,
        planifiees: s[`${cle}_planifiees`],
        non_planifiees: s[`${cle}_non_planifiees`],
      })) },
    { cle: "region", titre: "Contacts par région et ville", genre: "hierarchie",
      forme: "treemap", unite: "contacts", lignes: (r) => r.statistiques.region,
      etiquette: "region", valeur: "nb_visites_total",
      enfants: "ville", etiquetteEnfant: "ville", valeurEnfant: "nb_visites" },
    { cle: "gammes", titre: "Contacts par gamme et spécialité", genre: "hierarchie",
      forme: "sunburst", unite: "contacts", lignes: (r) => r.statistiques.gammes,
      etiquette: "gamme", valeur: "nbr_total_visites",
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
      unite: "visites", etiquette: "region", valeur: "nombre_visites" },
    { cle: "utilisateurs_plus_grand_nombre_visites", titre: "Les 5 utilisateurs les plus actifs",
      genre: "barres_h", unite: "visites", etiquette: delegue, valeur: "nombre_visites" },
    { cle: "delegues_moins_nombre_visites", titre: "Les 5 délégués les moins actifs",
      genre: "barres_h", unite: "visites", etiquette: delegue, valeur: "nombre_visites" },
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
      enfants: "ville", etiquetteEnfant: "ville", valeurEnfant: "nb_partenaire" },
    { cle: "gamme_partenaire", titre: "Partenaires par gamme et spécialité",
      genre: "hierarchie", forme: "sunburst", unite: "partenaires", etiquette: "gamme",
      valeur: "total_partenaire", enfants: "specialites", etiquetteEnfant: "specialite",
      valeurEnfant: "nb_partenaire" },
  ] },
  { id: "users", titre: "Force de vente", filtres: VISITES, blocs: [
    { cle: "nombre_nouvelle_utilisateur_par_mois", titre: "Utilisateurs actifs par mois",
      genre: "ligne", large: true, unite: "utilisateurs", valeur: "nombre_utilisateur",
      survolDate: "%B %Y", etiquette: (l) => `${l.annee}-${String(l.mois).padStart(2, "0")}` },
    { cle: "pourcentage_visites_par_responsable", titre: "Part des visites par responsable",
      genre: "donut", unite: "visites", valeur: "nombre_visites", part: "pourcentage",
      etiquette: (l) => (l.id_responsable === 0 ? "Sans responsable"
        : nomUtilisateur(l.id_responsable)) },
    { cle: "nombre_utilisateur_par_gammes", titre: "Utilisateurs par gamme", genre: "barres_h",
      unite: "utilisateurs", etiquette: "gamme", valeur: "nombre_utilisateur" },
    { cle: "nombre_utilisateur_par_regions", titre: "Utilisateurs par région",
      genre: "barres_h", unite: "utilisateurs", etiquette: "region",
      valeur: "nombre_utilisateur" },
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
        genre: "barres_h", unite: "points", decimales: 2, valeur: "points_obtenus",
        etiquette: (l) => l.FullName_utilisateur ?? nomUtilisateur(l.id_utilisateur) },
      { cle: "sous_categories", titre: "Note moyenne par sous-catégorie", genre: "barres_h",
        unite: "points", decimales: 2, valeur: "moyenne_points_sous_categorie",
        etiquette: "sous_categorie", groupe: "categorie",
        lignes: (r) => r.categories.flatMap((c) =>
          c.sous_categories.map((s) => ({ ...s, categorie: c.categorie }))) },
      { cle: "categories", titre: "Note moyenne par catégorie", genre: "barres_h", large: true,
        unite: "points", decimales: 2, etiquette: "categorie",
        valeur: "moyenne_points_categorie" },
    ] },
  { id: "invest", titre: "Investissements", filtres: ["id_responsable", "region", ...PERIODE],
    blocs: [
      { cle: "budget_par_visites", titre: "Budget selon les visites reçues par le partenaire",
        genre: "barres", large: true, unite: "", decimales: 2, valeur: "budget",
        etiquette: "Nombre de nombre de visites", axe: "Visites reçues par le partenaire" },
      ...[
        ["budget_par_gamme", "gamme", "Budget par gamme"],
        ["budget_par_statut", (l) => libelle(l.code_statut_bc), "Budget par statut"],
        ["budget_par_potentiel", potentiel, "Budget par potentiel du partenaire"],
        ["budget_par_specialite", "specialite", "Budget par spécialité"],
        ["budget_par_region", "region", "Budget par région"],
        ["budget_par_type_investissement", "type_investissement",
          "Budget par type d'investissement"],
        ["budget_par_categorie_investissement", "categorie_investissement",
          "Budget par catégorie d'investissement"],
      ].map(([cle, etiquette, titre]) => ({
        cle, titre, etiquette, genre: "barres_h", unite: "", decimales: 2,
        valeur: "budget",
      })),
    ] },
];

// ------------------------------------------------------------------ les graphiques

const lire = (champ) => (typeof champ === "function" ? champ : (ligne) => ligne[champ]);
const format = (bloc) => (bloc.decimales ? `,.${bloc.decimales}f` : ",");
// Le survol montre le nombre exact, avec son unité; <extra></extra> ôte le nom de trace.
const valeur = (bloc, variable) => `%{${variable}:${format(bloc)}} ${bloc.unite}`;
const court = (texte) => (texte.length > 34 ? `${texte.slice(0, 33)}…` : texte);

// Plotly fond deux barres (ou parts) de même libellé en une: deux homonymes restent deux.
function uniques(libelles) {
  const vus = new Map();
  return libelles.map((l) => {
    const n = (vus.get(l) ?? 0) + 1;
    vus.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

// Chaque genre fait, des lignes d'un bloc, les traces et la mise en page Plotly.
const GENRES = {
  barres: (lignes, bloc) => {
    const x = bloc.survolDate ? `%{x|${bloc.survolDate}}` : `${bloc.axe} : %{x}`;
    return {
      data: [{ type: "bar", x: lignes.map(lire(bloc.etiquette)), y: lignes.map(lire(bloc.valeur)),
        hovertemplate: `${x}<br>${valeur(bloc, "y")}<extra></extra>` }],
      layout: { xaxis: { title: { text: bloc.axe } } },
    };
  },
  barres_h: (lignes, bloc) => {
    const libelles = lignes.map(lire(bloc.etiquette));
    // Avec `groupe` (la catégorie d'une sous-catégorie), un axe à deux niveaux.
    const groupes = bloc.groupe && lignes.map(lire(bloc.groupe));
    return {
      data: [{ type: "bar", orientation: "h", x: lignes.map(lire(bloc.valeur)),
        y: groupes ? [groupes.map(court), libelles.map(court)] : uniques(libelles.map(court)),
        customdata: groupes ? libelles.map((l, i) => `${l} (${groupes[i]})`) : libelles,
        hovertemplate: `%{customdata}<br>${valeur(bloc, "x")}<extra></extra>` }],
      // Dans l'ordre de l'API, de haut en bas; la hauteur suit le nombre de barres.
      layout: { height: 70 + 26 * lignes.length,
        yaxis: { type: groupes ? "multicategory" : "category", autorange: "reversed",
          automargin: true } },
    };
  },
  groupees: (lignes, bloc) => ({
    data: bloc.series.map(([champ, nom]) => ({ type: "bar", name: nom,
      x: lignes.map(lire(bloc.etiquette)), y: lignes.map(lire(champ)),
      hovertemplate: `%{x} · ${nom}<br>${valeur(bloc, "y")}<extra></extra>` })),
    layout: { barmode: "group", legend: { orientation: "h", y: 1.12 } },
  }),
  donut: (lignes, bloc) => ({
    data: [{ type: "pie", hole: 0.5, sort: false, direction: "clockwise",
      labels: uniques(lignes.map(lire(bloc.etiquette))), values: lignes.map(lire(bloc.valeur)),
      textposition: "inside",
      // La part de l'API (sur toutes les visites filtrées) plutôt que celle que Plotly calcule.
      ...(bloc.part && { customdata: lignes.map(lire(bloc.part)),
        texttemplate: "%{customdata:.2f} %" }),
      hovertemplate: `%{label}<br>${valeur(bloc, "value")}<br>`
        + `${bloc.part ? "%{customdata:.2f} %" : "%{percent}"}<extra></extra>` }],
    // Une part trop fine pour son texte le tait; le survol le donne.
    layout: { margin: { t: 10, b: 10, l: 10, r: 10 }, uniformtext: { minsize: 10, mode: "hide" } },
  }),
  ligne: (lignes, bloc) => ({
    data: [{ type: "scatter", mode: lignes.length > 60 ? "lines" : "lines+markers",
      x: lignes.map(lire(bloc.etiquette)), y: lignes.map(lire(bloc.valeur)),
      hovertemplate: `%{x|${bloc.survolDate}}<br>${valeur(bloc, "y")}<extra></extra>` }],
    // Survoler n'importe où au-dessus d'une date la montre; les jours à la française.
    layout: { hovermode: "x", xaxis: { type: "date", rangeslider: { visible: Boolean(bloc.curseur) },
      tickformatstops: [{ dtickrange: [null, "M1"], value: "%d %b" }],
      rangeselector: bloc.curseur ? { buttons: [
        { count: 1, step: "month", stepmode: "backward", label: "1 mois" },
        { count: 3, step: "month", stepmode: "backward", label: "3 mois" },
        { count: 1, step: "year", stepmode: "backward", label: "1 an" },
        { step: "all", label: "Tout" },
      ] } : undefined }, height: bloc.curseur ? 380 : 300 },
  }),
  // Parent puis enfants (région puis villes...). La taille d'un parent couvre ses enfants,
  // car un total de partenaires distincts peut être moindre que la somme de ses villes;
  // le texte et le survol montrent le nombre exact de l'API (customdata).
  hierarchie: (lignes, bloc) => {
    const noeuds = lignes.flatMap((ligne, i) => {
      const enfants = ligne[bloc.enfants].map((enfant, j) => ({ id: `${i}/${j}`, parent: `${i}`,
        libelle: enfant[bloc.etiquetteEnfant], nombre: enfant[bloc.valeurEnfant] }));
      const somme = enfants.reduce((total, enfant) => total + enfant.nombre, 0);
      const total = ligne[bloc.valeur];
      return [{ id: `${i}`, parent: "", libelle: ligne[bloc.etiquette], nombre: total,
        taille: Math.max(total, somme) }, ...enfants];
    });
    return {
      data: [{ type: bloc.forme, branchvalues: "total", ids: noeuds.map((n) => n.id),
        parents: noeuds.map((n) => n.parent), labels: noeuds.map((n) => n.libelle),
        values: noeuds.map((n) => n.taille ?? n.nombre), customdata: noeuds.map((n) => n.nombre),
        texttemplate: "%{label}<br>%{customdata:,}",
        hovertemplate: `%{label}<br>${valeur(bloc, "customdata")}<extra></extra>` }],
      layout: { height: 440, margin: { t: 10, b: 10, l: 10, r: 10 } },
    };
  },
  nombre: (lignes, bloc) => ({
    data: [{ type: "indicator", mode: "number", value: lire(bloc.valeur)(lignes[0]),
      number: { valueformat: format(bloc), suffix: ` ${bloc.unite}` } }],
    layout: { height: 160 },
  }),
};

const MISE_EN_PAGE = {
  height: 320,
  margin: { t: 30, r: 20, b: 50, l: 60 },
  font: { family: "system-ui, sans-serif", size: 12, color: "#1f2937" },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)",
  colorway: ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899",
    "#84cc16", "#64748b", "#f97316", "#14b8a6", "#a855f7"],
  hoverlabel: { bgcolor: "#ffffff", font: { color: "#111827" } },
};
const CONFIG = {
  responsive: true,
  displaylogo: false,
  locale: "fr",
  modeBarButtonsToRemove: ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d"],
};

// Un bloc sans ligne, ou dont toutes les valeurs sont nulles, dit « aucune donnée ».
function vide(lignes, bloc) {
  const champs = bloc.series ? bloc.series.map(([champ]) => champ) : [bloc.valeur];
  return lignes.every((ligne) => champs.every((champ) => !lire(champ)(ligne)));
}

function dessiner(bloc, reponse) {
  const lignes = bloc.lignes ? bloc.lignes(reponse) : reponse[bloc.cle];
  const sansDonnee = vide(lignes, bloc);
  bloc.article.classList.toggle("vide", sansDonnee);
  if (sansDonnee) {
    Plotly.purge(bloc.graphe);
    return Promise.resolve();
  }
  const { data, layout } = GENRES[bloc.genre](lignes, bloc);
  return Plotly.react(bloc.graphe, data, { ...MISE_EN_PAGE, ...layout }, CONFIG);
}

// ------------------------------------------------------------------ l'API

const CLE_JETON = "visites.jeton";
const TITRES_ERREUR = { 0: "Service injoignable", 400: "Filtre refusé", 401: "Jeton refusé",
  403: "Accès refusé", 413: "Requête trop grande", 503: "Service pas prêt" };

class ErreurApi extends Error {
  constructor(statut, message, champ) {
    super(message);
    this.statut = statut;
    this.champ = champ;
  }
}

// Comme tout client: POST d'un filtre JSON (GET sans corps), jeton en Authorization.
async function appeler(chemin, corps, signal) {
  const reponse = await fetch(chemin, {
    method: corps ? "POST" : "GET",
    headers: { Authorization: `Bearer ${sessionStorage.getItem(CLE_JETON)}`,
      ...(corps && { "Content-Type": "application/json" }) },
    body: corps && JSON.stringify(corps),
    signal,
  }).catch((erreur) => {
    throw erreur.name === "AbortError" ? erreur : new ErreurApi(0, erreur.message);
  });
  const json = await reponse.json().catch(() => null);
  if (!reponse.ok) {
    throw new ErreurApi(reponse.status, json?.detail ?? reponse.statusText, json?.field);
  }
  return json;
}

// ------------------------------------------------------------------ la page

const $ = (selecteur) => document.querySelector(selecteur);
const filtres = $("#filtres");
let actif = ONGLETS[0];

function montrerErreur(erreur) {
  const titre = TITRES_ERREUR[erreur.statut] ?? `Erreur ${erreur.statut ?? "de la page"}`;
  $("#erreur").textContent = `${titre} : ${erreur.message}`;
  $("#erreur").hidden = false;
  filtres.elements[erreur.champ]?.setAttribute("aria-invalid", "true");
  if (erreur.statut === 401) demanderJeton();
}

function effacerErreur() {
  $("#erreur").hidden = true;
  filtres.querySelectorAll("[aria-invalid]").forEach((champ) => champ.removeAttribute("aria-invalid"));
}

// Le filtre d'un onglet: les champs remplis que son endpoint accepte, en texte (l'API
// prend "2024" comme 2024).
function filtreDe(onglet) {
  return Object.fromEntries(onglet.filtres
    .map((nom) => [nom, filtres.elements[nom].value])
    .filter(([, valeur]) => valeur !== ""));
}

async function charger(onglet, debut = performance.now()) {
  onglet.requete?.abort(); // un filtre plus récent remplace la requête en cours
  const requete = (onglet.requete = new AbortController());
  const filtre = filtreDe(onglet);
  const section = onglet.section;
  section.dataset.etat = "chargement";
  effacerErreur();
  try {
    const reponse = await appeler(`/${onglet.id}`, filtre, requete.signal);
    const recu = performance.now();
    await Promise.all(onglet.blocs.map((bloc) => dessiner(bloc, reponse)));
    // Mesuré après la peinture: l'image suivante, puis la fin de sa tâche.
    await new Promise((fin) => requestAnimationFrame(() => setTimeout(fin)));
    if (requete.signal.aborted) return;
    onglet.dessine = JSON.stringify(filtre);
    const rendu = Math.round(performance.now() - debut);
    Object.assign(section.dataset, { etat: "pret", filtre: onglet.dessine, renduMs: rendu,
      apiMs: Math.round(recu - debut) });
    if (onglet !== actif) return; // fini en arrière-plan: rien à annoncer
    $("#etat").textContent = `${onglet.titre} : ${onglet.blocs.length} graphiques en ${rendu} ms `
      + `(dont ${section.dataset.apiMs} ms de réponse de l'API).`;
  } catch (erreur) {
    if (requete.signal.aborted) return;
    section.dataset.etat = "erreur";
    if (onglet === actif) montrerErreur(erreur); // sinon, l'onglet recharge à son retour
  }
}

function afficher(onglet, debut) {
  actif = onglet;
  effacerErreur();
  for (const autre of ONGLETS) {
    autre.section.hidden = autre !== onglet;
    autre.bouton.setAttribute("aria-selected", String(autre === onglet));
  }
  // Un filtre sans effet sur cet onglet est grisé, pas effacé: les autres s'en servent.
  for (const champ of filtres.elements) {
    if (!champ.name) continue;
    champ.disabled = !onglet.filtres.includes(champ.name);
    champ.parentElement.title = champ.disabled ? "Sans effet sur cet onglet" : "";
  }
  ecrireAdresse();
  if (onglet.dessine !== JSON.stringify(filtreDe(onglet))) {
    charger(onglet, debut);
  } else {
    // Dessiné caché ou avant un redimensionnement: Plotly remesure son cadre.
    onglet.section.querySelectorAll(".js-plotly-plot").forEach((g) => Plotly.Plots.resize(g));
  }
}

// L'adresse garde l'onglet et les filtres (#performance?annee=2024): un lien se partage.
function ecrireAdresse() {
  const champs = [...filtres.elements].filter((c) => c.name && c.value);
  const requete = new URLSearchParams(champs.map((c) => [c.name, c.value]));
  history.replaceState(null, "", `#${actif.id}${champs.length ? `?${requete}` : ""}`);
}

function lireAdresse() {
  const [id, requete] = location.hash.slice(1).split("?");
  for (const [nom, valeur] of new URLSearchParams(requete)) {
    const champ = filtres.elements[nom];
    if (!champ) continue;
    // Un id absent de la liste (un lien d'un autre périmètre) reste demandé: l'API juge.
    if (champ.tagName === "SELECT" && ![...champ.options].some((o) => o.value === valeur)) {
      champ.add(new Option(`n° ${valeur}`, valeur));
    }
    champ.value = valeur;
  }
  return ONGLETS.find((onglet) => onglet.id === id) ?? ONGLETS[0];
}

function remplir(select, options) {
  select.length = 1; // garde « Tous »
  for (const [valeur, texte] of options) select.add(new Option(texte, valeur));
}

function remplirFiltres(choix) {
  utilisateurs.clear();
  for (const u of choix.utilisateurs) utilisateurs.set(u.id_utilisateur, u.name ?? `n° ${u.id_utilisateur}`);
  const personne = (u) => [u.id_utilisateur, `${nomUtilisateur(u.id_utilisateur)} (${u.role ?? "?"})`];
  // Un délégué n'a personne sous lui: les responsables sont les autres rôles.
  remplir(filtres.elements.id_responsable,
    choix.utilisateurs.filter((u) => u.role !== "DEL").map(personne));
  remplir(filtres.elements.id_utilisateur, choix.utilisateurs.map(personne));
  remplir(filtres.elements.gamme, choix.gammes.map((g) => [g.code, g.label]));
  remplir(filtres.elements.region, choix.regions.map((r) => [r.code, r.label]));
  remplir(filtres.elements.mois, MOIS.map((nom, i) => [i + 1, nom]));
}

function demanderJeton() {
  sessionStorage.removeItem(CLE_JETON);
  $("#connexion").hidden = false;
  $("#tableau").hidden = true;
  $("#deconnexion").hidden = true;
  $("#jeton").focus();
}

async function ouvrir() {
  effacerErreur();
  try {
    const [choix, instantane] = await Promise.all([appeler("/dashboard/choices"),
      appeler("/snapshot")]);
    remplirFiltres(choix);
    const cree = new Date(instantane.created_at).toLocaleString("fr-FR");
    $("#instantane").textContent = `Données de l'instantané du ${cree}`;
  } catch (erreur) {
    montrerErreur(erreur);
    return;
  }
  $("#connexion").hidden = true;
  $("#tableau").hidden = false;
  $("#deconnexion").hidden = false;
  for (const onglet of ONGLETS) onglet.dessine = null;
  afficher(lireAdresse());
}

// Les onglets et leurs cartes, faits une fois depuis ONGLETS.
function construire() {
  for (const onglet of ONGLETS) {
    onglet.bouton = Object.assign(document.createElement("button"), { type: "button",
      textContent: onglet.titre });
    onglet.bouton.setAttribute("role", "tab");
    onglet.bouton.dataset.onglet = onglet.id;
    onglet.bouton.addEventListener("click", (e) => afficher(onglet, e.timeStamp));
    $("#onglets").append(onglet.bouton);
    onglet.section = Object.assign(document.createElement("section"), { hidden: true });
    onglet.section.dataset.onglet = onglet.id;
    for (const bloc of onglet.blocs) {
      bloc.article = document.createElement("article");
      bloc.article.className = bloc.large ? "bloc large" : "bloc";
      bloc.article.dataset.bloc = bloc.cle;
      bloc.graphe = Object.assign(document.createElement("div"), { className: "graphe" });
      bloc.article.append(Object.assign(document.createElement("h2"), { textContent: bloc.titre }),
        bloc.graphe,
        Object.assign(document.createElement("p"), { className: "sans-donnee",
          textContent: "Aucune donnée pour ces filtres." }));
      onglet.section.append(bloc.article);
    }
    $("#sections").append(onglet.section);
  }
}

Plotly.register(FRANCAIS);
construire();
filtres.addEventListener("change", (e) => {
  for (const onglet of ONGLETS) onglet.dessine = null;
  ecrireAdresse();
  charger(actif, e.timeStamp);
});
// « reset » précède la remise à zéro des champs: on recharge juste après.
filtres.addEventListener("reset", () => setTimeout(() => filtres.dispatchEvent(new Event("change"))));
$("#connexion").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(CLE_JETON, $("#jeton").value.trim());
  $("#jeton").value = "";
  ouvrir();
});
$("#deconnexion").addEventListener("click", demanderJeton);
if (sessionStorage.getItem(CLE_JETON)) ouvrir();
else demanderJeton();
