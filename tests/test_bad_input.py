"""The bad-input corpus: each case breaks a copy of the sample one way and pins the message.

Every case goes through the CLI entry point: exit code 2, the exact message on stderr and no
traceback. One case also runs as a real subprocess, to prove the same of the installed CLI.
"""

from __future__ import annotations

import re

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE
from perfkit.cli import main


def edit(name: str, old: str, new: str):
    def apply(folder: Path) -> None:
        path = folder / f"{name}.csv"
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def delete(name: str):
    return lambda folder: (folder / f"{name}.csv").unlink()


def rename_column(name: str, old: str, new: str):
    return edit(name, old, new)


def set_cells(name: str, column: str, cells: dict[str, str]):
    """Fill ``column`` (added if the table lacks it) for the rows with these IDs."""
    def apply(folder: Path) -> None:
        path = folder / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if column not in frame:
            frame[column] = ""
        for ident, value in cells.items():
            frame.loc[frame.iloc[:, 1] == ident, column] = value
        frame.to_csv(path, index=False)
    return apply


RAG = "green, amber, red or complete (any case), or G, A, R, C"
# name, how to break the sample, the exact first line(s) expected after the count line
CASES = [
    ("missing file", delete("priorities"),
     ["priorities.csv: file not found (allowed: a file priorities.csv in {data})"]),
    ("missing column", rename_column("milestones", "priority_id,title", "priority_id,headline"),
     ["milestones.csv, column 'title': required column is missing "
      "(allowed: columns year, milestone_id, priority_id, title)"]),
    ("blank required cell", edit("milestones", "2022/23,TB2,TB,Complete and operate the Northern Gateway Enterprise Centre,",
                                "2022/23,TB2,TB,,"),
     ["milestones.csv, row 3, column 'title': (blank) is not allowed "
      "(allowed: any text (this cell is required))"]),
    ("duplicate milestone id", edit("milestones", "2022/23,TB2,TB,", "2022/23,TB1,TB,"),
     # One problem on two rows: one line naming both.
     ["milestones.csv, rows 2-3 (2 rows), column 'milestone_id': 'TB1' is a duplicate "
      "(allowed: one row per year and milestone_id)",
      # TB2's update now points at nothing, which is true and worth saying.
      "milestone_updates.csv, row 3, column 'milestone_id': 'TB2' is not in the milestones "
      "table for that year (allowed: a milestone_id listed in milestones.csv for 2022/23)"]),
    ("duplicate update", edit("measure_updates", "2022/23,2,TB-M02,", "2022/23,2,TB-M01,"),
     ["measure_updates.csv, rows 2-3 (2 rows), column 'measure_id': 'TB-M01' is a duplicate "
      "(allowed: one row per year and quarter and measure_id)"]),
    ("update for unknown milestone", edit("milestone_updates", "2022/23,2,TB4,", "2022/23,2,TB40,"),
     ["milestone_updates.csv, row 5, column 'milestone_id': 'TB40' is not in the milestones "
      "table for that year (allowed: a milestone_id listed in milestones.csv for 2022/23)"]),
    ("update for unknown measure", edit("measure_updates", "2022/23,2,QL-M01,", "2022/23,2,QL-M1,"),
     ["measure_updates.csv, row 21, column 'measure_id': 'QL-M1' is not in the measures "
      "table for that year (allowed: a measure_id listed in measures.csv for 2022/23)"]),
    ("milestone of unknown priority", edit("milestones", "2022/23,QL1,QL,", "2022/23,QL1,QOL,"),
     ["milestones.csv, row 16, column 'priority_id': 'QOL' is not in the priorities table "
      "for that year (allowed: a priority_id listed in priorities.csv for 2022/23)"]),
    ("measure of unknown priority", edit("measures", "2022/23,VFM-M01,VFM,", "2022/23,VFM-M01,VM,"),
     ["measures.csv, row 32, column 'priority_id': 'VM' is not in the priorities table for "
      "that year (allowed: a priority_id listed in priorities.csv for 2022/23)"]),
    ("unknown rag word", edit("milestone_updates", "2022/23,2,TB2,Green", "2022/23,2,TB2,Purple"),
     [f"milestone_updates.csv, row 3, column 'rag': 'Purple' is not allowed (allowed: {RAG})"]),
    ("unknown measure rag", edit("measure_updates", "2022/23,2,TB-M03,100%,,", "2022/23,2,TB-M03,100%,Blue,"),
     [f"measure_updates.csv, row 4, column 'rag': 'Blue' is not allowed (allowed: blank or {RAG})"]),
    ("quarter out of range", edit("milestone_updates", "2022/23,2,TB2,", "2022/23,5,TB2,"),
     ["milestone_updates.csv, row 3, column 'quarter': '5' is not allowed "
      "(allowed: a quarter number from 1 to 4)"]),
    ("quarter written Q2", edit("measure_updates", "2022/23,2,TB-M03,", "2022/23,Q2,TB-M03,"),
     ["measure_updates.csv, row 4, column 'quarter': 'Q2' is not allowed "
      "(allowed: a quarter number from 1 to 4)"]),
    ("year with a hyphen", edit("milestones", "2022/23,TB5,", "2022-23,TB5,"),
     ["milestones.csv, row 6, column 'year': '2022-23' is not allowed "
      "(allowed: a financial year written like 2023/24)"]),
    ("year spanning two years", edit("priorities", "2022/23,QL,", "2022/24,QL,"),
     ["priorities.csv, row 3, column 'year': '2022/24' is not allowed "
      "(allowed: a financial year written like 2023/24)"]),
    ("tolerance not a number", edit("measures", "cumulative,,", "cumulative,ten percent,"),
     ["measures.csv, row 30, column 'tolerance': 'ten percent' is not allowed "
      "(allowed: blank, a share of the target from 0 to 1 such as 0.10, or points such as 5 points (also 5 pts, 5pp))"]),
    ("tolerance above one", edit("measures", ",,0.11,,", ",,11,,"),
     ["measures.csv, row 37, column 'tolerance': '11' is not allowed "
      "(allowed: blank, a share of the target from 0 to 1 such as 0.10, or points such as 5 points (also 5 pts, 5pp))"]),
    ("tolerance in percent", edit("measures", ",,0.11,,", ",,5%,,"),
     ["measures.csv, row 37, column 'tolerance': '5%' is not allowed "
      "(allowed: blank, a share of the target from 0 to 1 such as 0.10, or points such as "
      "5 points (also 5 pts, 5pp))"]),
    ("low target above the target", set_cells("measures", "low_target", {"TB-M03": "65%"}),
     ["measures.csv, row 4, column 'low_target': '65%' is above the target of measure TB-M03 "
      "(allowed: blank, or a figure comparable with the target '60%' and at or below it, such "
      "as 58%)"]),
    ("low target below a lower-is-better target",
     set_cells("measures", "low_target", {"TB-M05": "5%"}),
     ["measures.csv, row 6, column 'low_target': '5%' is below the target of measure TB-M05 "
      "(allowed: blank, or a figure comparable with the target 'Under 10%' and at or above it, "
      "such as 58%)"]),
    ("low target in other units", set_cells("measures", "low_target", {"VFM-M07": "50%"}),
     ["measures.csv, row 38, column 'low_target': '50%' cannot be read against the target of "
      "measure VFM-M07 (allowed: blank, or a figure comparable with the target '1 minute' and "
      "at or above it, such as 3 mins 26 secs or 00:03:26)"]),
    ("low target with a target in words", set_cells("measures", "low_target", {"TB-M02": "5"}),
     ["measures.csv, row 3, column 'low_target': '5' cannot be used with the target of measure "
      "TB-M02 (allowed: blank: a low target needs a target that is a figure, and 'Increase' "
      "is not)"]),
    ("unknown frequency", edit("measures", "60%,quarterly,", "60%,monthly,"),
     ["measures.csv, row 4, column 'frequency': 'monthly' is not allowed "
      "(allowed: quarterly, annual)"]),
    ("unknown polarity", edit("measures", "Under 10%,quarterly,,", "Under 10%,quarterly,down,"),
     ["measures.csv, row 6, column 'polarity': 'down' is not allowed "
      "(allowed: blank, higher, lower)"]),
    ("unknown profile", edit("measures", "quarterly,higher,cumulative,", "quarterly,higher,rolling,"),
     ["measures.csv, row 30, column 'profile': 'rolling' is not allowed "
      "(allowed: blank, snapshot, cumulative, sum)"]),
    ("unreadable value", edit("measure_updates", "2022/23,2,TB-M03,100%", "2022/23,2,TB-M03,lots"),
     ["measure_updates.csv, row 4, column 'value': 'lots' cannot be read against the target "
      "of measure TB-M03 (allowed: a figure comparable with the target '60%', such as 58%, or "
      "a not-yet word (Annual update, TBC, N/A))"]),
    ("value in other units", edit("measure_updates", "2022/23,2,VFM-M07,3.26", "2022/23,2,VFM-M07,45%"),
     ["measure_updates.csv, row 38, column 'value': '45%' cannot be read against the target "
      "of measure VFM-M07 (allowed: a figure comparable with the target '1 minute', such as "
      "3 mins 26 secs or 00:03:26, or a not-yet word (Annual update, TBC, N/A))"]),
]


