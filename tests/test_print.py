"""report.pdf read where each word is drawn (pdftotext -bbox-layout), as a clerk reads a
paper: no badge over text, no milestone row split from its title, no page left half blank
mid-section. On the sample and on a dataset of long titles and progress notes."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from conftest import ROOT, write_params
from longtext import write_long_text
from pdf_pages import BOTTOM, TOP, require_poppler

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"(.*?)</word>")
STATUS = {"Green", "Amber", "Red", "Complete", "Met", "Missed", "Near", "Not"}
PT = 72 / 96  # a CSS px in PDF points


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def pages(pdf) -> list[tuple[float, list[Word]]]:
    """Each page's height and its body's words (the running header and footer left out)."""
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120)
    found = []
    for _, height, body in _PAGE.findall(done.stdout):
        words = [Word(float(a), float(b), float(c), float(d), t)
                 for a, b, c, d, t in _WORD.findall(body)]
        found.append((float(height), [w for w in words
                                      if TOP < w.y1 < float(height) - BOTTOM]))
    return found


def rows(words: list[Word]) -> list[list[Word]]:
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(round(w.y1), []).append(w)
    return [sorted(line, key=lambda w: w.x0) for _, line in sorted(by_line.items())]


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    base = tmp_path_factory.mktemp("longpdf")
    params = write_params(base / "long.yaml", write_long_text(base / "data", quarters=1), 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(base / "out"), "--pdf"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return base / "out" / "2022-23-Q2" / "report.pdf"


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory):
    """The example's last quarter: its exceptions tables have every column (last year's
    outturn, forecast, quarters in a row, travel both ways, corrective action)."""
    out = tmp_path_factory.mktemp("examplepdf")
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report",
                           "params/example/2023-24-Q2.yaml", "--out", str(out), "--pdf"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out / "2023-24-Q2" / "report.pdf"


@pytest.mark.parametrize("which", ["sample", "long", "example"])
def test_nothing_is_drawn_in_the_right_margin(request, which, tmp_path):
    # Drawn, not read: a visually hidden caption's text lies past the margin, unseen.
    from PIL import Image

    require_poppler()
    path = {"sample": lambda: request.getfixturevalue("rendered") / "report.pdf",
            "long": lambda: request.getfixturevalue("long_pdf"),
            "example": lambda: request.getfixturevalue("example_pdf")}[which]()
    dpi, mm = 40, 40 / 25.4
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path), str(tmp_path / "p")],
                   check=True, timeout=120)
    inked = []
    for png in sorted(tmp_path.glob("p-*.png")):
        with Image.open(png) as image:
            width, height = image.size
            # From 1.5 mm past the text's right edge (report.css: 16 mm margins) to the
            # paper's, between the running header and footer.
            margin = image.convert("L").crop((int(width - 14.5 * mm), int(TOP / 72 * dpi),
                                              width, int(height - BOTTOM / 72 * dpi)))
            if margin.getextrema()[0] < 200:
                inked.append(png.stem)
    assert not inked, f"{which}: drawn in the right margin on {inked}"


@pytest.fixture(scope="module", params=["sample", "long"])
def pdf(request, rendered):
    require_poppler()
    path = rendered / "report.pdf" if request.param == "sample" else request.getfixturevalue("long_pdf")
    return pages(path)


def test_no_badge_overlaps_text(pdf):
    # A badge is its word plus its padding (.45rem), or the screen's minimum width (4.5rem,
    # which WeasyPrint drew 63 pt wide before print rules lifted it) with the word centred,
    # whichever is wider: that box must end before the next column's text starts, and reach
    # no other word on its line.
    pad, least = 0.45 * 12, 63 / 2
    for number, (_, words) in enumerate(pdf, start=1):
        next_column = None
        for line in rows(words):
            texts = [w.text for w in line]
            if "Status" in texts and texts.index("Status") + 1 < len(line):
                # a milestone or measure table's header (a chart's table of figures has
                # status words too, as plain text)
                status = texts.index("Status")
                next_column = ((line[status].x0, line[status + 1].x0)
                               if texts[0] in ("Milestone", "Measure") else None)
                continue
            for i, w in enumerate(line):
                if w.text not in STATUS:
                    continue
                centre = (w.x0 + w.x1) / 2
                half = max((w.x1 - w.x0) / 2 + pad, least)
                if next_column and next_column[0] - 2 <= w.x0 < next_column[1]:
                    assert centre + half <= next_column[1] + 1, (
                        f"page {number}: the {w.text} badge runs into the next column")
                box = (w.x0 - pad, w.x1 + pad)
                # the badge's own second word ("Near target", "Not due") is inside it
                others = [o for j, o in enumerate(line) if j not in (i - 1, i, i + 1)]
                hit = [o.text for o in others if o.x0 < box[1] and o.x1 > box[0]]
                assert not hit, f"page {number}: the {w.text} badge covers {hit}"


def _header_columns(line: list[Word]) -> float | None:
    """Where the Status column starts, when this line is a milestone table's header row."""
    texts = [w.text for w in line]
    if texts[:1] == ["Milestone"] and "Status" in texts and "Progress" in texts:
        return line[texts.index("Status")].x0
    return None


