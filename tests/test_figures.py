"""figures.csv: one row per milestone and measure, readable by pandas and spreadsheets, and
no cell from the data can run as a formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from perfkit import load_dataset
from perfkit.figures import HEADERS, figures_csv, safe_cell
from perfkit.summary import summarise


def read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)


def test_one_row_per_milestone_and_measure(sample):
    data = figures_csv(summarise(sample, "2022/23", 2))
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the mark
    frame = read(data)
    assert list(frame.columns) == list(HEADERS)
    assert frame["Type"].value_counts().to_dict() == {"Measure": 46, "Milestone": 36}
    assert frame["ID"].is_unique
    # The figures are the report's: 31 green milestones, 16 measures met.
    assert (frame["Status"] == "Green").sum() == 31 and (frame["Status"] == "Met").sum() == 16
    assert frame["Quarter"].dtype.kind == "i"  # numbers stay numbers
    row = frame[frame["ID"] == "TB-M03"].iloc[0]
    assert (row["Value"], row["Target"]) == ("100%", "60%")
    assert "£" in "".join(frame["Name"]) or "–" in "".join(frame["Name"])  # UTF-8 intact


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"),
    ("+44 20 7946 0000", "'+44 20 7946 0000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=cmd", "'\t=cmd"),
    ("  =1+1", "'  =1+1"),
    ("-5", "-5"),            # a number, not a formula
    ("+2.5", "+2.5"),
    ("58%", "58%"),
    ("Over £500k", "Over £500k"),
])
def test_safe_cell(text, written):
    assert safe_cell(text) == written


def test_formulas_from_the_data_are_text(sample_copy):
    plan = pd.read_csv(sample_copy / "measures.csv", dtype=str, keep_default_na=False)
    plan.loc[plan["measure_id"] == "TB-M03", "name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    plan.loc[plan["measure_id"] == "TB-M04", "name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    plan.to_csv(sample_copy / "measures.csv", index=False)
    updates = pd.read_csv(sample_copy / "measure_updates.csv", dtype=str, keep_default_na=False)
    updates["action"] = ""
    updates.loc[updates["measure_id"] == "TB-M03", "action"] = "+cmd"
    updates.to_csv(sample_copy / "measure_updates.csv", index=False)
    data = figures_csv(summarise(load_dataset(sample_copy), "2022/23", 2))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                or (c[:1] == "-" and not c.lstrip("-").replace(".", "").isdigit())]
    names = read(data).set_index("ID")["Name"]
    assert names["TB-M03"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert read(data).set_index("ID").loc["TB-M03", "Action"] == "'+cmd"


def test_multiyear_figures_hold_the_earlier_quarters(tmp_path):
    from multiyear import write_multiyear

    data = figures_csv(summarise(load_dataset(write_multiyear(tmp_path / "d")), "2022/23", 2))
    frame = read(data).set_index("ID")
    assert frame.loc["M2", ["Previous quarter", "Same quarter last year", "Since last year"]] \
        .tolist() == ["6 days", "4 days", "Declined"]
    assert frame.loc["A1", "Quarters as an exception"] == 5
    assert frame.loc["C1", "Forecast"] == "1,040 (pro-rata projection)"
    assert frame.loc["A1", "Action"] == "Re-tender agreed by Cabinet"
    assert frame.loc["M1", "Action"].startswith("'=")
