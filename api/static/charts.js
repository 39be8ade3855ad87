"use strict";
/* The charts: from a block (blocks.js) and an answer, a Plotly chart in French, in the
system theme's colours (light or dark). One path: draw(). */

// Plotly in French: months on date axes, « 1 234,5 » separators, toolbar.
const FRENCH = {
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
    thousands: "\u202f", // the narrow no-break space, as Intl in fr-FR
  },
};

const CONFIG = {
  responsive: true,
  displaylogo: false,
  showSendToCloud: false, // « Share chart » would send the data to Plotly
  locale: "fr",
  modeBarButtonsToRemove: ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d"],
};

// Beyond LIMIT categories, a chart shows the largest; the block's table, beside it,
// gives them all.
const LIMIT = 15;
const CATEGORICAL = new Set(["hbars", "donut"]);
const narrow = window.matchMedia("(max-width: 599px)");

const read = (field) => (typeof field === "function" ? field : (row) => row[field]);
const format = (block) => (block.decimals ? `,.${block.decimals}f` : ",");
// The hover shows the exact number, with its unit; <extra></extra> drops the trace name.
const hoverValue = (block, variable) => `%{${variable}:${format(block)}} ${block.unit}`;
const short = (text) => {
  const limit = narrow.matches ? 18 : 34;
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
};

// An HTML element, its properties and its children (elements or text).
function element(name, properties = {}, ...children) {
  const node = Object.assign(document.createElement(name), properties);
  node.append(...children);
  return node;
}

// A number in French (1 234,5), for the tables and the chips.
function formatNumber(n, decimals = 0) {
  if (n === null || n === undefined) return "—";
  return n.toLocaleString("fr-FR", { minimumFractionDigits: decimals,
    maximumFractionDigits: decimals });
}

