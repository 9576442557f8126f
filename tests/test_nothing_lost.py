"""Every milestone and measure of the plan year is in the report once, with a status or as a
data problem; summary.json reconciles with the input rows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE, write_params, write_two_quarters


def with_gaps(target: Path) -> Path:
    """The sample with holes: missing updates, a blank quarterly value, an unreadable target."""
    shutil.copytree(SAMPLE, target)
    read = lambda n: pd.read_csv(target / f"{n}.csv", dtype=str, keep_default_na=False)
    ms = read("milestone_updates")
    ms[~ms["milestone_id"].isin(["TB3", "QL7", "VFM8"])].to_csv(target / "milestone_updates.csv", index=False)
    me = read("measure_updates")
    me.loc[me["measure_id"] == "TB-M09", "value"] = ""           # quarterly, left blank
    me = me[me["measure_id"] != "QL-M08"]                          # quarterly, row missing
    me.loc[me["measure_id"] == "TB-M10", "rag"] = "Red"            # officer disagrees
    me.to_csv(target / "measure_updates.csv", index=False)
    measures = read("measures")
    measures.loc[measures["measure_id"] == "VFM-M02", "target"] = "Top quartile"
    measures.to_csv(target / "measures.csv", index=False)
    return target


DATASETS = {
    "sample": lambda t: shutil.copytree(SAMPLE, t) and t,
    "two quarters": write_two_quarters,
    "with gaps": with_gaps,
}


@pytest.fixture(scope="module", params=list(DATASETS))
def run(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("lost")
    data = DATASETS[request.param](root / "data")
    params = write_params(root / "p.yaml", data, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(root / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    folder = root / "out" / "2022-23-Q2"
    return request.param, data, json.loads((folder / "summary.json").read_text()), \
        (folder / "report.html").read_text()


def priority_sections(page: str) -> str:
    return "".join(re.findall(r'<section[^>]*id="priority-\d+"[^>]*>.*?</section>', page, re.S))


def test_summary_reconciles_with_the_input(run):
    name, data, summary, _ = run
    milestones = pd.read_csv(data / "milestones.csv", dtype=str)
    measures = pd.read_csv(data / "measures.csv", dtype=str)
    m, me = summary["milestones"], summary["measures"]
    assert m["total"] == len(milestones)
    assert m["green"] + m["amber"] + m["red"] + m["complete"] + m["missing"] == m["total"]
    assert (me["tracked"] + me["not_due"] + me["no_target"] + me["unparsed"] + me["no_data"]
            + me["missing"]
            == me["total"] == len(measures))
    assert sum(p["milestones"]["total"] for p in summary["priorities"]) == m["total"]
    assert sum(p["measures"]["total"] for p in summary["priorities"]) == me["total"]
    if name == "with gaps":
        assert m["missing"] == 3 and me["missing"] == 2 and me["unparsed"] == 1


def test_every_row_is_in_its_priority_section_exactly_once(run):
    _, data, _, page = run
    sections = priority_sections(page)
    for ident in pd.read_csv(data / "milestones.csv", dtype=str)["milestone_id"]:
        assert len(re.findall(rf"<th scope=\"row\">{ident} – ", sections)) == 1, ident
    for measure in pd.read_csv(data / "measures.csv", dtype=str)["name"]:
        cell = f'<th scope="row">{measure.replace("&", "&amp;")}</th>'
        assert sections.count(cell) == 1, measure


def test_rows_without_a_status_are_listed_as_data_problems(run):
    name, _, _, page = run
    quality = re.search(r'<section[^>]*id="data-quality"[^>]*>.*?</section>', page, re.S)[0].replace("&#x27;", "'")
    if name == "with gaps":
        for ident in ("TB3", "QL7", "VFM8", "TB-M09", "QL-M08", "VFM-M02", "TB-M10"):
            # a row of the findings table, or a name in a group of three or more alike
            assert (f"<th scope=\"row\">{ident}</th>" in quality
                    or f'<span class="finding-id">{ident}</span>' in quality), ident
        assert "No update this quarter: 5" in quality
        assert "Target not readable: 1" in quality
        assert "Officer's RAG differs from the check: 1" in quality
