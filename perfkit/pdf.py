"""The report page as a committee paper: a tagged, bookmarked A4 PDF drawn by WeasyPrint.

The PDF is made from the very page that ``report.html`` holds, laid out by the stylesheet's
print rules (``@page`` margin boxes, running strings, page breaks). WeasyPrint's PDF/UA-1
variant tags the structure, sets the language and the title from the page's ``<html lang>``
and ``<title>``, asks viewers to show that title, and bookmarks every heading. Nothing is
fetched: the page holds everything it draws, and any other URL is refused. Where WeasyPrint
breaks a table row as the print rules forbid, the page is laid out again (:func:`paginate`).

A run with a second core has both PDFs drawn by one helper interpreter (:class:`PdfHelper`),
which imports WeasyPrint while the run checks its data and draws ``cabinet.pdf`` while the
notebook runs; the run itself never imports WeasyPrint.
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

_INSTALL = "--pdf needs WeasyPrint: pip install -e '.[pdf]' (make report does this)"

# html.figure writes each chart's <title>, then its <desc>, which repeats the title and states
# every figure.
_TITLE_DESC = re.compile(r'(<title id="([^"]+)-title">)(.*?)(</title>\s*<desc id="\2-desc">)'
                         r"(.*?)(</desc>)", re.S)


def require_renderer(here: bool = True) -> None:
    """Fail at once, saying what to install, when WeasyPrint or its system libraries are missing.

    With ``here=False`` (a :class:`PdfHelper` will draw, and check its system libraries with
    :meth:`PdfHelper.check`) WeasyPrint is only looked for, not imported.

    >>> require_renderer()
    """
    if not here:
        from importlib.util import find_spec

        if find_spec("weasyprint") is None:
            raise RenderError(_INSTALL)
        return
    try:
        import weasyprint  # noqa: F401  (it loads pango as it imports)
    except ImportError:
        raise RenderError(_INSTALL) from None
    except OSError as err:
        raise RenderError(f"--pdf needs WeasyPrint's system libraries ({err}): "
                          f"apt-get install {SYSTEM_PACKAGES}") from None


# html.spec_figure draws each chart twice; the print stylesheet hides the phone's drawing.
_NARROW = re.compile(r'<div class="chart-svg chart-narrow"[^>]*><svg\b.*?</svg></div>', re.S)


def print_copy(page: str) -> str:
    """The page as the renderer needs it: each chart's phone drawing, which print never
    shows (``display: none``), left out, so WeasyPrint does not parse and style it; and
    each chart's alternative text whole (:func:`chart_alternatives`).

    >>> print_copy('<div class="chart-svg chart-wide"><svg>w</svg></div>'
    ...            '<div class="chart-svg chart-narrow" role="region"><svg>n</svg></div>')
    '<div class="chart-svg chart-wide"><svg>w</svg></div>'
    """
    return chart_alternatives(_NARROW.sub("", page))


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
    html = HTML(string=print_copy(page), url_fetcher=fetcher, media_type="print")
    options = {"pdf_variant": "pdf/ua-1", "uncompressed_pdf": False}
    return paginate(html, **options).write_pdf(**options)


def paginate(html: HTML, **options: Any) -> Document:
    """The page laid out by WeasyPrint, then laid out again while a table row is broken in a
    way the print rules ask it to avoid and WeasyPrint cannot (see :func:`row_breaks`).

    Each pass forces a page break before one element the pass before found; layout before
    that element stays as it was. A pass is kept only when it leaves fewer broken rows, so a
    repair never makes the paper worse. A page with no broken row is laid out once.
    """
    import gc

    document = html.render(**options)
    found = row_breaks(document, html.etree_element)
    for _ in range(_MAX_REPAIRS):
        if not found:
            break
        # A layout dropped by the pass before is freed first: the PDF helper runs with the
        # cyclic collector off, and each layout of a long plan holds hundreds of MB.
        gc.collect()
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


class PdfHelper:
    """A helper interpreter (``python -m perfkit.pdf``) that draws a run's pages as PDFs on a
    second core, in the order they are sent.

    It starts as soon as the run knows it wants PDFs and imports WeasyPrint at once (about
    0.4 s of CPU), while this process checks the data: the run itself never imports it. It
    draws ``cabinet.pdf`` while the notebook runs, so ``report.pdf``, sent once the notebook
    is done, is drawn by a WeasyPrint already warm (fonts found, its C types parsed).
    WeasyPrint holds the GIL, so a thread would not overlap it.
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        self._child = None
        self._answers: list = []  # answers read ahead of the one asked for
        self._asked = 0
        try:
            self._child = subprocess.Popen([sys.executable, "-m", "perfkit.pdf"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL)
        except OSError:
            pass

    def check(self) -> None:
        """Raise the :class:`RenderError` :func:`require_renderer` raises, when the helper
        could not load WeasyPrint; wait for it to have tried."""
        ok, problem = self._answer(0)
        if not ok and problem:
            raise RenderError(problem)

    def draw(self, page: str) -> PendingPdf:
        """Start drawing ``page``; its PDF is the handle's :meth:`~PendingPdf.result`."""
        self._asked += 1
        number = self._asked
        if self._child is not None:
            from perfkit.vega import _send

            try:
                _send(self._child.stdin, page)
            except OSError:  # the helper has gone: the page is drawn here when asked for
                self.close()
        return PendingPdf(page, lambda: self._answer(number))

    def _answer(self, number: int) -> tuple[bool, object]:
        """The helper's answer ``number`` (0: whether WeasyPrint loaded); (False, None) when
        the helper has gone."""
        from perfkit.vega import _receive

        while len(self._answers) <= number and self._child is not None:
            try:
                self._answers.append(_receive(self._child.stdout))
            except (OSError, EOFError):
                self.close()
        return self._answers[number] if number < len(self._answers) else (False, None)

    def close(self) -> None:
        """End the helper (it also ends by itself when this process closes its pipe)."""
        from perfkit.vega import _end

        child, self._child = self._child, None
        if child is not None:
            _end(child, kill=True)


class PendingPdf:
    """A page being drawn as PDF by another interpreter, on a second core while this process
    goes on; :meth:`result` gives the bytes.

    Made by :meth:`PdfHelper.draw`; ``PendingPdf(page)`` alone starts a helper for this one
    page. Where the helper cannot run or fails, :meth:`result` draws the page here, which
    says what went wrong if it does.
    """

    def __init__(self, page: str, answer=None) -> None:
        self._page = page
        self._own = None
        if answer is None:
            self._own = PdfHelper()
            answer = self._own.draw(page)._answer
        self._answer = answer

    def result(self) -> bytes:
        try:
            ok, made = self._answer()
        finally:
            self.cancel()
        if ok and isinstance(made, bytes) and made.startswith(b"%PDF-"):
            return made
        return to_pdf(self._page)

    def cancel(self) -> None:
        """Stop the helper this handle started, when the run fails before its PDF is wanted."""
        if self._own is not None:
            self._own.close()
            self._own = None


def _serve(pages, answers) -> None:
    """The helper's loop: load WeasyPrint and say whether it loaded, then draw each page sent
    until the pipe closes."""
    from perfkit.vega import _receive, _send

    try:
        require_renderer()
    except RenderError as err:
        _send(answers, (False, str(err)))
        return
    _send(answers, (True, None))
    while True:
        try:
            page = _receive(pages)
        except EOFError:
            return
        try:
            answer = (True, to_pdf(page))
        except Exception:  # drawn again by the caller, which raises what went wrong
            answer = (False, None)
        _send(answers, answer)


if __name__ == "__main__":  # the helper: pages in on stdin, PDFs out on stdout
    import gc
    import os
    import signal

    # It lives for one run's two pages: the cyclic collector's passes over WeasyPrint's boxes
    # cost about 0.15 s of the 2.2 s report.pdf takes; skipping them adds about 9 MB to the
    # sample's peak, and 8 MB to a plan at every limit's (430 MB, tests/test_limits_...).
    gc.disable()

    for _s in (signal.SIGINT, signal.SIGTERM):  # the run it serves says what happened
        signal.signal(_s, signal.SIG_DFL)
    # The answers get stdout's pipe to themselves: anything a library prints goes nowhere.
    _answers = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    _serve(os.fdopen(0, "rb"), _answers)
