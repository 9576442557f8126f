"""The Cabinet covering report: fields from the data, hand-typed figures caught, risks drawn."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLE, write_params
from perfkit import charts
from perfkit.covering import (
    CoveringError, check_fields, current_risks, fields, hand_typed, render_body,
)
from perfkit.summary import summarise


@pytest.fixture(scope="module")
def summary(sample):
    return summarise(sample, "2022/23", 2)


def test_cabinet_figures_equal_summary_json(rendered):
    summary = json.loads((rendered / "summary.json").read_text())
    page = (rendered / "cabinet.html").read_text()
    m = summary["milestones"]["pct"]
    well, met = m["green"] + m["complete"], summary["measures"]["pct_met"]
    assert f"Put simply: {well}% of the milestones are progressing well,\nand {met}% of the" in page
    report = (rendered / "report.html").read_text()
    # Each priority's paragraph in the covering report is the appendix's, word for word.
    for paragraph in re.findall(r"<p>((?:Making|Improving|Providing)[^<]+has \w+ milestones[^<]+)</p>", report):
        assert paragraph.replace("'", "&#x27;") in page or paragraph in page, paragraph
    assert '<a href="report.html">' in page
    assert "36 milestones and 46 measures" in page


def test_fields_follow_the_data(summary):
    f = fields(summary)
    assert (f["year"], f["quarter"]) == ("2022/23", 2)
    assert f["milestones"]["total"] == "36" and f["measures"]["quarterly"] == "20"
    assert f["priorities"]["VFM"]["measures"]["pct_met"] == "50%"
    assert f["priorities"]["TB"]["measures"]["met"] == "seven"  # house style


def test_unknown_field_names_the_line_and_the_fields(summary):
    source = "# Title\n\nAll good.\n\n{{ milestones.pct_progresing_well }} and {{ mood }}\n"
    with pytest.raises(CoveringError) as caught:
        check_fields(source, fields(summary), "cabinet.md")
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("cabinet.md, line 5: unknown field 'milestones.pct_progresing_well' "
                               "(fields under 'milestones': milestones.total, milestones.rated,")
    assert "milestones.pct_progressing_well" in lines[0]
    assert lines[1].startswith("cabinet.md, line 5: unknown field 'mood' (fields: year, quarter,")
    assert "priorities.<TB|QL|VFM>.*" in lines[1]


def test_subscripts_are_fields_and_loops_are_refused(summary):
    context = fields(summary)
    check_fields("{{ priorities['TB'].name }}", context, "c.md")
    with pytest.raises(CoveringError, match="unknown field 'priorities.XX.name'"):
        check_fields("{{ priorities['XX'].name }}", context, "c.md")
    with pytest.raises(CoveringError, match=r"line 2: '\{% for p in priorities %\}' is a template statement"):
        check_fields("x\n{% for p in priorities %}{{ p }}{% endfor %}", context, "c.md")


def test_officer_html_is_sanitised(summary):
    body = render_body("Hello <script>alert(1)</script> <a href='javascript:x'>x</a>\n\n"
                       "{{ risk_table }}", fields(summary), {"risk_table": "<table>R</table>"},
                       "c.md")
    assert "<script" not in body and "javascript:" not in body and "<table>R</table>" in body


@pytest.mark.parametrize(("text", "found"), [
    ("Milestones are expected to be completed during 2021/22.", ["2021/22"]),
    ("Of the measures, 79% met their target.", ["79%"]),
    ("Four of the eight milestones are amber.", ["Four", "eight"]),
    ("There are 17 measures in this priority.", ["17"]),
    ("The new plan runs from 2024 to 2028.", ["2024 to 2028"]),
    ("The council plan runs 2019 – 2023.", []),            # the declared plan span
    ("In October 2022 the council met.", []),              # a year of the report's year
    ("{{ milestones.pct_progressing_well }} of milestones are on track.", []),
    ("The budget rose by 4% this year.", []),              # not about milestones or measures
    ("Measures for {{ year }} are in the appendix.", []),
    ("| VFM1 | 50% | milestones |", []),                  # the officer's own table
])
def test_hand_typed_figures(text, found):
    assert [w.found for w in hand_typed(text, "2022/23", "2019 – 2023", "c.md")] == found


def test_run_warns_of_a_stale_year_and_a_typed_percentage(tmp_path):
    covering = tmp_path / "cabinet.md"
    covering.write_text("# Covering report\n\n"
                        "All milestones are expected to be completed during 2021/22.\n\n"
                        "Overall, 86% of milestones are progressing well.\n\n{{ overall_paragraph }}\n")
    params = write_params(tmp_path / "p.yaml", SAMPLE, 2, covering=str(covering))
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert ("perfkit: warning: cabinet.md, line 3: '2021/22' is not the report's year (2022/23) "
            "or the plan's span") in done.stderr
    assert ("perfkit: warning: cabinet.md, line 5: '86%' is a percentage typed by hand in a "
            "sentence about milestones or measures") in done.stderr
    # A check for the officer, not the public: in the log and summary.json, not on the page.
    report = (tmp_path / "out" / "2022-23-Q2" / "report.html").read_text()
    assert "typed by hand" not in report and "cabinet.md" not in report
    warnings = json.loads((tmp_path / "out" / "2022-23-Q2" / "summary.json").read_text())["warnings"]
    assert any("2021/22" in w for w in warnings) and any("86%" in w for w in warnings)


def test_run_with_an_unknown_field_fails_before_rendering(tmp_path):
    covering = tmp_path / "cabinet.md"
    covering.write_text("Intro\n\n{{ milestones.percent }}\n")
    params = write_params(tmp_path / "p.yaml", SAMPLE, 2, covering=str(covering))
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2
    assert "cabinet.md, line 3: unknown field 'milestones.percent'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "2022-23-Q2" / "report.html").exists()


def test_risk_matrix_spec(sample):
    risks = current_risks(sample.risks, "2022/23", 2)
    fig = charts.risk_matrix(risks, "2022/23", 2)
    spec = fig.chart.to_dict()
    assert [c["title"] for c in spec["hconcat"]] == ["Before mitigation", "After mitigation"]
    cells = fig.data.set_index(["stage", "impact", "likelihood"])["risks"]
    assert cells["Before mitigation", "High", "High"] == "R1"
    assert cells["After mitigation", "Medium", "Medium"] == "R2, R3"
    assert "R4, Call answering times" in spec["description"]
    assert "impact medium and likelihood high before mitigation; impact low and likelihood medium after" in spec["description"]


def test_bad_risk_level_is_named(sample_copy, capsys):
    from perfkit.cli import main

    path = sample_copy / "risks.csv"
    path.write_text(path.read_text().replace(",H,H,", ",Severe,H,", 1))
    assert main(["check", str(sample_copy)]) == 2
    assert ("risks.csv, row 2, column 'impact': 'Severe' is not allowed "
            "(allowed: H, M or L (or high, medium, low))") in capsys.readouterr().err


def test_the_print_copy_comes_from_the_same_build_and_links_to_the_pdf(tmp_path, sample,
                                                                        summary):
    from perfkit.covering import build_covering

    source = tmp_path / "cover.md"
    source.write_text("# Q{{ quarter }}\n\nSee [the appendix]({{ appendix }}).\n\n"
                      "{{ risk_table }}\n", encoding="utf-8")
    build = dict(organisation="Chesterfield Borough Council", plan_span=None, title="Cover")
    web = build_covering(source, summary, sample.risks, **build)
    both = build_covering(source, summary, sample.risks, print_appendix="report.pdf", **build)
    assert web.print_body is None and both.body == web.body
    assert 'href="report.html"' in both.body and 'href="report.pdf"' not in both.body
    assert both.print_body == web.body.replace('href="report.html"', 'href="report.pdf"')
    assert 'id="chart-risks"' in both.print_body  # the risk table and matrix, drawn once
