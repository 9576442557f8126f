"""Charts are specs: tested through to_dict(), and their colours through WCAG contrast."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from perfkit import assess_quarter, charts, roll_up
from perfkit.summary import summarise


def contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture(scope="module")
def rollup(sample):
    return roll_up(assess_quarter(sample, "2022/23", 2))


def test_milestone_chart_spec(rollup):
    fig = charts.milestones_by_rag(rollup)
    spec = fig.chart.to_dict()
    assert spec["title"] == "Milestones by RAG status, quarter 2 2022/23"
    assert "All priorities: 31 green, 4 amber, 1 red, 0 complete." in spec["description"]
    assert "Providing value for money services: 4 green, 4 amber" in spec["description"]
    bars, labels = spec["layer"]
    assert bars["mark"]["type"] == "bar" and labels["mark"]["type"] == "text"
    assert spec["encoding"]["color"]["scale"]["range"] == list(charts.RAG_COLOURS.values())
    assert "color" not in bars["encoding"] and labels["encoding"]["color"]["field"] == "_ink"
    counts = fig.data.set_index(["group", "status"])["count"]
    assert counts["Improving quality of life for local people", "Red"] == 1


def test_measure_chart_counts_tracked_measures(rollup):
    fig = charts.measures_by_status(rollup)
    counts = fig.data.set_index(["group", "status"])["count"]
    assert counts["All priorities", "Met"] == 16 and counts["All priorities", "Missed"] == 3
    assert counts["Providing value for money services", "Near target"] == 1


def test_trend_charts_from_two_quarters(two_quarters):
    from perfkit import load_dataset

    s = summarise(load_dataset(two_quarters), "2022/23", 2)
    fig = charts.rag_by_quarter([*s.history, s.rollup])
    assert list(dict.fromkeys(fig.data["quarter"])) == ["Q1 2022/23", "Q2 2022/23"]
    spec = fig.chart.to_dict()
    assert spec["title"].startswith("Milestones by RAG status in each quarter")


@pytest.mark.parametrize("fill", [*charts.RAG_COLOURS.values(), *charts.STATUS_COLOURS.values()])
def test_bar_labels_pass_contrast(fill):
    ink = charts.TEXT_ON.get(fill, "#ffffff")
    assert contrast(ink, fill) >= 4.5


def test_badge_colours_pass_contrast():
    css = (ROOT / "perfkit" / "templates" / "perfkit_report" / "report.css").read_text()
    pairs = re.findall(r"background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6})", css)
    assert len(pairs) >= 5
    for background, ink in pairs:
        assert contrast(ink, background) >= 4.5, (background, ink)
