"""The rendered report in a real browser: offline, drawn, error-free and accessible."""

from __future__ import annotations

import pytest

from browser import axe_violations, browser, visit
from conftest import ROOT


@pytest.fixture(scope="module")
def report(browser, rendered):
    return visit(browser, rendered / "report.html")


def test_no_outside_request_and_no_console_error(report):
    assert report.outside == []
    assert report.errors == []
    assert report.dialogs == []


def test_every_chart_has_drawn_and_is_named(report):
    charts = report.page.query_selector_all("figure.chart")
    assert len(charts) == 2
    for chart in charts:
        svg = chart.query_selector(".chart-wide svg")
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        assert len(svg.query_selector_all("path")) >= 8  # bars, axes and legend drawn
        # A graphics document, so a screen reader can go on to each bar and hear its words.
        assert svg.get_attribute("role") == "graphics-document"
        assert chart.query_selector(".chart-narrow").bounding_box() is None  # not shown
        title_id, desc_id = svg.get_attribute("aria-labelledby").split()
        assert svg.query_selector(f"#{title_id}").text_content().startswith(("Milestones", "Measures"))
        assert "All priorities" in svg.query_selector(f"#{desc_id}").text_content()
        assert chart.query_selector("details table caption") is not None


def test_status_is_told_in_words(report):
    badges = report.page.query_selector_all(".badge")
    assert len(badges) >= 36 + 46
    words = {b.text_content().strip() for b in badges}
    assert {"Green", "Amber", "Red", "Met", "Near target", "Missed", "Not due"} <= words


def test_axe_finds_no_serious_or_critical_violation(report):
    assert axe_violations(report.page) == []


def test_each_priority_starts_a_printed_page(report):
    page = report.page
    page.emulate_media(media="print")
    breaks = page.eval_on_selector_all(
        "section.priority", "els => els.map(e => getComputedStyle(e).breakBefore)")
    assert breaks == ["page", "page", "page"]
    page.emulate_media(media="screen")


def test_printed_badges_stay_inside_their_cells(report):
    page = report.page
    page.emulate_media(media="print")
    outside = page.eval_on_selector_all("td .badge", """els => els.filter(b => {
        const c = b.closest('td').getBoundingClientRect(), r = b.getBoundingClientRect();
        return r.left < c.left - 0.5 || r.right > c.right + 0.5; }).map(b => b.textContent)""")
    page.emulate_media(media="screen")
    assert outside == []


def test_progress_lists_survive_as_lists(report):
    items = report.page.query_selector_all("table.milestones .progress li")
    assert len(items) > 100


@pytest.fixture(scope="module")
def cabinet(browser, rendered):
    return visit(browser, rendered / "cabinet.html")


def test_cabinet_is_offline_drawn_and_accessible(cabinet):
    assert (cabinet.outside, cabinet.errors, cabinet.dialogs) == ([], [], [])
    svg = cabinet.page.query_selector("figure.chart .chart-wide svg")
    assert svg.get_attribute("role") == "graphics-document" and svg.bounding_box()["width"] > 300
    assert len(svg.query_selector_all("path")) >= 18  # two 3x3 grids
    assert axe_violations(cabinet.page) == []


def test_cabinet_links_to_its_appendix(cabinet, rendered):
    href = cabinet.page.get_attribute("header a", "href")
    assert href == "report.html" and (rendered / href).exists()


# -- a phone is a reader too ---------------------------------------------------------------

PHONE = 375

# Cells that are drawn (not the visually hidden header row of a reflowed table) and are not in
# a container of their own that scrolls.
CUT_CELLS = """() => [...document.querySelectorAll('td, th')]
    .filter(c => !(c.closest('thead') && c.closest('thead').getBoundingClientRect().width <= 1))
    .filter(c => !c.closest('.chart-svg'))
    .filter(c => c.scrollWidth > c.clientWidth + 1)
    .map(c => c.textContent.trim().slice(0, 60))"""

