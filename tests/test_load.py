from __future__ import annotations

from pathlib import Path

import pytest

from perfkit import DataError, load_dataset


def test_sample_has_every_row_of_the_reference(sample):
    assert len(sample.priorities) == 3
    assert len(sample.milestones) == 36
    assert sample.milestones.groupby("priority_id").size().to_dict() == {"TB": 14, "QL": 14, "VFM": 8}
    assert sample.measures.groupby("priority_id").size().to_dict() == {"TB": 19, "QL": 11, "VFM": 16}
    assert len(sample.milestone_updates) == 36 and len(sample.measure_updates) == 46


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _messages(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    return [str(p) for p in caught.value.problems]


def test_every_problem_is_reported_in_one_pass(sample_copy):
    _edit(sample_copy / "milestone_updates.csv", "2022/23,2,TB2,Green", "2022/23,2,TB2,Purple")
    _edit(sample_copy / "milestone_updates.csv", "2022/23,2,TB3,Green", "2022/23,7,TB3,Green")
    _edit(sample_copy / "measures.csv", "240,annual,,,,", "240,annual,,,ten,")
    _edit(sample_copy / "measure_updates.csv", "2022/23,2,TB-M03,", "2022/23,2,TB-M99,")
    assert _messages(sample_copy) == [
        "measures.csv, row 2, column 'tolerance': 'ten' is not allowed "
        "(allowed: blank, a share of the target from 0 to 1 such as 0.10, or points such as 5 points (also 5 pts, 5pp))",
        "milestone_updates.csv, row 3, column 'rag': 'Purple' is not allowed "
        "(allowed: green, amber, red or complete (any case), or G, A, R, C)",
        "milestone_updates.csv, row 4, column 'quarter': '7' is not allowed "
        "(allowed: a quarter number from 1 to 4)",
        "measure_updates.csv, row 4, column 'measure_id': 'TB-M99' is not in the measures "
        "table for that year (allowed: a measure_id listed in measures.csv for 2022/23)",
    ]


def test_missing_column_and_file_are_named(sample_copy):
    _edit(sample_copy / "milestones.csv", "year,milestone_id,priority_id,title",
          "year,milestone_id,priority_id,headline")
    (sample_copy / "priorities.csv").unlink()
    messages = _messages(sample_copy)
    assert messages[0].startswith("priorities.csv: file not found")
    assert ("milestones.csv, column 'title': required column is missing "
            "(allowed: columns year, milestone_id, priority_id, title)") in messages


def test_duplicate_ids_name_both_rows(sample_copy):
    _edit(sample_copy / "milestones.csv", "2022/23,TB2,", "2022/23,TB1,")
    assert _messages(sample_copy)[:2] == [
        f"milestones.csv, row {row}, column 'milestone_id': 'TB1' is a duplicate "
        "(allowed: one row per year and milestone_id)" for row in (2, 3)]


def test_no_such_dataset():
    with pytest.raises(DataError, match="no dataset folder or workbook found"):
        load_dataset("/nonexistent/data")


# --- loading never fails with anything but PerfkitError ---------------------------------
import tempfile

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE
from perfkit import PerfkitError
from perfkit.model import Table
from perfkit.summary import summarise

TABLES = [t.value for t in Table]
FRAMES = {name: pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
          for name in TABLES}
cell_text = st.one_of(st.text(max_size=12), st.sampled_from(
    ["", "2022/23", "2023/24", "0", "5", "G", "amber", "quarterly", "annual", "lower", "1.5",
     "Over 50%", "£1.2m", "Annual update", "TB1", "QL", "-1", "nan", "None", "\ufeffyear"]))


@st.composite
def mutilations(draw):
    table = draw(st.sampled_from(TABLES))
    frame = FRAMES[table]
    how = draw(st.sampled_from(["drop column", "shuffle", "replace cell", "drop rows"]))
    if how == "drop column":
        return table, how, draw(st.sampled_from(list(frame.columns))), None
    if how == "shuffle":
        return table, how, draw(st.integers(0, 2**31 - 1)), None
    if how == "drop rows":
        return table, how, draw(st.integers(0, len(frame) - 1)), draw(st.integers(1, 5))
    row = draw(st.integers(0, len(frame) - 1))
    column = draw(st.sampled_from(list(frame.columns)))
    return table, how, (row, column), draw(cell_text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutilations(), min_size=1, max_size=3))
def test_mutilated_sample_raises_only_perfkit_errors(changes):
    from perfkit import load_dataset

    with tempfile.TemporaryDirectory() as tmp:
        frames = {name: frame.copy() for name, frame in FRAMES.items()}
        for table, how, what, extra in changes:
            frame = frames[table]
            if how == "drop column" and what in frame:
                frame = frame.drop(columns=[what])
            elif how == "shuffle":
                frame = frame.sample(frac=1, random_state=what % (2**32))
            elif how == "drop rows":
                frame = frame.drop(frame.index[what:what + extra])
            elif how == "replace cell" and what[1] in frame and what[0] in frame.index:
                frame.loc[what[0], what[1]] = extra
            frames[table] = frame
        for name, frame in frames.items():
            frame.to_csv(f"{tmp}/{name}.csv", index=False)
        try:
            dataset = load_dataset(tmp)
        except PerfkitError:
            return
        # What loads cleanly must also assess, roll up and narrate without failing.
        for year in set(dataset.priorities["year"]):
            summarise(dataset, year, 2, allow_empty=True)


# --- a plan of measures only, or of milestones only --------------------------------------
import json

from conftest import write_params
from perfkit.cli import main

PARTS = {"milestones": ("milestones", "milestone_updates"),
         "measures": ("measures", "measure_updates")}


