"""Limits where the work is: what `perfkit check` accepts, `perfkit report` renders, with and
without --pdf. Each plan is the sample with rows added here; each limit is named in its
message."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, write_params
from pdf_pages import require_poppler
from perfkit.limits import (
    MAX_PLAN_ITEMS, MAX_PRIORITIES, MAX_QUARTER_TEXT, MAX_STATUSES, MAX_TREND_PANELS,
)
from test_bounded import perfkit, refused

SAMPLE_ITEMS = 36 + 46  # the sample's milestones and measures


def add_rows(folder: Path, name: str, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    with open(folder / f"{name}.csv", "a", encoding="utf-8", newline="") as handle:
        handle.write(out.getvalue())


def grow(folder: Path, priorities: int = 0, milestones: int = 0, note: int = 60,
         measures: int = 0, quarters: tuple[int, ...] = (2,)) -> Path:
    """Add priorities, milestones (with notes of ``note`` characters) and quarterly measures."""
    add_rows(folder, "priorities", [["2022/23", f"P{i}", f"Priority {i}", str(10 + i)]
                                    for i in range(priorities)])
    owner = (lambda i: f"P{i % priorities}") if priorities else (lambda i: "TB")
    add_rows(folder, "milestones", [["2022/23", f"XM{i}", owner(i), f"Extra milestone {i}",
                                     "", ""] for i in range(milestones)])
    add_rows(folder, "milestone_updates", [["2022/23", "2", f"XM{i}", "Green",
                                            ("Progress. " * note)[:note]]
                                           for i in range(milestones)])
    header = (folder / "measures.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    rows = []
    for i in range(measures):
        row = dict.fromkeys(header, "")
        row.update(year="2022/23", measure_id=f"XE{i}", priority_id=owner(i),
                   name=f"Extra measure {i}", target="60%", frequency="quarterly")
        rows.append([row[h] for h in header])
    add_rows(folder, "measures", rows)
    add_rows(folder, "measure_updates", [["2022/23", str(q), f"XE{i}", f"{50 + i % 20}%", "", ""]
                                         for q in quarters for i in range(measures)])
    return folder


@pytest.mark.parametrize(("size", "message"), [
    (dict(priorities=MAX_PRIORITIES - 2),  # the sample has 3: one over
     f"2022/23 has {MAX_PRIORITIES + 1} priorities (allowed: at most {MAX_PRIORITIES} "
     "priorities in a year (MAX_PRIORITIES"),
    (dict(priorities=1300), "2022/23 has 1,303 priorities"),
    (dict(milestones=MAX_PLAN_ITEMS - SAMPLE_ITEMS + 1),
     f"2022/23 has {MAX_PLAN_ITEMS + 1} milestones and measures (allowed: at most "
     f"{MAX_PLAN_ITEMS} milestones and measures in a year (MAX_PLAN_ITEMS"),
    (dict(milestones=4000), "2022/23 has 4,082 milestones and measures"),
    (dict(milestones=300, note=MAX_QUARTER_TEXT // 300 + 1),
     f"characters (allowed: at most {MAX_QUARTER_TEXT:,} characters of text in one "
     "quarter's report (MAX_QUARTER_TEXT"),
], ids=["one priority over", "1,300 priorities", "one item over", "4,000 milestones",
        "text over"])
def test_check_refuses_what_report_could_not_render_naming_the_limit(sample_copy, size,
                                                                     message, tmp_path):
    grow(sample_copy, **size)
    refused(perfkit("check", sample_copy), message)
    params = write_params(tmp_path / "p.yaml", sample_copy, 2)
    refused(perfkit("report", params, "--out", tmp_path / "out", "--quiet"), message)
    assert not (tmp_path / "out").exists()


def test_a_scheme_with_2004_statuses_is_refused_before_any_work(tmp_path):
    rows = "".join(f'  - {{key: s{i}, label: S, colour: "#00703c"}}\n' for i in range(2004))
    (tmp_path / "many.yaml").write_text(f"name: many\nmilestone_statuses:\n{rows}")
    params = write_params(tmp_path / "p.yaml", ROOT / "data" / "chesterfield", 2,
                          scheme="many.yaml")
    refused(perfkit("report", params, "--out", tmp_path / "out", "--quiet"),
            "larger than the 64 KB a scheme file may be (MAX_SCHEME_BYTES)")


def test_a_scheme_at_the_status_limit_with_the_most_priorities_renders(tmp_path, sample_copy):
    """Every chart within Altair's 5,000 rows: 101 groups by 20 statuses and perfkit's own."""
    grow(sample_copy, priorities=MAX_PRIORITIES - 3, milestones=200)
    extra = "".join(f'  - {{key: s{i}, label: Stage {i}, colour: "#1d70b8"}}\n'
                    for i in range(MAX_STATUSES - 4))
    text = (ROOT / "perfkit" / "schemes" / "chesterfield.yaml").read_text(encoding="utf-8")
    text = text.replace("measure_statuses:\n", extra + "measure_statuses:\n", 1)
    (tmp_path / "wide.yaml").write_text(text, encoding="utf-8")
    params = write_params(tmp_path / "p.yaml", sample_copy, 2, scheme="wide.yaml")
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "out" / "2022-23-Q2" / "report.html").read_text(encoding="utf-8")
    assert "Stage 15" in page and "Priority 95" in page


def test_a_plan_at_every_limit_renders_with_its_pdf(tmp_path, sample_copy):
    """The most a check accepts: 100 priorities, 500 items and nearly all the text allowed,
    rendered with --pdf (the PDF is where the time and memory go)."""
    milestones = MAX_PLAN_ITEMS - SAMPLE_ITEMS
    grow(sample_copy, priorities=MAX_PRIORITIES - 3, milestones=milestones,
         note=(MAX_QUARTER_TEXT - 60_000) // milestones)  # the sample prints 42,556
    assert perfkit("check", sample_copy).returncode == 0
    params = write_params(tmp_path / "p.yaml", sample_copy, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(tmp_path / "out"), "--quiet", "--pdf"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    require_poppler()
    info = subprocess.run(["pdfinfo", str(tmp_path / "out" / "2022-23-Q2" / "report.pdf")],
                          capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) > 100


def test_more_trend_panels_than_the_limit_are_listed_as_a_table(tmp_path, sample_copy):
    grow(sample_copy, measures=MAX_TREND_PANELS + 5, quarters=(1, 2))
    params = write_params(tmp_path / "p.yaml", sample_copy, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "out" / "2022-23-Q2" / "report.html").read_text(encoding="utf-8")
    assert 'id="chart-measure-history-1"' not in page and 'id="chart-measure-trend"' not in page
    said = re.search(rf"drawn for up to {MAX_TREND_PANELS} measures \(MAX_TREND_PANELS\); "
                     r"this plan has (\d+), so their values are listed in this table", page)
    assert said and int(said[1]) >= MAX_TREND_PANELS + 5
    # Every value is still there: the extra measures' Q1 and Q2 figures.
    assert page.count("Extra measure 64") >= 2
