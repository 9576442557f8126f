"""The sample quarter's summary.json and page text stay as they were (tests/data/golden/).

Speed work must not change what is published: the files in tests/data/golden/ were made by
commit f7fc007 (before the render path was split and sped up), and the sample rendered now
must give the same summary.json, byte for byte, and the same text on report.html and
cabinet.html, less the minute they were rendered.

When a change to the report is meant (new wording, a new section), regenerate them from a
render of the sample and review the diff like any other change:

    .venv/bin/perfkit report params/2022-23-Q2.yaml --out /tmp/golden --quiet
    .venv/bin/python tests/test_golden.py /tmp/golden/2022-23-Q2
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
PAGES = ("report.html", "cabinet.html")


class _Text(HTMLParser):
    """The text a reader meets on a page, one piece a line: no stylesheet, no script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.pieces.append(" ".join(data.split()))


def page_text(html: str) -> str:
    """The page's text, with the time it was rendered replaced by ``(when)``.

    >>> page_text("<style>p{}</style><p>Rendered 02 December 2026 at 14:05 UTC.</p><p> x </p>")
    'Rendered (when).\\nx\\n'
    """
    parser = _Text()
    parser.feed(html)
    text = "\n".join(parser.pieces) + "\n"
    return re.sub(r"\d{2} \w+ \d{4} at \d{2}:\d{2}(?: \w+)?", "(when)", text)


def golden_files(folder: Path) -> dict[str, str]:
    """What is compared: summary.json as written, and each page's text."""
    files = {"summary.json": (folder / "summary.json").read_text(encoding="utf-8")}
    for page in PAGES:
        files[page.replace(".html", ".txt")] = page_text(
            (folder / page).read_text(encoding="utf-8"))
    return files


@pytest.mark.parametrize("name", ["summary.json", "report.txt", "cabinet.txt"])
def test_the_sample_publishes_what_it_did_before(rendered, name):
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert golden_files(rendered)[name] == expected, (
        f"{name} differs from tests/data/golden/{name}; if the change is meant, regenerate "
        "(see this module's docstring)")


if __name__ == "__main__":
    for name, text in golden_files(Path(sys.argv[1])).items():
        (GOLDEN / name).write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN / name}")
