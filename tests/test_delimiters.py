"""A file separated by tabs or semicolons gets one message saying so, in any encoding."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import SAMPLE
from perfkit.errors import DataError
from perfkit.load import load_dataset
from test_bounded import perfkit, refused

TABLES = ["priorities", "milestones", "measures", "milestone_updates", "measure_updates",
          "risks"]


def resave(folder, delimiter: str, encoding: str, only: str | None = None) -> None:
    for name in TABLES:
        if only and name != only:
            continue
        path = folder / f"{name}.csv"
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter).writerows(rows)
        path.write_bytes(out.getvalue().encode(encoding))


@pytest.mark.parametrize(("delimiter", "word"), [("\t", "tab"), (";", "semicolon")])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_every_file_is_named_once_with_its_separator(sample_copy, delimiter, word, encoding):
    resave(sample_copy, delimiter, encoding)
    with pytest.raises(DataError) as found:
        load_dataset(sample_copy)
    problems = [str(p) for p in found.value.problems]
    assert problems == [f"{name}.csv, row 1: is {word}-separated, not comma-separated "
                        "(allowed: comma-separated values (in Excel: Save As, CSV UTF-8 "
                        "(Comma delimited)))" for name in TABLES]


def test_one_file_of_six_is_the_only_one_named(sample_copy):
    resave(sample_copy, ";", "utf-16", only="measures")
    with pytest.raises(DataError) as found:
        load_dataset(sample_copy)
    assert [str(p) for p in found.value.problems] == [
        "measures.csv, row 1: is semicolon-separated, not comma-separated (allowed: "
        "comma-separated values (in Excel: Save As, CSV UTF-8 (Comma delimited)))"]


def test_a_comma_file_with_semicolons_in_its_cells_is_read(sample_copy):
    path = sample_copy / "priorities.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Making Chesterfield a thriving borough", '"Thriving; prosperous"'), encoding="utf-8")
    assert "Thriving; prosperous" in set(load_dataset(sample_copy).priorities["name"])


def test_the_cli_says_it_in_one_line_per_file_and_exits_2(sample_copy):
    resave(sample_copy, "\t", "utf-16")
    done = perfkit("check", sample_copy)
    refused(done, "6 problems in the data:", "priorities.csv, row 1: is tab-separated")
    assert "required column is missing" not in done.stderr
