"use strict";
/* Le tableau de bord de visites (SPEC §11-§12): un client des six endpoints comme un autre.

blocs.js décrit ce que montre chaque onglet, graphiques.js le dessine; ici, la page:
le jeton, les filtres et leurs pastilles, les onglets, l'adresse, les exports.
Le jeton reste dans sessionStorage: il disparaît avec l'onglet du navigateur. */

// ------------------------------------------------------------------ l'API

const CLE_JETON = "visites.jeton";
const EXPORTS = {
  csv: "text/csv",
  excel: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

class ErreurApi extends Error {
  constructor(statut, message, champ) {
    super(message);
    this.statut = statut;
    this.champ = champ;
  }
}

// Comme tout client: POST d'un filtre JSON (GET sans corps), jeton en Authorization.
async function requete(chemin, corps, { signal, accept = "application/json" } = {}) {
  const reponse = await fetch(chemin, {
    method: corps ? "POST" : "GET",
    headers: { Authorization: `Bearer ${sessionStorage.getItem(CLE_JETON)}`, Accept: accept,
      ...(corps && { "Content-Type": "application/json" }) },
    body: corps && JSON.stringify(corps),
    signal,
  }).catch((erreur) => {
    throw erreur.name === "AbortError" ? erreur : new ErreurApi(0, erreur.message);
  });
  if (!reponse.ok) {
    const json = await reponse.json().catch(() => null);
    throw new ErreurApi(reponse.status, json?.detail ?? reponse.statusText, json?.field);
  }
  return reponse;
}

const appeler = async (chemin, corps, signal) => (await requete(chemin, corps, { signal })).json();

// ------------------------------------------------------------------ les messages

const $ = (selecteur) => document.querySelector(selecteur);
const filtres = $("#filtres");

// Le libellé d'un champ du filtre, tel que la page l'affiche (« Date de début »).
function libelleDe(nom) {
  const champ = filtres.elements[nom];
  return champ ? champ.closest("label").firstChild.textContent.trim() : nom;
}

const jour = (iso) => iso.split("-").reverse().join("/"); // 2025-06-01 → 01/06/2025

const TITRES_ERREUR = { 0: "Service injoignable", 400: "Filtre refusé", 401: "Jeton refusé",
  403: "Accès refusé", 413: "Requête trop grande", 503: "Service pas prêt" };
// Ce que l'API dit d'un statut, quel qu'en soit le détail.
const STATUTS = {
  0: "le service ne répond pas, vérifiez la connexion",
  401: "ce jeton n'est pas (ou plus) valide",
  413: "le filtre est trop grand",
  503: "le service prépare ses données, réessayez dans un instant",
};
// Les problèmes qu'un champ peut avoir (messages de l'API, en anglais pour les
// développeurs), en français.
const PROBLEMES = [
  [/^Expected `int` <= (\d+)$/, (champ, n) => `${champ} doit valoir au plus ${n}`],
  [/^Expected `int` >= (\d+)$/, (champ, n) => `${champ} doit valoir au moins ${n}`],
  [/^Expected `str` of length <= (\d+)$/, (champ, n) => `${champ} a plus de ${n} caractères`],
  [/^must be a calendar date/, (champ) => `${champ} doit être une date du calendrier`],
  [/^must be an integer/, (champ) => `${champ} doit être un nombre entier`],
  [/^is out of range$/, (champ) => `${champ} est hors des limites`],
  [/^(\d+) is outside this token's team$/,
    (champ, id) => `${champ} n° ${id} n'est pas dans l'équipe de ce jeton`],
  [/^(\w+) \((\S+)\) is after (\w+) \((\S+)\)$/, (champ, a, debut, b, fin) =>
    `« ${libelleDe(a)} » (${jour(debut)}) est après « ${libelleDe(b)} » (${jour(fin)})`],
];

// Le message d'une erreur de l'API, en français, chaque champ nommé par son libellé.
function enFrancais(erreur) {
  if (STATUTS[erreur.statut]) return STATUTS[erreur.statut];
  const champ = erreur.champ && `« ${libelleDe(erreur.champ)} »`;
  const detail = erreur.champ ? erreur.message.replace(`${erreur.champ}: `, "") : erreur.message;
  for (const [motif, dire] of PROBLEMES) {
    const trouve = motif.exec(detail);
    if (trouve) return dire(champ, ...trouve.slice(1));
  }
  // Un message que la page ne connaît pas: tel quel, mais ses champs par leur libellé.
  return [...filtres.elements].reduce((texte, c) => (c.name
    ? texte.replaceAll(c.name, `« ${libelleDe(c.name)} »`) : texte), erreur.message);
}

function montrerErreur(erreur) {
  const titre = TITRES_ERREUR[erreur.statut] ?? `Erreur ${erreur.statut ?? "de la page"}`;
  $("#erreur").textContent = `${titre} : ${enFrancais(erreur)}.`;
  $("#erreur").hidden = false;
  filtres.elements[erreur.champ]?.setAttribute("aria-invalid", "true");
  if (erreur.statut === 401) demanderJeton();
}

function effacerErreur() {
  $("#erreur").hidden = true;
  filtres.querySelectorAll("[aria-invalid]").forEach((champ) => champ.removeAttribute("aria-invalid"));
}

// ------------------------------------------------------------------ les onglets

let actif = ONGLETS[0];

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
    onglet.reponse = reponse;
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
  onglet.bouton.scrollIntoView({ block: "nearest", inline: "nearest" });
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

// Un filtre a changé: chaque onglet est à redessiner, l'onglet ouvert tout de suite.
function filtresChanges(debut) {
  for (const onglet of ONGLETS) onglet.dessine = null;
  ecrireAdresse();
  charger(actif, debut);
}

// Le thème du système a changé: les graphiques dessinés prennent ses couleurs.
function redessiner() {
  for (const onglet of ONGLETS) {
    if (onglet.reponse) onglet.blocs.forEach((bloc) => dessiner(bloc, onglet.reponse));
  }
}

// ------------------------------------------------------------------ les filtres

// Choisir une valeur d'un champ, même absente de sa liste (un lien d'un autre périmètre,
// une ville d'un graphique): l'API juge.
function choisir(champ, valeur) {
  if (champ.tagName === "SELECT" && ![...champ.options].some((o) => o.value === valeur)) {
    champ.add(new Option(`n° ${valeur}`, valeur));
  }
  champ.value = valeur;
}

// Le clic sur un graphique: son filtre, comme si on l'avait choisi dans la barre.
function poser(nom, code) {
  const champ = filtres.elements[nom];
  if (champ.value === String(code)) return;
  choisir(champ, String(code));
  filtresChanges(performance.now());
}

// Une pastille par filtre posé, chacune avec sa croix; grisée si l'onglet l'ignore.
function afficherPuces() {
  const poses = [...filtres.elements].filter((c) => c.name && c.value);
  const texte = (c) => (c.tagName === "SELECT" ? c.selectedOptions[0].textContent
    : c.type === "date" ? jour(c.value) : c.value);
  $("#puces").replaceChildren(...poses.map((champ) => {
    const nom = libelleDe(champ.name);
    const puce = element("span", { className: "puce" }, `${nom} : ${texte(champ)}`,
      element("button", { type: "button", textContent: "×", title: `Retirer le filtre ${nom}`,
        ariaLabel: `Retirer le filtre ${nom}`, onclick: () => retirer(champ) }));
    puce.dataset.champ = champ.name;
    puce.classList.toggle("sans-effet", champ.disabled);
    return puce;
  }));
  $("#plier").textContent = poses.length ? `Filtres (${poses.length})` : "Filtres";
}

function retirer(champ) {
  champ.value = "";
  filtresChanges(performance.now());
}

// L'adresse garde l'onglet et les filtres (#performance?annee=2024): un lien se partage.
function ecrireAdresse() {
  const champs = [...filtres.elements].filter((c) => c.name && c.value);
  const requete = new URLSearchParams(champs.map((c) => [c.name, c.value]));
  history.replaceState(null, "", `#${actif.id}${champs.length ? `?${requete}` : ""}`);
  afficherPuces();
}

function lireAdresse() {
  const [id, requete] = location.hash.slice(1).split("?");
  for (const [nom, valeur] of new URLSearchParams(requete)) {
    const champ = filtres.elements[nom];
    if (champ) choisir(champ, valeur);
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

// ------------------------------------------------------------------ les exports

// Un bloc en CSV ou l'onglet en classeur Excel (SPEC §12): la même requête que ses
// graphiques, un autre Accept; le nom du fichier est celui que l'API donne.
async function telecharger(onglet, format, bloc) {
  effacerErreur();
  const chemin = `/${onglet.id}${bloc ? `?block=${encodeURIComponent(bloc.chemin ?? bloc.cle)}` : ""}`;
  try {
    const reponse = await requete(chemin, filtreDe(onglet), { accept: EXPORTS[format] });
    const disposition = reponse.headers.get("Content-Disposition") ?? "";
    const nom = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `visites-${onglet.id}`;
    const lien = element("a", { href: URL.createObjectURL(await reponse.blob()), download: nom });
    lien.click();
    setTimeout(() => URL.revokeObjectURL(lien.href), 60_000);
  } catch (erreur) {
    montrerErreur(erreur);
  }
}

// ------------------------------------------------------------------ la page

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

// Une carte par bloc: son titre, son bouton CSV, son graphique, son tableau s'il est long.
function carte(onglet, bloc) {
  bloc.cliquable = Boolean(bloc.clic) && onglet.filtres.includes(bloc.clic.champ);
  bloc.poser = (code) => poser(bloc.clic.champ, code);
  bloc.graphe = element("div", { className: "graphe" });
  bloc.tableau = element("table", { className: "detail" });
  bloc.article = element("article", { className: ["bloc", bloc.large && "large",
    bloc.cliquable && "cliquable"].filter(Boolean).join(" ") },
  element("div", { className: "entete" }, element("h2", { textContent: bloc.titre }),
    element("button", { type: "button", className: "csv", textContent: "CSV",
      title: "Télécharger ce bloc (CSV pour Excel)",
      onclick: () => telecharger(onglet, "csv", bloc) })),
  element("div", { className: "contenu" }, bloc.graphe,
    element("div", { className: "defile" }, bloc.tableau)),
  element("p", { className: "sans-donnee", textContent: "Aucune donnée pour ces filtres." }));
  bloc.article.dataset.bloc = bloc.cle;
  if (bloc.cliquable) {
    bloc.article.title = `Cliquer pour filtrer par ${libelleDe(bloc.clic.champ).toLowerCase()}`;
  }
  return bloc.article;
}

// Les onglets et leurs cartes, faits une fois depuis ONGLETS.
function construire() {
  for (const onglet of ONGLETS) {
    onglet.bouton = element("button", { type: "button", textContent: onglet.titre,
      onclick: (e) => afficher(onglet, e.timeStamp) });
    onglet.bouton.setAttribute("role", "tab");
    onglet.bouton.dataset.onglet = onglet.id;
    $("#onglets").append(onglet.bouton);
    onglet.section = element("section", { hidden: true },
      ...onglet.blocs.map((bloc) => carte(onglet, bloc)));
    onglet.section.dataset.onglet = onglet.id;
    $("#sections").append(onglet.section);
  }
}

Plotly.register(FRANCAIS);
construire();
filtres.addEventListener("change", (e) => filtresChanges(e.timeStamp));
// « reset » précède la remise à zéro des champs: on recharge juste après.
filtres.addEventListener("reset", () => setTimeout(() => filtres.dispatchEvent(new Event("change"))));
$("#plier").addEventListener("click", () => {
  const ouvert = $("#plier").getAttribute("aria-expanded") === "true";
  $("#plier").setAttribute("aria-expanded", String(!ouvert));
});
$("#excel").addEventListener("click", () => telecharger(actif, "excel"));
$("#connexion").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(CLE_JETON, $("#jeton").value.trim());
  $("#jeton").value = "";
  ouvrir();
});
$("#deconnexion").addEventListener("click", demanderJeton);
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redessiner);
if (sessionStorage.getItem(CLE_JETON)) ouvrir();
else demanderJeton();
