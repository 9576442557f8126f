"""The covering report is fields, not a program: what an officer may write, what is refused
(naming its line, before anything renders, never evaluated), and which files may be read."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLE, write_params
from perfkit.covering import CoveringError, check_fields, parse_fields, read_source
from perfkit.limits import MAX_COVERING_BYTES

CONTEXT = {"year": "2022/23", "quarter": 2, "appendix": "report.html",
           "milestones": {"total": "36", "pct_green": "86%"},
           "priorities": {"TB": {"name": "Town"}, "QL-2": {"name": "Life"}}}

ALLOWED = [
    ("{{ year }}", [("year",)]),
    ("{{year}} and {{  quarter  }}", [("year",), ("quarter",)]),
    ("{{ milestones.pct_green }}", [("milestones", "pct_green")]),
    ("{{ priorities['TB'].name }}", [("priorities", "TB", "name")]),
    ("{{ priorities.QL-2.name }}", [("priorities", "QL-2", "name")]),
    ("{# a note\nover lines {{ not a field }} #}{{ year }}", [("year",)]),
    ("Braces alone { } and }} are text, so is a lone % or #.", []),
]


@pytest.mark.parametrize(("source", "paths"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_fields_and_notes_are_allowed(source, paths):
    found, _ = check_fields(source, CONTEXT, "c.md")
    assert [f.path for f in found] == paths


REFUSED = [
    ("{% include 'header.md' %}", "is a template statement"),
    ("{% import 'x' as y %}", "is a template statement"),
    ("{% extends 'base' %}", "is a template statement"),
    ("{% for p in priorities %}{{ p }}{% endfor %}", "is a template statement"),
    ("{% if year %}x{% endif %}", "is a template statement"),
    ("{% set x = 9**9**9 %}", "is a template statement"),
    ("{% macro m() %}{% endmacro %}", "is a template statement"),
    ("{% raw %}{{ year }}{% endraw %}", "is a template statement"),
    ("{{ 'x' * 10**10 }}", "is not a field"),
    ("{{ year|center(10**10) }}", "is not a field"),
    ("{{ 9**(9**9) }}", "is not a field"),
    ("{{ year|e }}", "is not a field"),
    ("{{ year() }}", "is not a field"),
    ("{{ year ~ quarter }}", "is not a field"),
    ("{{ ''.__class__.__mro__ }}", "is not a field"),
    ("{{ milestones[0] }}", "is not a field"),
    ("{{ }}", "is not a field"),
    ("{{ year", "'{{' is never closed by '}}'"),
    ("{# a note", "'{#' is never closed by '#}'"),
    ("{{ milestones }}", "'milestones' is a group of fields, not one"),
    ("{{ milestones.__class__ }}", "unknown field 'milestones.__class__'"),
    ("{{ priorities.XX.name }}", "unknown field 'priorities.XX.name'"),
]


@pytest.mark.parametrize(("construct", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_everything_else_is_refused_with_its_line(construct, message):
    source = "# Covering\n\n{# a note\nover two lines #}\nIntro.\n\n" + construct + "\n"
    with pytest.raises(CoveringError) as caught:
        check_fields(source, CONTEXT, "c.md")
    first = str(caught.value).splitlines()[0]
    assert first.startswith("c.md, line 7: ") and message in first, first


def test_every_bad_construct_is_listed_in_one_pass():
    source = "{% include 'a' %}\n{{ year }}\n{{ 1 + 1 }}\n\n{% import 'b' as c %}\n"
    with pytest.raises(CoveringError) as caught:
        parse_fields(source, "c.md")
    assert [line.split(":")[0] for line in str(caught.value).splitlines()] == [
        "c.md, line 1", "c.md, line 3", "c.md, line 5"]


def test_a_long_construct_is_shown_short():
    with pytest.raises(CoveringError) as caught:
        parse_fields("{{ " + "x + " * 10_000 + "1 }}", "c.md")
    assert len(str(caught.value)) < 400


def test_a_statement_runs_nothing_through_the_cli(tmp_path):
    # Jinja2 would have raised a TypeError (exit 1) or read the file; now: exit 2, the line.
    secret = tmp_path / "secret.md"
    secret.write_text("TOP SECRET")
    covering = tmp_path / "cabinet.md"
    covering.write_text(f"# Covering\n\n{{% include '{secret}' %}}\n")
    params = write_params(tmp_path / "p.yaml", SAMPLE, 2, covering=str(covering))
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cabinet.md, line 3:" in done.stderr and "is a template statement" in done.stderr
    assert "TOP SECRET" not in done.stderr and not (tmp_path / "out").exists()


# --- which files are read ------------------------------------------------------------------

def _fifo(tmp_path):
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    return path


def _link(tmp_path):
    path = tmp_path / "cabinet.md"
    path.symlink_to("/etc/passwd")
    return path


def _big(tmp_path):
    path = tmp_path / "cabinet.md"
    path.write_text("x" * (MAX_COVERING_BYTES + 1))
    return path


def _folder(tmp_path):
    path = tmp_path / "folder.md"
    path.mkdir()
    return path


def _latin1(tmp_path):
    path = tmp_path / "cabinet.md"
    path.write_bytes(b"# Caf\xe9\n")
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: "/dev/zero", "must be a Markdown file ending in .md"),
    (lambda p: "/etc/passwd", "must be a Markdown file ending in .md"),
    (lambda p: "/proc/self/environ", "must be a Markdown file ending in .md"),
    (lambda p: p, "must be a Markdown file ending in .md"),
    (_folder, "is not a regular file (a folder, device or pipe)"),
    (_fifo, "is not a regular file (a folder, device or pipe)"),
    (_link, "must be a Markdown file ending in .md"),
    (_big, f"larger than the limit (a Markdown file (.md) of at most {MAX_COVERING_BYTES // 1024} KB)"),
    (_latin1, "byte 5 (0xE9) is not UTF-8"),
    (lambda p: p / "missing.md", "cannot read the covering report (No such file or directory)"),
], ids=["/dev/zero", "/etc/passwd", "/proc/self/environ", "a folder", "a folder named .md",
        "a FIFO", "a .md link to /etc/passwd", "too large", "not UTF-8", "missing"])
def test_only_a_regular_bounded_markdown_file_is_read(tmp_path, make, message):
    with pytest.raises(CoveringError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_source(make(tmp_path))


def test_a_markdown_file_is_read(tmp_path):
    path = tmp_path / "Cabinet.MD"
    path.write_bytes(b"\xef\xbb\xbf# Covering \xc2\xa3\n")
    assert read_source(path) == "# Covering £\n"
