"""Charts fitted to a page and to a phone (perfkit/fit.py), on specs and in a real browser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from browser import axe_violations, browser, visit
from conftest import ROOT, write_params
from longtext import LONG_NAMES, write_long_text
from perfkit import fit


@pytest.mark.parametrize("text, chars, lines", [
    ("All priorities", 15, ["All priorities"]),
    ("Improving quality of life for local people", 15,
     ["Improving", "quality of life", "for local", "people"]),
    ("Supercalifragilisticexpialidocious housing", 15,
     ["Supercalifragilisticexpialidocious", "housing"]),  # a long word stays whole
    (LONG_NAMES["TB"], 30, ["Making Chesterfield a thriving", "borough where everyone can",
                            "prosper and feel proud Making", "Ch"]),
])
def test_labels_break_at_spaces_and_are_never_cut(text, chars, lines):
    assert fit.label_lines(text, chars) == lines
    assert " ".join(lines) == text


@pytest.mark.parametrize(("quarters", "angle"), [(3, 0), (10, -90)])
def test_a_time_series_on_a_phone_is_wider_and_stands_crowded_quarters_upright(quarters,
                                                                                angle):
    # Ten quarters' names side by side ran into one another at 375 px; three fit as they are.
    import pandas as pd

    from perfkit import history

    periods = [history.period("2022/23" if i < 4 else "2023/24" if i < 8 else "2024/25",
                              i % 4 + 1) for i in range(quarters)]
    points = pd.DataFrame({"period": periods, "order": range(quarters),
                           "headline": "Met target", "pct": 50.0, "text": "50%",
                           "count": 1, "base": 2})
    spec = history.headline_history(points, "Headlines").chart.to_dict()
    phone = fit.for_phone(spec)
    assert phone["width"] == min(spec["width"], fit.PHONE_SERIES_WIDTH)
    x = phone["layer"][0]["encoding"]["x"]
    assert x["axis"]["labelAngle"] == angle
    # the page keeps its own layout
    assert fit.for_page(spec)["layer"][0]["encoding"]["x"]["axis"]["labelAngle"] == 0


def test_the_data_is_never_taken_for_layout():
    # an analyst's chart of milestones: its rows have a "title", and a "width" in metres
    import altair as alt
    import pandas as pd

    rows = pd.DataFrame({"title": ["Relocate the depot", "Resurface the square"],
                         "width": [640.0, 900.0]})
    spec = alt.Chart(rows).mark_bar().encode(y="title:N", x="width:Q").properties(
        width=700, height=alt.Step(30)).to_dict()
    phone = fit.for_phone(spec)
    assert [r for values in phone["datasets"].values() for r in values] == \
        rows.to_dict("records")
    assert phone["width"] == fit.PHONE_ROW_WIDTH


def _summary(tmp_path):
    from perfkit.sections import open_report

    return open_report(str(write_long_text(tmp_path / "data")), "2022/23", 2)


def test_every_chart_is_fitted_for_a_phone(tmp_path):
    figures = _summary(tmp_path).figures()
    assert {"chart-milestones", "chart-measures", "chart-rag-trend",
            "chart-measure-history-1"} <= set(figures)
    for ident, figure in figures.items():
        spec = figure.chart.to_dict()
        page, phone = fit.for_page(spec), fit.for_phone(spec)
        text = str(page) + str(phone)
        assert "labelLimit': 0" in text and "labelLimit': 260" not in text, ident
        for node in fit._nodes(phone):
            assert node.get("width", 0) <= fit.PHONE_ROW_WIDTH, ident
            assert "hconcat" not in node, ident
            if "facet" in node or "concat" in node:
                assert node.get("columns") == 1, ident
    bars = fit.for_phone(figures["chart-milestones"].chart.to_dict())
    # a horizontal bar chart puts each name above its bar, and every band fits its lines
    # the names' axis is shared by the layer (an analyst's re-sort reaches every mark)
    y = bars["layer"][0]["encoding"].get("y") or bars["encoding"]["y"]
    assert y["axis"]["labelAlign"] == "left"
    lines = max(len(fit.label_lines(n, fit.PHONE_ROW_CHARS)) for n in LONG_NAMES.values())
    assert bars["height"]["step"] >= lines * fit.LINE_HEIGHT + fit.BAR


def test_each_bar_says_its_group_count_and_status(tmp_path):
    figure = _summary(tmp_path).figures()["chart-milestones"]
    spec = figure.chart.to_dict()
    assert spec["layer"][0]["encoding"]["description"]["field"] == "_aria"
    assert spec["layer"][1]["mark"]["aria"] is False  # the drawn counts are not read twice
    words = {row["_aria"] for rows in spec["datasets"].values() for row in rows}
    assert f"{LONG_NAMES['TB']}: 14 green" in words


# -- in a browser, with 90-character priority names ---------------------------------------------

@pytest.fixture(scope="module")
def long_report(tmp_path_factory):
    base = tmp_path_factory.mktemp("long")
    params = write_params(base / "long.yaml", write_long_text(base / "data"), 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(base / "out")], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return base / "out" / "2022-23-Q2" / "report.html"


# Every chart drawn on the page: its box, its smallest text as drawn, and any text cut with "…".
CHARTS = """() => [...document.querySelectorAll('.chart-svg')]
    .filter(box => box.getBoundingClientRect().width > 0)
    .map(box => { const svg = box.querySelector('svg'); const r = svg.getBoundingClientRect();
        const scale = r.width / svg.width.baseVal.value;
        const texts = [...svg.querySelectorAll('text')];
        return {left: r.left, right: r.right, scrolls: box.scrollWidth > box.clientWidth,
                smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
                cut: texts.map(t => t.textContent).filter(t => t.includes('…')),
                text: texts.map(t => t.textContent).join(' '),
                marks: [...svg.querySelectorAll('[role=graphics-symbol]')]
                    .map(m => m.getAttribute('aria-label'))}; })"""


@pytest.mark.parametrize("width", [375, 1280])
def test_long_names_wrap_and_every_chart_fits(browser, long_report, width):
    seen = visit(browser, long_report, width=width)
    charts = seen.page.evaluate(CHARTS)
    # the dashboard's two, the RAG trend, and the measures priority by priority
    ids = seen.page.eval_on_selector_all("figure.chart", "fs => fs.map(f => f.id)")
    assert ids[:3] == ["chart-milestones", "chart-measures", "chart-rag-trend"]
    assert len(ids) > 3 and all(i.startswith("chart-measure-history-") for i in ids[3:])
    assert len(charts) == len(ids)
    for chart in charts:
        assert chart["cut"] == []
        assert chart["left"] >= 0 and chart["right"] <= width and not chart["scrolls"]
        assert chart["smallest"] >= 10
    words = " ".join(chart["text"] for chart in charts)
    for name in LONG_NAMES.values():
        assert name.split()[-1] in words  # the last word of each name is drawn
    marks = [m for chart in charts for m in chart["marks"]]
    assert f"{LONG_NAMES['TB']}: 14 green" in marks
    assert seen.page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe_violations(seen.page) == []
