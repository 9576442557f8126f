"""The rendered report in a real browser: offline, drawn, error-free and accessible."""

from __future__ import annotations

import pytest

from browser import ARGS, axe_violations, require_browser, visit


@pytest.fixture(scope="module")
def browser():
    path = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=ARGS)
        yield chromium
        chromium.close()


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
        svg = chart.query_selector("svg")
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        assert len(svg.query_selector_all("path")) >= 8  # bars, axes and legend drawn
        assert svg.get_attribute("role") == "img"
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


def test_progress_lists_survive_as_lists(report):
    items = report.page.query_selector_all("table.milestones .progress li")
    assert len(items) > 100


@pytest.fixture(scope="module")
def cabinet(browser, rendered):
    return visit(browser, rendered / "cabinet.html")


def test_cabinet_is_offline_drawn_and_accessible(cabinet):
    assert (cabinet.outside, cabinet.errors, cabinet.dialogs) == ([], [], [])
    svg = cabinet.page.query_selector("figure.chart svg")
    assert svg.get_attribute("role") == "img" and svg.bounding_box()["width"] > 300
    assert len(svg.query_selector_all("path")) >= 18  # two 3x3 grids
    assert axe_violations(cabinet.page) == []


def test_cabinet_links_to_its_appendix(cabinet, rendered):
    href = cabinet.page.get_attribute("header a", "href")
    assert href == "report.html" and (rendered / href).exists()
