"""The dashboard page in a real browser: Debian's Chromium, headless, driven by Playwright.

A real ``visites serve`` runs on a free loopback port over the shared messy demo
snapshot. The tests type a token, change filters, click charts and read back what every
chart plots (the Plotly graph divs) to compare it with what the API answers over HTTP
for the same filter. Screenshots of every tab go to the test's tmp dir; the time from a
click to a drawn tab is printed, not asserted. tests/api/test_dashboard_demo.py looks at
the default demo, as a new user sees it, on a wide and a narrow screen.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import httpx
import openpyxl
import pytest
from browser import (
    COUNTERS,
    READ_CHARTS,
    TABS,
    Server,
    Visit,
    chromium,
    click_at,
    counters,
    dashboard_server,
    first_paint,
    french,
    sign_in,
    visiting,
    wait_drawn,
)
from playwright.sync_api import Browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def server(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with dashboard_server(demo_data_dir, tmp_path_factory.mktemp("dashboard")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    with visiting(browser) as visit:
        yield visit


def test_every_tab_charts_the_api_numbers_and_redraws_on_a_filter(
    server: Server, visit: Visit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = visit.page
    sign_in(visit, server)
    wait_drawn(page, "data", {})
    stats = server.charts_match(page, "data", {})["statistiques"]
    charted = {f"{c}_{kind}" for c in COUNTERS for kind in ("planifiees", "non_planifiees")}
    assert charted == set(stats) - {"region", "gammes"}, "all 18 counters are charted"

    # Filters by label, as a manager would: the page sends the codes.
    busiest = max(stats["region"], key=lambda r: r["nb_visites_total"])
    page.select_option("select[name=region]", label=busiest["region"])
    year = server.answer("performance", {}).json()["nombre_compte_visite_par_jour"][0]
    page.fill("input[name=annee]", year["date_visite"][:4])
    page.press("input[name=annee]", "Tab")  # a typed field changes when left
    filters = {"region": busiest["code_region_partenaire"], "annee": year["date_visite"][:4]}
    wait_drawn(page, "data", filters)
    filtered = server.charts_match(page, "data", filters)["statistiques"]
    assert counters({"statistiques": filtered}) != counters({"statistiques": stats})
    assert [r["code_region_partenaire"] for r in filtered["region"]] == [filters["region"]]

    paints = []
    for tab in TABS:
        page.click(f"#tabs button[data-tab={tab}]")
        # SPEC §6: /evaluation has no region filter, so the page leaves it out.
        sent = {"annee": filters["annee"]} if tab == "evaluation" else filters
        wait_drawn(page, tab, sent)
        server.charts_match(page, tab, sent)
        paints.append((tab, *first_paint(page, tab)))
        page.screenshot(path=tmp_path / f"{tab}.png", full_page=True)
    visit.assert_clean()
    with capsys.disabled():
        print(f"\ndashboard first paint, click to drawn charts (screenshots in {tmp_path}):")
        for tab, total, api in paints:
            print(f"  {tab:<12} {total:>5} ms, of which API answer {api} ms")


# ------------------------------------------------------------ errors, in French


def test_a_wrong_token_is_refused_in_french(server: Server, visit: Visit) -> None:
    sign_in(visit, server, token="pas-un-jeton")
    assert server.answer("data", {}, token="pas-un-jeton").status_code == 401
    page = visit.page
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error") == "Jeton refusé : ce jeton n'est pas (ou plus) valide."
    assert page.is_visible("#sign-in") and not page.is_visible("#board")
    assert page.evaluate("() => sessionStorage.length") == 0
    visit.assert_clean(401)


def test_a_refused_filter_names_its_fields_by_their_labels(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, server, "#performance")
    wait_drawn(page, "performance", {})
    page.fill("input[name=end_date]", "2025-01-01")
    page.fill("input[name=start_date]", "2025-06-01")
    body = {"start_date": "2025-06-01", "end_date": "2025-01-01"}
    refused = server.answer("performance", body).json()
    assert refused["field"] == "start_date" and "end_date" in refused["detail"]
    page.wait_for_function(
        "() => document.querySelector('section[data-tab=performance]').dataset.state === 'error'"
    )
    assert page.text_content("#error") == (
        "Filtre refusé : « Date de début » (01/06/2025) est après « Date de fin » (01/01/2025)."
    )
    assert page.get_attribute("input[name=start_date]", "aria-invalid") == "true"

    page.fill("input[name=start_date]", "")
    page.fill("input[name=annee]", "3000")
    page.press("input[name=annee]", "Tab")
    assert server.answer("performance", {"annee": "3000"}).json()["field"] == "annee"
    page.wait_for_function("() => document.querySelector('#error').textContent.includes('Année')")
    assert page.text_content("#error") == "Filtre refusé : « Année » doit valoir au plus 2100."
    visit.assert_clean(400)


def test_a_user_outside_the_tokens_team_is_refused_in_french(server: Server, visit: Visit) -> None:
    # A shared link naming a user this token may not see: the API answers 403.
    sign_in(visit, server, f"#users?id_utilisateur={server.outsider}", token=server.scoped)
    body = {"id_utilisateur": str(server.outsider)}
    assert server.answer("users", body, token=server.scoped).status_code == 403
    page = visit.page
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error") == (
        f"Accès refusé : « Utilisateur » n° {server.outsider} n'est pas dans l'équipe de ce jeton."
    )
    visit.assert_clean(403)


# ------------------------------------------------------------ no data, and zeros


def test_no_rows_say_no_data_and_a_block_of_zeros_is_drawn(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, server, "#performance?annee=1901")
    wait_drawn(page, "performance", {"annee": "1901"})
    answer = server.charts_match(page, "performance", {"annee": "1901"})
    reps = answer["delegues_moins_nombre_visites"]
    assert reps and all(rep["nombre_visites"] == 0 for rep in reps), "reps with no visit"
    charts = page.evaluate(READ_CHARTS, "performance")
    least = charts.pop("delegues_moins_nombre_visites")
    assert not least["empty"] and least["traces"][0]["x"] == [0] * len(reps)
    assert least["texts"] == ["0"] * len(reps), "each zero is written at its bar"
    assert page.is_visible("article[data-block=delegues_moins_nombre_visites] .block-chart")
    assert all(chart["empty"] and not chart["traces"] for chart in charts.values())
    messages = page.locator("section[data-tab=performance] .no-data:visible")
    assert messages.all_text_contents() == ["Aucune donnée pour ces filtres."] * len(charts)

    page.click("#tabs button[data-tab=data]")
    wait_drawn(page, "data", {"annee": "1901"})
    server.charts_match(page, "data", {"annee": "1901"})
    data = page.evaluate(READ_CHARTS, "data")
    assert not data["counters"]["empty"], "18 counters at 0 are 18 figures"
    assert data["region"]["empty"] and data["gammes"]["empty"]
    visit.assert_clean()


# ------------------------------------------------------------ click to filter, chips


# The treemap's largest city tile: its index among the tiles, and its id ("row/city").
LARGEST_CITY_TILE = """() => {
  const tiles = [...document.querySelectorAll('article[data-block=region] g.slice')];
  const area = (t) => { const r = t.getBoundingClientRect(); return r.width * r.height; };
  const cities = tiles.filter((t) => /^\\d+\\/\\d+$/.test(t.__data__?.data?.id ?? ''));
  const largest = cities.reduce((a, b) => (area(b) > area(a) ? b : a));
  return [tiles.indexOf(largest), largest.__data__.data.id];
}"""


def chips(visit: Visit) -> list[str]:
    """The chips' texts, without their remove buttons."""
    return visit.page.evaluate(
        "() => [...document.querySelectorAll('#chips .chip')].map(c => c.firstChild.textContent)"
    )


