"""Acceptance: the notebook an analyst edits is the report that is published.

A copy of the project is edited as an analyst would edit ``notebooks/quarterly_report.ipynb``
(through nbformat), then ``perfkit report params/2022-23-Q2.yaml``, with no other option,
publishes exactly that.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from browser import axe_violations, browser, visit
from conftest import ROOT

# GOV.UK's dark green, yellow, dark red and dark blue: each keeps its bar label's ink legible
# (white on all but the amber bar, whose label is black).
NEW_COLOURS = ["#005a30", "#ffdd00", "#942514", "#003078"]
PARAGRAPH = ("This quarter {{ milestones.total }} milestones were rated, and "
             "{{ milestones.pct_progressing_well }} are progressing well.")

RECOLOUR = f"""\
import altair as alt

figure = report.figures()["chart-milestones"]
groups = list(dict.fromkeys(figure.data["group"]))[::-1]  # the plan last, not first
report.use_figure("chart-milestones", figure.chart.encode(
    color=alt.Color("status:N", legend=alt.Legend(title=None, orient="bottom"),
                    scale=alt.Scale(domain=["Green", "Amber", "Red", "Complete"],
                                    range={NEW_COLOURS!r})),
    y=alt.Y("group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=260)),
))
"""

OWN_CHART = """\
counts = report.milestones.groupby("priority_id").size().reset_index(name="milestones")
alt.Chart(counts).mark_bar(color="#1d70b8").encode(
    x=alt.X("milestones:Q", title="Milestones"),
    y=alt.Y("priority_id:N", title="Priority"),
).properties(title="Milestones in each priority", width=300)
"""

OWN_TABLE = """\
every_measure = report.measures
every_measure.attrs["caption"] = "Every measure this quarter, as the data holds it"
every_measure
"""

EXPLORATION = """\
print("EXPLORATION-ONLY scratch work")
report.milestones.head()
"""


def _index(nb, text: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source)


def edit_as_an_analyst(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    new = nbformat.v4
    nb.cells.insert(_index(nb, "open_report(") + 1, new.new_code_cell(RECOLOUR))
    at = _index(nb, "report.dashboard()") + 1
    nb.cells[at:at] = [new.new_markdown_cell(PARAGRAPH), new.new_code_cell(OWN_CHART),
                       new.new_code_cell(OWN_TABLE)]
    explore = new.new_code_cell(EXPLORATION)
    explore.metadata["tags"] = ["remove-cell"]
    nb.cells.insert(_index(nb, "report.exceptions()"), explore)
    nbformat.write(nb, notebook)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("analyst") / "project"
    for name in ("params", "data", "notebooks"):
        shutil.copytree(ROOT / name, project / name)
    edit_as_an_analyst(project / "notebooks" / "quarterly_report.ipynb")
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report",
                           "params/2022-23-Q2.yaml"], cwd=project, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return project / "outputs" / "2022-23-Q2" / "report.html"


def figure_html(page: str, ident: str) -> str:
    return re.search(rf'<figure class="chart" id="{ident}">.*?</figure>', page, re.S)[0]


def test_recoloured_and_resorted_chart_is_published(published):
    chart = figure_html(published.read_text(), "chart-milestones")
    fills = set(re.findall(r'fill="(#[0-9a-f]{6})"', chart))
    assert set(NEW_COLOURS) <= fills
    assert not {"#00703c", "#f47738", "#d4351c"} & fills  # perfkit's own colours are gone
    # The bars now run from the priorities at the top to the whole plan at the foot.
    # Each bar says its group aloud ("All priorities: 31 green"); where it is drawn, in the
    # page's drawing (the phone's follows it), gives the order.
    wide = chart.split('class="chart-svg chart-narrow"')[0]
    rows: dict[str, float] = {}
    for group, y in re.findall(r'aria-label="([^"]+): \d+ [^"]*" role="graphics-symbol" '
                               r'aria-roledescription="bar" d="M[\d.-]+,([\d.-]+)', wide):
        rows[group] = min(rows.get(group, float("inf")), float(y))
    assert len(rows) == 4
    assert max(rows, key=rows.get) == "All priorities"
    assert min(rows, key=rows.get) == "Providing value for money services"


def test_paragraph_with_its_field_filled_in(published):
    page = published.read_text()
    assert ('<div class="notebook-prose"><p>This quarter 36 milestones were rated, and 86% are '
            "progressing well.</p>") in page
    assert "{{" not in page
    # JupyterLab's fields script (perfkit.inline.fields_script) is for the notebook only.
    assert "data-perfkit-fields" not in page and "<script" not in page


def test_own_chart_is_a_figure_with_title_description_and_table(published):
    chart = figure_html(published.read_text(), "notebook-figure-1")
    assert "inline-figure" not in published.read_text()  # made from the spec, not inline HTML
    assert '<title id="notebook-figure-1-title">Milestones in each priority</title>' in chart
    desc = re.search(r'<desc id="notebook-figure-1-desc">([^<]*)</desc>', chart)[1]
    assert desc.startswith("Milestones in each priority. ")
    assert "priority_id: TB; milestones: " in desc or "milestones: " in desc
    assert 'role="graphics-document"' in chart and "<details><summary>" in chart
    table = re.search(r"<table.*?</table>", chart, re.S)[0]
    assert table.count("<tr>") == 1 + 3  # header and the three priorities


def test_own_table_is_styled_and_labelled(published):
    page = published.read_text()
    block = re.search(r'<div class="table-wide"[^>]*>.*?</table></div>', page, re.S)[0]
    assert 'aria-label="Every measure this quarter, as the data holds it"' in block
    assert "<caption>Every measure this quarter, as the data holds it</caption>" in block
    assert '<table class="frame">' in block and 'data-label="target"' in block
    assert 'class="dataframe"' not in page and "<style scoped" not in page


def test_removed_cell_leaves_no_trace(published):
    page = published.read_text()
    assert "EXPLORATION-ONLY" not in page
    assert "report.milestones.head()" not in page and "alt.Chart(" not in page  # no code


@pytest.mark.parametrize("width", [375, 1280])
def test_no_sideways_scroll_and_axe_clean(browser, published, width):
    seen = visit(browser, published, width=width)
    scroll, inner = seen.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == width and scroll <= inner
    assert (seen.outside, seen.errors) == ([], [])
    assert len(seen.page.query_selector_all("figure.chart")) == 3
    assert axe_violations(seen.page) == []
