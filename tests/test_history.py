"""The measures-over-time charts (perfkit.history) for long plans, tested on chart.to_dict():
a plan's measures are charted priority by priority, no chart holds more panels than fit a
printed page, and each value axis is written in the measure's unit (minutes as m:ss)."""

from __future__ import annotations

import pandas as pd
import pytest

from perfkit import fit, history

PERIODS = [history.period(y, q) for y in ("2021/22", "2022/23") for q in (1, 2, 3, 4)] + [
    history.period("2023/24", q) for q in (1, 2)]
PRIORITIES = [("TB", "Making the borough thrive"), ("QL", "Quality of life"),
              ("VFM", "Value for money")]


def plan(counts: dict[str, int]) -> pd.DataFrame:
    """Points for ``counts[priority]`` percentage measures in each of ten quarters."""
    rows = []
    for pid, n in counts.items():
        for m in range(1, n + 1):
            for i, p in enumerate(PERIODS):
                rows.append({"measure": f"{pid} measure {m}", "period": p, "order": i,
                             "value": 50.0 + i, "bar": 55.0, "unit": "percent", "scale": "",
                             "priority_id": pid})
    return pd.DataFrame(rows)


def panels(fig) -> list[dict]:
    return fig.chart.to_dict()["concat"]


def panel_title(panel: dict) -> str:
    return " ".join(t for t in panel["title"]["text"] if t.strip())


@pytest.mark.parametrize("counts, charts", [
    ({"TB": 19, "QL": 11, "VFM": 16}, [4, 2, 3]),  # the sample's 46 measures: 6 a chart at most
    ({"TB": 6, "QL": 1, "VFM": 7}, [1, 1, 2]),
    ({"VFM": 2}, [1]),
])
def test_a_long_plan_is_charted_priority_by_priority_in_page_sized_charts(counts, charts):
    values = plan(counts)
    figs = history.measure_histories(values, "measures against their target", PRIORITIES)
    per_priority = {pid: [f for f in figs if f.title.startswith(dict(PRIORITIES)[pid])]
                    for pid in counts}
    assert [len(per_priority[pid]) for pid in counts] == charts
    drawn = []
    for pid, found in per_priority.items():
        for n, fig in enumerate(found, start=1):
            spec = fig.chart.to_dict()
            assert spec["columns"] == 2 and len(spec["concat"]) <= 6  # three rows of two
            assert fig.title.endswith(f"({n} of {len(found)})") == (len(found) > 1)
            names = [panel_title(p) for p in spec["concat"]]
            assert all(name.startswith(pid) for name in names)
            drawn += names
            # the description states every figure of every panel, and the table holds them
            for name in names:
                assert f"{name}: Q1 2021/22 50% against a target of 55%" in fig.description
            # a row of values and a row of targets a measure, a column a quarter
            assert len(fig.table) == 2 * len(names)
            assert list(fig.table.columns) == ["Measure", "Figure", *PERIODS]
    assert sorted(drawn) == sorted(values["measure"].unique())  # each measure once


def test_a_chart_fits_a_printed_page_and_a_phone():
    fig = history.measure_histories(plan({"TB": 6}), "measures", PRIORITIES)[0]
    spec = fig.chart.to_dict()
    width = spec["concat"][0]["width"]
    # two panels and their value axes inside A4's text width; three rows of panels, each
    # with its title and upright quarter labels, well inside its height (960 px)
    assert 2 * (width + history.PANEL_AXIS) <= history.PAGE_WIDTH
    assert len(spec["concat"]) / spec["columns"] * (history.PANEL_HEIGHT + 100) < 800
    assert all(p["width"] == width and p["height"] == history.PANEL_HEIGHT
               for p in spec["concat"])
    # every panel shares the whole time axis, so a measure new this year sits at the right
    axis = spec["concat"][0]["layer"][0]["encoding"]["x"]
    assert axis["scale"]["domain"] == PERIODS and axis["axis"]["labelAngle"] == -90
    phone = fit.for_phone(spec)
    assert phone["columns"] == 1
    # a time series' plot may be wider than a bar chart's on a phone (its value axis is
    # short numbers): with that axis it stays inside 375 px less the page's margins
    assert all(p["width"] <= fit.PHONE_SERIES_WIDTH for p in phone["concat"])
    assert fit.PHONE_SERIES_WIDTH + history.PANEL_AXIS <= 375 - 2 * 16
    # titles in lines for the page are put in a phone's lines
    assert all(len(line) <= fit.PHONE_TITLE_CHARS for line in phone["title"]["text"])


def test_twenty_quarters_stand_one_panel_a_row():
    assert history.layout(20) == (480, 1) and history.panels_per_chart(20) == 3


