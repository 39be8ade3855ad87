"use strict";
/* Les graphiques: d'un bloc (blocs.js) et d'une réponse, un graphique Plotly en français,
aux couleurs du thème du système (clair ou sombre). Un seul chemin: dessiner(). */

// Plotly en français: mois des axes de dates, séparateurs « 1 234,5 », barre d'outils.
const FRANCAIS = {
  moduleType: "locale",
  name: "fr",
  dictionary: {
    "Download plot as a PNG": "Télécharger l'image (PNG)",
    "Download plot": "Télécharger l'image",
    "Zoom": "Zoomer", "Zoom in": "Agrandir", "Zoom out": "Réduire", "Pan": "Déplacer",
    "Box Select": "Sélection rectangulaire", "Lasso Select": "Sélection au lasso",
    "Reset axes": "Rétablir les axes", "Reset": "Rétablir", "Reset view": "Rétablir la vue",
    "Reset views": "Rétablir les vues", "Autoscale": "Ajuster",
    "Toggle Spike Lines": "Lignes de repère",
    "Show closest data on hover": "Survol : la donnée la plus proche",
    "Compare data on hover": "Survol : comparer les données",
    "Toggle show closest data on hover": "Survol : la donnée la plus proche",
    "Double-click to zoom back out": "Double-cliquer pour revenir",
    "Double-click on legend to isolate one trace": "Double-cliquer sur la légende pour isoler une série",
    "Preparing image - this may take a few seconds": "Préparation de l'image…",
    "Image download succeeded": "Image téléchargée",
    "Sorry, there was a problem downloading your image!": "Le téléchargement de l'image a échoué.",
  },
  format: {
    days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    months: MOIS,
    shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
      "sept.", "oct.", "nov.", "déc."],
    date: "%d/%m/%Y",
    decimal: ",",
    thousands: "\u202f", // l’espace fine insécable, comme Intl en fr-FR
  },
};

const CONFIG = {
  responsive: true,
  displaylogo: false,
  showSendToCloud: false, // « Share chart » enverrait les données chez Plotly
  locale: "fr",
  modeBarButtonsToRemove: ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d"],
};

// Au-delà de LIMITE catégories, un graphique montre les plus grandes; le tableau du bloc,
// à côté, les donne toutes.
const LIMITE = 15;
const CATEGORIES = new Set(["barres_h", "donut"]);
const etroit = window.matchMedia("(max-width: 599px)");

const lire = (champ) => (typeof champ === "function" ? champ : (ligne) => ligne[champ]);
const format = (bloc) => (bloc.decimales ? `,.${bloc.decimales}f` : ",");
// Le survol montre le nombre exact, avec son unité; <extra></extra> ôte le nom de trace.
const valeur = (bloc, variable) => `%{${variable}:${format(bloc)}} ${bloc.unite}`;
const court = (texte) => {
  const limite = etroit.matches ? 18 : 34;
  return texte.length > limite ? `${texte.slice(0, limite - 1)}…` : texte;
};

// Un élément HTML, ses propriétés et ses enfants (des éléments ou du texte).
function element(nom, proprietes = {}, ...enfants) {
  const noeud = Object.assign(document.createElement(nom), proprietes);
  noeud.append(...enfants);
  return noeud;
}

// Un nombre en français (1 234,5), pour les tableaux et les pastilles.
function nombre(n, decimales = 0) {
  if (n === null || n === undefined) return "—";
  return n.toLocaleString("fr-FR", { minimumFractionDigits: decimales,
    maximumFractionDigits: decimales });
}