def _workbook(folder: Path, target: Path, empty: tuple[str, ...] = ()) -> Path:
    """The folder's tables as sheets; ``empty`` sheets are left with nothing in them."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for csv in sorted(folder.glob("*.csv")):
        sheet = book.create_sheet(csv.stem)
        if csv.stem in empty:
            continue
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append(list(record))
    book.save(target)
    return target


def _leave_out(folder: Path, tmp_path: Path, part: str, how: str) -> Path:
    for name in PARTS[part]:
        path = folder / f"{name}.csv"
        if how in ("absent", "workbook without the sheets"):
            path.unlink()
        elif how in ("header only", "workbook with header only"):
            path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n")
    if how.startswith("workbook"):
        return _workbook(folder, tmp_path / "plan.xlsx",
                         PARTS[part] if how == "workbook with empty sheets" else ())
    return folder


HOWS = ["absent", "header only", "workbook without the sheets", "workbook with header only",
        "workbook with empty sheets"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(("part", "counts"), [("milestones", "0 milestones, 46 measures"),
                                              ("measures", "36 milestones, 0 measures")])
def test_a_plan_may_leave_out_milestones_or_measures(part, counts, how, sample_copy, tmp_path,
                                                     capsys):
    data = _leave_out(sample_copy, tmp_path, part, how)
    assert main(["check", str(data)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and f"{counts}; no problems found" in out
    params = write_params(tmp_path / "p.yaml", data, 2)
    assert main(["summary", str(params)]) == 0
    out = capsys.readouterr().out
    if part == "milestones":
        assert "All priorities: measures 16 of 20 met target (80%)" in out
    else:
        assert "milestones 31 of 36 progressing well (86%)" in out


@pytest.mark.parametrize(("part", "kept"), [("milestones", "measures"), ("measures", "milestones")])
def test_a_plan_of_one_part_renders(part, kept, sample_copy, tmp_path, capsys):
    data = _leave_out(sample_copy, tmp_path, part, "absent")
    params = write_params(tmp_path / "p.yaml", data, 2)
    assert main(["report", str(params), "--out", str(tmp_path / "out")]) == 0
    folder = tmp_path / "out" / "2022-23-Q2"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary[part]["total"] == 0
    assert summary[kept]["total"] == {"measures": 46, "milestones": 36}[kept]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert {"measures": "Revenues, benefits and rents calls average time to answer",
            "milestones": "Complete and operate the Northern Gateway Enterprise Centre"}[kept] in page


@pytest.mark.parametrize(("remove", "missing"), [
    (["milestones"], ["milestones.csv"]),
    (["measure_updates"], ["measure_updates.csv"]),
    (["milestones", "milestone_updates", "measures", "measure_updates"],
     ["milestones.csv", "milestone_updates.csv", "measures.csv", "measure_updates.csv"]),
])
def test_a_part_is_whole_or_absent(remove, missing, sample_copy):
    for name in remove:
        (sample_copy / f"{name}.csv").unlink()
    assert _messages(sample_copy) == [
        f"{name}: file not found (allowed: a file {name} in {sample_copy})" for name in missing]


def test_a_part_without_rows_needs_no_partner(sample_copy, capsys):
    (sample_copy / "milestone_updates.csv").unlink()
    path = sample_copy / "milestones.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n")
    assert main(["check", str(sample_copy)]) == 0
    assert "0 milestones, 46 measures; no problems found" in capsys.readouterr().out


def test_a_workbook_part_is_whole_or_absent(tmp_path, sample_copy):
    (sample_copy / "measures.csv").unlink()
    book = _workbook(sample_copy, tmp_path / "plan.xlsx")
    assert _messages(book) == [
        "plan.xlsx: sheet 'measures' not found (allowed: sheets named priorities, milestones, "
        "measures, milestone_updates, measure_updates)"]


# --- low and high targets, and tolerance in points ----------------------------------------

def test_low_targets_and_points_are_read_from_the_plan(sample_copy):
    from perfkit import assess_quarter

    frame = pd.read_csv(sample_copy / "measures.csv", dtype=str, keep_default_na=False)
    frame["low_target"] = ""
    # TB-M04's target is 70%; VFM-M06 reports 87.7% against 97.7%, amber within 11%.
    frame.loc[frame["measure_id"] == "TB-M04", "low_target"] = "65%"
    frame.loc[frame["measure_id"] == "VFM-M06", "tolerance"] = "5 points"
    frame.to_csv(sample_copy / "measures.csv", index=False)
    _edit(sample_copy / "measure_updates.csv", "2022/23,2,TB-M04,77%", "2022/23,2,TB-M04,66%")
    measures = assess_quarter(load_dataset(sample_copy), "2022/23", 2).measures.set_index(
        "measure_id")
    low = measures.loc["TB-M04"]
    assert (low["status"], low["low_target"]) == ("near", "65%")
    assert low["reason"] == ("66% falls short of the target of 70% but is within target "
                             "boundaries (between the low target of 65% and the target).")
    points = measures.loc["VFM-M06"]
    assert (points["status"], points["tolerance"]) == ("missed", "5 points")
    assert points["reason"] == ("87.7% is below the target of 97.7%, outside the 5-point "
                                "tolerance.")


@pytest.mark.parametrize(("value", "status"), [("Data not available", "no_data"),
                                               ("Awaiting data", "no_data"),
                                               ("Not yet due", "not_due")])
def test_words_for_no_figure_are_accepted_as_values(value, status, sample_copy):
    from perfkit import assess_quarter

    _edit(sample_copy / "measure_updates.csv", "2022/23,2,TB-M04,77%",
          f"2022/23,2,TB-M04,{value}")
    measures = assess_quarter(load_dataset(sample_copy), "2022/23", 2).measures
    assert measures.set_index("measure_id").loc["TB-M04", "status"] == status
