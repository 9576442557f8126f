"""The report and its covering report as Word documents, for committee management systems.

Many councils' committee systems take papers as ``.docx``, and officers edit the covering
report there before it is uploaded. The document is made from the very page perfkit has
written (``cabinet.html``, ``report.html``), so it says what the page says: headings become
Word headings, tables Word tables whose header row repeats on each page, each chart a picture
(drawn from its SVG) whose alternative text is the chart's description with every figure, and
the document's title and language are set.

Why python-docx and not pandoc (``pypandoc_binary``), measured on the sample's pages: python-docx
(with lxml, which it needs) installs in 15 MB against pandoc's 155 MB; it runs in this
process, where pandoc is a process of its own (0.4 s and 178 MB for cabinet.html); and it
lets perfkit choose what a paper holds. pandoc read both drawings of each chart (the page's
and the phone's), the visually hidden captions and the "figures as a table" toggles as text,
and could not give a chart a PNG picture without ``rsvg-convert`` on the machine.
"""

from __future__ import annotations

import io
import re

from perfkit.errors import RenderError

#: Elements that are not part of a paper: navigation, the phone's drawing of each chart,
#: text only a screen reader needs (the chart's description becomes the picture's alt text).
_SKIP = re.compile(r"\b(chart-narrow|visually-hidden|skip-link)\b")
_WIDTH_CM = 16.0  # A4 less the margins
#: Inline elements the page's stylesheet shows as blocks of their own (report.css).
_BLOCK_SPAN = re.compile(r"\breason\b")


def require_writer() -> None:
    """Fail at once, saying what to install, when python-docx is missing.

    >>> require_writer()
    """
    try:
        import docx  # noqa: F401
    except ImportError:
        raise RenderError("--docx needs python-docx: pip install -e '.[docx]' "
                          "(make report does this)") from None


def to_docx(page: str, language: str = "en-GB") -> bytes:
    """The page (a whole HTML document, as perfkit writes it) as a Word document.

    >>> import docx, io
    >>> data = to_docx('<html lang="en-GB"><title>Q2 report</title><h1>Q2</h1>'
    ...                '<table><caption>Counts</caption><thead><tr><th>Group</th><th>Green</th>'
    ...                '</tr></thead><tbody><tr><th>All</th><td>31</td></tr></tbody></table>')
    >>> doc = docx.Document(io.BytesIO(data))
    >>> doc.core_properties.title, doc.core_properties.language, doc.paragraphs[0].style.name
    ('Q2 report', 'en-GB', 'Title')
    >>> [c.text for c in doc.tables[0].rows[0].cells], _is_header(doc.tables[0].rows[0])
    (['Group', 'Green'], True)
    """
    require_writer()
    import docx
    import lxml.html

    tree = lxml.html.document_fromstring(page)
    doc = docx.Document()
    title = (tree.findtext(".//title") or "").strip()
    doc.core_properties.title = title
    doc.core_properties.language = tree.get("lang") or language
    _language(doc, tree.get("lang") or language)
    body = tree.find(".//body")
    _blocks(doc, body if body is not None else tree)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _language(doc, language: str) -> None:
    """Every style's proofing language, so Word checks spelling in the report's language."""
    from docx.oxml.ns import qn
    from docx.oxml import OxmlElement

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _skipped(element) -> bool:
    return bool(_SKIP.search(element.get("class") or "")) or element.tag in (
        "nav", "style", "script", "summary", "title", "head")


def _blocks(doc, parent) -> None:
    for element in parent.iterchildren():
        if not isinstance(element.tag, str) or _skipped(element):
            continue
        tag = element.tag
        if tag == "h1":
            doc.add_paragraph(_text(element), style="Title")
        elif tag in ("h2", "h3", "h4"):
            doc.add_heading(_text(element), level=int(tag[1]) - 1)
        elif tag == "p":
            _paragraph(doc.add_paragraph(), element)
        elif tag in ("ul", "ol"):
            _list(doc, element, "List Bullet" if tag == "ul" else "List Number")
        elif tag == "table":
            _table(doc, element)
        elif tag == "figure" and "chart" in (element.get("class") or ""):
            _chart(doc, element)
        else:  # section, header, aside, div, details, figure: their contents, in order
            _blocks(doc, element)


