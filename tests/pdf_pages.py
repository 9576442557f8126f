"""Pages of a PDF as a reader sees them, through poppler-utils (pdftotext, pdftoppm).

Run as a script to make the README's picture of a page:
``python tests/pdf_pages.py outputs/2022-23-Q2/report.pdf 3 docs/report-page-3.png``
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>')


def require_poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.fail("poppler-utils is not installed (make test installs it)")


@dataclass
class Page:
    """A page's text rows, top to bottom, split where report.css's @page margins fall."""

    header: list[str]
    body: list[str]
    footer: list[str]


MM = 72 / 25.4
TOP, BOTTOM = 22 * MM, 20 * MM  # the @page margins in report.css


def page_rows(pdf: Path) -> list[Page]:
    """Each page's text as visual rows (words sharing a baseline, left to right)."""
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120)
    pages = []
    for _, height, body in _PAGE.findall(done.stdout):
        rows: dict[int, list[tuple[float, str]]] = {}
        for x, _, y_max, word in _WORD.findall(body):
            rows.setdefault(round(float(y_max)), []).append((float(x), unescape(word)))
        page = Page([], [], [])
        for y, words in sorted(rows.items()):
            part = (page.header if y < TOP else page.footer if y > float(height) - BOTTOM
                    else page.body)
            part.append(" ".join(w for _, w in sorted(words)))
        pages.append(page)
    return pages


def page_png(pdf: Path, page: int, out: Path, dpi: int = 100) -> Path:
    """One page as a PNG, as pdftoppm draws it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(stem)], check=True, timeout=120)
        shutil.move(f"{stem}.png", out)
    return out


def optimise_png(path: Path, colours: int = 256) -> Path:
    """Shrink a page picture for the repository: a palette of a few colours is plenty for text."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colours, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path


if __name__ == "__main__":
    source, number, target = sys.argv[1:4]
    print(optimise_png(page_png(Path(source), int(number), Path(target))))
