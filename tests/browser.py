"""What the dashboard's browser tests share: a real ``visites serve`` over a data directory,
Debian's Chromium driven by Playwright, and reading back what each chart plots.

Every chart is compared with what the endpoint answers over HTTP for the same filter:
the numbers expected are read from that JSON answer here, by SPEC §6's keys, never from
the page's own code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from helpers import serving, wait_ready
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from engine import Engine
from security.tokens import create_token

CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no sandbox (root in CI), and none of Chromium's own calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
HTTP_ERROR = "Failed to load resource: the server responded with a status of"
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}
# Past this many categories a chart shows the largest (the page's rule, SPEC-free: issue 14).
LIMIT = 15

Answer = dict[str, Any]


# ------------------------------------------------------------ what each chart plots


def rows(key: str, number: str) -> Callable[[Answer], list[float]]:
    return lambda answer: [row[number] for row in answer[key]]


def tree(key: str, total: str, children: str, number: str) -> Callable[[Answer], list[float]]:
    """A drill-down's numbers: each parent's total, then its children's."""
    return lambda answer: [
        n for row in answer[key] for n in (row[total], *(child[number] for child in row[children]))
    ]


COUNTERS = [
    f"nbr_{what}"
    for what in (
        "total_visites",
        *(
            f"visites_{x}"
            for x in (
                "medicales",
                "pharmaceutiques",
                "privees",
                "publiques",
                "simple",
                "groupe",
                "indiviuel",
                "en_double",
            )
        ),
    )
]


def counters(answer: Answer) -> list[float]:
    """Planned for every dimension, then unplanned: the grouped bars' two traces."""
    stats = answer["statistiques"]
    return [stats[f"{c}_{kind}"] for kind in ("planifiees", "non_planifiees") for c in COUNTERS]


def average(answer: Answer) -> list[float]:
    value = answer["Nombre_de_visites_moyen"]
    return [] if value is None else [value]


# What each chart of each tab must plot, read from the endpoint's answer.
EXPECTED: dict[str, dict[str, Callable[[Answer], list[float]]]] = {
    "data": {
        "counters": counters,
        "region": lambda a: tree("region", "nb_visites_total", "ville", "nb_visites")(
            a["statistiques"]
        ),
        "gammes": lambda a: tree("gammes", "nbr_total_visites", "specialites", "nb_visites_total")(
            a["statistiques"]
        ),
    },
    "performance": {
        "nombre_compte_visite_par_jour": rows("nombre_compte_visite_par_jour", "nombre_visites"),
        **{
            key: rows(key, "nombre_visites")
            for key in (
                "nombre_compte_visite_par_type_compte",
                "nombre_compte_visite_par_status",
                "nombre_visites_par_potenciel",
                "nombre_visites_par_region",
                "utilisateurs_plus_grand_nombre_visites",
                "delegues_moins_nombre_visites",
            )
        },
    },
    "partenaire": {
        "Nombre_de_visites_moyen": average,
        "Nombre_de_comptes_par_potentiel": rows(
            "Nombre_de_comptes_par_potentiel", "nombre_partenaire"
        ),
        "Nombre_de_comptes_par_etablissement": rows(
            "Nombre_de_comptes_par_etablissement", "nombre_partenaire"
        ),
        "region_partenaire": tree(
            "region_partenaire", "total_partenaire", "ville", "nb_partenaire"
        ),
        "gamme_partenaire": tree(
            "gamme_partenaire", "total_partenaire", "specialites", "nb_partenaire"
        ),
    },
    "users": {
        "nombre_nouvelle_utilisateur_par_mois": rows(
            "nombre_nouvelle_utilisateur_par_mois", "nombre_utilisateur"
        ),
        "pourcentage_visites_par_responsable": rows(
            "pourcentage_visites_par_responsable", "nombre_visites"
        ),
        **{
            key: rows(key, "nombre_utilisateur")
            for key in (
                "nombre_utilisateur_par_gammes",
                "nombre_utilisateur_par_regions",
                "nombre_utilisateur_par_status",
                "nombre_utilisateur_par_role",
            )
        },
    },
    "evaluation": {
        "Nombre_evaluation_par_Mois": rows("Nombre_evaluation_par_Mois", "Nombre_evaluation"),
        "pourcentage_evaluations_role": rows("pourcentage_evaluations_role", "Nombre_evaluation"),
        "Nombre_visites_par_moyen_evaluation": rows(
            "Nombre_visites_par_moyen_evaluation", "nombre_visites"
        ),
        "moyenne_points_utilisateurs": rows("moyenne_points_utilisateurs", "points_obtenus"),
        "sous_categories": lambda a: [
            s["moyenne_points_sous_categorie"]
            for c in a["categories"]
            for s in c["sous_categories"]
        ],
        "categories": rows("categories", "moyenne_points_categorie"),
    },
    "invest": {
        key: rows(key, "budget")
        for key in (
            "budget_par_visites",
            "budget_par_gamme",
            "budget_par_statut",
            "budget_par_potentiel",
            "budget_par_specialite",
            "budget_par_region",
            "budget_par_type_investissement",
            "budget_par_categorie_investissement",
        )
    },
}
TABS = list(EXPECTED)
# Charts of categories: past LIMIT rows, the largest and "Autres" (or, for means, which
# do not add up, the largest only), every row in a table beside.
CATEGORICAL = {
    "nombre_compte_visite_par_type_compte",
    "nombre_compte_visite_par_status",
    "nombre_visites_par_potenciel",
    "nombre_visites_par_region",
    "utilisateurs_plus_grand_nombre_visites",
    "delegues_moins_nombre_visites",
    "Nombre_de_comptes_par_potentiel",
    "Nombre_de_comptes_par_etablissement",
    "pourcentage_visites_par_responsable",
    "nombre_utilisateur_par_gammes",
    "nombre_utilisateur_par_regions",
    "nombre_utilisateur_par_status",
    "nombre_utilisateur_par_role",
    "pourcentage_evaluations_role",
    "moyenne_points_utilisateurs",
    "sous_categories",
    "categories",
    *(key for key in EXPECTED["invest"] if key != "budget_par_visites"),
}
MEANS = {"moyenne_points_utilisateurs", "sous_categories", "categories"}


