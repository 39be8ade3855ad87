"use strict";
/* The visites dashboard (SPEC §11-§12): a client of the six endpoints like any other.

blocks.js describes what each tab shows, charts.js draws it; here, the page:
the token, the filters and their chips, the tabs, the address, the exports.
The token stays in sessionStorage: it goes away with the browser tab. */

// ------------------------------------------------------------------ API

const TOKEN_KEY = "visites.token";
const EXPORTS = {
  csv: "text/csv",
  excel: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

// Like any client: POST of a JSON filter (GET without a body), token in Authorization.
async function request(path, body, { signal, accept = "application/json" } = {}) {
  const response = await fetch(path, {
    method: body ? "POST" : "GET",
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, Accept: accept,
      ...(body && { "Content-Type": "application/json" }) },
    body: body && JSON.stringify(body),
    signal,
  }).catch((error) => {
    throw error.name === "AbortError" ? error : new ApiError(0, error.message);
  });
  if (!response.ok) {
    const json = await response.json().catch(() => null);
    throw new ApiError(response.status, json?.detail ?? response.statusText, json?.field);
  }
  return response;
}

const fetchJson = async (path, body, signal) => (await request(path, body, { signal })).json();

// ------------------------------------------------------------------ messages

const $ = (selector) => document.querySelector(selector);
const filters = $("#filters");

// A filter field's label, as the page shows it (« Date de début »).
function labelOf(name) {
  const field = filters.elements[name];
  return field ? field.closest("label").firstChild.textContent.trim() : name;
}

const frenchDate = (iso) => iso.split("-").reverse().join("/"); // 2025-06-01 → 01/06/2025

const ERROR_TITLES = { 0: "Service injoignable", 400: "Filtre refusé", 401: "Jeton refusé",
  403: "Accès refusé", 413: "Requête trop grande", 503: "Service pas prêt" };
// What the API says of a status, whatever the detail.
const STATUS_MESSAGES = {
  0: "le service ne répond pas, vérifiez la connexion",
  401: "ce jeton n'est pas (ou plus) valide",
  413: "le filtre est trop grand",
  503: "le service prépare ses données, réessayez dans un instant",
};
// The problems a field can have (the API's messages, in English for developers), in
// French.
const PROBLEMS = [
  [/^Expected `int` <= (\d+)$/, (field, n) => `${field} doit valoir au plus ${n}`],
  [/^Expected `int` >= (\d+)$/, (field, n) => `${field} doit valoir au moins ${n}`],
  [/^Expected `str` of length <= (\d+)$/, (field, n) => `${field} a plus de ${n} caractères`],
  [/^must be a calendar date/, (field) => `${field} doit être une date du calendrier`],
  [/^must be an integer/, (field) => `${field} doit être un nombre entier`],
  [/^is out of range$/, (field) => `${field} est hors des limites`],
  [/^(\d+) is outside this token's team$/,
    (field, id) => `${field} n° ${id} n'est pas dans l'équipe de ce jeton`],
  [/^(\w+) \((\S+)\) is after (\w+) \((\S+)\)$/, (field, a, start, b, end) =>
    `« ${labelOf(a)} » (${frenchDate(start)}) est après « ${labelOf(b)} » (${frenchDate(end)})`],
];

// An API error's message, in French, each field named by its label.
function inFrench(error) {
  if (STATUS_MESSAGES[error.status]) return STATUS_MESSAGES[error.status];
  const field = error.field && `« ${labelOf(error.field)} »`;
  const detail = error.field ? error.message.replace(`${error.field}: `, "") : error.message;
  for (const [pattern, say] of PROBLEMS) {
    const found = pattern.exec(detail);
    if (found) return say(field, ...found.slice(1));
  }
  // A message the page does not know: as is, but its fields by their label.
  return [...filters.elements].reduce((text, c) => (c.name
    ? text.replaceAll(c.name, `« ${labelOf(c.name)} »`) : text), error.message);
}

function showError(error) {
  const title = ERROR_TITLES[error.status] ?? `Erreur ${error.status ?? "de la page"}`;
  $("#error").textContent = `${title} : ${inFrench(error)}.`;
  $("#error").hidden = false;
  filters.elements[error.field]?.setAttribute("aria-invalid", "true");
  if (error.status === 401) askToken();
}

function clearError() {
  $("#error").hidden = true;
  filters.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
}

// ------------------------------------------------------------------ tabs

let active = TABS[0];

// A tab's filter: the filled fields its endpoint accepts, as text (the API takes
// "2024" as 2024).
function filterOf(tab) {
  return Object.fromEntries(tab.filters
    .map((name) => [name, filters.elements[name].value])
    .filter(([, value]) => value !== ""));
}

