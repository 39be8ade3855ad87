"""The dashboard on the default demo, as a new user sees it: a wide screen and a phone.

The default demo is what ``visites serve`` publishes on a fresh machine (200,000 visits):
it has what the small messy demo lacks, lists longer than a chart can show (25 managers,
132 evaluated users). Every tab is drawn at 1440x900 and at 390x844, its charts compared
with the API's answer, its screenshot kept in the test's tmp dir, and its first paint
(click to drawn charts, measured by the page) printed, not asserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    NARROW,
    READ_CHARTS,
    TABS,
    WIDE,
    Server,
    chromium,
    dashboard_server,
    first_paint,
    sign_in,
    visiting,
    wait_drawn,
)
from playwright.sync_api import Browser, Page

from snapshot.demo.generator import DEFAULT_SEED, DEFAULT_VISITS
from snapshot.demo.publish import take_demo_snapshot

SCREENS = 3  # no tab taller than this many wide screens


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("default-demo")
    demo = {"visits": DEFAULT_VISITS, "seed": DEFAULT_SEED}
    take_demo_snapshot(data_dir, **demo, keep=2, batch_rows=50_000)
    with dashboard_server(data_dir, tmp_path_factory.mktemp("default-dashboard")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def report(width: int, paints: list[tuple[str, int, int]], folder: Path) -> None:
    print(f"\nfirst paint at {width} px wide, default demo (screenshots in {folder}):")
    for tab, total, api in paints:
        print(f"  {tab:<12} {total:>5} ms, of which API answer {api} ms")


def open_tab(page: Page, server: Server, tab: str) -> None:
    page.click(f"#tabs button[data-tab={tab}]")
    wait_drawn(page, tab, {})
    server.charts_match(page, tab, {})
    page.wait_for_timeout(600)  # treemaps and sunbursts end their transition


def test_a_wide_screen_shows_long_lists_as_their_top_and_a_table(
    server: Server, browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paints = []
    with visiting(browser, viewport=WIDE) as visit:
        page = visit.page
        sign_in(visit, server)
        for tab in TABS:
            open_tab(page, server, tab)
            paints.append((tab, *first_paint(page, tab)))
            height = page.evaluate("() => document.documentElement.scrollHeight")
            assert height <= SCREENS * WIDE["height"], f"{tab} is {height} px tall"
            page.screenshot(path=tmp_path / f"1440-{tab}.png", full_page=True)
            if tab == "users":
                # 25 managers: 14 bars, "Autres" for the rest, and all 25 in the table.
                managers = page.evaluate(READ_CHARTS, tab)["pourcentage_visites_par_responsable"]
                assert managers["long"] and len(managers["table"]) > 15
                (bars,) = managers["traces"]
                assert bars["type"] == "bar" and len(bars["y"]) == 15
                assert bars["y"][-1] == f"Autres ({len(managers['table']) - 14})"
        visit.assert_clean()
    with capsys.disabled():
        report(WIDE["width"], paints, tmp_path)


def test_a_phone_gets_one_column_folded_filters_and_scrolling_tabs(
    server: Server, browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paints = []
    with visiting(browser, viewport=NARROW, is_mobile=True, has_touch=True) as visit:
        page = visit.page
        sign_in(visit, server, "#evaluation")
        wait_drawn(page, "evaluation", {})
        assert page.is_visible("#fold") and not page.is_visible("#filters")
        page.click("#fold")
        assert page.is_visible("select[name=region]")
        page.screenshot(path=tmp_path / "390-filters.png")
        page.click("#fold")
        assert not page.is_visible("#filters")
        tabs = page.evaluate(
            "() => { const n = document.querySelector('#tabs');"
            " return [n.scrollWidth, n.clientWidth, getComputedStyle(n).overflowX]; }"
        )
        assert tabs[0] > tabs[1] and tabs[2] == "auto", "the tabs scroll sideways"
        for tab in TABS:
            open_tab(page, server, tab)
            paints.append((tab, *first_paint(page, tab)))
            button = page.locator(f"#tabs button[data-tab={tab}]").bounding_box()
            assert button and button["x"] >= 0 and button["x"] + button["width"] <= NARROW["width"]
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= NARROW["width"], f"{tab} scrolls sideways: {width} px"
            columns = page.evaluate(
                f"""() => [...document.querySelectorAll('section[data-tab={tab}] article')]
                     .map(a => {{ const r = a.getBoundingClientRect();
                                 return [Math.round(r.left), Math.round(r.width)]; }})"""
            )
            assert len(set(map(tuple, columns))) == 1, f"{tab} is not one column: {columns}"
            page.screenshot(path=tmp_path / f"390-{tab}.png", full_page=True)
        visit.assert_clean()
    with capsys.disabled():
        report(NARROW["width"], paints, tmp_path)
