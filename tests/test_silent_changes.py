"""Nothing changes silently: encodings are decided honestly, broken files are named, and data
text reaches the page as the text it is (never as markup, never with hidden controls)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE
from perfkit.cli import main
from perfkit.covering import fields, render_body
from perfkit.html import clean, esc, plain
from perfkit.load import load_dataset
from perfkit.summary import summarise

ENCRYPTED = ROOT / "tests" / "data" / "encrypted.xlsx"  # made by msoffcrypto-tool, password "secret"


def check(path: Path, capsys) -> tuple[int, str]:
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# --- encodings -------------------------------------------------------------------------

def test_utf8_with_one_stray_byte_is_refused_not_guessed(sample_copy, capsys):
    # measures.csv is UTF-8 with "£" in it; one Windows-1252 "£" (0xA3) in a comment used to
    # turn the whole file into Windows-1252, "£500k" into "Â£500k", and figures changed.
    path = sample_copy / "measures.csv"
    raw = path.read_bytes()
    at = raw.index(b"Over \xc2\xa3400k")
    path.write_bytes(raw[:at] + b"Over \xa3400k" + raw[at + len(b"Over \xc2\xa3400k"):])
    code, err = check(sample_copy, capsys)
    assert code == 2
    assert (f"measures.csv, row 26: byte {at + 5:,} (0xA3) is not UTF-8, yet the file "
            "holds UTF-8 elsewhere ('–' on row 5)") in err
    assert "read as Windows-1252, that text would change" in err


def test_windows_1252_throughout_is_read(sample_copy):
    for name in ("measures", "measure_updates"):
        path = sample_copy / f"{name}.csv"
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    ds = load_dataset(sample_copy)
    assert "Over £500k" in set(ds.measures["target"])
    assert ds.measures.equals(load_dataset(SAMPLE).measures)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_utf16_and_bom_files_read_the_same(sample_copy, encoding):
    path = sample_copy / "measures.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes((b"\xfe\xff" if encoding == "utf-16-be" else b"") + text.encode(encoding))
    assert load_dataset(sample_copy).measures.equals(load_dataset(SAMPLE).measures)


@pytest.mark.parametrize(("content", "message"), [
    (b"year,priority_id,name\n2022/23,TB,Caf\x81\n",
     "priorities.csv, row 2: byte 36 (0x81) is neither UTF-8 nor Windows-1252 text"),
    (b"\xef\xbb\xbfyear,priority_id,name\n2022/23,TB,Caf\xe9\n",
     "priorities.csv, row 2: byte 39 (0xE9) is not UTF-8, though the file starts with UTF-8's "
     "byte-order mark"),
    (b"year,priority_id,name\n2022/23,TB,\"Two\nlines\"\n2022/23,QL,Q\0\n",
     "priorities.csv, row 3: byte 57 (0x00) is a NUL: this is a binary file, or UTF-16 without "
     "a byte-order mark"),
    ("year,priority_id,name\n".encode("utf-16-le"), "priorities.csv, row 1: byte 1 (0x00) is a NUL"),
    (b"\xff\xfey\x00e\x00\x00\xd8", "priorities.csv: starts as UTF-16, but byte"),
])
def test_encodings_that_fit_nothing_are_named(sample_copy, capsys, content, message):
    (sample_copy / "priorities.csv").write_bytes(content)
    code, err = check(sample_copy, capsys)
    assert code == 2 and message in err, err


# --- broken files ------------------------------------------------------------------------

CSV_CASES = [
    ("extra field", lambda t: t.replace("2022/23,TB2,TB,Complete", "2022/23,TB2,TB,Complete,", 1),
     "milestones.csv, row 3: this row has 7 fields, more than the header has (a comma inside "
     'a cell needs the cell in "quotes")'),
    ("extra value", lambda t: re.sub(r"^(2022/23,TB2,.*?)(\r?)$", r"\1,oops\2", t, count=1, flags=re.M),
     "milestones.csv, row 3: 'oops' is one of 7 fields"),
    ("unterminated quote", lambda t: t + '2022/23,X1,TB,"never closed\n',
     "milestones.csv, row 38: holds a quoted cell whose closing \" is never found"),
    ("quote out of place", lambda t: t.replace("2022/23,TB2,TB,", '2022/23,TB2,TB,"never closed ', 1),
     'milestones.csv, row 3: holds a quote (") out of place'),
    ("stray quote", lambda t: t.replace("2022/23,TB2,TB,", '2022/23,TB2,TB,"a"b,', 1),
     'milestones.csv, row 3: holds a quote (") out of place'),
    ("empty file", lambda t: "", "milestones.csv: is empty (allowed: a header row naming the columns"),
    ("blank lines only", lambda t: "\n\n  \n", "milestones.csv: is empty"),
    ("a column twice", lambda t: t.replace("title", "Priority_ID", 1),
     "milestones.csv, row 1, column 'Priority_ID': names a column twice"),
]


@pytest.mark.parametrize(("name", "change", "message"), CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_broken_csv_is_named(sample_copy, capsys, name, change, message):
    path = sample_copy / "milestones.csv"
    path.write_text(change(path.read_text()))
    code, err = check(sample_copy, capsys)
    assert code == 2 and message in err, err
    # The table is reported once, not again as "column missing" or row by row.
    assert "milestones.csv, column" not in err


def test_trailing_empty_fields_are_not_an_extra_field(sample_copy):
    path = sample_copy / "priorities.csv"
    path.write_text("\n".join(line + ",," for line in path.read_text().splitlines()) + "\n")
    assert load_dataset(sample_copy).priorities.equals(load_dataset(SAMPLE).priorities)


def test_binary_file_is_named(sample_copy, capsys):
    (sample_copy / "priorities.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    code, err = check(sample_copy, capsys)
    assert code == 2 and "priorities.csv, row 3: byte 8 (0x00) is a NUL" in err  # the PNG header holds two line breaks


def _workbook(tmp_path: Path) -> Path:
    from test_bounded import workbook

    return workbook(tmp_path / "plan.xlsx")


@pytest.mark.parametrize(("name", "make", "message"), [
    ("encrypted", lambda p: ENCRYPTED.read_bytes(),
     "is password-protected (encrypted), or an old .xls workbook"),
    ("truncated", lambda p: _workbook(p).read_bytes()[:8000], "is damaged: its zip archive cannot be read"),
    ("not a zip", lambda p: b"year,priority_id\n", "is not a workbook: an .xlsx file is a zip archive"),
    ("empty", lambda p: b"", "is not a workbook"),
    ("a zip of something else", lambda p: Path(shutil.make_archive(str(p / "z"), "zip", SAMPLE)).read_bytes(),
     "is a zip archive but not an Excel workbook"),
])
def test_broken_workbooks_are_named(tmp_path, capsys, name, make, message):
    book = tmp_path / "book.xlsx"
    book.write_bytes(make(tmp_path))
    code, err = check(book, capsys)
    assert code == 2 and f"book.xlsx: {message}" in err, err


def test_macro_workbook_is_named(tmp_path, capsys):
    book = tmp_path / "plan.xlsm"
    shutil.copy(_workbook(tmp_path), book)
    code, err = check(book, capsys)
    assert code == 2
    assert "plan.xlsm: is a .xlsm workbook; perfkit reads only .xlsx workbooks and never runs macros" in err


@pytest.mark.parametrize(("value", "shown"), [("Council \\ud800", "U+D800"), ("Council \\0 of", "U+0000"),
                                              ("Bell\\a", "U+0007")])
def test_unwritable_params_text_is_named(tmp_path, capsys, value, shown):
    params = tmp_path / "p.yaml"
    params.write_text(f'data: {SAMPLE}\nyear: "2022/23"\nquarter: 2\norganisation: "{value}"\n')
    code = main(["summary", str(params)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"key 'organisation' has" in err and f"expected text without control characters or lone surrogates (found {shown}" in err


# --- data text in the page ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Done\x00 now", "Done now"),
    ("a\x07b\x1bc\x7fd\x85e\x9ff", "abcdef"),
    ("keep\ttab and\nline", "keep\ttab and\nline"),
    ("\u202eevil\u202c \u2066iso\u2069 \u202aemb\u202c", "evil iso emb"),
    ("العربية and עברית", "العربية and עברית"),  # right-to-left scripts need no override
    ("lone \ud800 surrogate", "lone  surrogate"),
])
def test_plain_removes_controls_and_bidi_overrides(text, expected):
    assert plain(text) == expected
    assert esc(text) == esc(expected)


def test_notes_lose_controls_and_overrides():
    assert clean("<ul>• On\x00e • \u202eTwo") == "<ul><li>One</li><li>Two</li></ul>"


def test_controls_and_overrides_never_reach_a_priority_section(sample_copy):
    import pandas as pd

    from perfkit.sections import open_report

    # A NUL cannot come in through a CSV (it is refused as binary); the others can.
    for name, column in (("milestone_updates", "progress"), ("milestones", "title")):
        path = sample_copy / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[0, column] = "Done\x07\x1b \u202eten days late\u202c here"
        frame.to_csv(path, index=False)
    page = open_report(str(sample_copy), "2022/23", 2).priority_sections().html
    assert page.count("Done ten days late here") >= 2
    assert not set(page) & {"\x07", "\x1b", "\u202e", "\u202c"}


# --- the covering report: values are text ------------------------------------------------

@pytest.fixture
def hostile_names(sample_copy):
    path = sample_copy / "priorities.csv"
    path.write_text(path.read_text().replace(
        "2022/23,TB,", "2022/23,TB,<style>[click](https://evil.example) **bold** ", 1))
    return summarise(load_dataset(sample_copy), "2022/23", 2)


def test_data_values_are_text_not_markup(hostile_names):
    source = ("# Covering\n\n{{ priorities.TB.name }}\n\n{{ priorities.TB.paragraph }}\n\n"
              "## After\n\n{{ priorities.QL.paragraph }}\n\n{{ risk_table }}\n")
    body = render_body(source, fields(hostile_names), {"risk_table": "<table>RISKS</table>"}, "c.md")
    assert "&lt;style&gt;[click](https://evil.example) **bold**" in body
    assert "<style" not in body and "evil.example\"" not in body and "<strong>" not in body
    # Everything after the hostile name is still there.
    assert "<h2>After</h2>" in body and hostile_names.paragraphs[2][:40] in body.replace("&#x27;", "'")
    assert "<table>RISKS</table>" in body


def test_a_value_in_a_link_cannot_be_a_script_url(sample_copy):
    context = {"appendix": "javascript:alert(1)", "year": "2022/23"}
    body = render_body("[appendix]({{ appendix }}) for {{ year }}", context, {}, "c.md")
    assert "javascript:" not in body and "for 2022/23" in body


@pytest.mark.parametrize("opener", ["<style>", "<script>", "<textarea>", "<!-- a note", "<title>",
                                    "<pre>", "<?php", "<![CDATA[", "<!DOCTYPE x", "<xmp>",
                                    "<iframe>", "<noscript>", "<plaintext>"])
def test_unclosed_raw_html_cannot_swallow_the_page(opener):
    source = f"# Covering\n\nIntro {opener} here.\n\n{opener}\n\n## Recommendations\n\nThat Cabinet notes {{{{ year }}}}.\n\n{{{{ risk_table }}}}\n"
    body = render_body(source, {"year": "2022/23", "risk_table": ""}, {"risk_table": "<table>R</table>"}, "c.md")
    assert "<h2>Recommendations</h2>" in body, body
    assert "That Cabinet notes 2022/23." in body and "<table>R</table>" in body
    tag = opener.split()[0].removeprefix("<").rstrip(">")
    assert f"<{tag}" not in body  # shown as text, never as markup
    assert esc(opener)[:6] in body


def test_allowed_raw_html_still_works():
    body = render_body("Some <strong>bold</strong> and <br> a break, <https://example.org>.",
                       {}, {}, "c.md")
    assert "<strong>bold</strong>" in body and "<br>" in body
    assert '<a href="https://example.org">' in body
