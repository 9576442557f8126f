"""report.pdf and cabinet.pdf, opened with a PDF library and read page by page like a paper."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject

from pdf_pages import page_png, page_rows, require_poppler

from conftest import PARAMS, ROOT
from perfkit.pdf import chart_alternatives, to_pdf

STATUS_WORDS = ["Green", "Amber", "Red", "Met", "Near target", "Missed", "Not due"]
SECTIONS = ["Summary", "Performance dashboard", "Exceptions", "Data quality", "Trends",
            "About this report"]


@pytest.fixture(scope="module")
def report(rendered):
    return PdfReader(rendered / "report.pdf")


@pytest.fixture(scope="module")
def rows(rendered):
    require_poppler()
    return {name: page_rows(rendered / name) for name in ("report.pdf", "cabinet.pdf")}


def _title(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S)[1])


def _outline(reader: PdfReader) -> list[str]:
    def walk(items):
        for item in items:
            yield from walk(item) if isinstance(item, list) else [item.title]
    return list(walk(reader.outline))


@pytest.mark.parametrize("name", ["report", "cabinet"])
def test_pdf_is_tagged_with_language_and_title(rendered, name):
    reader = PdfReader(rendered / f"{name}.pdf")
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    page = (rendered / f"{name}.html").read_text(encoding="utf-8")
    assert reader.metadata.title == _title(page)
    assert "pdfuaid:part" in reader.xmp_metadata.stream.get_data().decode()


def _structure_types(reader: PdfReader) -> dict[str, list]:
    found: dict[str, list] = {}
    stack = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not hasattr(node, "get"):
            continue
        if "/S" in node:
            found.setdefault(node["/S"], []).append(node)
        kids = node.get("/K")
        if kids is not None and not isinstance(kids, int):
            stack.append(kids)
    return found


def test_structure_has_headings_tables_and_charts_with_their_figures(report):
    tags = _structure_types(report)
    assert {"/H1", "/H2", "/H3", "/P", "/Table", "/TH", "/TD", "/L", "/LI"} <= set(tags)
    alternatives = [str(f.get("/Alt", "")) for f in tags["/Figure"]]
    assert len(alternatives) == 2
    # each chart's alternative is its whole description, every figure in it, not its title only
    assert any("All priorities: 31 green, 4 amber, 1 red" in a for a in alternatives)
    assert any("All priorities: 16 met, 1 near target, 3 missed" in a for a in alternatives)


def test_charts_are_vectors_and_their_labels_are_text(report):
    for page in report.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        assert all(x.get_object().get("/Subtype") != "/Image" for x in xobjects.values())
    # The dashboard's chart, on the first pages: its axis labels are text, not pixels.
    dashboard = " ".join(page.extract_text() for page in report.pages[:3])
    assert "Providing value for money services" in dashboard and "Number" in dashboard


def test_outline_has_every_section_and_priority(report, rendered):
    summary = json.loads((rendered / "summary.json").read_text())
    priorities = [p["name"] for p in summary["priorities"]]
    outline = _outline(report)
    assert outline[0].startswith("Council Plan Delivery Plan 2022/23")
    for heading in SECTIONS + priorities:
        assert heading in outline, heading
    assert outline.count("Milestones") == outline.count("Measures") == len(priorities)


def test_text_holds_the_headline_figures_and_status_words(report):
    text = " ".join(page.extract_text() for page in report.pages)
    assert "31 (86%) are progressing well" in text and "16 (80%) met it" in text
    for word in STATUS_WORDS:
        assert re.search(rf"\b{word}\b", text), word


@pytest.mark.parametrize("name", ["report.pdf", "cabinet.pdf"])
def test_every_page_has_the_running_header_and_page_n_of_m(rows, rendered, name):
    pages = rows[name]
    page = (rendered / name.replace(".pdf", ".html")).read_text(encoding="utf-8")
    assert len(pages) > 1
    for number, sheet in enumerate(pages, start=1):
        # organisation at the left, the title at the right (a long title may wrap, so the
        # two can share rows in either order)
        words = " ".join(sheet.header).split()
        assert sorted(words) == sorted(f"Chesterfield Borough Council {_title(page)}".split())
        assert sheet.footer == [f"Page {number} of {len(pages)}"], number


def _headings(page: str) -> set[str]:
    """Every heading, table caption and table header row of the page, as printed."""
    text = lambda s: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", s)).split())
    found = {text(h) for h in re.findall(r"<(?:h[1-6]|caption)\b[^>]*>(.*?)</(?:h[1-6]|caption)>",
                                          page, re.S)}
    found |= {text(t) for t in re.findall(r"<thead>(.*?)</thead>", page, re.S)}
    return found - {""}


@pytest.mark.parametrize("name", ["report.pdf", "cabinet.pdf"])
def test_no_page_ends_with_a_heading(rows, rendered, name):
    headings = _headings((rendered / name.replace(".pdf", ".html")).read_text(encoding="utf-8"))
    assert {"Measures", "Exceptions", "Data quality"} <= headings or name == "cabinet.pdf"
    pages = rows[name]
    for number, sheet in enumerate(pages[:-1], start=1):
        last = re.sub(r"^\d+(\.\d+)*\.?\s+", "", sheet.body[-1])
        assert last not in headings, f"page {number} ends with the heading {last!r}"


def test_sections_and_paragraphs_are_numbered_council_style(rows):
    lines = [line for page in rows["report.pdf"] for line in page.body]
    assert "1.0 Summary" in lines and "2.0 Performance dashboard" in lines
    assert any(line.startswith("1.1 At quarter 2 of 2022/23") for line in lines)
    assert "3.2 Milestones" in lines and "3.3 Measures" in lines


def test_each_priority_starts_a_page_and_table_headers_repeat(rows, rendered):
    pages = rows["report.pdf"]
    firsts = [page.body[0] for page in pages]
    summary = json.loads((rendered / "summary.json").read_text())
    for number, priority in enumerate(summary["priorities"], start=3):
        assert f"{number}.0 {priority['name']}" in firsts
    # a page that opens inside a table opens with that table's header row
    continued = [f for f in firsts if f.startswith(("Milestone Status", "Measure Target"))]
    assert len(continued) >= 10


def test_cabinet_pdf_links_to_the_pdf_appendix(rendered):
    reader = PdfReader(rendered / "cabinet.pdf")
    links = [a.get_object()["/A"]["/URI"] for page in reader.pages
             for a in page.get("/Annots", []) if "/URI" in a.get_object().get("/A", {})]
    assert links.count("report.pdf") == 2 and "report.html" not in links
    assert 'href="report.html"' in (rendered / "cabinet.html").read_text(encoding="utf-8")


def test_the_renderer_fetches_nothing(tmp_path, rendered):
    # A real picture on disk and one on the web: neither may be drawn into the paper.
    picture = tmp_path / "page.png"
    page_png(rendered / "report.pdf", 1, picture, dpi=10)
    page = (f'<!DOCTYPE html><html lang="en-GB"><title>T</title><h1>T</h1>'
            f'<img src="{picture.as_uri()}" alt="local"><img src="https://example.org/a.png" '
            f'alt="remote"></html>')
    reader = PdfReader(__import__("io").BytesIO(to_pdf(page)))
    xobjects = reader.pages[0]["/Resources"].get("/XObject", {})
    assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())


def test_chart_alternatives_leave_other_titles_alone():
    page = "<title>Report</title><svg><title id=\"c-title\">C</title><desc id=\"c-desc\">C. 1</desc></svg>"
    assert chart_alternatives(page) == ("<title>Report</title><svg><title id=\"c-title\">C. 1"
                                        "</title><desc id=\"c-desc\">C. 1</desc></svg>")


def test_a_page_picture_is_an_a4_page_with_ink(rendered, tmp_path):
    """The README's picture of page 1 is made this way (tests/pdf_pages.py)."""
    require_poppler()
    from PIL import Image

    with Image.open(page_png(rendered / "report.pdf", 1, tmp_path / "p1.png")) as image:
        width, height = image.size
        assert abs(width - 827) <= 1 and abs(height - 1169) <= 1  # A4 at 100 dpi
        dark = sum(image.convert("L").histogram()[:128])
        assert dark > 20_000  # text, rules and the chart's bars are drawn
        assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)  # the margin is blank paper


