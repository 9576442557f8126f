"""HTML fragments for the report: escaped text, sanitised officer prose, tables and figures.

Officers' progress notes and comments are untrusted: they pass through nh3 (the Rust ammonia
sanitiser), which keeps lists, emphasis and links with safe schemes and drops the rest.
Everything else is escaped. Charts become inline SVG drawn by vl-convert, so the page needs
no script and no network.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import nh3
import pandas as pd

from perfkit import fit
from perfkit.charts import Figure
from perfkit.model import Travel
from perfkit.scheme import Part, Scheme

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "a", "span",
                "sub", "sup"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Fragment:
    """A piece of the report; Jupyter shows it as HTML, nbconvert writes it as is.

    In Jupyter it is wrapped in the report's scope, and a ``styled`` fragment (the first
    section) carries the stylesheet; :func:`perfkit.inline.unwrap` undoes that for the page.
    """

    html: str
    styled: bool = False
    #: Sections numbered before this fragment's first: inline, each output is a page of its
    #: own to the stylesheet's counters, so the count is carried in (``report.html`` counts).
    before: int = 0
    #: For JupyterLab only (:func:`perfkit.inline.fields_script`); never on the page.
    script: str = ""

    def _repr_html_(self) -> str:
        from perfkit.inline import wrap

        return wrap(self.html, self.styled, self.before, self.script)

    def __str__(self) -> str:
        return self.html


#: Characters no text from the data may carry into a page: C0 and C1 controls (NUL among
#: them) but tab and line breaks, lone surrogates, and the bidi embeddings, overrides and
#: isolates (U+202A-U+202E, U+2066-U+2069), which would reorder the text around a value
#: ("Trojan Source"). Removing them, rather than wrapping the value in <bdi>, works in every
#: context a value reaches: text, attributes, SVG, JSON. Right-to-left scripts need none of
#: them; the Unicode bidi algorithm orders them by itself.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def plain(text: object) -> str:
    r"""Text from the data with control and bidi-override characters removed.

    >>> plain("Homes\x00 \u202eevil\u202c\tfor\nall")
    'Homes evil\tfor\nall'
    """
    return _UNSAFE.sub("", "" if text is None else str(text))


def esc(text: object) -> str:
    r"""Text from the data as HTML text or an attribute value: made plain, then escaped.

    >>> esc('<b title="x">\u202eA & B</b>')
    '&lt;b title=&quot;x&quot;&gt;A &amp; B&lt;/b&gt;'
    """
    return html.escape(plain(text), quote=True)


#: Where a pasted "<ul>" of bullets ends. "[^<>]*" stops at the next "<", so the search is
#: linear however many "<ul" a note holds.
_UL_EDGE = re.compile(r"<ul\b[^<>]*>|</ul>|<ul\b|<p>|</p>", re.I)


def _bullets_to_items(text: str) -> str:
    # Lists pasted from Word often arrive as one <ul> holding "•"-separated text: make the
    # items real <li>s so screen readers announce a list of n items.
    out, pos, opened = [], 0, None
    for edge in _UL_EDGE.finditer(text):
        if opened is not None:
            out.append(_items(text[opened.start():opened.end()], text[opened.end():edge.start()]))
            pos, opened = edge.start(), None
        if edge[0][:3].lower() == "<ul" and edge[0].endswith(">"):
            out.append(text[pos:edge.start()])
            pos, opened = edge.end(), edge
    if opened is not None:
        out.append(_items(opened[0], text[opened.end():]))
    else:
        out.append(text[pos:])
    return "".join(out)


#: Block tags whose nesting the HTML parser tracks at a cost that grows with the depth.
_NESTING = re.compile(r"<(/?)(ul|ol|li|blockquote|div|p|table)\b[^<>]*>", re.I)
MAX_NESTING = 16


def shallow(text: str) -> str:
    """The note with block tags nested past MAX_NESTING removed (their text is kept): a note
    of thousands of nested lists would otherwise take the sanitiser quadratic time."""
    depth = 0

    def keep(tag: re.Match) -> str:
        nonlocal depth
        closing = bool(tag[1])
        depth += -1 if closing else 1
        deep = (depth + (1 if closing else 0)) > MAX_NESTING
        depth = max(depth, 0)
        return "" if deep else tag[0]

    return _NESTING.sub(keep, text)


def _items(tag: str, inside: str) -> str:
    if re.search(r"<li\b", inside, re.I):
        return tag + inside
    parts = [p.strip() for p in inside.split("•") if p.strip()]
    return "<ul>" + "".join(f"<li>{p}</li>" for p in parts) + "</ul>"


def clean(text: object) -> str:
    """Officer's free text made safe for the page, keeping its lists and emphasis.

    >>> clean('<ul style="x"> • One • Two<script>alert(1)</script>')
    '<ul><li>One</li><li>Two</li></ul>'
    >>> clean('<a href="javascript:alert(1)" onclick="x()">link</a> & more')
    '<a rel="noopener noreferrer">link</a> &amp; more'
    """
    raw = "" if text is None or (isinstance(text, float) and text != text) else plain(text)
    if not raw.strip():
        return ""
    if "<" not in raw and "\n" in raw:
        raw = "".join(f"<p>{html.escape(p)}</p>" for p in raw.split("\n") if p.strip())
    cleaned = nh3.clean(shallow(_bullets_to_items(raw)), tags=ALLOWED_TAGS,
                        attributes=ALLOWED_ATTRIBUTES, url_schemes=SAFE_SCHEMES,
                        link_rel="noopener noreferrer")
    return cleaned.replace("</li></ul></p>", "</li></ul>").strip()


def state_badge(scheme: Scheme, part: Part, key: object) -> str:
    """A status in the scheme's word, on its colour (a pair that passes 4.5:1)."""
    if not isinstance(key, str):
        return '<span class="badge badge-none">No status</span>'
    fill, ink = scheme.colours(part, key)
    css = "rag" if part is Part.MILESTONES else "status"
    return (f'<span class="badge {css}-{esc(key)}" style="background: {fill}; color: {ink}">'
            f"{esc(scheme.label(part, key))}</span>")