def test_no_milestone_row_is_split_from_its_title(pdf):
    for number, (_, words) in enumerate(pdf, start=1):
        lines = rows(words)
        for i, line in enumerate(lines[:-1]):
            status_x = _header_columns(line)
            if status_x is None:
                continue
            # the first row under a (repeated) header starts with a milestone's ID and
            # title, with its badge beside it: never a title's tail or a note without one
            nxt = lines[i + 1]
            title = [w.text for w in nxt if w.x1 < status_x]
            if not title:
                continue  # a long note continuing overleaf, its title and badge above
            assert re.fullmatch(r"[A-Z]+\d+", title[0]), (
                f"page {number}: a row continues here without its title: {title[:6]}")
            near = [w for w in words if abs(w.y1 - nxt[0].y1) < 6 and w.text in STATUS]
            assert near, f"page {number}: no badge beside {title[:3]}"


def test_no_milestone_row_starts_at_a_pages_foot_without_its_title(pdf):
    # The long dataset once began QL13 with its badge alone at a page's foot, the title and
    # note overleaf (on a page with no repeated header, which the test above reads)
    for number, (_, words) in enumerate(pdf, start=1):
        status_x = None
        for line in rows(words):
            texts = [w.text for w in line]
            if "Status" in texts and texts[0] in ("Milestone", "Measure"):
                status_x = _header_columns(line)
                continue
            if status_x is None:
                continue
            for badge in (w for w in line if w.text in STATUS and abs(w.x0 - status_x) < 30):
                title = [w.text for w in words if w.x1 < status_x and abs(w.y1 - badge.y1) < 6]
                assert title, f"page {number}: a {badge.text} badge without its row's title"


def test_no_page_is_more_than_half_blank_mid_section(pdf):
    for number, (height, words) in enumerate(pdf[:-1], start=1):
        nxt = rows(pdf[number][1])
        opens_section = nxt and re.fullmatch(r"\d+\.0", nxt[0][0].text)
        lowest = max(w.y1 for w in words)
        used = (lowest - TOP) / (height - TOP - BOTTOM)
        # within a line's height of half: a word box's bottom is not the page's last ink
        assert used >= 0.49 or opens_section, f"page {number} is {1 - used:.0%} blank"


def test_a_table_never_starts_with_its_first_row_alone(rendered):
    # cabinet.pdf once put risk R1 alone at the foot of a page, the rest overleaf
    require_poppler()
    where = {}
    for number, (_, words) in enumerate(pages(rendered / "cabinet.pdf"), start=1):
        for line in rows(words):
            if line[0].text in ("R1", "R2") and line[0].text not in where:
                where[line[0].text] = number
    assert where["R1"] == where["R2"]


