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
from html import unescape
from pathlib import Path

import pytest

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>')


def require_poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.fail("poppler-utils is not installed (make test installs it)")


def page_rows(pdf: Path) -> list[list[str]]:
    """Each page's text as visual rows, top to bottom (words sharing a baseline, left to right)."""
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120)
    pages = []
    for _, _, body in _PAGE.findall(done.stdout):
        rows: dict[int, list[tuple[float, str]]] = {}
        for x, _, y_max, word in _WORD.findall(body):
            rows.setdefault(round(float(y_max)), []).append((float(x), unescape(word)))
        pages.append([" ".join(w for _, w in sorted(words)) for _, words in sorted(rows.items())])
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