// Plotly fond deux barres (ou parts) de même libellé en une: deux homonymes restent deux.
function uniques(libelles) {
  const vus = new Map();
  return libelles.map((l) => {
    const n = (vus.get(l) ?? 0) + 1;
    vus.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

// ------------------------------------------------------------------ catégories

// Les lignes d'un bloc de catégories en points: libellé, valeur, part, groupe, et le code
// que pose un clic.
function points(lignes, bloc) {
  return lignes.map((ligne) => ({
    libelle: String(lire(bloc.etiquette)(ligne)),
    valeur: lire(bloc.valeur)(ligne),
    part: bloc.part && ligne[bloc.part],
    groupe: bloc.groupe && ligne[bloc.groupe],
    code: bloc.clic ? lire(bloc.clic.code)(ligne) : null,
  }));
}

const decroissant = (a, b) => (b.valeur ?? -Infinity) - (a.valeur ?? -Infinity);

// Les LIMITE - 1 plus grandes et « Autres », la somme du reste; une moyenne ne
// s'additionne pas: les LIMITE plus grandes seulement.
function resumer(tous, bloc) {
  const tries = [...tous].sort(decroissant);
  if (bloc.moyenne) return tries.slice(0, LIMITE);
  const reste = tries.slice(LIMITE - 1);
  const somme = (champ) => reste.reduce((total, point) => total + (point[champ] ?? 0), 0);
  const autres = { libelle: `Autres (${reste.length})`, valeur: somme("valeur"),
    part: bloc.part && somme("part"), code: null };
  return [...tries.slice(0, LIMITE - 1), autres];
}

// Une valeur lisible au bout de sa barre: un 0 se voit. Un budget sans ses centimes.
const texteBarre = (bloc) => `%{x:${bloc.unite === "MAD" ? ",.0f" : format(bloc)}}`;

// Un axe de valeurs sans « k » ni « M » (1 000 000, pas 1M), qui part de 0 (tout à 0,
// il va de 0 à 1), titré de sa monnaie s'il en a une.
function axeValeurs(valeurs, bloc) {
  const plein = valeurs.some((v) => v);
  return { rangemode: "tozero", exponentformat: "none", separatethousands: true,
    title: { text: bloc.unite === "MAD" ? "MAD" : "" },
    ...(!plein && { range: [0, 1], dtick: 1 }) };
}

// ------------------------------------------------------------------ les genres

// Chaque genre fait, des lignes (ou points) d'un bloc, les traces et la mise en page.
const GENRES = {
  barres: (lignes, bloc) => {
    const x = bloc.survolDate ? `%{x|${bloc.survolDate}}` : `${bloc.axe} : %{x}`;
    const y = lignes.map(lire(bloc.valeur));
    return {
      data: [{ type: "bar", x: lignes.map(lire(bloc.etiquette)), y,
        hovertemplate: `${x}<br>${valeur(bloc, "y")}<extra></extra>` }],
      layout: { xaxis: { title: { text: bloc.axe } },
        yaxis: axeValeurs(y, bloc) },
    };
  },
  barres_h: (liste, bloc) => {
    // Avec `groupe` (la catégorie d'une sous-catégorie), un axe à deux niveaux, s'il y a
    // la place.
    const groupes = !etroit.matches && bloc.groupe && liste.every((p) => p.groupe)
      && liste.map((p) => p.groupe);
    const libelles = liste.map((p) => p.libelle);
    const x = liste.map((p) => p.valeur);
    const part = bloc.part ? "<br>%{customdata[1]:.2f} %" : "";
    return {
      data: [{ type: "bar", orientation: "h", x,
        y: groupes ? [groupes.map(court), libelles.map(court)] : uniques(libelles.map(court)),
        customdata: liste.map((p) => [p.groupe ? `${p.libelle} (${p.groupe})` : p.libelle,
          p.part]),
        texttemplate: texteBarre(bloc), textposition: "outside", cliponaxis: false,
        hovertemplate: `%{customdata[0]}<br>${valeur(bloc, "x")}${part}<extra></extra>` }],
      // De haut en bas dans l'ordre donné; la hauteur suit le nombre de barres.
      layout: { height: 70 + 26 * liste.length, margin: { r: 70 },
        xaxis: axeValeurs(x, bloc),
        yaxis: { type: groupes ? "multicategory" : "category", autorange: "reversed",
          automargin: true } },
    };
  },
  groupees: (lignes, bloc) => ({
    data: bloc.series.map(([champ, nom]) => ({ type: "bar", name: nom,
      x: lignes.map(lire(bloc.etiquette)), y: lignes.map(lire(champ)),
      hovertemplate: `%{x} · ${nom}<br>${valeur(bloc, "y")}<extra></extra>` })),
    layout: { barmode: "group", legend: { orientation: "h", y: 1.12 },
      yaxis: axeValeurs(bloc.series.flatMap(([champ]) => lignes.map(lire(champ))), bloc) },
  }),
  donut: (liste, bloc) => ({
    data: [{ type: "pie", hole: 0.5, sort: false, direction: "clockwise",
      labels: uniques(liste.map((p) => p.libelle)), values: liste.map((p) => p.valeur),
      textposition: "inside",
      // La part de l'API (sur toutes les visites filtrées) plutôt que celle que Plotly calcule.
      ...(bloc.part && { customdata: liste.map((p) => p.part),
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
    layout: { hovermode: "x", height: bloc.curseur ? 380 : 300,
      yaxis: { exponentformat: "none", separatethousands: true },
      xaxis: { type: "date", rangeslider: { visible: Boolean(bloc.curseur) },
        tickformatstops: [{ dtickrange: [null, "M1"], value: "%d %b" }],
        rangeselector: bloc.curseur ? { buttons: [
          { count: 1, step: "month", stepmode: "backward", label: "1 mois" },
          { count: 3, step: "month", stepmode: "backward", label: "3 mois" },
          { count: 1, step: "year", stepmode: "backward", label: "1 an" },
          { step: "all", label: "Tout" },
        ] } : undefined } },
  }),
  // Parent puis enfants (région puis villes...). La taille d'un parent couvre ses enfants,
  // car un total de partenaires distincts peut être moindre que la somme de ses villes;
  // le texte et le survol montrent le nombre exact de l'API (customdata).
  hierarchie: (lignes, bloc) => {
    const code = bloc.clic ? lire(bloc.clic.code) : () => null;
    const noeuds = lignes.flatMap((ligne, i) => {
      const enfants = ligne[bloc.enfants].map((enfant, j) => ({ id: `${i}/${j}`, parent: `${i}`,
        libelle: enfant[bloc.etiquetteEnfant], nombre: enfant[bloc.valeurEnfant],
        code: code(enfant) }));
      const somme = enfants.reduce((total, enfant) => total + enfant.nombre, 0);
      const total = ligne[bloc.valeur];
      return [{ id: `${i}`, parent: "", libelle: ligne[bloc.etiquette], nombre: total,
        taille: Math.max(total, somme), code: code(ligne) }, ...enfants];
    });
    return {
      data: [{ type: bloc.forme, branchvalues: "total", ids: noeuds.map((n) => n.id),
        parents: noeuds.map((n) => n.parent), labels: noeuds.map((n) => n.libelle),
        values: noeuds.map((n) => n.taille ?? n.nombre), customdata: noeuds.map((n) => n.nombre),
        texttemplate: "%{label}<br>%{customdata:,}",
        hovertemplate: `%{label}<br>${valeur(bloc, "customdata")}<extra></extra>` }],
      layout: { height: 440, margin: { t: 10, b: 10, l: 10, r: 10 } },
      codes: noeuds.map((n) => n.code),
    };
  },
  nombre: (lignes, bloc) => ({
    data: [{ type: "indicator", mode: "number", value: lire(bloc.valeur)(lignes[0]),
      number: { valueformat: format(bloc), suffix: ` ${bloc.unite}` } }],
    layout: { height: 160 },
  }),
};

// ------------------------------------------------------------------ le thème

// Les couleurs de la page (dashboard.css, claires ou sombres selon le système).
function theme() {
  const style = getComputedStyle(document.documentElement);
  const couleur = (nom) => style.getPropertyValue(nom).trim();
  return { texte: couleur("--texte"), discret: couleur("--discret"),
    grille: couleur("--grille"), carte: couleur("--carte"), accent: couleur("--accent") };
}

function miseEnPage(couleurs, propre) {
  const axe = { gridcolor: couleurs.grille, linecolor: couleurs.grille,
    zerolinecolor: couleurs.grille };
  return {
    height: 320,
    ...propre,
    margin: { t: 30, r: 20, b: 50, l: 60, ...propre.margin },
    font: { family: "system-ui, sans-serif", size: 12, color: couleurs.texte },
    separators: ",\u202f",
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    colorway: ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899",
      "#84cc16", "#64748b", "#f97316", "#14b8a6", "#a855f7"],
    hoverlabel: { bgcolor: couleurs.carte, bordercolor: couleurs.grille,
      font: { color: couleurs.texte } },
    modebar: { bgcolor: "rgba(0,0,0,0)", color: couleurs.discret, activecolor: couleurs.accent },
    xaxis: { ...axe, ...propre.xaxis,
      ...(propre.xaxis?.rangeselector && { rangeselector: { ...propre.xaxis.rangeselector,
        bgcolor: couleurs.grille, activecolor: couleurs.accent,
        font: { color: couleurs.texte } } }) },
    yaxis: { ...axe, ...propre.yaxis },
  };
}

// ------------------------------------------------------------------ un bloc

// Les lignes d'un bloc dans la réponse.
const lignesDe = (bloc, reponse) => (bloc.lignes ? bloc.lignes(reponse) : reponse[bloc.cle]);

// Le tableau complet d'un bloc long, trié comme son graphique; vide sinon.
function remplirTableau(bloc, tous) {
  if (!tous.length) {
    bloc.tableau.replaceChildren();
    return;
  }
  const unite = bloc.unite === "MAD" ? "Budget (MAD)" : bloc.unite[0].toUpperCase() + bloc.unite.slice(1);
  const colonnes = ["", unite,
    ...(bloc.part ? ["Part"] : [])];
  const nom = (point) => (bloc.cliquable && point.code !== null
    ? element("button", { type: "button", className: "lien", textContent: point.libelle,
      onclick: () => bloc.poser(point.code) })
    : point.libelle);
  const ligne = (point) => element("tr", {}, element("th", { scope: "row" }, nom(point)),
    element("td", { textContent: nombre(point.valeur, bloc.decimales) }),
    ...(bloc.part ? [element("td", { textContent: `${nombre(point.part, 2)} %` })] : []));
  bloc.tableau.replaceChildren(
    element("caption", { textContent: `Toutes les lignes (${tous.length})` }),
    element("thead", {}, element("tr", {},
      ...colonnes.map((texte) => element("th", { scope: "col", textContent: texte })))),
    element("tbody", {}, ...tous.map(ligne)));
}

// Un clic sur une barre, une part, une tuile pose son filtre. Treemap et sunburst ont leur
// propre événement; y répondre false leur ôte leur zoom (la réponse filtrée le remplace).
function ecouter(bloc, codes) {
  const evenement = bloc.genre === "hierarchie" ? `plotly_${bloc.forme}click` : "plotly_click";
  bloc.graphe.removeAllListeners(evenement);
  bloc.graphe.on(evenement, ({ points: [point] }) => {
    const code = codes[point.pointNumber];
    if (code !== null && code !== undefined) bloc.poser(code);
    return false;
  });
}

// Un bloc sans ligne dit « aucune donnée »; des lignes à 0 sont des données et se dessinent.
async function dessiner(bloc, reponse) {
  const lignes = lignesDe(bloc, reponse);
  const categories = CATEGORIES.has(bloc.genre);
  const long = categories && lignes.length > LIMITE;
  bloc.article.classList.toggle("vide", lignes.length === 0);
  bloc.article.classList.toggle("long", long);
  const tous = categories ? points(lignes, bloc) : lignes;
  remplirTableau(bloc, long ? [...tous].sort(decroissant) : []);
  if (lignes.length === 0) {
    Plotly.purge(bloc.graphe);
    return;
  }
  const montres = long ? resumer(tous, bloc) : tous;
  const genre = long ? "barres_h" : bloc.genre;
  const { data, layout, codes } = GENRES[genre](montres, bloc);
  await Plotly.react(bloc.graphe, data, miseEnPage(theme(), layout), CONFIG);
  if (bloc.cliquable) ecouter(bloc, codes ?? montres.map((point) => point.code));
}
