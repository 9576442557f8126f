"""The report's sections as a reader meets them: counts that agree with one another."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfkit.sections import open_report

ROOT = Path(__file__).resolve().parents[1]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("data", "year", "quarter", "lead", "listed", "in_table"), [
    # The example: 8 measures have their direction assumed; 5 say the same thing (grouped),
    # 3 would change status the other way round, so each is a row of the findings table.
    ("data/example", "2023/24", 2, "5 of 8 measures: direction assumed.",
     "Direction assumed: 8", 3),
    # The sample: all 26 "not due" findings say the same thing: the group is all of them.
    ("data/chesterfield", "2022/23", 2, "26 measures: not due this quarter.",
     "Not due this quarter: 26", 0),
])
def test_a_group_of_findings_says_when_it_is_not_all_of_them(data, year, quarter, lead,
                                                              listed, in_table):
    report = open_report(str(ROOT / data), year, quarter)
    html = report.data_quality().html
    text = _text(html)
    assert lead in text and listed in text
    label = lead.split(": ")[1].rstrip(".").capitalize()
    table = html.split("<table", 1)[1] if "<table" in html else ""
    assert _text(table).count(label) == in_table