def shown(block: str, numbers: list[float]) -> list[float]:
    """What a chart of ``numbers`` plots: all of them in the answer's order, or past LIMIT
    categories the largest, and the sum of the rest."""
    if block not in CATEGORICAL or len(numbers) <= LIMIT:
        return numbers
    largest = sorted(numbers, reverse=True)
    if block in MEANS:
        return largest[:LIMIT]
    return [*largest[: LIMIT - 1], pytest.approx(sum(largest[LIMIT - 1 :]))]


# Every chart of a tab, as the page's Plotly graph divs and tables hold it.
READ_CHARTS = """tab => Object.fromEntries(
  [...document.querySelectorAll(`section[data-tab="${tab}"] article`)].map(a => [
    a.dataset.block,
    {
      empty: a.classList.contains("empty"),
      long: a.classList.contains("long"),
      table: [...a.querySelectorAll(".detail tbody tr")].map(
        r => [...r.children].map(c => c.textContent)),
      texts: [...a.querySelectorAll(".bartext")].map(t => t.textContent),
      traces: (a.querySelector(".block-chart").data ?? []).map(t => ({
        type: t.type, horizontal: t.orientation === "h", x: t.x ?? null, y: t.y ?? null,
        values: t.values ?? null, customdata: t.customdata ?? null, value: t.value ?? null,
      })),
    },
  ]))"""
# The tab is drawn for exactly this filter (field order aside).
DRAWN_FOR = """([tab, filters]) => {
  const section = document.querySelector(`section[data-tab="${tab}"]`);
  if (section.dataset.state !== "ready") return false;
  const canonical = (f) => JSON.stringify(Object.entries(f).sort());
  return canonical(JSON.parse(section.dataset.filter)) === canonical(filters);
}"""


def plotted(trace: dict[str, Any]) -> list[float]:
    """The numbers a trace shows (hierarchies keep the API's exact ones in customdata)."""
    match trace["type"]:
        case "bar":
            return trace["x"] if trace["horizontal"] else trace["y"]
        case "scatter":
            return trace["y"]
        case "pie":
            return trace["values"]
        case "treemap" | "sunburst":
            return trace["customdata"]
        case "indicator":
            return [trace["value"]]
    raise AssertionError(f"unexpected trace type {trace['type']}")


def french(number: float, decimals: int = 0) -> str:
    """A number as French writes it: 12 345,6, a narrow no-break space between thousands
    (as Intl does in fr-FR)."""
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