async function load(tab, start = performance.now()) {
  tab.request?.abort(); // a newer filter replaces the request in flight
  const request = (tab.request = new AbortController());
  const filter = filterOf(tab);
  const section = tab.section;
  section.dataset.state = "loading";
  clearError();
  try {
    const response = await fetchJson(`/${tab.id}`, filter, request.signal);
    const received = performance.now();
    tab.response = response;
    await Promise.all(tab.blocks.map((block) => draw(block, response)));
    // Measured after painting: the next frame, then the end of its task.
    await new Promise((end) => requestAnimationFrame(() => setTimeout(end)));
    if (request.signal.aborted) return;
    tab.drawn = JSON.stringify(filter);
    const rendered = Math.round(performance.now() - start);
    Object.assign(section.dataset, { state: "ready", filter: tab.drawn, renderMs: rendered,
      apiMs: Math.round(received - start) });
    if (tab !== active) return; // done in the background: nothing to announce
    $("#status").textContent = `${tab.title} : ${tab.blocks.length} graphiques en ${rendered} ms `
      + `(dont ${section.dataset.apiMs} ms de réponse de l'API).`;
  } catch (error) {
    if (request.signal.aborted) return;
    section.dataset.state = "error";
    if (tab === active) showError(error); // otherwise the tab reloads when it comes back
  }
}

function show(tab, start) {
  active = tab;
  clearError();
  for (const other of TABS) {
    other.section.hidden = other !== tab;
    other.button.setAttribute("aria-selected", String(other === tab));
  }
  tab.button.scrollIntoView({ block: "nearest", inline: "nearest" });
  // A filter with no effect on this tab is greyed, not cleared: the others use it.
  for (const field of filters.elements) {
    if (!field.name) continue;
    field.disabled = !tab.filters.includes(field.name);
    field.parentElement.title = field.disabled ? "Sans effet sur cet onglet" : "";
  }
  writeAddress();
  if (tab.drawn !== JSON.stringify(filterOf(tab))) {
    load(tab, start);
  } else {
    // Drawn hidden or before a resize: Plotly measures its frame again.
    tab.section.querySelectorAll(".js-plotly-plot").forEach((g) => Plotly.Plots.resize(g));
  }
}

// A filter changed: every tab is to redraw, the open tab right away.
function filtersChanged(start) {
  for (const tab of TABS) tab.drawn = null;
  writeAddress();
  load(active, start);
}

// The system theme changed: the drawn charts take its colours.
function redraw() {
  for (const tab of TABS) {
    if (tab.response) tab.blocks.forEach((block) => draw(block, tab.response));
  }
}

// ------------------------------------------------------------------ filters

// Choose a field's value, even one missing from its list (a link from another scope,
// a ville from a chart): the API judges.
function choose(field, value) {
  if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === value)) {
    field.add(new Option(`n° ${value}`, value));
  }
  field.value = value;
}

// A click on a chart: its filter, as if chosen in the bar.
function setFilter(name, code) {
  const field = filters.elements[name];
  if (field.value === String(code)) return;
  choose(field, String(code));
  filtersChanged(performance.now());
}

// One chip per set filter, each with its cross; greyed if the tab ignores it.
function showChips() {
  const applied = [...filters.elements].filter((c) => c.name && c.value);
  const text = (c) => (c.tagName === "SELECT" ? c.selectedOptions[0].textContent
    : c.type === "date" ? frenchDate(c.value) : c.value);
  $("#chips").replaceChildren(...applied.map((field) => {
    const name = labelOf(field.name);
    const chip = element("span", { className: "chip" }, `${name} : ${text(field)}`,
      element("button", { type: "button", textContent: "×", title: `Retirer le filtre ${name}`,
        ariaLabel: `Retirer le filtre ${name}`, onclick: () => removeFilter(field) }));
    chip.dataset.field = field.name;
    chip.classList.toggle("no-effect", field.disabled);
    return chip;
  }));
  $("#fold").textContent = applied.length ? `Filtres (${applied.length})` : "Filtres";
}

function removeFilter(field) {
  field.value = "";
  filtersChanged(performance.now());
}

// The address keeps the tab and the filters (#performance?annee=2024): a link can be shared.
function writeAddress() {
  const fields = [...filters.elements].filter((c) => c.name && c.value);
  const request = new URLSearchParams(fields.map((c) => [c.name, c.value]));
  history.replaceState(null, "", `#${active.id}${fields.length ? `?${request}` : ""}`);
  showChips();
}

function readAddress() {
  const [id, request] = location.hash.slice(1).split("?");
  for (const [name, value] of new URLSearchParams(request)) {
    const field = filters.elements[name];
    if (field) choose(field, value);
  }
  return TABS.find((tab) => tab.id === id) ?? TABS[0];
}

function fill(select, options) {
  select.length = 1; // keeps « Tous »
  for (const [value, text] of options) select.add(new Option(text, value));
}