// Plotly merges two bars (or slices) with the same label: two namesakes stay two.
function distinct(labels) {
  const seen = new Map();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

// ------------------------------------------------------------------ categories

// A categorical block's rows as points: label, value, share, group, and the code a
// click sets.
function toPoints(rows, block) {
  return rows.map((row) => ({
    label: String(read(block.label)(row)),
    value: read(block.value)(row),
    share: block.share && row[block.share],
    group: block.group && row[block.group],
    code: block.click ? read(block.click.code)(row) : null,
  }));
}

const descending = (a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity);

// The LIMIT - 1 largest and « Autres », the sum of the rest; a mean does not add up:
// the LIMIT largest only.
function summarize(all, block) {
  const sorted = [...all].sort(descending);
  if (block.mean) return sorted.slice(0, LIMIT);
  const rest = sorted.slice(LIMIT - 1);
  const sum = (field) => rest.reduce((total, point) => total + (point[field] ?? 0), 0);
  const others = { label: `Autres (${rest.length})`, value: sum("value"),
    share: block.share && sum("share"), code: null };
  return [...sorted.slice(0, LIMIT - 1), others];
}

// A readable value at the end of its bar: a 0 shows. A budget without its cents.
const barText = (block) => `%{x:${block.unit === "MAD" ? ",.0f" : format(block)}}`;

// A value axis without « k » or « M » (1 000 000, not 1M), starting at 0 (all 0: it
// goes from 0 to 1), titled with its currency if it has one.
function valueAxis(values, block) {
  const nonZero = values.some((v) => v);
  return { rangemode: "tozero", exponentformat: "none", separatethousands: true,
    title: { text: block.unit === "MAD" ? "MAD" : "" },
    ...(!nonZero && { range: [0, 1], dtick: 1 }) };
}

// ------------------------------------------------------------------ kinds

// Each kind makes, from a block's rows (or points), the traces and the layout.
const KINDS = {
  bars: (rows, block) => {
    const x = block.hoverDate ? `%{x|${block.hoverDate}}` : `${block.axis} : %{x}`;
    const y = rows.map(read(block.value));
    return {
      data: [{ type: "bar", x: rows.map(read(block.label)), y,
        hovertemplate: `${x}<br>${hoverValue(block, "y")}<extra></extra>` }],
      layout: { xaxis: { title: { text: block.axis } },
        yaxis: valueAxis(y, block) },
    };
  },
  hbars: (list, block) => {
    // With `group` (a sous-categorie's categorie), a two-level axis, if there is
    // room.
    const groups = !narrow.matches && block.group && list.every((p) => p.group)
      && list.map((p) => p.group);
    const labels = list.map((p) => p.label);
    const x = list.map((p) => p.value);
    const share = block.share ? "<br>%{customdata[1]:.2f} %" : "";
    return {
      data: [{ type: "bar", orientation: "h", x,
        y: groups ? [groups.map(short), labels.map(short)] : distinct(labels.map(short)),
        customdata: list.map((p) => [p.group ? `${p.label} (${p.group})` : p.label,
          p.share]),
        texttemplate: barText(block), textposition: "outside", cliponaxis: false,
        hovertemplate: `%{customdata[0]}<br>${hoverValue(block, "x")}${share}<extra></extra>` }],
      // Top to bottom in the given order; the height follows the number of bars.
      layout: { height: 70 + 26 * list.length, margin: { r: 70 },
        xaxis: valueAxis(x, block),
        yaxis: { type: groups ? "multicategory" : "category", autorange: "reversed",
          automargin: true } },
    };
  },
  grouped: (rows, block) => ({
    data: block.series.map(([field, name]) => ({ type: "bar", name,
      x: rows.map(read(block.label)), y: rows.map(read(field)),
      hovertemplate: `%{x} · ${name}<br>${hoverValue(block, "y")}<extra></extra>` })),
    layout: { barmode: "group", legend: { orientation: "h", y: 1.12 },
      yaxis: valueAxis(block.series.flatMap(([field]) => rows.map(read(field))), block) },
  }),
  donut: (list, block) => ({
    data: [{ type: "pie", hole: 0.5, sort: false, direction: "clockwise",
      labels: distinct(list.map((p) => p.label)), values: list.map((p) => p.value),
      textposition: "inside",
      // The API's share (of all filtered visites) rather than the one Plotly computes.
      ...(block.share && { customdata: list.map((p) => p.share),
        texttemplate: "%{customdata:.2f} %" }),
      hovertemplate: `%{label}<br>${hoverValue(block, "value")}<br>`
        + `${block.share ? "%{customdata:.2f} %" : "%{percent}"}<extra></extra>` }],
    // A slice too thin for its text hides it; the hover gives it.
    layout: { margin: { t: 10, b: 10, l: 10, r: 10 }, uniformtext: { minsize: 10, mode: "hide" } },
  }),
  line: (rows, block) => ({
    data: [{ type: "scatter", mode: rows.length > 60 ? "lines" : "lines+markers",
      x: rows.map(read(block.label)), y: rows.map(read(block.value)),
      hovertemplate: `%{x|${block.hoverDate}}<br>${hoverValue(block, "y")}<extra></extra>` }],
    // Hovering anywhere above a date shows it; days the French way.
    layout: { hovermode: "x", height: block.slider ? 380 : 300,
      yaxis: { exponentformat: "none", separatethousands: true },
      xaxis: { type: "date", rangeslider: { visible: Boolean(block.slider) },
        tickformatstops: [{ dtickrange: [null, "M1"], value: "%d %b" }],
        rangeselector: block.slider ? { buttons: [
          { count: 1, step: "month", stepmode: "backward", label: "1 mois" },
          { count: 3, step: "month", stepmode: "backward", label: "3 mois" },
          { count: 1, step: "year", stepmode: "backward", label: "1 an" },
          { step: "all", label: "Tout" },
        ] } : undefined } },
  }),
  // Parent then children (region then villes...). A parent's size covers its children,
  // as a total of distinct partenaires can be less than the sum of its villes;
  // the text and the hover show the API's exact number (customdata).
  hierarchy: (rows, block) => {
    const code = block.click ? read(block.click.code) : () => null;
    const nodes = rows.flatMap((row, i) => {
      const children = row[block.children].map((child, j) => ({ id: `${i}/${j}`, parent: `${i}`,
        label: child[block.childLabel], count: child[block.childValue],
        code: code(child) }));
      const sum = children.reduce((total, child) => total + child.count, 0);
      const total = row[block.value];
      return [{ id: `${i}`, parent: "", label: row[block.label], count: total,
        size: Math.max(total, sum), code: code(row) }, ...children];
    });
    return {
      data: [{ type: block.shape, branchvalues: "total", ids: nodes.map((n) => n.id),
        parents: nodes.map((n) => n.parent), labels: nodes.map((n) => n.label),
        values: nodes.map((n) => n.size ?? n.count), customdata: nodes.map((n) => n.count),
        texttemplate: "%{label}<br>%{customdata:,}",
        hovertemplate: `%{label}<br>${hoverValue(block, "customdata")}<extra></extra>` }],
      layout: { height: 440, margin: { t: 10, b: 10, l: 10, r: 10 } },
      codes: nodes.map((n) => n.code),
    };
  },
  number: (rows, block) => ({
    data: [{ type: "indicator", mode: "number", value: read(block.value)(rows[0]),
      number: { valueformat: format(block), suffix: ` ${block.unit}` } }],
    layout: { height: 160 },
  }),
};

// ------------------------------------------------------------------ theme

// The page's colours (dashboard.css, light or dark as the system says).
function theme() {
  const style = getComputedStyle(document.documentElement);
  const colour = (name) => style.getPropertyValue(name).trim();
  return { text: colour("--text"), muted: colour("--muted"),
    grid: colour("--grid"), card: colour("--card"), accent: colour("--accent") };
}

function layoutOf(colours, own) {
  const axis = { gridcolor: colours.grid, linecolor: colours.grid,
    zerolinecolor: colours.grid };
  return {
    height: 320,
    ...own,
    margin: { t: 30, r: 20, b: 50, l: 60, ...own.margin },
    font: { family: "system-ui, sans-serif", size: 12, color: colours.text },
    separators: ",\u202f",
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    colorway: ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899",
      "#84cc16", "#64748b", "#f97316", "#14b8a6", "#a855f7"],
    hoverlabel: { bgcolor: colours.card, bordercolor: colours.grid,
      font: { color: colours.text } },
    modebar: { bgcolor: "rgba(0,0,0,0)", color: colours.muted, activecolor: colours.accent },
    xaxis: { ...axis, ...own.xaxis,
      ...(own.xaxis?.rangeselector && { rangeselector: { ...own.xaxis.rangeselector,
        bgcolor: colours.grid, activecolor: colours.accent,
        font: { color: colours.text } } }) },
    yaxis: { ...axis, ...own.yaxis },
  };
}

