"""``perfkit init`` on the council's own files alone: it renders with no edits, every row
present, and each status word counted as often as the sheet has it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from perfkit.cli import main
from perfkit.init import classify, find_header, init
from perfkit.scheme import load_scheme

NATIVE = Path(__file__).resolve().parent / "data" / "native"

#: Per shape: actions and indicators in the files, and the status words of the report's
#: quarter as the sheets hold them (counted by hand from the files).
EXPECTED = {
    "wide": (0, 6, {}, {"Green": 2, "Red": 2, "Amber": 1}),
    "per_quarter": (2, 3, {"Complete": 1, "Green": 1}, {"Green": 1, "Red": 1}),
    "one_sheet": (4, 3, {"C": 1, "A": 1, "G": 1, "R": 1}, {}),
    "titled": (0, 4, {}, {"Green": 2, "Red": 1, "Amber": 1}),
    "monthly": (0, 5, {}, {}),
    "monthly_rows": (0, 5, {}, {}),
    "officer": (0, 5, {}, {"On track": 3, "Some slippage": 1, "Off track": 1}),
}


def _council_files(shape: str, tmp_path: Path) -> list[Path]:
    """Only the council's own files: no layout, params, scheme or hand-written tables."""
    folder = tmp_path / "files"
    folder.mkdir()
    files = []
    for path in sorted((NATIVE / shape).iterdir()):
        if path.suffix in (".csv", ".xlsx"):
            files.append(Path(shutil.copy(path, folder / path.name)))
    return files


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """Each shape through `perfkit init`, then `perfkit report`, with nothing edited between."""
    done = {}
    for shape in EXPECTED:
        tmp = tmp_path_factory.mktemp(shape)
        files = _council_files(shape, tmp)
        out = tmp / "council"
        assert main(["init", *map(str, files), "--out", str(out)]) == 0
        assert main(["report", str(out / "params.yaml"), "--out", str(tmp / "outputs"),
                     "--quiet"]) == 0
        (summary,) = (tmp / "outputs").glob("*/summary.json")
        done[shape] = (out, json.loads(summary.read_text(encoding="utf-8")), summary.parent)
    return done


@pytest.mark.parametrize("shape", EXPECTED)
def test_init_renders_every_row_with_each_status_word_counted(initialised, shape):
    out, summary, folder = initialised[shape]
    milestones, measures, ms_words, me_words = EXPECTED[shape]
    assert summary["milestones"]["total"] == milestones
    assert summary["measures"]["total"] == measures
    scheme = load_scheme(out / "scheme.yaml")
    for part, words in (("milestones", ms_words), ("measures", me_words)):
        for word, count in words.items():
            key = scheme.word_key(part, word)
            assert key is not None, (shape, word)
            assert summary[part]["statuses"][key] == count, (shape, part, word)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<table" in page


@pytest.mark.parametrize("shape", EXPECTED)
def test_init_writes_the_four_files_and_a_layout_a_person_can_read(initialised, shape):
    out, _, _ = initialised[shape]
    assert sorted(p.name for p in out.iterdir()) == [
        "layout.yaml", "params.yaml", "quarterly_report.ipynb", "scheme.yaml"]
    layout = yaml.safe_load((out / "layout.yaml").read_text(encoding="utf-8"))
    assert all("columns" in source and "name" in source["columns"]
               for source in layout["sources"])
    assert (out / "quarterly_report.ipynb").read_bytes() == (
        Path(__file__).resolve().parent.parent / "perfkit" / "notebooks"
        / "quarterly_report.ipynb").read_bytes()


def test_init_finds_the_header_below_title_rows_and_stops_at_the_notes(initialised):
    out, _, _ = initialised["titled"]
    (source,) = yaml.safe_load((out / "layout.yaml").read_text())["sources"]
    assert source["header_row"] == 4
    assert source["ends_at_blank_row"] is True
    assert (source["year"], source["quarter"]) == ("2023/24", 4)


def test_init_tells_actions_from_indicators_by_the_type_column(initialised):
    out, _, _ = initialised["one_sheet"]
    (source,) = yaml.safe_load((out / "layout.yaml").read_text())["sources"]
    assert source["holds"] == "both"
    assert source["kinds"] == {"milestones": ["Action"], "measures": ["Indicator", "KPI"]}
    assert source["columns"]["id"] == "Ref"


def test_init_reads_quarter_and_month_columns_as_periods(initialised):
    wide, _, _ = initialised["wide"]
    (source,) = yaml.safe_load((wide / "layout.yaml").read_text())["sources"]
    assert source["periods"] == {"Q1 Actual": "Q1", "Q2 Actual": "Q2", "Q3 Actual": "Q3",
                                 "Q4 Actual": "Q4"}
    assert source["quarter"] == 2  # the status is the latest quarter's with figures
    monthly, _, _ = initialised["monthly"]
    (source,) = yaml.safe_load((monthly / "layout.yaml").read_text())["sources"]
    assert list(source["periods"]) == ["Apr", "May", "Jun", "Jul", "Aug", "Sep"]
    assert source["columns"]["aggregate"] == "How measured"


def test_init_prints_its_guesses_and_what_to_review(tmp_path, capsys):
    files = _council_files("titled", tmp_path)
    assert main(["init", *map(str, files), "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "header in row 4" in out
    assert "'Outturn' is value" in out
    assert "review: rows below row 9 are taken for notes" in out
    assert "year 2023/24, from the title rows above the header" in out
    assert f"perfkit report {tmp_path / 'c' / 'params.yaml'}" in out


def test_init_does_not_replace_a_councils_files(tmp_path, capsys):
    files = _council_files("officer", tmp_path)
    out = tmp_path / "c"
    assert main(["init", *map(str, files), "--out", str(out)]) == 0
    (out / "scheme.yaml").write_text("# the council's own edits\n", encoding="utf-8")
    assert main(["init", *map(str, files), "--out", str(out)]) == 2
    assert "already holds params.yaml" in capsys.readouterr().err
    assert (out / "scheme.yaml").read_text() == "# the council's own edits\n"
    assert main(["init", *map(str, files), "--out", str(out), "--force"]) == 0


def test_init_names_a_file_it_cannot_read(tmp_path, capsys):
    bad = tmp_path / "scores.csv"
    bad.write_bytes(b"a,b\n\x00\x01")
    assert main(["init", str(bad), str(tmp_path / "gone.xlsx"), "--out",
                 str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "gone.xlsx: file not found" in err
    assert "Traceback" not in err


def test_find_header():
    assert find_header([["Title"], ["", ""], ["A", "B", "C"], ["1", "2", "3"]]) == 3
    assert find_header([["Name", "Target"], ["x", "5"]]) == 1
    assert find_header([["only a title"]]) is None


@pytest.mark.parametrize("word, kind", [
    ("Green", "good"), ("G", "good"), ("On target", "good"), ("Complete", "complete"),
    ("Amber", "middling"), ("Some slippage", "middling"), ("Red", "bad"),
    ("Not on track", "bad"), ("Off track", "bad"), ("Paused", "unknown"),
])
def test_classify(word, kind):
    assert classify(word)[0] == kind


def test_init_is_a_library_call(tmp_path):
    files = _council_files("officer", tmp_path)
    done = init(files, tmp_path / "c")
    assert done.params.is_file()
    assert any("measure statuses" in line for line in done.report)