def test_no_table_ends_with_a_lone_row_under_a_repeated_header(pdf):
    # On the long dataset WeasyPrint once left milestone QL14 alone overleaf after QL13, whose
    # long note filled the page before: it does not go back into a row already placed to
    # honour the last row's break-before: avoid. perfkit.pdf lays the page out again with the
    # tail of QL13's note moved overleaf (see the README).
    for number, (_, words) in enumerate(pdf, start=1):
        lines = rows(words)
        texts = [w.text for w in lines[0]] if lines else []
        if texts[:1] not in (["Milestone"], ["Measure"]) or "Status" not in texts:
            continue  # the page does not open inside a table
        status = lines[0][texts.index("Status")]
        end = next((i for i, line in enumerate(lines[1:], start=1)
                    if re.fullmatch(r"\d+\.\d+", line[0].text) or line[0].x0 < status.x0 - 200
                    and line[0].text.endswith(":")), None)
        if end is None:
            continue  # the table goes on overleaf
        # one badge per row that starts here, in the Status column (none: only the tail of
        # a long note, which may continue overleaf)
        badges = [w for line in lines[1:end] for w in line
                  if w.text in STATUS and abs(w.x0 - status.x0) < 30]
        # the tail of the row before, continued from the page before, keeps the last company:
        # text in the Progress column above the first badge
        tail = badges and any(w.y1 < badges[0].y0 and w.x0 > status.x1 for line in lines[1:end]
                              for w in line)
        assert len(badges) != 1 or tail, (
            f"page {number}: the table ends with one row under its header")


def _risk_pages(pdf_bytes: bytes, tmp_path) -> dict[str, int]:
    path = tmp_path / "risks.pdf"
    path.write_bytes(pdf_bytes)
    where: dict[str, int] = {}
    for number, (_, words) in enumerate(pages(path), start=1):
        for line in rows(words):
            if re.fullmatch(r"R\d", line[0].text):
                where.setdefault(line[0].text, number)
    return where


def test_a_risk_table_splits_after_its_second_row_never_its_first(tmp_path):
    # cabinet.pdf's risk table under report.css, after text that leaves the page's foot
    # more or less room: it splits after R2 or later when two rows fit there, moves whole
    # when only R1 would, and never leaves R5 alone overleaf.
    require_poppler()
    from pathlib import Path

    import perfkit
    from perfkit.pdf import to_pdf

    css = (Path(perfkit.__file__).parent / "templates" / "perfkit_report" / "report.css"
           ).read_text(encoding="utf-8")
    body = "".join(f'<tr><th scope="row">R{i}</th><td>A risk described in a sentence long '
                   f'enough to take two lines</td><td>High</td></tr>' for i in range(1, 6))
    splits = set()
    for filler in range(200, 235, 5):  # mm of text before the table, on a 255 mm text area
        page = (f'<!DOCTYPE html><html lang="en-GB"><head><title>Risks</title><style>{css}'
                f'</style></head><body><main><div style="height:{filler}mm">Text</div>'
                '<table class="risks"><caption>Risks</caption><thead><tr><th scope="col">Risk'
                '</th><th scope="col">Description</th><th scope="col">Impact</th></tr></thead>'
                f"<tbody>{body}</tbody></table></main></body></html>")
        where = _risk_pages(to_pdf(page), tmp_path)
        assert where["R1"] == where["R2"], f"{filler} mm: R1 alone at the foot"
        assert where["R4"] == where["R5"], f"{filler} mm: R5 alone overleaf"
        splits.add(next((f"R{i}" for i in range(1, 5) if where[f"R{i}"] != where[f"R{i + 1}"]),
                        None))
    assert {"R2", "R3", None} <= splits  # split after R2, after R3, or not at all (moved whole)
