"""The pages of a quarter's set: the report page, the cabinet page, their PDFs and Word copies.

Each is made from what :mod:`perfkit.render` has already worked out (the executed notebook,
the summary, the covering report): nothing here reads the data again.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
TEMPLATE = "perfkit_report"


def export_html(notebook, title: str, context: dict | None = None) -> str:
    """The executed notebook as one self-contained page: its outputs, no inputs, no CDN.

    Markdown cells are prose with ``context``'s fields filled in (:mod:`perfkit.cells`);
    charts and DataFrames the analyst shows become figures and tables like perfkit's own.

    Written straight from perfkit's Jinja template rather than through nbconvert: the page
    needs none of nbconvert's cell markup, and its exporter (import, template compile and a
    BeautifulSoup pass over the page) was the largest cost of a report after the notebook.
    """
    from markupsafe import Markup

    from perfkit.cells import page_parts

    parts = [Markup(html) for html in page_parts(notebook, context)]
    return _template("report.html.j2").render(title=title, css=Markup(_css()), outputs=parts)


def cabinet_page(covering, params, appendix: str, body: str | None = None) -> str:
    """The covering report as one self-contained page, styled like the appendix.

    ``body`` is the covering report's body when it is not ``covering.body`` (the print
    copy, whose links point at ``report.pdf``).
    """
    import datetime as dt

    from markupsafe import Markup  # the body was sanitised by nh3; the CSS is ours

    from perfkit import __version__

    return _template("cabinet.html.j2").render(
        title=covering.title, organisation=params.organisation, appendix=appendix,
        body=Markup(covering.body if body is None else body), css=Markup(_css()),
        year=params.year, quarter=params.quarter, version=__version__,
        rendered=dt.datetime.now().astimezone().strftime("%d %B %Y at %H:%M %Z").strip())


def pdfs(page: str, covering, params, cabinet=None, helper=None) -> dict[str, bytes]:
    """``report.pdf`` from the appendix's page; ``cabinet.pdf`` from the covering report's
    print copy, which links to that PDF (in print the two travel together).

    ``cabinet`` is that PDF already being drawn (:func:`start_cabinet_pdf`); ``helper``, a
    :class:`~perfkit.pdf.PdfHelper` that draws ``report.pdf`` too, else it is drawn here.
    """
    from perfkit.pdf import to_pdf

    made = {"report.pdf": helper.draw(page).result() if helper else to_pdf(page)}
    if covering:
        made["cabinet.pdf"] = (cabinet.result() if cabinet else
                               to_pdf(cabinet_page(covering, params, "report.pdf",
                                                   covering.print_body)))
    return made


def start_cabinet_pdf(covering, params, helper):
    """Start drawing ``cabinet.pdf`` in ``helper`` (a :class:`~perfkit.pdf.PdfHelper`), as
    soon as the covering report is built: it needs nothing of the notebook. None where
    there is no helper (one core, or a batch's worker); :func:`pdfs` then draws it in turn.
    """
    if not covering or helper is None:
        return None
    return helper.draw(cabinet_page(covering, params, "report.pdf", covering.print_body))


def docx(files: dict[str, str | bytes]) -> dict[str, bytes]:
    """``report.docx`` (and ``cabinet.docx``) from the pages in ``files``, for committee
    systems that take Word."""
    from perfkit.word import to_docx

    made = {"report.docx": to_docx(files["report.html"])}
    if "cabinet.html" in files:
        made["cabinet.docx"] = to_docx(files["cabinet.html"])
    return made


_TEMPLATES: dict = {}


def _template(name: str):
    """A page template of perfkit's, compiled once per process."""
    if name not in _TEMPLATES:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = _TEMPLATES.get("") or Environment(loader=FileSystemLoader(TEMPLATES / TEMPLATE),
                                                autoescape=select_autoescape(["j2"]))
        _TEMPLATES[""] = env
        _TEMPLATES[name] = env.get_template(name)
    return _TEMPLATES[name]


def _css() -> str:
    return (TEMPLATES / TEMPLATE / "report.css").read_text(encoding="utf-8")
