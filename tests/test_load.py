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
        "(allowed: blank or a number from 0 to 1, such as 0.10)",
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
