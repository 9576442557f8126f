"""cabinet.docx and report.docx (perfkit report --docx), opened with python-docx as an officer's
Word would: headings, tables with header rows, charts as pictures with alternative text, the
document's title and language."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import PARAMS, ROOT

docx = pytest.importorskip("docx", reason="python-docx is the docx extra (make report installs it)")


@pytest.fixture(scope="module")
def papers(tmp_path_factory):
    out = tmp_path_factory.mktemp("word")
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(PARAMS), "--out",
                           str(out), "--docx"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    # the operator's log: when, how long, and what the set gained
    first, *changes = done.stdout.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ wrote .*cabinet\.docx in \d+\.\d s", first)
    assert any(line.endswith("2022-23-Q2: added cabinet.docx, cabinet.html, figures.csv, report.docx, "
                             "report.html, report.ipynb, summary.json") for line in changes)
    # and, last, the index of quarters at the output root, which the run rewrote
    assert changes[-1].endswith("Z index.html: rewritten, listing 1 quarter"), changes
    return out / "2022-23-Q2"


def _is_header(row) -> bool:
    from docx.oxml.ns import qn

    trpr = row._tr.trPr
    return trpr is not None and trpr.find(qn("w:tblHeader")) is not None


def test_cabinet_docx_opens_with_headings_tables_a_chart_title_and_language(papers):
    doc = docx.Document(papers / "cabinet.docx")
    assert doc.core_properties.title.startswith("Covering report – Council Plan Delivery Plan")
    assert doc.core_properties.title.count(":") == 1  # the cabinet heading's one colon
    assert doc.core_properties.language == "en-GB"
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "1. Purpose of the report" in headings and "7. Risk management" in headings
    risks = next(t for t in doc.tables if t.rows[0].cells[0].text == "Risk")
    assert _is_header(risks.rows[0]) and not _is_header(risks.rows[1])
    assert [r.cells[0].text for r in risks.rows[1:]] == ["R1", "R2", "R3", "R4", "R5"]
    (chart,) = doc.inline_shapes
    alt = chart._inline.docPr.get("descr")
    assert alt.startswith("Risks by impact and likelihood") and "R1" in alt


def test_report_docx_has_every_section_its_tables_and_both_dashboard_charts(papers):
    doc = docx.Document(papers / "report.docx")
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:2] == ["Summary", "Performance dashboard"]
    assert {"Exceptions", "Data quality", "About this report"} <= set(headings)
    alts = [s._inline.docPr.get("descr") for s in doc.inline_shapes]
    assert len(alts) == 2 and "31 green" in alts[0]  # the page's drawing only, not the phone's
    milestones = [t for t in doc.tables if t.rows[0].cells[0].text == "Milestone"]
    assert milestones and all(_is_header(t.rows[0]) for t in milestones)
    words = {c.text for t in milestones for r in t.rows[1:] for c in r.cells}
    assert {"Green", "Amber", "Red"} <= words  # status in words, as on the page


def test_a_status_and_its_reason_are_on_lines_of_their_own(papers):
    # As the page sets them (report.css: .reason is a block): run on, a cell read
    # "Met2,438 is above the target of 1,900."
    doc = docx.Document(papers / "report.docx")
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "Met\n2,438 is above the target of 1,900." in cells
    glued = [c for c in cells if re.search(r"(Met|Missed|target|Green|Amber|Red)[0-9A-Z]", c)]
    assert not glued, glued[:3]
