"""Direction of travel and persistent exceptions, checked against figures worked out by hand
on a two-year dataset (tests/multiyear.py)."""

from __future__ import annotations

import json

import pytest

from multiyear import EXPECTED, write_multiyear
from perfkit import load_dataset
from perfkit.model import Travel
from perfkit.report import summary_json
from perfkit.summary import summarise


@pytest.fixture(scope="module")
def multiyear(tmp_path_factory):
    return load_dataset(write_multiyear(tmp_path_factory.mktemp("multi") / "data"))


@pytest.fixture(scope="module")
def q2(multiyear):
    return summarise(multiyear, "2022/23", 2)


def test_travel_counts_match_the_hand_worked_figures(q2):
    assert json.loads(summary_json(q2))["travel"] == EXPECTED["travel"]


def test_persistent_exceptions_cross_the_year_boundary(q2):
    assert json.loads(summary_json(q2))["persistent"] == EXPECTED["persistent"]
    # A2 is an exception this quarter but was green last quarter: a run of one.
    assert q2.movement.run("milestones", "A2") == 1
    assert q2.movement.run("milestones", "A3") == 0  # green: not an exception


@pytest.mark.parametrize(("table", "ident", "previous", "last_year"), [
    ("milestones", "A3", Travel.IMPROVED, Travel.IMPROVED),
    ("milestones", "A1", Travel.UNCHANGED, Travel.UNCHANGED),
    ("milestones", "A5", Travel.UNCHANGED, None),         # new this year
    ("measures", "M2", Travel.UNCHANGED, Travel.DECLINED),  # lower is better
    ("measures", "C1", Travel.IMPROVED, Travel.IMPROVED),   # cumulative: share of the bar
    ("measures", "N1", Travel.IMPROVED, None),            # new this year: not comparable
])
def test_rows(q2, table, ident, previous, last_year):
    rows = getattr(q2.movement, table)
    row = rows[rows[f"{table[:-1]}_id"] == ident].iloc[0]
    assert (row["vs_previous_quarter"], row["vs_last_year"]) == (previous, last_year)


def test_last_year_outturn_is_quarter_4(q2):
    rows = q2.movement.measures.set_index("measure_id")["last_year_outturn"]
    assert rows.to_dict() == {"M1": "58%", "M2": "4.5 days", "C1": "1100", "N1": ""}


def test_first_quarter_compares_across_the_year_end(multiyear):
    q1 = summarise(multiyear, "2022/23", 1)
    rows = q1.movement.milestones.set_index("milestone_id")["vs_previous_quarter"]
    # Against 2021/22 Q4: A2 red -> green, A4 green -> amber, A5 new.
    assert (rows["A2"], rows["A4"], rows["A5"]) == (Travel.IMPROVED, Travel.DECLINED, None)
    assert q1.movement.run("milestones", "A1") == 4


def test_a_quarter_with_no_earlier_data_is_not_comparable(multiyear):
    first = summarise(multiyear, "2021/22", 2)
    counts = json.loads(summary_json(first))["travel"]["measures"]["vs_previous_quarter"]
    assert counts == {"improved": 0, "declined": 0, "unchanged": 0, "not_comparable": 3}
    assert json.loads(summary_json(first))["persistent"] == []


def test_counts_add_up_to_the_rows_on_the_sample(sample):
    found = json.loads(summary_json(summarise(sample, "2022/23", 2)))
    for part, total in (("milestones", 36), ("measures", 46)):
        for counts in found["travel"][part].values():
            assert sum(counts.values()) == total
    assert found["persistent"] == []


def test_forecasts_are_checked_against_the_annual_target(q2):
    rows = q2.quarter.measures.set_index("measure_id")
    assert rows.loc["M1", ["forecast_text", "projected", "forecast_state"]].tolist() == \
        ["61%", False, "met"]
    # No officer's forecast for a cumulative measure: projected pro rata, and said to be.
    assert rows.loc["C1", ["forecast_text", "projected", "forecast_state"]].tolist() == \
        ["1,040", True, "met"]
    assert rows.loc["N1", "forecast_text"] == ""  # a snapshot measure is never projected
    milestones = q2.quarter.milestones.set_index("milestone_id")["forecast_state"]
    assert (milestones["A4"], milestones["A1"]) == ("amber", None)


def test_exceptions_without_an_action_are_data_problems(q2):
    issues = q2.quarter.issues
    unacted = issues[issues["issue"] == "no_action"]
    # Exceptions: A1 (has one), A2, A4, M1 (has one), M2.
    assert sorted(unacted["id"]) == ["A2", "A4", "M2"]


def test_a_cumulative_measure_with_its_own_quarter_targets_is_compared_by_its_share(tmp_path):
    # Council tax collected, cumulative, with the council's own profile for each quarter:
    # 28.2% of a 28% bar at Q1, then 55.8% of a 56% bar at Q2. The figure rose but fell
    # behind its profile, so it declined; read as raw values it once "improved".
    import shutil
    from pathlib import Path

    import pandas as pd

    data = tmp_path / "example"
    shutil.copytree(Path(__file__).parents[1] / "data" / "example", data)
    plan = pd.read_csv(data / "measures.csv", dtype=str, keep_default_na=False)
    this_year = (plan["measure_id"] == "MC-M2") & (plan["year"] == "2023/24")
    plan.loc[this_year, ["q1_target", "q2_target", "q3_target", "q4_target"]] = [
        "28%", "56%", "83%", "97%"]
    plan.to_csv(data / "measures.csv", index=False)

    quarter = summarise(load_dataset(data), "2023/24", 2)
    rows = quarter.movement.measures.set_index("measure_id")
    assert rows.loc["MC-M2", "vs_previous_quarter"] == Travel.DECLINED
    assert rows.loc["MC-M2", "vs_last_year"] == Travel.DECLINED  # 55.8% against 56.5%


def test_the_change_paragraph_runs_on_after_its_colon(q2):
    changes = q2.paragraphs[-1]
    assert changes.startswith("Since the previous quarter: ")
    after = changes.removeprefix("Since the previous quarter: ")
    assert after[:1].islower(), changes