def _paragraph(paragraph, element) -> None:
    """The element's text into the paragraph, keeping bold and italic."""
    def walk(node, bold=False, italic=False):
        if node.text:
            run = paragraph.add_run(node.text)
            run.bold, run.italic = bold or None, italic or None
        for child in node.iterchildren():
            if isinstance(child.tag, str) and not _skipped(child):
                if child.tag == "br":
                    paragraph.add_run().add_break()
                else:
                    if _BLOCK_SPAN.search(child.get("class") or "") and paragraph.text:
                        # The page's stylesheet sets it on a line of its own ("Met" above
                        # its reason); run on, the paper would read "Met2,438 is above...".
                        paragraph.add_run().add_break()
                    walk(child, bold or child.tag in ("strong", "b"),
                         italic or child.tag in ("em", "i"))
            if child.tail:
                run = paragraph.add_run(child.tail)
                run.bold, run.italic = bold or None, italic or None

    walk(element)
    # HTML collapses runs of white space; Word would keep them. A run that is a line break
    # reads as "\n" and is left as it is (rewriting its text would turn it into a space).
    for run in paragraph.runs:
        if run.text != "\n":
            run.text = re.sub(r"\s+", " ", run.text)


def _list(doc, element, style: str) -> None:
    for item in element.iterchildren("li"):
        _paragraph(doc.add_paragraph(style=style), item)


def _is_header(row) -> bool:
    from docx.oxml.ns import qn

    trpr = row._tr.trPr
    return trpr is not None and trpr.find(qn("w:tblHeader")) is not None


def _table(doc, element) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    caption = element.find("caption")
    if caption is not None and _text(caption):
        doc.add_paragraph(_text(caption), style="Caption")
    rows = [r for part in ("thead", "tbody") for r in element.findall(f"{part}/tr")]
    if not rows:
        return
    width = max(len([c for c in r if c.tag in ("th", "td")]) for r in rows)
    table = doc.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    header_rows = len(element.findall("thead/tr"))
    for number, row in enumerate(rows):
        cells = table.add_row().cells
        for cell, source in zip(cells, [c for c in row if c.tag in ("th", "td")]):
            cell.text = ""
            blocks = [c for c in source if isinstance(c.tag, str) and c.tag in ("ul", "ol", "p", "div")]
            if blocks and source.tag == "td":
                first = cell.paragraphs[0]
                lead = (source.text or "").strip()
                if lead:
                    first.add_run(lead)
                for block in blocks:
                    _cell_block(cell, block)
                if not lead and not first.text and len(cell.paragraphs) > 1:
                    first._p.getparent().remove(first._p)
            else:
                _paragraph(cell.paragraphs[0], source)
            if number < header_rows:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
        if number < header_rows:
            # Word repeats a header row at the top of each page, and screen readers
            # announce its cells as the column headers.
            trpr = table.rows[number]._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:tblHeader"))
            trpr[-1].set(qn("w:val"), "true")
    doc.add_paragraph()


def _cell_block(cell, block) -> None:
    if block.tag in ("ul", "ol"):
        for item in block.iterchildren("li"):
            _paragraph(cell.add_paragraph(style="List Bullet" if block.tag == "ul"
                                          else "List Number"), item)
    elif block.tag == "div" and any(isinstance(c.tag, str) for c in block):
        if (block.text or "").strip():
            cell.add_paragraph(block.text.strip())
        for child in block:
            if isinstance(child.tag, str):
                _cell_block(cell, child)
    else:
        _paragraph(cell.add_paragraph(), block)


def _chart(doc, figure) -> None:
    """The page's drawing of the chart as a picture whose alternative text is its
    description; then its table of figures."""
    import lxml.etree
    import vl_convert

    from docx.shared import Cm

    svg = None
    for box in figure.iter():
        if isinstance(box.tag, str) and "chart-wide" in (box.get("class") or ""):
            svg = next((e for e in box.iter() if e.tag == "svg"), None)
            break
    if svg is not None:
        desc = next((e for e in svg.iter() if e.tag == "desc"), None)
        title = next((e for e in svg.iter() if e.tag == "title"), None)
        markup = lxml.etree.tostring(svg, encoding="unicode", method="xml")
        if "xmlns=" not in markup[:200]:
            markup = markup.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
        png = vl_convert.svg_to_png(markup, scale=2)
        doc.add_picture(io.BytesIO(png), width=Cm(_WIDTH_CM))
        # The picture's alternative text (Word's "Alt Text") is the chart's description.
        doc_pr = doc.inline_shapes[-1]._inline.docPr
        doc_pr.set("title", _text(title) if title is not None else "")
        doc_pr.set("descr", _text(desc) if desc is not None else "")
    for table in figure.iter("table"):
        _table(doc, table)
