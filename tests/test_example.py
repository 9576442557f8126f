"""The fictional Example Borough Council (data/example, params/example): its quarters render
with trends across years, travel against last year and persistent exceptions, and a long
plan's charts over time print inside an A4 page. Copies under tmp_path: nothing is written
into the repository's folders."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from pdf_pages import BOTTOM, TOP, require_poppler

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"(.*?)</word>")


def copy_example(base: Path) -> list[Path]:
    """data/example and params/example under ``base``, laid out as in the repository (the
    params name ``data/example``, found in a folder above them)."""
    shutil.copytree(ROOT / "data" / "example", base / "data" / "example")
    shutil.copytree(ROOT / "params" / "example", base / "params" / "example")
    return sorted((base / "params" / "example").glob("*.yaml"))


def render(params: list[Path], out: Path, *flags: str) -> None:
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", *map(str, params),
                           "--out", str(out), "--quiet", *flags], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("example")
    out = base / "out"
    render(copy_example(base), out)
    return out


# Worked out from data/example at 2023/24 quarter 2, against quarter 1 (previous) and
# 2022/23 quarter 2 (last year).
EXPECTED_TRAVEL = {
    "milestones": {
        # improved: HC3 red→amber, HC4 green→complete, MC3 amber→green; declined: PB4
        # amber→red; unchanged: PB2, PB3 (red), PB5, HC2, MC1, MC2 (amber), MC4
        "vs_previous_quarter": {"improved": 3, "declined": 1, "unchanged": 7,
                                "not_comparable": 0},
        # improved: HC2 amber→green, HC4 green→complete, MC3 amber→green; declined: PB3
        # amber→red, PB4 green→red; unchanged: PB2, HC3 (amber), MC1, MC2 (amber);
        # PB5 and MC4 are new in the 2023/24 plan
        "vs_last_year": {"improved": 3, "declined": 2, "unchanged": 4, "not_comparable": 2},
    },
    "measures": {
        # declined: MC-M1 2:05→2:20 (lower is better), MC-M3 94%→91%, MC-M2 cumulative by
        # its share of the pro-rata bar (28.2 of 24.25 → 55.8 of 48.5: 1.163 → 1.151); the
        # other eight rose (HC-M3 and HC-M4 fell, lower being better)
        "vs_previous_quarter": {"improved": 8, "declined": 3, "unchanged": 0,
                                "not_comparable": 0},
        # declined: MC-M1 2:10→2:20, MC-M2 56.5%→55.8%, MC-M4 84%→77%; HC-M4 new this year
        "vs_last_year": {"improved": 7, "declined": 3, "unchanged": 0, "not_comparable": 1},
    },
}
# Amber and red, missed and near are exceptions; runs counted back across the year ends.
EXPECTED_PERSISTENT = [
    {"id": "PB3", "quarters": 7},    # amber from 2021/22 Q4, red from 2022/23 Q3
    {"id": "HC3", "quarters": 5},    # A, A, R, R, A since 2022/23 Q2
    {"id": "MC-M4", "quarters": 5},  # 84, 79, 76, 74, 77% against 85% (near band from 76.5%)
    {"id": "HC-M4", "quarters": 2},  # 42 and 35 against at most 30: missed both quarters held
    {"id": "MC-M1", "quarters": 2},  # 2:05 near, 2:20 missed against 2 minutes
    {"id": "MC2", "quarters": 2},
    {"id": "PB4", "quarters": 2},
]


def test_the_example_tells_the_story_over_time(batch):
    summary = json.loads((batch / "2023-24-Q2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["travel"] == EXPECTED_TRAVEL
    assert summary["persistent"] == EXPECTED_PERSISTENT
    page = (batch / "2023-24-Q2" / "report.html").read_text(encoding="utf-8")
    assert "Illustrative data, not a real council&#x27;s" in page or \
        "Illustrative data, not a real council's" in page
    for ident in ("chart-headline-history", "chart-measure-history-1",
                  "chart-measure-history-2", "chart-measure-history-3"):
        assert f'<figure class="chart" id="{ident}"' in page
    # the headline chart states every quarter held, across three years
    assert "Q1 2021/22" in page and "Q2 2023/24" in page
    # persistent exceptions first, with their run; an exception without an action is listed
    exceptions = page[page.index('id="exceptions"'):page.index('id="data-quality"')]
    assert exceptions.index("PB3") < exceptions.index("PB4")
    assert "Exception with no corrective action: 1" in page
    with open(batch / "2023-24-Q2" / "figures.csv", encoding="utf-8-sig", newline="") as f:
        rows = {r["ID"]: r for r in csv.DictReader(f)}
    assert rows["PB-M2"]["Same quarter last year"] == "40"
    assert rows["MC-M1"]["Previous quarter"] == "2:05"


def test_the_examples_index_lists_its_quarters_newest_first(batch):
    index = (batch / "index.html").read_text(encoding="utf-8")
    found = re.findall(r'<a href="(\d{4}-\d{2}-Q\d)/report.html">', index)
    assert found == ["2023-24-Q2", "2023-24-Q1", "2022-23-Q4"]
    assert "chart-index-history" in index


# --- a long plan over several years, printed -------------------------------------------------

def write_long_plan(data: Path, copies: int = 4) -> Path:
    """The example with each measure four times over (44 measures, as long as the sample's
    plan), under IDs and names of their own."""
    for name in ("measures", "measure_updates"):
        path = data / f"{name}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        grown = [{**r, "measure_id": f"{r['measure_id']}-{n}",
                  **({"name": f"{r['name']} (area {n})"} if "name" in r else {})}
                 for n in range(1, copies + 1) for r in rows]
        with open(path, "w", encoding="utf-8", newline="") as f:
            out = csv.DictWriter(f, fieldnames=list(rows[0]))
            out.writeheader()
            out.writerows(grown)
    return data


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> Path:
    require_poppler()
    base = tmp_path_factory.mktemp("longplan")
    params = copy_example(base)
    write_long_plan(base / "data" / "example")
    render([p for p in params if p.name == "2023-24-Q2.yaml"], base / "out", "--pdf")
    return base / "out" / "2023-24-Q2" / "report.pdf"


def pdf_pages(pdf: Path) -> list[tuple[float, list[tuple[float, float, str]]]]:
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120)
    return [(float(h), [(float(y0), float(y1), t) for _, y0, _, y1, t in _WORD.findall(body)])
            for _, h, body in _PAGE.findall(done.stdout)]


def test_a_long_plans_charts_over_time_each_fit_a_printed_page(long_pdf):
    pages = pdf_pages(long_pdf)
    keys = []
    for number, (height, words) in enumerate(pages, start=1):
        # Below the text area only the page number; above it only the running header. A chart
        # taller than the page would run its panels into the foot.
        foot = [t for y0, y1, t in words if y1 > height - BOTTOM + 2]
        assert " ".join(foot) == f"Page {number} of {len(pages)}", (
            f"page {number}: {foot[:8]} below the text area")
        assert all(y1 < TOP or y0 > TOP - 6 for y0, y1, _ in words)
        text = " ".join(t for _, _, t in words)
        keys += [number] * text.count("Solid blue line with dots")
    # 44 measures in three priorities (12, 16 and 16): 2 + 3 + 3 charts of at most six
    # panels, each on a page of its own (a chart is never cut)
    assert len(keys) == 8 and len(set(keys)) == 8
    # each chart's table of figures (a row of values and one of targets a measure, a column
    # a quarter) fits the page after it: at most two pages a chart, then About this report
    assert len(pages) - keys[0] + 1 <= 2 * len(keys) + 1