def test_pdf_without_weasyprint_fails_before_any_kernel_starts(tmp_path):
    # As on a machine where the pdf extra was never installed: the import itself fails.
    code = ("import sys; sys.modules['weasyprint'] = None; from perfkit.cli import main; "
            f"sys.exit(main(['report', {str(PARAMS)!r}, '--out', {str(tmp_path)!r}, '--pdf', "
            "'--quiet']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "--pdf needs WeasyPrint: pip install -e '.[pdf]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.rglob("report.*"))


PAGE = ('<!DOCTYPE html><html lang="en-GB"><title>Cover</title><h1>Quarter 2</h1>'
        '<p>Thirty-one milestones are progressing well.</p></html>')


def _reader(pdf: bytes) -> PdfReader:
    import io

    return PdfReader(io.BytesIO(pdf))


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in _reader(pdf).pages)


def test_a_pdf_drawn_beside_the_run_is_the_pdf_drawn_here():
    from perfkit.pdf import PendingPdf, to_pdf

    pending = PendingPdf(PAGE)
    made = pending.result()
    assert made.startswith(b"%PDF-")
    assert _text(made) == _text(to_pdf(PAGE))
    assert _reader(made).trailer["/Root"]["/MarkInfo"]["/Marked"]  # tagged, as to_pdf makes it
    cancelled = PendingPdf(PAGE)
    cancelled.cancel()
    assert cancelled.result().startswith(b"%PDF-")  # its helper gone, it is drawn here


