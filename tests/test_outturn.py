"""Quarter 4 is the year's outturn: a snapshot measure's last value, a cumulative measure's
year to date, and a summed measure's four quarters added up."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from perfkit import load_dataset
from perfkit.summary import summarise

YEAR = "2021/22"
# (target, profile, the four quarters' values as the officer gave them)
MEASURES = {
    "S": ("60%", "", ["50%", "55%", "57%", "58%"]),                # level: Q4's 58% is near
    "C": ("1000", "cumulative", ["250", "450", "800", "1050"]),   # year to date: 1,050, met
    "A": ("1000", "sum", ["200", "250", "300", "350"]),           # each quarter's: 1,100, met
    "B": ("£2m", "sum", ["£300k", "£400k", "£500k", "£600k"]),   # £1.8m of £2m: near
}


def write(folder: Path) -> Path:
    folder.mkdir()
    tables = {
        "priorities": [["year", "priority_id", "name"], [YEAR, "P", "A place"]],
        "measures": [["year", "measure_id", "priority_id", "name", "target", "frequency",
                      "profile"],
                     *([YEAR, i, "P", f"Measure {i}", t, "quarterly", p]
                       for i, (t, p, _) in MEASURES.items())],
        "measure_updates": [["year", "quarter", "measure_id", "value"],
                            *([YEAR, str(q + 1), i, v[q]] for q in range(4)
                              for i, (_, _, v) in MEASURES.items())],
    }
    for name, rows in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_dataset(write(tmp_path_factory.mktemp("outturn") / "data"))


@pytest.mark.parametrize(("quarter", "expected"), [
    # Q2: A's year to date is 200 + 250 = 450 against a bar of 500, within 10%: near.
    (2, {"S": ("55%", "near"), "C": ("450", "near"), "A": ("450", "near"),
         "B": ("£700,000", "missed")}),
    # Q4, the outturn: every measure against its whole-year target.
    (4, {"S": ("58%", "near"), "C": ("1050", "met"), "A": ("1,100", "met"),
         "B": ("£1,800,000", "near")}),
])
def test_values_checked_are_the_year_to_date(data, quarter, expected):
    rows = summarise(data, YEAR, quarter).quarter.measures.set_index("measure_id")
    found = {i: (rows.loc[i, "value"], rows.loc[i, "status"].value) for i in expected}
    assert found == expected


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_the_bulk_check_gives_each_quarter_as_the_report_does(data, quarter):
    # Q2's year to date of A (200 + 250) is written "450", a figure C already holds: the
    # bulk path once failed on it ("Categorical categories must be unique").
    from perfkit.assess import check_measures

    bulk = check_measures(data, [(YEAR, quarter)]).set_index("measure_id")
    report = summarise(data, YEAR, quarter).quarter.measures.set_index("measure_id")
    for i in MEASURES:
        assert (str(bulk.loc[i, "value"]), bulk.loc[i, "status"]) == \
            (report.loc[i, "value"], report.loc[i, "status"]), i


def test_a_summed_measure_keeps_the_quarters_own_figure(data):
    rows = summarise(data, YEAR, 4).quarter.measures.set_index("measure_id")
    assert rows.loc["A", "quarter_value"] == "350" and rows.loc["C", "quarter_value"] == "1050"
    assert "1,000 for the year" in rows.loc["A", "reason"]
    # Written as its year to date is ("£1,800,000"), not as typed ("£600k"): the two sit
    # side by side in the report's cell.
    assert (rows.loc["B", "value"], rows.loc["B", "quarter_value"]) == ("£1,800,000",
                                                                        "£600,000")


def test_the_report_calls_quarter_4_the_outturn(data):
    from perfkit.params import check_params
    from perfkit.sections import Report

    summary = summarise(data, YEAR, 4)
    report = Report(check_params({"data": "data", "year": YEAR, "quarter": 4}), Path("data"),
                    data, summary)
    page = report.priority_sections().html
    assert "<th scope=\"col\">Outturn</th>" in page
    assert "Year to date; 350 in quarter 4" in page
