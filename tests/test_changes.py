"""What a run tells the operator about the published set: files added, replaced, removed, why."""

from __future__ import annotations

import pytest

from perfkit.changes import How, compare, describe


@pytest.mark.parametrize("old, new, pdf, docx, lines", [
    ({}, {"report.html": "a"}, False, False, ["added report.html"]),
    ({"report.html": "a"}, {"report.html": "a"}, False, False, ["unchanged report.html"]),
    ({"report.html": "a"}, {"report.html": "b"}, False, False, ["replaced report.html"]),
    ({"report.html": "a", "report.pdf": "%PDF"}, {"report.html": "a"}, False, False,
     ["unchanged report.html", "removed report.pdf (no --pdf this run)"]),
    ({"report.docx": "PK", "cabinet.docx": "PK"}, {"report.html": "a"}, True, False,
     ["added report.html", "removed cabinet.docx, report.docx (no --docx this run)"]),
    ({"cabinet.html": "c", "cabinet.pdf": "%PDF"}, {"report.pdf": "%PDF"}, True, False,
     ["added report.pdf",
      "removed cabinet.html, cabinet.pdf (no covering report in the params file this run)"]),
    ({"report.failed.ipynb": "{}"}, {"report.ipynb": "{}"}, False, False,
     ["added report.ipynb", "removed report.failed.ipynb (this run's notebook succeeded)"]),
    # an officer's own file is carried over, never listed as removed
    ({"notes.txt": "mine"}, {"report.html": "a"}, False, False, ["added report.html"]),
])
def test_the_log_says_what_changed_and_why(tmp_path, old, new, pdf, docx, lines):
    folder, staging = tmp_path / "published", tmp_path / "staging"
    folder.mkdir(), staging.mkdir()
    for where, files in ((folder, old), (staging, new)):
        for name, text in files.items():
            (where / name).write_text(text)
    changes = compare(folder, staging, pdf=pdf, docx=docx)
    assert describe(changes) == lines
    assert {c.name for c in changes if c.how is not How.REMOVED} == set(new)