def _one(value: float, bar: float, unit: str, scale: str) -> pd.DataFrame:
    return pd.DataFrame({"measure": ["M"] * 2, "period": PERIODS[:2], "order": [0, 1],
                         "value": [value, value * 1.5], "bar": [bar] * 2, "unit": [unit] * 2,
                         "scale": [scale] * 2, "priority_id": ["TB"] * 2})


@pytest.mark.parametrize("unit, scale, value, bar, title, drawn, label", [
    # a call answer time of 3 min 16 s against 2 minutes: drawn in minutes, labelled m:ss
    ("duration", "minutes", 196.0, 120.0, "Minutes (m:ss)", [196 / 60, 294 / 60], "3:16"),
    ("duration", "days", 4 * 86400.0, 5 * 86400.0, "Days", [4.0, 6.0], None),
    ("percent", "", 58.0, 60.0, "Per cent", [58.0, 87.0], None),
    ("money", "", 1200.0, 1000.0, "Pounds", [1200.0, 1800.0], None),
])
def test_each_value_axis_is_in_the_measures_own_unit(unit, scale, value, bar, title, drawn,
                                                     label):
    fig = history.measure_history(_one(value, bar, unit, scale), "t")
    spec = fig.chart.to_dict()
    layer = spec["concat"][0]["layer"]
    axis = layer[0]["encoding"]["y"]["axis"]
    assert axis["title"] == title
    rows = spec["datasets"][spec["data"]["name"]]
    assert [r["shown"] for r in rows] == pytest.approx(drawn)
    assert layer[1]["encoding"]["y"]["field"] == "shown_bar"
    assert rows[0]["shown_bar"] == pytest.approx(drawn[0] * bar / value)
    if label:
        # the label expression Vega runs, run here on the first point's value
        expr = axis["labelExpr"]
        assert "floor(" in expr and "% 60 < 10 ? '0'" in expr
        seconds = round(drawn[0] * 60)
        assert f"{seconds // 60}:{seconds % 60:02d}" == label
    assert "seconds" not in fig.description


def test_past_the_panel_limit_the_figures_over_time_are_a_table(tmp_path):
    # Rendered by the CLI in its own process: loading a report here, in a test worker that
    # later forks a batch (test_index), left the forked renders waiting on a lock.
    from conftest import ROOT
    from perfkit.limits import MAX_TREND_PANELS
    from test_example import copy_example, render, write_long_plan

    params = copy_example(tmp_path)
    write_long_plan(tmp_path / "data" / "example", copies=6)  # 66 measures
    render([p for p in params if p.name == "2023-24-Q2.yaml"], tmp_path / "out")
    html = (tmp_path / "out" / "2023-24-Q2" / "report.html").read_text(encoding="utf-8")
    assert ROOT.exists() and 'id="chart-measure-history-' not in html
    assert f"drawn for up to {MAX_TREND_PANELS} measures (MAX_TREND_PANELS); this plan has 66" \
        in html
    # the same figures: a row of values and one of targets a measure, a column a quarter
    trends = html[html.index('<section id="trends"'):]
    assert trends.count("<th scope=\"row\">Average time to answer a customer call (area 6)") == 2
    assert "2 min 20 s" in html and 'id="chart-headline-history"' in html


@pytest.mark.parametrize(("first", "second", "places"), [
    # Close figures: the lower one's label goes below its point, so the two do not meet.
    ((75.0, 80.0), (77.0, 81.0), {("Q1", "77%"): "above", ("Q1", "75%"): "below",
                                  ("Q2", "81%"): "above", ("Q2", "80%"): "below"}),
    # Far apart: both above.
    ((30.0, 90.0), (77.0, 40.0), {("Q1", "77%"): "above", ("Q1", "30%"): "above",
                                  ("Q2", "90%"): "above", ("Q2", "40%"): "above"}),
    # Equal: one above, one below.
    ((50.0, 50.0), (50.0, 50.0), {("Q1", "50%"): {"above", "below"}}),
])
def test_close_headline_labels_are_drawn_apart(first, second, places):
    points = pd.DataFrame({
        "period": ["Q1", "Q2"] * 2, "order": [1, 2] * 2,
        "headline": ["Milestones"] * 2 + ["Measures"] * 2, "pct": [*first, *second],
        "text": [f"{p:.0f}%" for p in (*first, *second)], "count": [1] * 4, "base": [2] * 4})
    spec = history.headline_history(points, "Headlines").chart.to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    # Two label layers, one above the point and one below, each drawing its own points.
    assert [(t["mark"]["dy"], t["transform"][0]["filter"]["equal"]) for t in texts] == \
        [(-11, "above"), (19, "below")]
    found: dict = {}
    for v in values:
        found.setdefault((v["period"], v["text"]), set()).add(v["place"])
    for key, place in places.items():
        assert found[key] == (place if isinstance(place, set) else {place}), key