def test_clicking_a_chart_filters_by_it_and_a_chip_removes_it(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, server, "#performance")
    wait_drawn(page, "performance", {})
    regions = server.answer("performance", {}).json()["nombre_visites_par_region"]
    click_at(page, "article[data-block=nombre_visites_par_region] .point >> nth=1")
    region = regions[1]
    filters = {"region": region["code_region_partenaire"]}
    wait_drawn(page, "performance", filters)
    assert page.url.endswith(f"#performance?region={filters['region']}")
    assert chips(visit) == [f"Région : {region['region']}"]
    server.charts_match(page, "performance", filters)

    # The most active user, within that region: a second filter, a second chip.
    top = server.answer("performance", filters).json()["utilisateurs_plus_grand_nombre_visites"]
    click_at(page, "article[data-block=utilisateurs_plus_grand_nombre_visites] .point >> nth=0")
    both = {**filters, "id_utilisateur": str(top[0]["id_utilisateur"])}
    wait_drawn(page, "performance", both)
    assert page.locator("select[name=id_utilisateur]").input_value() == both["id_utilisateur"]
    assert len(chips(visit)) == 2 and chips(visit)[0].startswith("Utilisateur : ")

    # A treemap tile is a city: the API has no city filter, so it filters by its region.
    page.click("#tabs button[data-tab=data]")
    page.click("#chips .chip[data-field=id_utilisateur] button")
    page.click("#chips .chip[data-field=region] button")
    wait_drawn(page, "data", {})
    assert chips(visit) == [] and page.url.endswith("#data")
    regions = server.answer("data", {}).json()["statistiques"]["region"]
    index, node = page.evaluate(LARGEST_CITY_TILE)
    row, column = (int(n) for n in node.split("/"))  # the page's tile ids: row/city
    city = regions[row]["ville"][column]
    tile = f"article[data-block=region] g.slice >> nth={index}"
    assert (page.locator(tile).text_content() or "").startswith(city["ville"])
    click_at(page, tile)
    code = city["code_region_partenaire"]
    wait_drawn(page, "data", {"region": code})
    server.charts_match(page, "data", {"region": code})
    visit.assert_clean()


