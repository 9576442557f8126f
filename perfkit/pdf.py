"""The report page as a committee paper: a tagged, bookmarked A4 PDF drawn by WeasyPrint.

The PDF is made from the very page that ``report.html`` holds, laid out by the stylesheet's
print rules (``@page`` margin boxes, running strings, page breaks). WeasyPrint's PDF/UA-1
variant tags the structure, sets the language and the title from the page's ``<html lang>``
and ``<title>``, asks viewers to show that title, and bookmarks every heading. Nothing is
fetched: the page holds everything it draws, and any other URL is refused. Where WeasyPrint
breaks a table row as the print rules forbid, the page is laid out again (:func:`paginate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from perfkit.errors import RenderError

if TYPE_CHECKING:  # WeasyPrint is the pdf extra, imported only when a PDF is drawn
    from xml.etree.ElementTree import Element

    from weasyprint import HTML
    from weasyprint.document import Document

# Debian's names for what WeasyPrint loads at import time (see the Makefile's `pdf` target).
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"

# html.figure writes each chart's <title>, then its <desc>, which repeats the title and states
# every figure.
_TITLE_DESC = re.compile(r'(<title id="([^"]+)-title">)(.*?)(</title>\s*<desc id="\2-desc">)'
                         r"(.*?)(</desc>)", re.S)


def require_renderer() -> None:
    """Fail at once, saying what to install, when WeasyPrint or its system libraries are missing.

    >>> require_renderer()
    """
    try:
        import weasyprint  # noqa: F401  (it loads pango as it imports)
    except ImportError:
        raise RenderError("--pdf needs WeasyPrint: pip install -e '.[pdf]' "
                          "(make report does this)") from None
    except OSError as err:
        raise RenderError(f"--pdf needs WeasyPrint's system libraries ({err}): "
                          f"apt-get install {SYSTEM_PACKAGES}") from None


def chart_alternatives(page: str) -> str:
    """Give each chart's SVG ``<title>`` the whole text alternative its ``<desc>`` holds.

    A PDF figure has one alternative text, and WeasyPrint takes it from the SVG's title; the
    title alone would leave out the figures.

    >>> chart_alternatives('<title id="c-title">Milestones</title><desc id="c-desc">Milestones. '
    ...                    '31 green.</desc>')
    '<title id="c-title">Milestones. 31 green.</title><desc id="c-desc">Milestones. 31 green.</desc>'
    """
    return _TITLE_DESC.sub(lambda m: m[1] + m[5] + m[4] + m[5] + m[6], page)


def to_pdf(page: str) -> bytes:
    """The page (a whole HTML document, as a string) as a tagged PDF/UA-1 paper.

    >>> pdf = to_pdf('<!DOCTYPE html><html lang="en-GB"><title>Q2</title><h1>Q2</h1></html>')
    >>> pdf.startswith(b"%PDF-")
    True
    """
    require_renderer()
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Charts are inline SVG and fonts are the system's: a data: URL is all a page may load,
    # so an officer's link can never make the renderer reach out.
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1)
    html = HTML(string=chart_alternatives(page), url_fetcher=fetcher, media_type="print")
    options = {"pdf_variant": "pdf/ua-1", "uncompressed_pdf": False}
    return paginate(html, **options).write_pdf(**options)


def paginate(html: HTML, **options: Any) -> Document:
    """The page laid out by WeasyPrint, then laid out again while a table row is broken in a
    way the print rules ask it to avoid and WeasyPrint cannot (see :func:`row_breaks`).

    Each pass forces a page break before one element the pass before found; layout before
    that element stays as it was. A pass is kept only when it leaves fewer broken rows, so a
    repair never makes the paper worse. A page with no broken row is laid out once.
    """
    document = html.render(**options)
    found = row_breaks(document, html.etree_element)
    for _ in range(_MAX_REPAIRS):
        if not found:
            break
        element, style = found[0], found[0].get("style")
        element.set("style", f"{style}; break-before: page" if style else "break-before: page")
        again = html.render(**options)
        still = row_breaks(again, html.etree_element)
        if len(still) >= len(found):
            if style is None:
                del element.attrib["style"]
            else:
                element.set("style", style)
            break
        document, found = again, still
    return document


# Each repair lays the whole page out again (about 2 s for a long report): a bound on the cost.
_MAX_REPAIRS = 4
_ITEMS = ("li", "p")


def row_breaks(document: Document, root: Element) -> list[Element]:
    """The elements (in page order) before which a forced page break mends a broken row.

    Two breaks WeasyPrint makes although report.css asks it not to, because it never goes
    back inside a row that is already placed:

    - a long milestone's row (which may continue overleaf) that starts at a page's foot with
      only part of its cells, its badge there and its title overleaf: the row goes overleaf;
    - a table's last row alone under the repeated header, after a long row that fills the
      page before (``break-before: avoid`` cannot move that row's tail): the last item of that
      row's note goes overleaf, so the last row has company.

    Reads WeasyPrint's layout boxes (``Page._page_box``); where a version lacks them, nothing
    is found and the page prints as first laid out.
    """
    from weasyprint.formatting_structure import boxes

    before = {}  # a table's last row -> the row before it
    for body in root.iter("tbody"):
        body_rows = [r for r in body if r.tag == "tr"]
        if len(body_rows) > 1:
            before[body_rows[-1]] = body_rows[-2]
    seen: set = set()  # rows placed on an earlier page
    last_page: dict = {}  # rows on the page before -> their box there
    found = []
    for page in document.pages:
        page_box = getattr(page, "_page_box", None)
        if page_box is None:
            return []
        here = {}
        for table in _boxes(page_box, boxes.TableBox):
            rows = [row for group in table.children if not (group.is_header or group.is_footer)
                    for row in group.children]
            for index, row in enumerate(rows):
                here[row.element] = row
                if row.element in seen:
                    continue  # a row continued from the page before
                if index and any(getattr(cell, "empty", False) and _has_text(cell.element)
                                 for cell in row.children):
                    found.append(row.element)
                previous = before.get(row.element)
                if len(rows) == 1 and previous in last_page:
                    tail = last_page[previous]
                    items = [box.element for box in _boxes(tail, boxes.BlockBox, _ITEMS)]
                    if (tail.style["break_inside"] not in ("avoid", "avoid-page")
                            and len(items) > 1):
                        found.append(items[-1])
        seen.update(here)
        last_page = here
    return found


def _boxes(box: Any, kind: type, tags: tuple[str, ...] | None = None) -> Iterator[Any]:
    """The boxes of ``kind`` (with one of ``tags``, if given) inside ``box``, in order, not
    looking inside those found nor inside lines of text."""
    from weasyprint.formatting_structure import boxes

    for child in getattr(box, "children", ()):
        if isinstance(child, kind) and (tags is None or child.element_tag in tags):
            yield child
        elif not isinstance(child, boxes.LineBox):
            yield from _boxes(child, kind, tags)


def _has_text(element: Element) -> bool:
    return bool("".join(element.itertext()).strip())


class PendingPdf:
    """A page being drawn as PDF by another interpreter (``python -m perfkit.pdf``), on a
    second core while this process goes on; :meth:`result` gives the bytes.

    WeasyPrint holds the GIL, so a thread would not overlap it. Where the helper cannot run
    or fails, :meth:`result` draws the page here, which says what went wrong if it does.
    """

    def __init__(self, page: str) -> None:
        import os
        import subprocess
        import sys
        import tempfile

        self._page = page
        self._child = None
        if (os.cpu_count() or 1) < 2:
            return
        handle, self._path = tempfile.mkstemp(prefix="perfkit-", suffix=".html")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(page)
        try:
            self._child = subprocess.Popen([sys.executable, "-m", "perfkit.pdf", self._path],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self._remove()

    def result(self) -> bytes:
        child, self._child = self._child, None
        if child is not None:
            try:
                made, _ = child.communicate()
            finally:
                self._remove()
            if child.returncode == 0 and made.startswith(b"%PDF-"):
                return made
        return to_pdf(self._page)

    def cancel(self) -> None:
        """Stop the helper, when the run fails before its PDF is wanted."""
        if self._child is not None:
            self._child.kill()
            self._child.communicate()
            self._remove()
            self._child = None

    def _remove(self) -> None:
        import os

        try:
            os.unlink(self._path)
        except OSError:
            pass


if __name__ == "__main__":  # the helper: the page in a file, the PDF on stdout
    import signal
    import sys
    from pathlib import Path

    for _s in (signal.SIGINT, signal.SIGTERM):  # the run it serves says what happened
        signal.signal(_s, signal.SIG_DFL)
    sys.stdout.buffer.write(to_pdf(Path(sys.argv[1]).read_text(encoding="utf-8")))