// ------------------------------------------------------------------ one block

// A block's rows in the answer.
const rowsOf = (block, response) => (block.rows ? block.rows(response) : response[block.key]);

// The full table of a long block, sorted as its chart; empty otherwise.
function fillTable(block, all) {
  if (!all.length) {
    block.table.replaceChildren();
    return;
  }
  const unit = block.unit === "MAD" ? "Budget (MAD)" : block.unit[0].toUpperCase() + block.unit.slice(1);
  const columns = ["", unit,
    ...(block.share ? ["Part"] : [])];
  const name = (point) => (block.clickable && point.code !== null
    ? element("button", { type: "button", className: "filter-link", textContent: point.label,
      onclick: () => block.setFilter(point.code) })
    : point.label);
  const row = (point) => element("tr", {}, element("th", { scope: "row" }, name(point)),
    element("td", { textContent: formatNumber(point.value, block.decimals) }),
    ...(block.share ? [element("td", { textContent: `${formatNumber(point.share, 2)} %` })] : []));
  block.table.replaceChildren(
    element("caption", { textContent: `Toutes les lignes (${all.length})` }),
    element("thead", {}, element("tr", {},
      ...columns.map((text) => element("th", { scope: "col", textContent: text })))),
    element("tbody", {}, ...all.map(row)));
}

// A click on a bar, a slice, a tile sets its filter. Treemap and sunburst have their
// own event; answering false to it drops their zoom (the filtered answer replaces it).
function listen(block, codes) {
  const eventName = block.kind === "hierarchy" ? `plotly_${block.shape}click` : "plotly_click";
  block.chart.removeAllListeners(eventName);
  block.chart.on(eventName, ({ points: [point] }) => {
    const code = codes[point.pointNumber];
    if (code !== null && code !== undefined) block.setFilter(code);
    return false;
  });
}

// A block without rows says « no data »; rows at 0 are data and are drawn.
async function draw(block, response) {
  const rows = rowsOf(block, response);
  const categorical = CATEGORICAL.has(block.kind);
  const long = categorical && rows.length > LIMIT;
  block.article.classList.toggle("empty", rows.length === 0);
  block.article.classList.toggle("long", long);
  const all = categorical ? toPoints(rows, block) : rows;
  fillTable(block, long ? [...all].sort(descending) : []);
  if (rows.length === 0) {
    Plotly.purge(block.chart);
    return;
  }
  const shown = long ? summarize(all, block) : all;
  const kind = long ? "hbars" : block.kind;
  const { data, layout, codes } = KINDS[kind](shown, block);
  await Plotly.react(block.chart, data, layoutOf(theme(), layout), CONFIG);
  if (block.clickable) listen(block, codes ?? shown.map((point) => point.code));
}