# ------------------------------------------------------------ exports from the page


def test_each_chart_downloads_its_csv_and_each_tab_its_workbook(
    server: Server, visit: Visit
) -> None:
    page = visit.page
    filters = {"region": "RE00006"}
    sign_in(visit, server, "#partenaire?region=RE00006")
    wait_drawn(page, "partenaire", filters)
    with page.expect_download() as csv_download:
        page.click("article[data-block=region_partenaire] button.csv")
    expected = server.answer(
        "partenaire", filters, accept="text/csv", query="?block=region_partenaire"
    )
    assert expected.status_code == 200
    name = re.search(r'filename="([^"]+)"', expected.headers["content-disposition"])
    assert name and csv_download.value.suggested_filename == name[1]
    assert name[1].startswith("visites-partenaire-region_partenaire-region_RE00006-")
    assert Path(csv_download.value.path()).read_bytes() == expected.content

    with page.expect_download() as excel_download:
        page.click("#excel")
    assert re.fullmatch(
        r"visites-partenaire-region_RE00006-\d{8}\.xlsx", excel_download.value.suggested_filename
    )
    mine = openpyxl.load_workbook(io.BytesIO(Path(excel_download.value.path()).read_bytes()))
    served = server.answer("partenaire", filters, accept=XLSX)
    theirs = openpyxl.load_workbook(io.BytesIO(served.content))
    assert mine.sheetnames == theirs.sheetnames and len(mine.sheetnames) == 5
    for sheet in mine.sheetnames:
        assert list(mine[sheet].values) == list(theirs[sheet].values)
    visit.assert_clean()


# ------------------------------------------------------------ French, light and dark


