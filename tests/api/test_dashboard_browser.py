"""The dashboard page in a real browser: Debian's Chromium, headless, driven by Playwright.

A real ``visites serve`` runs on a free loopback port over the shared messy demo
snapshot. The test types a token, changes filters and reads back what every chart
plots (the Plotly graph divs) to compare it with what the API answers over HTTP for
the same filter. Screenshots of every tab go to the test's tmp dir; the time from a
click to a drawn tab is printed, not asserted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
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

Answer = dict[str, Any]


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


# What each chart of each tab must plot, read from the endpoint's answer.
EXPECTED: dict[str, dict[str, Callable[[Answer], list[float]]]] = {
    "data": {
        "compteurs": counters,
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
        "Nombre_de_visites_moyen": lambda a: [a["Nombre_de_visites_moyen"]],
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

# Every chart of a tab, as the page's Plotly graph divs hold it.
READ_CHARTS = """tab => Object.fromEntries(
  [...document.querySelectorAll(`section[data-onglet="${tab}"] article`)].map(a => [
    a.dataset.bloc,
    {
      empty: a.classList.contains("vide"),
      traces: (a.querySelector(".graphe").data ?? []).map(t => ({
        type: t.type, horizontal: t.orientation === "h", x: t.x ?? null, y: t.y ?? null,
        values: t.values ?? null, customdata: t.customdata ?? null, value: t.value ?? null,
      })),
    },
  ]))"""
# The tab is drawn for exactly this filter (field order aside).
DRAWN_FOR = """([tab, filtre]) => {
  const section = document.querySelector(`section[data-onglet="${tab}"]`);
  if (section.dataset.etat !== "pret") return false;
  const canonical = (f) => JSON.stringify(Object.entries(f).sort());
  return canonical(JSON.parse(section.dataset.filtre)) === canonical(filtre);
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


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    scoped: str  # sees only the team of `rep`
    rep: int
    outsider: int  # a user outside that team

    def answer(
        self, endpoint: str, body: dict[str, str], token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.post(f"{self.url}/{endpoint}", json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def server(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tokens = tmp_path_factory.mktemp("dashboard-tokens") / "tokens.json"
    engine = Engine.open(demo_data_dir)
    with engine.lease() as view:
        users = view.choices().utilisateurs
        rep = next(u.id_utilisateur for u in users if u.role == "DEL")
        outsider = next(u.id_utilisateur for u in users if not view.in_team(rep, u.id_utilisateur))
    engine.close()
    token = create_token(tokens, "navigateur")
    scoped = create_token(tokens, "delegue", responsable=rep)
    with serving(
        tokens.with_name("server.log"),
        VISITES_DATA_DIR=str(demo_data_dir),
        VISITES_TOKENS_FILE=str(tokens),
    ) as (url, process):
        wait_ready(url, process, seconds=60)
        yield Server(url, token, scoped, rep, outsider)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
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


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 900})
    visit = Visit(context.new_page())
    visit.page.on("request", lambda request: visit.requests.append(request.url))

    def console(message: ConsoleMessage) -> None:
        # Chromium logs each HTTP error as a console error: those are in `refused`.
        if message.type == "error" and not message.text.startswith(HTTP_ERROR):
            visit.errors.append(message.text)

    visit.page.on("console", console)
    visit.page.on("pageerror", lambda error: visit.errors.append(str(error)))
    visit.page.on("requestfailed", lambda request: _failed(visit, request))
    visit.page.on("response", lambda response: response.ok or visit.refused.append(response.status))
    yield visit
    context.close()


def _failed(visit: Visit, request: Request) -> None:
    # The page aborts a request a newer filter replaces: that one is no failure.
    if request.failure != "net::ERR_ABORTED":
        visit.errors.append(f"{request.method} {request.url} failed: {request.failure}")


def sign_in(visit: Visit, server: Server, fragment: str = "", token: str | None = None) -> None:
    visit.page.goto(f"{server.url}/dashboard{fragment}")
    visit.page.fill("#jeton", token or server.token)
    visit.page.click("#connexion button")


def wait_drawn(page: Page, tab: str, filtre: dict[str, str]) -> None:
    page.wait_for_function(DRAWN_FOR, arg=[tab, filtre], timeout=20_000)


def assert_charts_match(page: Page, server: Server, tab: str, filtre: dict[str, str]) -> Answer:
    response = server.answer(tab, filtre)
    assert response.status_code == 200, response.text
    answer = response.json()
    charts = page.evaluate(READ_CHARTS, tab)
    assert set(charts) == set(EXPECTED[tab]), "one chart per block of SPEC §6"
    for block, expected in EXPECTED[tab].items():
        numbers = [n for trace in charts[block]["traces"] for n in plotted(trace)]
        if charts[block]["empty"]:
            assert not any(expected(answer)), f"{tab}/{block} says no data but the API has some"
        else:
            assert numbers == expected(answer), f"{tab}/{block} does not plot the API's numbers"
    return answer


def test_every_tab_charts_the_api_numbers_and_redraws_on_a_filter(
    server: Server, visit: Visit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = visit.page
    sign_in(visit, server)
    wait_drawn(page, "data", {})
    stats = assert_charts_match(page, server, "data", {})["statistiques"]
    charted = {f"{c}_{kind}" for c in COUNTERS for kind in ("planifiees", "non_planifiees")}
    assert charted == set(stats) - {"region", "gammes"}, "all 18 counters are charted"

    # Filters by label, as a manager would: the page sends the codes.
    busiest = max(stats["region"], key=lambda r: r["nb_visites_total"])
    page.select_option("select[name=region]", label=busiest["region"])
    year = server.answer("performance", {}).json()["nombre_compte_visite_par_jour"][0]
    page.fill("input[name=annee]", year["date_visite"][:4])
    page.press("input[name=annee]", "Tab")  # a typed field changes when left
    filtre = {"region": busiest["code_region_partenaire"], "annee": year["date_visite"][:4]}
    wait_drawn(page, "data", filtre)
    filtered = assert_charts_match(page, server, "data", filtre)["statistiques"]
    assert counters({"statistiques": filtered}) != counters({"statistiques": stats})
    assert [r["code_region_partenaire"] for r in filtered["region"]] == [filtre["region"]]

    paints = []
    for tab in TABS:
        page.click(f"#onglets button[data-onglet={tab}]")
        # SPEC §6: /evaluation has no region filter, so the page leaves it out.
        sent = {"annee": filtre["annee"]} if tab == "evaluation" else filtre
        wait_drawn(page, tab, sent)
        assert_charts_match(page, server, tab, sent)
        section = page.locator(f"section[data-onglet={tab}]")
        paints.append(
            (tab, section.get_attribute("data-rendu-ms"), section.get_attribute("data-api-ms"))
        )
        page.screenshot(path=tmp_path / f"{tab}.png", full_page=True)
    visit.assert_clean()
    with capsys.disabled():
        print(f"\ndashboard first paint, click to drawn charts (screenshots in {tmp_path}):")
        for tab, total, api in paints:
            print(f"  {tab:<12} {total:>5} ms, of which API answer {api} ms")


def test_a_wrong_token_shows_the_api_message(server: Server, visit: Visit) -> None:
    sign_in(visit, server, token="pas-un-jeton")
    detail = server.answer("data", {}, token="pas-un-jeton").json()["detail"]
    page = visit.page
    page.wait_for_selector("#erreur:not([hidden])")
    assert page.text_content("#erreur") == f"Jeton refusé : {detail}"
    assert page.is_visible("#connexion") and not page.is_visible("#tableau")
    assert page.evaluate("() => sessionStorage.length") == 0
    visit.assert_clean(401)


def test_a_refused_filter_shows_the_api_message(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, server, "#performance")
    wait_drawn(page, "performance", {})
    page.fill("input[name=end_date]", "2025-01-01")
    page.fill("input[name=start_date]", "2025-06-01")
    body = {"start_date": "2025-06-01", "end_date": "2025-01-01"}
    detail = server.answer("performance", body).json()["detail"]
    page.wait_for_function(
        "() => document.querySelector('section[data-onglet=performance]').dataset.etat === 'erreur'"
    )
    assert page.text_content("#erreur") == f"Filtre refusé : {detail}"
    assert page.get_attribute("input[name=start_date]", "aria-invalid") == "true"
    visit.assert_clean(400)


def test_a_user_outside_the_tokens_team_shows_the_api_message(server: Server, visit: Visit) -> None:
    # A shared link naming a user this token may not see: the API answers 403.
    sign_in(visit, server, f"#users?id_utilisateur={server.outsider}", token=server.scoped)
    body = {"id_utilisateur": str(server.outsider)}
    response = server.answer("users", body, token=server.scoped)
    assert response.status_code == 403
    page = visit.page
    page.wait_for_selector("#erreur:not([hidden])")
    assert page.text_content("#erreur") == f"Accès refusé : {response.json()['detail']}"
    visit.assert_clean(403)


def test_no_data_for_the_filters_says_so(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, server, "#performance?annee=1901")
    for tab in ("performance", "data"):
        if tab != "performance":
            page.click(f"#onglets button[data-onglet={tab}]")
        wait_drawn(page, tab, {"annee": "1901"})
        charts = page.evaluate(READ_CHARTS, tab)
        assert all(chart["empty"] and not chart["traces"] for chart in charts.values())
        messages = page.locator(f"section[data-onglet={tab}] .sans-donnee")
        assert messages.all_text_contents() == ["Aucune donnée pour ces filtres."] * len(charts)
        assert all(message.is_visible() for message in messages.all())
    assert json.loads(page.get_attribute("section[data-onglet=data]", "data-filtre")) == {
        "annee": "1901"
    }
    visit.assert_clean()


def test_the_page_loads_only_what_this_service_serves(server: Server) -> None:
    page = httpx.get(f"{server.url}/dashboard")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assets = [link for link in links if link != "data:,"]  # the empty favicon
    assert len(assets) == 3 and all(
        re.fullmatch(r"/dashboard/assets/[\w.-]+\?v=\w+", a) for a in assets
    )
    for asset in assets:
        response = httpx.get(f"{server.url}{asset}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    bundle = next(a for a in assets if "plotly.min.js" in a)
    wheel = files("plotly") / "package_data" / "plotly.min.js"
    assert httpx.get(f"{server.url}{bundle}").content == wheel.read_bytes()
    assert httpx.get(f"{server.url}/dashboard/assets/nothing.js").status_code == 404


def test_the_choices_need_a_token_and_keep_to_its_team(server: Server) -> None:
    assert httpx.get(f"{server.url}/dashboard/choices").status_code == 401
    choices = {}
    for token in (server.token, server.scoped):
        headers = {"Authorization": f"Bearer {token}"}
        choices[token] = httpx.get(f"{server.url}/dashboard/choices", headers=headers).json()
    everyone = {u["id_utilisateur"] for u in choices[server.token]["utilisateurs"]}
    team = {u["id_utilisateur"] for u in choices[server.scoped]["utilisateurs"]}
    assert {server.rep, server.outsider} <= everyone
    assert server.rep in team and server.outsider not in team
    region = choices[server.token]["regions"][0]
    assert set(region) == {"code", "label"}