function fillFilters(choices) {
  utilisateurs.clear();
  for (const u of choices.utilisateurs) utilisateurs.set(u.id_utilisateur, u.name ?? `n° ${u.id_utilisateur}`);
  const person = (u) => [u.id_utilisateur, `${utilisateurName(u.id_utilisateur)} (${u.role ?? "?"})`];
  // A delegue has nobody under them: the responsables are the other roles.
  fill(filters.elements.id_responsable,
    choices.utilisateurs.filter((u) => u.role !== "DEL").map(person));
  fill(filters.elements.id_utilisateur, choices.utilisateurs.map(person));
  fill(filters.elements.gamme, choices.gammes.map((g) => [g.code, g.label]));
  fill(filters.elements.region, choices.regions.map((r) => [r.code, r.label]));
  fill(filters.elements.mois, MOIS.map((name, i) => [i + 1, name]));
}

// ------------------------------------------------------------------ exports

// A block as CSV or the tab as an Excel workbook (SPEC §12): the same request as its
// charts, another Accept; the file name is the one the API gives.
async function downloadExport(tab, format, block) {
  clearError();
  const path = `/${tab.id}${block ? `?block=${encodeURIComponent(block.path ?? block.key)}` : ""}`;
  try {
    const response = await request(path, filterOf(tab), { accept: EXPORTS[format] });
    const disposition = response.headers.get("Content-Disposition") ?? "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `visites-${tab.id}`;
    const link = element("a", { href: URL.createObjectURL(await response.blob()), download: name });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  } catch (error) {
    showError(error);
  }
}

// ------------------------------------------------------------------ page

function askToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#sign-in").hidden = false;
  $("#board").hidden = true;
  $("#sign-out").hidden = true;
  $("#token").focus();
}

async function openBoard() {
  clearError();
  try {
    const [choices, snapshot] = await Promise.all([fetchJson("/dashboard/choices"),
      fetchJson("/snapshot")]);
    fillFilters(choices);
    const created = new Date(snapshot.created_at).toLocaleString("fr-FR");
    $("#snapshot").textContent = `Données de l'instantané du ${created}`;
  } catch (error) {
    showError(error);
    return;
  }
  $("#sign-in").hidden = true;
  $("#board").hidden = false;
  $("#sign-out").hidden = false;
  for (const tab of TABS) tab.drawn = null;
  show(readAddress());
}

// One card per block: its title, its CSV button, its chart, its table if it is long.
function card(tab, block) {
  block.clickable = Boolean(block.click) && tab.filters.includes(block.click.field);
  block.setFilter = (code) => setFilter(block.click.field, code);
  block.chart = element("div", { className: "block-chart" });
  block.table = element("table", { className: "detail" });
  block.article = element("article", { className: ["block", block.wide && "wide",
    block.clickable && "clickable"].filter(Boolean).join(" ") },
  element("div", { className: "block-heading" }, element("h2", { textContent: block.title }),
    element("button", { type: "button", className: "csv", textContent: "CSV",
      title: "Télécharger ce bloc (CSV pour Excel)",
      onclick: () => downloadExport(tab, "csv", block) })),
  element("div", { className: "block-body" }, block.chart,
    element("div", { className: "table-scroll" }, block.table)),
  element("p", { className: "no-data", textContent: "Aucune donnée pour ces filtres." }));
  block.article.dataset.block = block.key;
  if (block.clickable) {
    block.article.title = `Cliquer pour filtrer par ${labelOf(block.click.field).toLowerCase()}`;
  }
  return block.article;
}

// The tabs and their cards, made once from TABS.
function build() {
  for (const tab of TABS) {
    tab.button = element("button", { type: "button", textContent: tab.title,
      onclick: (e) => show(tab, e.timeStamp) });
    tab.button.setAttribute("role", "tab");
    tab.button.dataset.tab = tab.id;
    $("#tabs").append(tab.button);
    tab.section = element("section", { hidden: true },
      ...tab.blocks.map((block) => card(tab, block)));
    tab.section.dataset.tab = tab.id;
    $("#sections").append(tab.section);
  }
}

Plotly.register(FRENCH);
build();
filters.addEventListener("change", (e) => filtersChanged(e.timeStamp));
// « reset » comes before the fields are cleared: reload just after.
filters.addEventListener("reset", () => setTimeout(() => filters.dispatchEvent(new Event("change"))));
$("#fold").addEventListener("click", () => {
  const expanded = $("#fold").getAttribute("aria-expanded") === "true";
  $("#fold").setAttribute("aria-expanded", String(!expanded));
});
$("#excel").addEventListener("click", () => downloadExport(active, "excel"));
$("#sign-in").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
  $("#token").value = "";
  openBoard();
});
$("#sign-out").addEventListener("click", askToken);
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
if (sessionStorage.getItem(TOKEN_KEY)) openBoard();
else askToken();