def test_plotly_speaks_french_and_has_no_share_button(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, server, "#invest")
    wait_drawn(page, "invest", {})
    page.hover("article[data-block=budget_par_gamme] .block-chart")
    titles = page.locator("article[data-block=budget_par_gamme] .modebar-btn")
    assert {t.get_attribute("data-title") for t in titles.all()} == {
        "Télécharger l'image (PNG)",
        "Zoomer",
        "Déplacer",
        "Ajuster",
        "Rétablir les axes",
    }
    # Budgets are in dirhams, written the French way, on the bars and in the axis.
    answer = server.answer("invest", {}).json()["budget_par_gamme"]
    chart = page.evaluate(READ_CHARTS, "invest")["budget_par_gamme"]
    assert chart["texts"] == [french(row["budget"]) for row in answer]
    axis = page.locator("article[data-block=budget_par_gamme] .g-xtitle").text_content()
    assert axis == "MAD"
    ticks = page.locator("article[data-block=budget_par_gamme] .xtick text").all_text_contents()
    assert any("\u202f" in tick for tick in ticks) and not any(
        re.search(r"[kMG]$|,\d{3}", tick) for tick in ticks
    ), ticks
    page.click("#tabs button[data-tab=partenaire]")
    wait_drawn(page, "partenaire", {})
    average = server.answer("partenaire", {}).json()["Nombre_de_visites_moyen"]
    number = page.locator("article[data-block=Nombre_de_visites_moyen] .number").text_content()
    assert number == f"{french(average, 2)} visites"
    visit.assert_clean()


def luminance(css: str) -> float:
    red, green, blue = (int(c) for c in re.findall(r"\d+", css)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_dark_mode_follows_the_system(server: Server, browser: Browser, tmp_path: Path) -> None:
    with visiting(browser, color_scheme="dark") as visit:
        page = visit.page
        sign_in(visit, server, "#performance")
        wait_drawn(page, "performance", {})
        colours = """() => ({
          page: getComputedStyle(document.documentElement).backgroundColor,
          card: getComputedStyle(document.querySelector('.block')).backgroundColor,
          tick: getComputedStyle(document.querySelector(
            'article[data-block=nombre_visites_par_region] .ytick text')).fill,
        })"""
        dark = page.evaluate(colours)
        assert luminance(dark["page"]) < 0.2 and luminance(dark["card"]) < 0.3
        assert luminance(dark["tick"]) > 0.7, "chart text is light on dark"
        page.screenshot(path=tmp_path / "dark.png", full_page=True)
        # The system turns light: the charts redraw in its colours, without a reload.
        page.emulate_media(color_scheme="light")
        page.wait_for_function(
            """() => getComputedStyle(document.querySelector(
                 'article[data-block=nombre_visites_par_region] .ytick text')).fill
               !== 'rgb(226, 232, 240)'"""
        )
        light = page.evaluate(colours)
        assert luminance(light["page"]) > 0.8 and luminance(light["tick"]) < 0.3
        visit.assert_clean()


# ------------------------------------------------------------ what the page loads


def test_the_page_loads_only_what_this_service_serves(server: Server) -> None:
    page = httpx.get(f"{server.url}/dashboard")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assets = [link for link in links if link != "data:,"]  # the empty favicon
    assert len(assets) == 5 and all(
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


def test_the_api_docs_run_from_this_service_alone(server: Server, visit: Visit) -> None:
    """Swagger UI at /schema/swagger, offline: every script, style and icon it loads comes
    from this service, and it shows every operation of the schema."""
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    operations = sum(len(item) for item in schema["paths"].values())
    visit.page.goto(f"{server.url}/schema/swagger")
    visit.page.wait_for_function(
        "n => document.querySelectorAll('.opblock').length === n", arg=operations
    )
    assert visit.page.locator(".opblock-summary-path").first.inner_text() == "/data"
    assert all(url.startswith(server.url + "/") for url in visit.requests), visit.requests
    assert {url.split("?")[0].rsplit("/", 1)[-1] for url in visit.requests} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    visit.assert_clean()