def travel_text(travel: Travel | None) -> str:
    if travel is None or travel != travel:
        return '<span class="muted">Not comparable</span>'
    arrow = {Travel.IMPROVED: "▲", Travel.DECLINED: "▼", Travel.UNCHANGED: "▶"}[travel]
    return f'<span aria-hidden="true">{arrow}</span> {travel.label}'


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]],
          css: str = "", row_header: bool = True, row_css: Sequence[str] = ()) -> str:
    """A table with a caption and scoped headers; cells are HTML already made safe.
    ``row_css`` gives rows a class each (for print rules), in order."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = []
    for number, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            tag = "th" if i == 0 and row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            # On a phone each row reflows into a block; a cell's label names its column.
            label = f' data-label="{esc(headers[i])}"' if tag == "td" and i < len(headers) else ""
            cells.append(f"<{tag}{scope}{label}>{cell}</{tag}>")
        extra = row_css[number] if number < len(row_css) else ""
        body.append(f"<tr{f' class={chr(34)}{esc(extra)}{chr(34)}' if extra else ''}>"
                    f"{''.join(cells)}</tr>")
    if not body:
        span = len(headers)
        body.append(f'<tr><td colspan="{span}" class="muted">None this quarter.</td></tr>')
    return (f'<table class="{css}"><caption>{esc(caption)}</caption><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table>")


def frame_table(caption: str, frame: pd.DataFrame) -> str:
    """Any small DataFrame as an accessible table, every cell escaped."""
    rows = [[esc(v) for v in record] for record in frame.itertuples(index=False, name=None)]
    return table(caption, [str(c).replace("_", " ").capitalize() for c in frame.columns], rows,
                 css="data")


_SVG_ROOT = re.compile(r"<svg\b([^>]*)>", re.S)


def figure(fig: Figure, ident: str) -> str:
    """The chart as inline SVG named for assistive technology, with its figures as a table."""
    from perfkit.charts import spec

    # The builders' specs are validated against the schema in tests; at render time that
    # validation would only repeat work on every chart.
    return spec_figure(spec(fig.chart, validate=False), fig.title, fig.description,
                       fig.data if fig.table is None else fig.table, ident)


def spec_figure(vega_lite: dict, title: str, description: str, data: pd.DataFrame,
                ident: str) -> str:
    """A Vega-Lite spec drawn as :func:`figure` draws perfkit's charts: titled, described,
    its figures as a table beneath, legible on a phone.

    Two drawings of it: one for a page or paper, and one laid out for a phone
    (:mod:`perfkit.fit`); the stylesheet shows one of them, so only one is ever read out.
    """
    # Labels in a chart are data too (measure names, risk IDs): made plain before drawing.
    spec = _plain_spec(vega_lite)
    drawings = "".join(
        # A chart wider than a phone even so (an analyst's own) scrolls inside this box,
        # which a keyboard can reach.
        f'<div class="chart-svg chart-{fit_name}" tabindex="0" role="region" '
        f'aria-label="Chart: {esc(title)}">{_svg(layout(spec), title, description, name)}</div>'
        for fit_name, layout, name in (("wide", fit.for_page, ident),
                                       ("narrow", fit.for_phone, f"{ident}-narrow")))
    # The SVG draws the title; the caption names the figure for screen readers, once: a
    # description made by perfkit already opens with the title.
    caption = description if description.startswith(title) else f"{title}. {description}"
    return (f'<figure class="chart" id="{ident}">'
            f'<figcaption class="visually-hidden">{esc(caption)}</figcaption>{drawings}'
            f"<details><summary>{esc(title)}: the figures as a table</summary>"
            f"{frame_table(title, data)}"
            "</details></figure>")


def _svg(spec: dict, title: str, description: str, ident: str) -> str:
    from perfkit import vega

    svg = vega.to_svg(spec)
    # vl-convert drops the chart's description; give the root a name, or screen readers meet
    # an unlabelled graphic. A graphics document (not an image) lets a screen reader go on to
    # each mark and hear its own words.
    svg = _SVG_ROOT.sub(lambda m: f'<svg{m[1]} role="graphics-document" aria-labelledby='
                        f'"{ident}-title {ident}-desc" focusable="false">', svg, count=1)
    return svg.replace(">", f'><title id="{ident}-title">{esc(title)}</title>'
                       f'<desc id="{ident}-desc">{esc(description)}</desc>', 1)


def _plain_spec(spec: object) -> object:
    if isinstance(spec, str):
        return plain(spec)
    if isinstance(spec, dict):
        return {key: _plain_spec(value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_plain_spec(value) for value in spec]
    return spec


def section(ident: str, heading: str, *parts: str, css: str = "") -> Fragment:
    return Fragment(f'<section id="{ident}" class="{css}" aria-labelledby="{ident}-h">'
                    f'<h2 id="{ident}-h">{esc(heading)}</h2>{"".join(parts)}</section>')


def paragraphs(texts: Iterable[str]) -> str:
    return "".join(f"<p>{esc(t)}</p>" for t in texts)
