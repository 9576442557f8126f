"""The report page as a committee paper: a tagged, bookmarked A4 PDF drawn by WeasyPrint.

The PDF is made from the very page that ``report.html`` holds, laid out by the stylesheet's
print rules (``@page`` margin boxes, running strings, page breaks). WeasyPrint's PDF/UA-1
variant tags the structure, sets the language and the title from the page's ``<html lang>``
and ``<title>``, asks viewers to show that title, and bookmarks every heading. Nothing is
fetched: the page holds everything it draws, and any other URL is refused.
"""

from __future__ import annotations

import re

from perfkit.errors import RenderError

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
    document = HTML(string=chart_alternatives(page), url_fetcher=fetcher, media_type="print")
    return document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)


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