# ------------------------------------------------------------------- the service


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    scoped: str  # sees only the team of `rep`
    rep: int
    outsider: int  # a user outside that team

    def answer(
        self,
        endpoint: str,
        body: dict[str, str],
        token: str | None = None,
        accept: str = "application/json",
        query: str = "",
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept": accept}
        return httpx.post(f"{self.url}/{endpoint}{query}", json=body, headers=headers, timeout=30)

    def charts_match(self, page: Page, tab: str, filters: dict[str, str]) -> Answer:
        """Every chart of ``tab`` plots the numbers the endpoint answers for ``filters``; a
        chart says "no data" exactly when its block has no row; a long one lists every
        row in its table."""
        response = self.answer(tab, filters)
        assert response.status_code == 200, response.text
        answer = response.json()
        charts = page.evaluate(READ_CHARTS, tab)
        assert set(charts) == set(EXPECTED[tab]), "one chart per block of SPEC §6"
        for block, expected in EXPECTED[tab].items():
            chart, numbers = charts[block], expected(answer)
            assert chart["empty"] == (not numbers), f"{tab}/{block}: no data iff no row"
            plotted_numbers = [n for trace in chart["traces"] for n in plotted(trace)]
            assert plotted_numbers == shown(block, numbers), f"{tab}/{block} plots other numbers"
            assert chart["long"] == (block in CATEGORICAL and len(numbers) > LIMIT)
            if chart["long"]:
                table = sorted(row[1] for row in chart["table"])
                decimals = 2 if block in MEANS or tab == "invest" else 0
                assert table == sorted(french(n, decimals) for n in numbers), block
        return answer


@contextmanager
def dashboard_server(data_dir: Path, folder: Path) -> Iterator[Server]:
    """``visites serve`` over ``data_dir``, with an unscoped token and one scoped to a rep."""
    tokens = folder / "tokens.json"
    engine = Engine.open(data_dir)
    with engine.lease() as view:
        users = view.choices().utilisateurs
        rep = next(u.id_utilisateur for u in users if u.role == "DEL")
        outsider = next(u.id_utilisateur for u in users if not view.in_team(rep, u.id_utilisateur))
    engine.close()
    token = create_token(tokens, "navigateur")
    scoped = create_token(tokens, "delegue", responsable=rep)
    with serving(
        folder / "server.log", VISITES_DATA_DIR=str(data_dir), VISITES_TOKENS_FILE=str(tokens)
    ) as (url, process):
        wait_ready(url, process, seconds=60)
        yield Server(url, token, scoped, rep, outsider)


# ------------------------------------------------------------------- the browser


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page in a fresh browser context, and everything it asked for or complained of."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # HTTP error statuses received

    def assert_clean(self, *refused: int) -> None:
        """Nothing asked of another host, no script error, no CSP violation, and only
        the HTTP errors the test provoked."""
        hosts = {urlsplit(url).hostname for url in self.requests}
        assert hosts <= LOCAL_HOSTS, f"requests left localhost: {hosts - LOCAL_HOSTS}"
        assert not self.errors, self.errors
        assert set(self.refused) == set(refused)


@contextmanager
def visiting(browser: Browser, **context: Any) -> Iterator[Visit]:
    """A fresh context (French, 1440 by 900 unless said), watched for errors and requests."""
    made = browser.new_context(**{"locale": "fr-FR", "viewport": WIDE, **context})
    visit = Visit(made.new_page())
    visit.page.on("request", lambda request: visit.requests.append(request.url))

    def console(message: ConsoleMessage) -> None:
        # Chromium logs each HTTP error as a console error: those are in `refused`.
        if message.type == "error" and not message.text.startswith(HTTP_ERROR):
            visit.errors.append(message.text)

    visit.page.on("console", console)
    visit.page.on("pageerror", lambda error: visit.errors.append(str(error)))
    visit.page.on("requestfailed", lambda request: _failed(visit, request))
    visit.page.on("response", lambda response: response.ok or visit.refused.append(response.status))
    try:
        yield visit
    finally:
        made.close()


def _failed(visit: Visit, request: Request) -> None:
    # The page aborts a request a newer filter replaces, and drops a download's blob URL
    # once saved: neither is a failure.
    if request.failure != "net::ERR_ABORTED":
        visit.errors.append(f"{request.method} {request.url} failed: {request.failure}")


def sign_in(visit: Visit, server: Server, fragment: str = "", token: str | None = None) -> None:
    visit.page.goto(f"{server.url}/dashboard{fragment}")
    visit.page.fill("#token", token or server.token)
    visit.page.click("#sign-in button")


def wait_drawn(page: Page, tab: str, filters: dict[str, str]) -> None:
    page.wait_for_function(DRAWN_FOR, arg=[tab, filters], timeout=20_000)


def first_paint(page: Page, tab: str) -> tuple[int, int]:
    """The page's own figures for a tab: click to drawn charts, and the API's part, in ms."""
    section = page.locator(f"section[data-tab={tab}]")
    return int(section.get_attribute("data-render-ms") or 0), int(
        section.get_attribute("data-api-ms") or 0
    )


def click_at(page: Page, selector: str) -> None:
    """A real click in the middle of an SVG shape (Plotly's drag layer covers bars)."""
    target = page.locator(selector)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None, f"{selector} is not drawn"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