def test_the_helper_draws_each_page_sent_and_answers_in_any_order_asked():
    from perfkit.pdf import PdfHelper

    helper = PdfHelper()
    try:
        helper.check()
        first = helper.draw(PAGE)
        second = helper.draw(PAGE.replace("Quarter 2", "Quarter 3"))
        assert "Quarter 3" in _text(second.result())  # read past the first's answer
        assert "Quarter 2" in _text(first.result())
    finally:
        helper.close()


def test_a_helper_without_pango_fails_before_the_notebook_with_what_to_install(
        tmp_path, monkeypatch):
    import os

    from perfkit.errors import RenderError
    from perfkit.pdf import SYSTEM_PACKAGES, PdfHelper

    # As WeasyPrint fails where Debian's pango is missing: its import raises OSError.
    (tmp_path / "weasyprint.py").write_text("raise OSError(\"cannot load library 'pango'\")\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(ROOT)]))
    helper = PdfHelper()
    try:
        with pytest.raises(RenderError, match=SYSTEM_PACKAGES):
            helper.check()
    finally:
        helper.close()


def test_a_run_without_pango_says_what_to_install_and_writes_nothing(tmp_path):
    import os

    from perfkit.pdf import SYSTEM_PACKAGES

    # WeasyPrint is installed but its system libraries are not: its import raises OSError in
    # the helper that draws the PDFs; the run, which never imports it, must still say so.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "weasyprint.py").write_text("raise OSError(\"cannot load library 'pango'\")\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(PARAMS), "--out",
                           str(tmp_path / "out"), "--pdf", "--quiet"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert SYSTEM_PACKAGES in done.stderr and "Traceback" not in done.stderr
    assert not list((tmp_path / "out").rglob("report.*"))


def test_the_print_copy_leaves_out_only_the_phone_drawings(rendered):
    from perfkit.pdf import print_copy

    page = (rendered / "report.html").read_text(encoding="utf-8")
    printed = print_copy(page)
    assert page.count('class="chart-svg chart-narrow"') == 2
    assert 'class="chart-svg chart-narrow"' not in printed
    assert printed.count('class="chart-svg chart-wide"') == 2
    # Everything else is the page itself: the same text outside the charts' drawings.
    from test_golden import page_text

    def outside_drawings(html_page):
        return page_text(re.sub(r"<svg\b.*?</svg>", "", html_page, flags=re.S))

    assert outside_drawings(printed) == outside_drawings(page)