def run_check(folder: Path, capsys) -> tuple[int, str]:
    code = main(["check", str(folder)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("name", "breaks", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named_exactly(name, breaks, expected, sample_copy, capsys):
    breaks(sample_copy)
    code, err = run_check(sample_copy, capsys)
    assert code == 2
    assert "Traceback" not in err
    lines = [line.removeprefix("  - ") for line in err.splitlines()[1:]]
    assert lines == [e.format(data=sample_copy) for e in expected]
    # The heading counts problems; a line naming N rows is N of them.
    count = sum(int(m[1]) if (m := re.search(r"\((\d+) rows\)", e)) else 1 for e in expected)
    assert err.splitlines()[0] == f"perfkit: {count} problem{'s' if count > 1 else ''} in the data:"


def test_all_problems_come_in_one_pass(sample_copy, capsys):
    for _, breaks, _ in CASES[2:]:
        if _ in ("duplicate milestone id",):
            continue
        try:
            breaks(sample_copy)
        except AssertionError:
            pass  # an earlier case changed the same text
    code, err = run_check(sample_copy, capsys)
    assert code == 2 and err.count("\n  - ") >= 15


def test_missing_dataset(capsys, tmp_path):
    code, err = run_check(tmp_path / "nowhere", capsys)
    assert code == 2
    assert err == (f"perfkit: 1 problem in the data:\n  - {tmp_path / 'nowhere'}: no dataset "
                   "folder or workbook found here (allowed: a folder of CSV files or an .xlsx workbook)\n")


def test_blank_rows_are_skipped(sample_copy, capsys):
    path = sample_copy / "milestones.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], ",,,,,", *lines[1:5], "", ",,,,,", *lines[5:]]) + "\n")
    code, err = run_check(sample_copy, capsys)
    assert (code, err) == (0, "")


def test_csv_as_excel_saves_it(sample_copy):
    from perfkit import load_dataset

    # "CSV UTF-8" has a byte-order mark; plain "CSV" is Windows-1252, where £ is one byte.
    path = sample_copy / "measures.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    updates = sample_copy / "measure_updates.csv"
    updates.write_bytes(updates.read_text(encoding="utf-8").encode("cp1252", errors="replace"))
    ds = load_dataset(sample_copy)
    assert ds.measures.columns[0] == "year"
    assert "Over £500k" in set(ds.measures["target"])


def workbook_from(folder: Path, target: Path, percent_cells: dict | None = None,
                  drop_sheet: str | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name in ("priorities", "milestones", "measures", "milestone_updates", "measure_updates"):
        if name == drop_sheet:
            continue
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append(list(record))
        for (row, column), (value, fmt) in (percent_cells or {}).get(name, {}).items():
            cell = sheet.cell(row=row, column=column, value=value)
            cell.number_format = fmt
    book.save(target)
    return target


def test_workbook_percentages_and_dates_read_as_shown(tmp_path):
    import datetime as dt

    from perfkit import assess_quarter, load_dataset

    # TB-M03 is row 4 of measure_updates; its value is column D. 0.58 shown as 58%.
    book = workbook_from(SAMPLE, tmp_path / "plan.xlsx", {"measure_updates": {
        (4, 4): (0.58, "0%"), (5, 6): (dt.datetime(2022, 9, 30), "dd/mm/yyyy")}})
    ds = load_dataset(book)
    row = ds.measure_updates.set_index("measure_id").loc["TB-M03"]
    assert row["value"] == "58%"
    assert ds.measure_updates.set_index("measure_id").loc["TB-M04", "comment"] == "2022-09-30"
    assert assess_quarter(ds, "2022/23", 2).measures.set_index("measure_id").loc["TB-M03", "bar"] == 60


def test_missing_sheet_names_the_workbook(tmp_path, capsys):
    book = workbook_from(SAMPLE, tmp_path / "plan.xlsx", drop_sheet="measures")
    code, err = run_check(book, capsys)
    assert code == 2
    assert ("plan.xlsx: sheet 'measures' not found (allowed: sheets named priorities, "
            "milestones, measures, milestone_updates, measure_updates)") in err


def test_sheet_and_row_are_named_for_workbooks(tmp_path, capsys):
    folder = tmp_path / "csv"
    import shutil

    shutil.copytree(SAMPLE, folder)
    edit("milestone_updates", "2022/23,2,TB2,Green", "2022/23,2,TB2,Purple")(folder)
    code, err = run_check(workbook_from(folder, tmp_path / "plan.xlsx"), capsys)
    assert code == 2
    assert (f"plan.xlsx, sheet 'milestone_updates', row 3, column 'rag': 'Purple' is not "
            f"allowed (allowed: {RAG})") in err


@pytest.mark.parametrize(("yaml", "message"), [
    ("data: d\nyear: '2022/23'\nquarter: 2\ncolour: red\n",
     "unknown key 'colour' (known keys: data, year, quarter, organisation, title, covering, plan_span, scheme, allow_empty, layout, notebook)"),
    ("data: d\nyear: '2022/23'\nquarter: two\n", "key 'quarter' has 'two'; expected"),
    ("data: d\nyear: '2022/23'\nquarter: 9\n", "key 'quarter' has 9; expected"),
    ("data: d\nyear: 2022\nquarter: 2\n", "key 'year' has 2022; expected"),
    ("data: d\nyear: '22/23'\nquarter: 2\n",
     "key 'year' has '22/23'; expected a financial year written like 2023/24"),
    ("year: '2022/23'\nquarter: 2\n", "key 'data' is required"),
    ("- just\n- a list\n", "expected a mapping of keys (data, year, quarter, organisation, title, covering, plan_span, scheme, allow_empty, layout, notebook)"),
    ("data: [unclosed\n", "not valid YAML"),
    ("!!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
])
def test_bad_params(tmp_path, capsys, yaml, message):
    params = tmp_path / "p.yaml"
    params.write_text(yaml)
    code = main(["summary", str(params)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_the_installed_cli_exits_2_without_traceback(sample_copy):
    edit("milestone_updates", "2022/23,2,TB2,Green", "2022/23,2,TB2,Purple")(sample_copy)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "check", str(sample_copy)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "'Purple' is not allowed" in done.stderr and "Traceback" not in done.stderr


def test_one_problem_on_many_rows_is_one_line_naming_them(sample_copy, capsys):
    """A spreadsheet's habit (every 'Green' typed 'Verde') is one thing to fix: one line with
    its rows, beside the other problems, all in one pass."""
    path = sample_copy / "milestone_updates.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",Green,", ",Verde,"),
                    encoding="utf-8")
    edit("milestone_updates", "2022/23,2,TB4,Verde,", "2022/23,2,TB4,Purple,")(sample_copy)
    code, err = run_check(sample_copy, capsys)
    assert code == 2 and "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == "perfkit: 31 problems in the data:"
    assert lines[1:] == [
        f"  - milestone_updates.csv, rows 2-4, 6-28, 32-34 and 37 "
        f"(30 rows), column 'rag': 'Verde' is not allowed (allowed: {RAG})",
        f"  - milestone_updates.csv, row 5, column 'rag': 'Purple' is not allowed "
        f"(allowed: {RAG})"]