# Each chart label's size as drawn (charts shown at this width): its font size times the SVG's
# scale on the page.
SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('figure.chart svg text')]
    .filter(t => t.closest('svg').getBoundingClientRect().width > 0).map(t => {
    const svg = t.closest('svg');
    return parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width
        / svg.width.baseVal.value; }))"""


@pytest.fixture(scope="module", params=["report.html", "cabinet.html"])
def phone(browser, rendered, request):
    return visit(browser, rendered / request.param, width=PHONE)


def test_phone_page_has_no_sideways_scroll(phone):
    width, inner = phone.page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE and width <= inner


def test_phone_tables_cut_no_cell_and_label_every_value(phone):
    assert phone.page.evaluate(CUT_CELLS) == []
    labels = phone.page.eval_on_selector_all(
        "table:not(.officer) tbody td[data-label]",
        "cells => cells.filter(c => c.getBoundingClientRect().width > 1)"
        ".map(c => getComputedStyle(c, '::before').content)")
    assert labels and all(label not in ("none", '""') for label in labels)


def test_phone_measure_tables_reflow_into_labelled_blocks(browser, rendered):
    page = visit(browser, rendered / "report.html", width=PHONE).page
    tables = page.query_selector_all("table.measures")
    assert len(tables) >= 3
    for table in tables:
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE
    first = page.query_selector("table.measures tbody td[data-label='Comment']")
    assert page.evaluate("c => getComputedStyle(c, '::before').content", first) == '"Comment"'


def test_phone_charts_fit_the_screen_with_legible_text(phone):
    assert phone.page.evaluate(SMALLEST_CHART_TEXT) >= 10
    shown = [c for c in phone.page.query_selector_all(".chart-svg") if c.bounding_box()]
    assert shown and all("chart-narrow" in c.get_attribute("class") for c in shown)
    for box in shown:
        svg = box.query_selector("svg").bounding_box()
        assert svg["x"] >= 0 and svg["x"] + svg["width"] <= PHONE  # the whole chart, unscrolled
        assert not phone.page.evaluate("b => b.scrollWidth > b.clientWidth", box)


def test_phone_page_is_clean_under_axe(phone):
    assert axe_violations(phone.page) == []


def test_wide_screen_shows_the_page_drawing_of_each_chart(report):
    shown = report.page.eval_on_selector_all(
        ".chart-svg", "els => els.map(e => [e.className, getComputedStyle(e).display])")
    assert {display for css, display in shown if "chart-wide" in css} == {"block"}
    assert {display for css, display in shown if "chart-narrow" in css} == {"none"}


# -- the index of quarters, and a report with history (tests/multiyear.py) ----------------

@pytest.fixture(scope="module")
def history_out(tmp_path_factory):
    """Three quarters of the two-year dataset, across the year end, rendered in one batch."""
    from multiyear import write_multiyear
    from perfkit.report import render_many

    base = tmp_path_factory.mktemp("history")
    data = write_multiyear(base / "data")
    files = []
    for year, quarter in (("2021/22", 4), ("2022/23", 1), ("2022/23", 2)):
        path = base / f"{year.replace('/', '-')}-Q{quarter}.yaml"
        path.write_text(f'data: {data}\nyear: "{year}"\nquarter: {quarter}\n'
                        "organisation: Test Borough Council\n", encoding="utf-8")
        files.append(path)
    assert [o.error for o in render_many(files, base / "out", jobs=2)] == [None] * 3
    return base / "out"


@pytest.fixture(scope="module", params=[None, PHONE], ids=["wide", "phone"])
def index_page(browser, history_out, request):
    return visit(browser, history_out / "index.html", width=request.param), request.param


def test_index_is_offline_drawn_and_accessible(index_page):
    seen, width = index_page
    assert (seen.outside, seen.errors, seen.dialogs) == ([], [], [])
    assert axe_violations(seen.page) == []
    links = seen.page.eval_on_selector_all("table.quarters a", "as => as.map(a => a.href)")
    assert len([a for a in links if a.endswith("/report.html")]) == 3
    # The drawing the stylesheet shows at this width (the page's or the phone's), named.
    shown = [s for s in seen.page.query_selector_all("figure.chart svg") if s.bounding_box()]
    assert len(shown) == 1 and shown[0].get_attribute("role") == "graphics-document"
    assert shown[0].bounding_box()["width"] > 200
    if width:
        page_width = seen.page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= PHONE
        assert seen.page.evaluate(CUT_CELLS) == []
        assert seen.page.evaluate(SMALLEST_CHART_TEXT) >= 10


@pytest.mark.parametrize("width", [None, PHONE], ids=["wide", "phone"])
def test_report_with_history_is_accessible(browser, history_out, width):
    seen = visit(browser, history_out / "2022-23-Q2" / "report.html", width=width)
    assert (seen.outside, seen.errors) == ([], [])
    assert axe_violations(seen.page) == []
    ids = seen.page.eval_on_selector_all("figure.chart", "fs => fs.map(f => f.id)")
    assert {"chart-headline-history", "chart-measure-history-1"} <= set(ids)
    if width:
        assert seen.page.evaluate("document.documentElement.scrollWidth") <= PHONE
        assert seen.page.evaluate(CUT_CELLS) == []
        assert seen.page.evaluate(SMALLEST_CHART_TEXT) >= 10


@pytest.fixture(scope="module")
def example_out(tmp_path_factory):
    """The fictional example council's last quarter (ten quarters held), from a copy.

    Rendered by the CLI in its own process: render_many forks, and this process holds the
    browser's threads."""
    import shutil
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("example")
    shutil.copytree(ROOT / "data" / "example", base / "data" / "example")
    shutil.copytree(ROOT / "params" / "example", base / "params" / "example")
    params = base / "params" / "example" / "2023-24-Q2.yaml"
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(base / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return base / "out" / "2023-24-Q2" / "report.html"


@pytest.mark.parametrize("width", [None, PHONE], ids=["wide", "phone"])
def test_the_examples_charts_over_time_fit_the_screen(browser, example_out, width):
    seen = visit(browser, example_out, width=width)
    assert (seen.outside, seen.errors) == ([], [])
    assert axe_violations(seen.page) == []
    # one chart of measures a priority, each drawn whole inside the viewport's width
    boxes = seen.page.eval_on_selector_all(
        "figure.chart[id^=chart-measure-history-] svg",
        "ss => ss.filter(s => s.getBoundingClientRect().width > 0)"
        "        .map(s => [s.getBoundingClientRect().left, s.getBoundingClientRect().right])")
    assert len(boxes) == 3
    viewport = seen.page.viewport_size["width"]
    assert all(0 <= left and right <= viewport for left, right in boxes)
    assert seen.page.evaluate(SMALLEST_CHART_TEXT) >= 10
    if width:
        assert seen.page.evaluate("document.documentElement.scrollWidth") <= PHONE
        assert seen.page.evaluate(CUT_CELLS) == []
