"""Bounded time and memory: small hostile inputs that used to hang perfkit or fill memory.

Each case runs in a subprocess under a 2 GB address-space limit and a generous timeout, so a
regression fails the test (MemoryError, a kill, or TimeoutExpired) instead of taking the
machine or the suite down. The timeouts guard against hangs; they are not speed targets.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE, write_params
from perfkit.limits import (
    MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_PARAMS_BYTES, MAX_ROWS, MAX_UNZIPPED_BYTES,
)

MEMORY = 2 * 1024**3
HANG = 120  # seconds; every case here ends in a few


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def bounded(*args: str, timeout: int = HANG) -> subprocess.CompletedProcess:
    """``python ARGS`` under the memory cap and timeout, from the project root."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_cap_memory)


def perfkit(*args: str) -> subprocess.CompletedProcess:
    return bounded("-m", "perfkit.cli", *map(str, args))


def refused(done: subprocess.CompletedProcess, *expected: str) -> None:
    """Exit 2, one short message holding every expected piece, and no traceback."""
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(done.stderr) < 4000, len(done.stderr)
    for piece in expected:
        assert piece in done.stderr, (piece, done.stderr[-2000:])


def workbook(target: Path, edit=None) -> Path:
    """The sample as an .xlsx workbook; ``edit(name, sheet)`` may change a sheet."""
    import pandas as pd
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name in ("priorities", "milestones", "measures", "milestone_updates",
                 "measure_updates", "risks"):
        frame = pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append(list(record))
        if edit:
            edit(name, sheet)
    book.save(target)
    return target


def rewrite_parts(book: Path, change) -> Path:
    """Rewrite the workbook's zip parts through ``change(name, bytes) -> bytes``."""
    out = book.with_name("edited-" + book.name)
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, change(item.filename, src.read(item.filename)))
    return out


# --- workbooks ---------------------------------------------------------------------------

def test_declared_dimension_is_ignored(tmp_path):
    # 28 KB that declares every cell of a sheet: openpyxl would pad 17 billion cells.
    book = rewrite_parts(workbook(tmp_path / "plan.xlsx"), lambda name, data: re.sub(
        rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', data)
        if name.startswith("xl/worksheets/") else data)
    with zipfile.ZipFile(book) as archive:
        assert b'<dimension ref="A1:XFD1048576"/>' in archive.read("xl/worksheets/sheet2.xml")
    done = perfkit("check", book)
    assert done.returncode == 0, done.stderr
    assert "36 milestones, 46 measures" in done.stdout


def test_a_value_far_to_the_right_is_a_limit(tmp_path):
    book = workbook(tmp_path / "plan.xlsx", lambda name, sheet: name == "milestones" and
                    sheet.cell(row=3, column=16384, value="far"))
    refused(perfkit("check", book), "plan.xlsx, sheet 'milestones', row 3, column 'XFD'",
            f"at most {MAX_COLUMNS} columns")


def test_a_value_far_down_is_a_limit_and_blank_rows_are_free(tmp_path):
    book = workbook(tmp_path / "plan.xlsx", lambda name, sheet: name == "milestones" and
                    sheet.cell(row=1_048_576, column=1, value="2022/23"))
    refused(perfkit("check", book), "sheet 'milestones', row 1048576",
            f"at most {MAX_ROWS:,} rows")
    # Trailing rows that are formatted but blank are not data: they are passed over.
    styled = workbook(tmp_path / "styled.xlsx", lambda name, sheet: name == "milestones" and
                      setattr(sheet.cell(row=1_048_576, column=1), "number_format", "0%"))
    assert perfkit("check", styled).returncode == 0


def test_a_huge_cell_in_a_small_workbook(tmp_path):
    # 30 MB of text zips to 30 KB; rendered, it used to make a 200 MB report.html. openpyxl
    # cuts what it writes to Excel's limit, so the huge cell is put into the XML by hand.
    book = workbook(tmp_path / "plan.xlsx", lambda name, sheet: name == "milestone_updates"
                    and sheet.cell(row=2, column=5, value="HUGE"))
    book = rewrite_parts(book, lambda name, data: data.replace(b"HUGE", b"\xe2\x80\xa2 " + b"a" * 30_000_000))
    assert book.stat().st_size < 100_000
    refused(perfkit("check", book), "sheet 'milestone_updates', row 2, column 'progress'",
            "(30,000,002 characters) is longer than the limit",
            f"cells of at most {MAX_CELL_CHARS:,} characters")


def test_a_zip_bomb_is_refused_unread(tmp_path):
    book = rewrite_parts(workbook(tmp_path / "plan.xlsx"), lambda name, data: data)
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (MAX_UNZIPPED_BYTES + 1))
    refused(perfkit("check", book), "larger than the size limit once unzipped")


