"""Layouts: six councils' own spreadsheet shapes, read as they are kept.

Each folder of ``tests/data/native`` holds a council's files, its layout and params, and the
same data written by hand in perfkit's five tables (``contract/``). Read through the layout,
the files must give the same tables and the same ``summary.json`` as the hand-written ones;
a fault in the council's files must be named by the council's own file, sheet, row and
column heading.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from perfkit.errors import DataError
from perfkit.layout import (
    LayoutError, Monthly, Period, make_id, parse_layout, quarter_figure, read_layout,
)
from perfkit.load import ROW, load_dataset
from perfkit.model import Table
from perfkit.params import layout_path, load_params
from perfkit.report import summary_json
from perfkit.scheme import load_scheme
from perfkit.summary import summarise

NATIVE = Path(__file__).resolve().parent / "data" / "native"
SHAPES = ("wide", "per_quarter", "one_sheet", "titled", "monthly", "monthly_rows", "officer")


def _load(params_file: Path):
    params, data = load_params(params_file)
    base = params_file.resolve().parent
    scheme = load_scheme(params.scheme, base)
    return params, scheme, load_dataset(data, scheme, layout_path(params, base))


def _summary(params_file: Path) -> dict:
    params, scheme, dataset = _load(params_file)
    # As perfkit report writes it, so whatever summary.json gains is compared too.
    return json.loads(summary_json(summarise(dataset, params.year, params.quarter, scheme)))


@pytest.mark.parametrize("shape", SHAPES)
def test_native_files_give_the_hand_written_tables(shape):
    _, _, native = _load(NATIVE / shape / "params.yaml")
    _, _, written = _load(NATIVE / shape / "contract.yaml")
    for table in Table:
        got = native.table(table).drop(columns=[ROW])
        want = written.table(table).drop(columns=[ROW])
        assert sorted(got.columns) == sorted(want.columns), table
        # The order of updates is the council's (an indicator's quarters together); the
        # plan's order (priorities, milestones, measures) is kept as the sheet has it.
        got, want = got[sorted(got.columns)], want[sorted(want.columns)]
        if table in (Table.MILESTONE_UPDATES, Table.MEASURE_UPDATES):
            got, want = got.sort_values(list(got.columns)), want.sort_values(list(want.columns))
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                      check_dtype=False, obj=f"{shape}: {table.value}")


@pytest.mark.parametrize("shape", SHAPES)
def test_native_files_give_the_same_summary(shape):
    got = _summary(NATIVE / shape / "params.yaml")
    assert got == _summary(NATIVE / shape / "contract.yaml")
    assert got["measures"]["total"] + got["milestones"]["total"] > 0


def test_each_layout_renders_from_yaml_alone(tmp_path):
    """The report of each shape, from its params and layout alone: summary.json is the
    hand-written tables' own, and the page names the council's indicators."""
    from perfkit.report import render

    for shape in SHAPES:
        folder = tmp_path / shape
        shutil.copytree(NATIVE / shape, folder)
        shutil.rmtree(folder / "contract")  # nothing but the council's files and the YAML
        rendered = render(folder / "params.yaml", tmp_path / f"out-{shape}")
        summary = json.loads(rendered.summary.read_text(encoding="utf-8"))
        assert summary == _summary(NATIVE / shape / "contract.yaml"), shape
        page = rendered.html.read_text(encoding="utf-8")
        _, _, dataset = _load(NATIVE / shape / "contract.yaml")
        for name in [*dataset.measures["name"], *dataset.milestones["title"]]:
            assert _html_text(name) in page, (shape, name)


def _html_text(text: str) -> str:
    import html

    return html.escape(text, quote=False)


# --- messages in the council's terms ----------------------------------------------------

def _copy(shape: str, tmp_path: Path) -> Path:
    folder = tmp_path / shape
    shutil.copytree(NATIVE / shape, folder)
    return folder


def _set_cell(path: Path, sheet: str, cell: str, value: str) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def _break_wide(folder):
    _set_cell(folder / "Performance 2023-24.xlsx", "KPIs 2023-24", "H3", "Purple")
    return ("Performance 2023-24.xlsx, sheet 'KPIs 2023-24', row 3, column 'Status': 'Purple' "
            "is not allowed (allowed: blank or green, amber, red or complete")


def _break_per_quarter(folder):
    _replace(folder / "Actions Q2 2023-24.csv", "Green,Both posts", "Done-ish,Both posts")
    return ("Actions Q2 2023-24.csv, row 3, column 'Status': 'Done-ish' is not allowed "
            "(allowed: green, amber, red or complete")


def _break_one_sheet(folder):
    _set_cell(folder / "Delivery Plan 2023-24 Q3.xlsx", "Delivery Plan", "F7", "lots")
    return ("Delivery Plan 2023-24 Q3.xlsx, sheet 'Delivery Plan', row 7, column 'Q3 Value': "
            "'lots' cannot be read against the target of measure TC-PI1")


def _break_titled(folder):
    _set_cell(folder / "Corporate Plan Q4 2023-24.xlsx", "Q4", "C6", "Sideways")
    return ("Corporate Plan Q4 2023-24.xlsx, sheet 'Q4', row 6, column 'Polarity': "
            "'sideways' is not allowed (allowed: blank, higher, lower)")


def _break_monthly(folder):
    _replace(folder / "Monthly indicators 2024-25.csv", "90%,92%,89%", "90%,n/k,89%")
    return ("Monthly indicators 2024-25.csv, row 3, column 'Aug': 'n/k' cannot be part of "
            "the quarter's mean")


def _break_monthly_rows(folder):
    _replace(folder / "Monthly returns 2024-25.csv", "Sum,May-24,110", "Sum,Smarch,110")
    return ("Monthly returns 2024-25.csv, row 3, column 'Month': 'Smarch' is not allowed "
            "(allowed: a month such as Apr, April 2024, Apr-24 or a date such as 2024-04-30)")


def test_a_month_row_that_cannot_be_added_up_is_named(tmp_path):
    folder = _copy("monthly_rows", tmp_path)
    _replace(folder / "Monthly returns 2024-25.csv", "Aug-24,92%", "Aug-24,n/k")
    with pytest.raises(DataError) as caught:
        _load(folder / "params.yaml")
    (problem,) = caught.value.problems
    assert str(problem).startswith("Monthly returns 2024-25.csv, row 12, column 'Value': "
                                   "'n/k' cannot be part of the quarter's mean")


def _break_officer(folder):
    _replace(folder / "Corporate scorecard Q2.csv", "Off track,Two", "Unknown,Two")
    return ("Corporate scorecard Q2.csv, row 4, column 'Officer assessment': 'Unknown' is not "
            "allowed (allowed: blank or on track, some slippage or off track")


@pytest.mark.parametrize("shape", SHAPES)
def test_a_fault_is_named_in_the_councils_terms(shape, tmp_path):
    folder = _copy(shape, tmp_path)
    expected = globals()[f"_break_{shape}"](folder)
    with pytest.raises(DataError) as caught:
        _load(folder / "params.yaml")
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 1, messages
    assert messages[0].startswith(expected), messages[0]
    # Never the generated tables' names or rows.
    assert not any(word in messages[0] for word in ("measure_updates", "milestone_updates",
                                                    "measures.csv", "'rag'", "'value'"))


def test_check_takes_a_params_file_and_names_the_councils_cell(tmp_path):
    folder = _copy("officer", tmp_path)
    expected = _break_officer(folder)
    run = subprocess.run([sys.executable, "-m", "perfkit.cli", "check",
                          str(folder / "params.yaml")], capture_output=True, text=True)
    assert run.returncode == 2
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "-m", "perfkit.cli", "check",
                          str(NATIVE / "officer" / "params.yaml")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "0 milestones, 5 measures; no problems found" in run.stdout


def test_a_duplicate_names_both_of_the_councils_rows(tmp_path):
    folder = _copy("one_sheet", tmp_path)
    _set_cell(folder / "Delivery Plan 2023-24 Q3.xlsx", "Delivery Plan", "C3", "GB01")
    with pytest.raises(DataError) as caught:
        _load(folder / "params.yaml")
    text = "\n".join(map(str, caught.value.problems))
    for row in (2, 3):
        assert (f"Delivery Plan 2023-24 Q3.xlsx, sheet 'Delivery Plan', row {row}, column "
                "'Ref': 'GB01' is a duplicate") in text


def test_a_heading_the_sheet_lacks_is_named_with_the_headings_it_has(tmp_path):
    folder = _copy("titled", tmp_path)
    _replace(folder / "layout.yaml", "value: Outturn", "value: Out-turn")
    with pytest.raises(DataError) as caught:
        _load(folder / "params.yaml")
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "Corporate Plan Q4 2023-24.xlsx, sheet 'Q4', row 4, column 'Out-turn': heading not "
        "found (allowed: a heading in row 4, the header row the layout gives (found: "
        "'Priority', 'Measure', 'Polarity', 'Target', 'Outturn', 'RAG', 'Commentary'))")


def test_an_unknown_kind_word_lists_the_layouts_words(tmp_path):
    folder = _copy("one_sheet", tmp_path)
    _set_cell(folder / "Delivery Plan 2023-24 Q3.xlsx", "Delivery Plan", "B5", "Project")
    with pytest.raises(DataError) as caught:
        _load(folder / "params.yaml")
    (problem,) = caught.value.problems
    assert str(problem) == ("Delivery Plan 2023-24 Q3.xlsx, sheet 'Delivery Plan', row 5, "
                            "column 'Type': 'Project' is not allowed (allowed: Action (an "
                            "action) or Indicator, KPI (an indicator))")


# --- the layout file itself -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("sources: [{columns: {name: PI}, year: '2023/24', quarter: 2, colour: red}]",
     "sources.0.colour: unknown key (known keys: file, sheet, header_row, ends_at_blank_row, "
     "holds, kinds, year, quarter, columns, periods, monthly)"),
    ("sources: [{columns: {name: PI, value: Q2}, year: '2023/24', quarter: 5}]",
     "sources.0.quarter: 5 is not allowed (input should be less than or equal to 4)"),
    ("sources: [{columns: {name: PI}, holds: both, year: '2023/24', quarter: 2}]",
     "holds both: needs columns.kind and kinds"),
    ("sources: [{columns: {name: PI}, year: '2023/24', periods: {Spring: Spring}}]",
     "periods.Spring: 'Spring' is not allowed (Q1 to Q4 or a month"),
    ("a: &x [1]\nb: *x\n", "a YAML alias (*name) is not allowed in a layout file"),
    ("sources: []", "sources: List should have at least 1 item"),
])
def test_a_bad_layout_is_refused_with_every_problem_named(tmp_path, text, expected):
    path = tmp_path / "layout.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError) as caught:
        read_layout(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_layout_file_is_bounded(tmp_path):
    path = tmp_path / "layout.yaml"
    path.write_text("# " + "x" * 70_000 + "\nsources: []\n", encoding="utf-8")
    with pytest.raises(LayoutError, match="larger than the 64 KB a layout file may be"):
        read_layout(path)


def test_a_layout_that_is_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    import os

    path = tmp_path / "layout.yaml"
    os.mkfifo(path)  # opening it would wait for a writer for ever
    with pytest.raises(LayoutError, match="layout file not found"):
        read_layout(path)


def test_a_missing_layout_is_bad_input_with_exit_code_2(tmp_path):
    folder = _copy("officer", tmp_path)
    (folder / "layout.yaml").unlink()
    run = subprocess.run([sys.executable, "-m", "perfkit.cli", "summary",
                          str(folder / "params.yaml")], capture_output=True, text=True)
    assert run.returncode == 2
    assert "layout.yaml: layout file not found" in run.stderr


# --- the parts ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, quarter, month", [
    ("Q1", 1, None), ("quarter 4", 4, None), ("Apr", 1, 1), ("June", 1, 3), ("Jul", 2, 1),
    ("Dec", 3, 3), ("January", 4, 1), ("Mar", 4, 3), ("2023/24 Q3", 3, None),
])
def test_periods(text, quarter, month):
    period = Period.parse(text)
    assert (period.quarter, period.month) == (quarter, month)


@pytest.mark.parametrize("months, how, expected", [
    ({1: "95", 2: "110", 3: "88"}, Monthly.SUM, "293"),
    ({1: "95", 2: "", 3: "88"}, Monthly.SUM, ""),  # a month missing: no sum
    ({1: "91%", 2: "93%", 3: "94%"}, Monthly.MEAN, "92.67%"),
    ({1: "9,850", 2: "10,200", 3: "9,900"}, Monthly.SUM, "29,950"),
    ({1: "£1,000", 2: "£2,500", 3: "£500"}, Monthly.SUM, "£4,000"),
    ({1: "212", 2: "215", 3: ""}, Monthly.LAST, ""),  # the quarter's last month not in yet
    ({1: "212", 2: "215", 3: "219"}, Monthly.LAST, "219"),
])
def test_a_quarter_from_its_months(months, how, expected):
    given = {m: (v, f"m{m}") for m, v in months.items()}
    assert quarter_figure(given, how) == expected


def test_ids_made_from_names_are_the_same_every_quarter():
    # The same indicator in two quarters' files is one measure (per_quarter's data).
    _, _, dataset = _load(NATIVE / "per_quarter" / "params.yaml")
    assert list(dataset.measures["measure_id"]) == [
        "calls-answered-within-60-seconds", "planning-applications-decided-on-time",
        "food-premises-inspected"]
    assert make_id("Calls answered within 60 seconds ") == make_id("calls answered  within 60 "
                                                                    "seconds")


def test_a_plan_with_no_rows_is_refused(tmp_path):
    folder = _copy("officer", tmp_path)
    path = folder / "Corporate scorecard Q2.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="hold no action or indicator"):
        _load(folder / "params.yaml")


def test_parse_layout_takes_a_mapping():
    with pytest.raises(LayoutError, match="expected a mapping"):
        parse_layout(["sources"])


# --- what the council's data means ----------------------------------------------------------

def test_a_blank_target_is_no_target(sample_copy):
    path = sample_copy / "measures.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    ident = frame.loc[frame["target"] == "60%", "measure_id"].iloc[0]
    frame.loc[frame["measure_id"] == ident, "target"] = ""
    frame.to_csv(path, index=False)
    from perfkit.assess import assess_quarter

    quarter = assess_quarter(load_dataset(sample_copy), "2022/23", 2)
    row = quarter.measures.set_index("measure_id").loc[ident]
    assert row["status"] == "no_target"
    assert "no target" in row["reason"]


def test_a_direction_assumed_where_the_verdict_rests_on_it_is_a_finding():
    from perfkit.assess import assess_quarter

    params, scheme, dataset = _load(NATIVE / "wide" / "params.yaml")
    issues = assess_quarter(dataset, params.year, params.quarter, scheme).issues
    assumed = issues[issues["issue"] == "polarity_assumed"].set_index("name")["detail"]
    # 2.75% of sites below the standard against 8%: red if higher is better, as assumed.
    detail = assumed["% of sites falling below the cleanliness standard"]
    assert "higher was taken as better" in detail
    assert "Were lower better, it would be met" in detail
    # A duration defaults to lower is better; that is a guess too.
    assert "so lower was taken as better" in assumed["Average days to relet council homes"]
    # No target, no verdict to rest on a direction.
    assert "Number of households in temporary accommodation" not in assumed
    # The titled shape gives every polarity: nothing is assumed.
    params, scheme, dataset = _load(NATIVE / "titled" / "params.yaml")
    issues = assess_quarter(dataset, params.year, params.quarter, scheme).issues
    assert "polarity_assumed" not in set(issues["issue"])


def test_officer_rated_measures_raise_no_target_check_findings():
    from perfkit.assess import assess_quarter

    params, scheme, dataset = _load(NATIVE / "officer" / "params.yaml")
    issues = assess_quarter(dataset, params.year, params.quarter, scheme).issues
    assert issues.empty, issues
    # A rating is the measure's update: none is counted or told as missing a figure.
    summary = summarise(dataset, params.year, params.quarter, scheme)
    assert summary.rollup.overall.measures.missing == 0
    assert not any("no figure" in p for p in summary.paragraphs)


def test_an_officer_measure_with_no_rating_is_still_a_missing_update(tmp_path):
    from perfkit.assess import assess_quarter

    folder = _copy("officer", tmp_path)
    _replace(folder / "Corporate scorecard Q2.csv", "Off track,Two", ",Two")
    params, scheme, dataset = _load(folder / "params.yaml")
    issues = assess_quarter(dataset, params.year, params.quarter, scheme).issues
    assert list(issues["issue"]) == ["missing_update"]
    assert list(issues["name"]) == ["Empty homes brought back into use"]


def test_a_closed_pipe_ends_quietly():
    run = subprocess.run(f"{sys.executable} -m perfkit.cli summary "
                         f"'{NATIVE / 'wide' / 'params.yaml'}' --json | head -1",
                         shell=True, capture_output=True, text=True)
    assert run.stdout == "{\n"
    assert run.stderr == ""


def test_a_layouts_no_target_and_not_yet_words(tmp_path):
    folder = _copy("titled", tmp_path)
    book = folder / "Corporate Plan Q4 2023-24.xlsx"
    _set_cell(book, "Q4", "D5", "-")  # no target for new businesses supported
    _set_cell(book, "Q4", "E7", "Awaiting year end")  # adults physically active
    _replace(folder / "layout.yaml", "sources:", "no_target: ['-']\nnot_yet: [awaiting year end]\n"
                                                 "sources:")
    from perfkit.assess import assess_quarter

    params, scheme, dataset = _load(folder / "params.yaml")
    measures = dataset.measures.set_index("measure_id")
    assert measures.loc["new-businesses-supported", "target"] == ""
    updates = dataset.measure_updates.set_index("measure_id")
    assert updates.loc["adults-physically-active", "value"] == "Not yet due"
    states = assess_quarter(dataset, params.year, params.quarter, scheme) \
        .measures.set_index("measure_id")["status"]
    assert states["new-businesses-supported"] == "no_target"
    assert states["adults-physically-active"] == "not_due"


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text(max_size=200))
def test_an_id_made_from_a_name_is_a_plain_stable_word(name):
    ident = make_id(name)
    assert ident == make_id(name.upper() if name.upper().lower() == name.lower() else name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", ident)
    assert len(ident) <= 45


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=3, max_size=3))
def test_a_quarters_sum_is_its_months_added(numbers):
    months = {m: (f"{n:,}", f"m{m}") for m, n in enumerate(numbers, start=1)}
    # Written as the months are: with thousands commas if they have them.
    commas = "," if any(n >= 1000 for n in numbers) else ""
    assert quarter_figure(months, Monthly.SUM) == format(sum(numbers), commas)
    assert quarter_figure(months, Monthly.LAST) == f"{numbers[2]:,}"
