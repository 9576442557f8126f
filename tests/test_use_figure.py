"""perfkit's own figures and tables, changed from the notebook with Altair (no edit to perfkit/)."""

from __future__ import annotations

import re

import altair as alt
import pytest

from conftest import SAMPLE
from perfkit.errors import ParamsError
from perfkit.html import figure
from perfkit.sections import open_report


@pytest.fixture
def report():
    return open_report(str(SAMPLE), "2022/23", 2)


def test_recolour_resort_resize_and_a_layer_are_published(report):
    fig = report.figures()["chart-milestones"]
    groups = list(dict.fromkeys(fig.data["group"]))[::-1]
    report.use_figure("chart-milestones", fig.chart.encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=["Green", "Amber", "Red", "Complete"],
                                                    range=["#005a30", "#ffdd00", "#942514",
                                                           "#003078"])),
        y=alt.Y("group:N", sort=groups, title="Where"),
    ).properties(width=420))
    target = alt.Chart().mark_rule(strokeDash=[4, 4], color="#0b0c0c").encode(x=alt.datum(30))
    report.use_figure("chart-measures", report.figures()["chart-measures"].chart + target,
                      description="Measures. The dashed line marks our ambition of 30.")
    spec = report.figures()["chart-milestones"].chart.to_dict()
    assert spec["encoding"]["color"]["scale"]["range"][1] == "#ffdd00"
    assert spec["encoding"]["y"]["sort"] == groups and spec["width"] == 420
    html = report.dashboard().html
    milestones = re.search(r'<figure class="chart" id="chart-milestones">.*?</figure>', html,
                           re.S)[0]
    assert 'fill="#ffdd00"' in milestones and ">Where</text>" in milestones
    assert "Milestones by RAG status, quarter 2 2022/23" in milestones  # title kept
    measures = re.search(r'<figure class="chart" id="chart-measures">.*?</figure>', html,
                         re.S)[0]
    assert "The dashed line marks our ambition of 30." in measures
    assert 'stroke-dasharray="4,4"' in measures


def test_charts_concatenate(report):
    figs = report.figures()
    both = figs["chart-milestones"].chart | figs["chart-measures"].chart
    assert len(both.to_dict()["hconcat"]) == 2  # no "config" in the way
    report.use_figure("chart-milestones", both, title="Milestones and measures")
    assert "<svg" in figure(report.figures()["chart-milestones"], "x")


def test_table_columns_and_their_order(report):
    report.use_columns("measures", ["Status", "Measure", "Comment"])
    html = report.priority_sections().html
    heads = re.findall(r'<table class="measures">.*?<thead><tr>(.*?)</tr>', html, re.S)
    assert heads and all(re.findall(r">([^<]+)</th>", h) == ["Status", "Measure", "Comment"]
                         for h in heads)
    assert "Target" not in heads[0]
    exceptions = report.exceptions().html
    assert re.findall(r'<table class="measures">.*?<thead><tr>(.*?)</tr>', exceptions, re.S)[0] \
        == heads[0]


@pytest.mark.parametrize("call, says", [
    (lambda r: r.use_figure("chart-nope", alt.Chart()), "no figure 'chart-nope'"),
    (lambda r: r.use_figure("chart-measures", "red"), "takes an Altair chart, not str"),
    (lambda r: r.use_columns("risks", ["Risk"]), "no table 'risks'"),
    (lambda r: r.use_columns("milestones", ["Colour"]),
     "'Colour' is not a column of the milestones table (columns: Milestone, Status, Progress)"),
])
def test_mistakes_name_what_exists(report, call, says):
    with pytest.raises(ParamsError, match=re.escape(says)):
        call(report)