def test_a_huge_number_is_a_message(tmp_path):
    # openpyxl turns a 5,000-digit number into an int, which Python refuses to do.
    book = workbook(tmp_path / "plan.xlsx", lambda name, sheet: name == "priorities" and
                    sheet.cell(row=2, column=1, value=12345))
    book = rewrite_parts(book, lambda name, data: data.replace(b"<v>12345</v>",
                                                               b"<v>" + b"9" * 5000 + b"</v>"))
    refused(perfkit("check", book), "cannot be read as a workbook")


# --- CSV -------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_not_read(sample_copy):
    with (sample_copy / "risks.csv").open("r+b") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk, no time
    refused(perfkit("check", sample_copy), "risks.csv: is larger than the size limit",
            f"files of at most {MAX_FILE_BYTES // 2**20} MB")


def test_too_many_rows(sample_copy):
    path = sample_copy / "priorities.csv"
    path.write_text(path.read_text() + "2022/23,X,Y\n" * (MAX_ROWS + 1))
    refused(perfkit("check", sample_copy), f"priorities.csv, row {MAX_ROWS + 2}",
            f"at most {MAX_ROWS:,} rows")


def test_a_long_cell(sample_copy):
    path = sample_copy / "milestone_updates.csv"
    text = path.read_text()
    path.write_text(text.replace("2022/23,2,TB2,Green,", "2022/23,2,TB2,Green," + "x" * 200_000, 1))
    refused(perfkit("check", sample_copy), "milestone_updates.csv, row 3",
            f"holds a cell longer than {MAX_CELL_CHARS:,} characters")


def test_megabytes_of_nested_lists_in_a_note(sample_copy):
    path = sample_copy / "milestone_updates.csv"
    text = path.read_text()
    path.write_text(text.replace("2022/23,2,TB2,Green,", "2022/23,2,TB2,Green," + "<ol><li>" * 300_000, 1))
    refused(perfkit("check", sample_copy), "milestone_updates.csv, row 3")


# --- params ----------------------------------------------------------------------------

def laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\ndata: [" + ",".join([f"*a{levels - 1}"] * 9) + \
        ']\nyear: "2022/23"\nquarter: 2\n'


@pytest.mark.parametrize(("text", "message"), [
    (laughs(), "line 2: a YAML alias (*name) is not allowed in a params file"),
    ("data: " + "[" * 50_000 + "\n", "p.yaml: not a valid"),
    ("data: d\nyear: '2022/23'\nquarter: " + "9" * 5000 + "\n", "p.yaml: not a valid params file"),
    ("data: d\nyear: '2022/23'\nquarter: 2\ntitle: " + "x" * MAX_PARAMS_BYTES + "\n",
     f"larger than the {MAX_PARAMS_BYTES // 1024} KB a params file may be"),
    ("data: d\nyear: '2022/23'\nquarter: 2\ntitle: " + "x" * 10_000 + "\n",
     "key 'title' has 'xxxxxxxx"),
    ("data: d\nyear: '2022/23'\nquarter: 2\ncolour" + "x" * 900 + ": 1\n", "unknown key 'colourxxx"),
    ("data: [" + "x" * 60_000 + "\n", "not valid YAML"),
], ids=["billion laughs", "deep nesting", "huge integer", "large file", "long value",
        "long key", "long broken line"])
def test_params_fail_fast_with_a_short_message(tmp_path, text, message):
    params = tmp_path / "p.yaml"
    params.write_text(text)
    refused(perfkit("summary", params), message)


# --- the covering report -----------------------------------------------------------------

@pytest.mark.parametrize("template", [
    "{{ 'x' * 10**10 }}",
    "{{ 'x'|center(10**10) }}",
    "{{ 9**(9**9) }}",
    "{% for a in range(10**5) %}{% for b in range(10**5) %}x{% endfor %}{% endfor %}",
    "{% include '/etc/passwd' %}",
])
def test_covering_programs_are_refused_unevaluated(tmp_path, template):
    covering = tmp_path / "cabinet.md"
    covering.write_text(f"# Covering\n\nIntro\n{template}\n")
    params = write_params(tmp_path / "p.yaml", SAMPLE, 2, covering=str(covering))
    refused(perfkit("report", params, "--out", tmp_path / "out", "--quiet"), "cabinet.md, line 4:")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/proc/self/environ"])
def test_covering_never_reads_a_device(tmp_path, target):
    params = write_params(tmp_path / "p.yaml", SAMPLE, 2, covering=target)
    refused(perfkit("report", params, "--out", tmp_path / "out", "--quiet"),
            f"{target}: the covering report must be a Markdown file ending in .md")


# --- each parser on 100 KB adversarial strings ----------------------------------------------

ADVERSARIAL = {
    "braces": "{{ a " * 20_000,
    "comments": "{#" * 50_000,
    "statements": "{%" * 50_000,
    "nested notes": "{# " + "{#\n" * 33_000 + "#}",
    "fields": "{{ year }} milestones " * 5_000,
    "digits": "measures " + "1," * 50_000,
    "years": "milestones " + "2020 to " * 12_500,
    "spaces": "milestones 2020" + " " * 100_000,
    "ul starts": "<ul " * 25_000,
    "nested lists": "<ol><li>" * 12_500,
    "bullets": "<ul>" + "a•" * 50_000,
    "angle brackets": "<" * 100_000,
    "html comments": "<!--" * 25_000,
}

PARSERS = textwrap.dedent("""
    import sys, time
    from perfkit.covering import hand_typed, parse_fields, render_body, CoveringError
    from perfkit.html import clean, _bullets_to_items
    from perfkit.load import _csv_records, _decode, _row_at
    text = sys.stdin.read()
    runs = [
        lambda: hand_typed(text, "2022/23", None, "c.md"),
        lambda: parse_fields(text, "c.md"),
        lambda: render_body(text.replace("{", "("), {}, {}, "c.md"),
        lambda: clean(text),
        lambda: _bullets_to_items(text),
        lambda: _decode(text.encode("utf-8") + b"\\xa3", "x.csv", []),
        lambda: _csv_records(text, "x.csv", []),
        lambda: _row_at(text),
    ]
    for run in runs:
        try:
            run()
        except CoveringError:
            pass
    print("done")
""")


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_parsers_are_linear_on_100_kb(text):
    assert 90_000 <= len(text) <= 110_000
    done = subprocess.run([sys.executable, "-c", PARSERS], input=text, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, preexec_fn=_cap_memory)
    assert done.stdout.strip() == "done", done.stderr[-2000:]


@pytest.mark.parametrize("text", [laughs(), "a: " + "[" * 60_000, "a: '" + "x" * 60_000,
                                  "&a x: " * 8_000])
def test_yaml_reading_is_bounded_on_adversarial_files(tmp_path, text):
    params = tmp_path / "p.yaml"
    params.write_text(text)
    done = bounded("-c", f"from perfkit.params import load_params\n"
                         f"try:\n    load_params({str(params)!r})\n"
                         f"except Exception as err:\n    print(type(err).__name__)\n", timeout=60)
    assert done.stdout.strip() == "ParamsError", done.stderr[-2000:]


def test_a_valid_180_kb_covering_file_is_checked_quickly(tmp_path):
    from perfkit.limits import MAX_COVERING_BYTES

    text = ("# Covering\n\n{# " + "{#" * 40_000 + " #}\n"
            + "Milestones {{ year }} are fine, 86% of measures.\n" * 2_100)
    assert 180_000 <= len(text.encode()) <= MAX_COVERING_BYTES
    path = tmp_path / "cabinet.md"
    path.write_text(text)
    done = bounded("-c", "import sys\nfrom perfkit.covering import read_source, hand_typed\n"
                         f"print(len(hand_typed(read_source({str(path)!r}), '2022/23', None, 'c.md')))",
                   timeout=60)
    assert done.stdout.strip() == "2100", done.stderr[-2000:]
