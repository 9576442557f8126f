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

from perfkit.charts import Figure
from perfkit.model import Rag, Status, Travel

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

    def _repr_html_(self) -> str:
        from perfkit.inline import wrap

        return wrap(self.html, self.styled)

    def __str__(self) -> str:
        return self.html


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


_UL = re.compile(r"<ul\b[^>]*>(.*?)(?=</ul>|<ul\b|<p>|</p>|$)", re.S | re.I)


def _bullets_to_items(text: str) -> str:
    # Lists pasted from Word often arrive as one <ul> holding "•"-separated text: make the
    # items real <li>s so screen readers announce a list of n items.
    def items(match: re.Match) -> str:
        if re.search(r"<li\b", match[1], re.I):
            return match[0]
        parts = [p.strip() for p in match[1].split("•") if p.strip()]
        return "<ul>" + "".join(f"<li>{p}</li>" for p in parts) + "</ul>"

    return _UL.sub(items, text)


def clean(text: object) -> str:
    """Officer's free text made safe for the page, keeping its lists and emphasis.

    >>> clean('<ul style="x"> • One • Two<script>alert(1)</script>')
    '<ul><li>One</li><li>Two</li></ul>'
    >>> clean('<a href="javascript:alert(1)" onclick="x()">link</a> & more')
    '<a rel="noopener noreferrer">link</a> &amp; more'
    """
    raw = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    if not raw.strip():
        return ""
    if "<" not in raw and "\n" in raw:
        raw = "".join(f"<p>{html.escape(p)}</p>" for p in raw.split("\n") if p.strip())
    cleaned = nh3.clean(_bullets_to_items(raw), tags=ALLOWED_TAGS,
                        attributes=ALLOWED_ATTRIBUTES, url_schemes=SAFE_SCHEMES,
                        link_rel="noopener noreferrer")
    return cleaned.replace("</li></ul></p>", "</li></ul>").strip()


def badge(rag: Rag | None) -> str:
    if not isinstance(rag, Rag):
        return '<span class="badge badge-none">No status</span>'
    return f'<span class="badge rag-{rag.value}">{rag.label}</span>'


def status_badge(status: Status) -> str:
    return f'<span class="badge status-{status.value}">{esc(status.label)}</span>'


def travel_text(travel: Travel | None) -> str:
    if travel is None or travel != travel:
        return '<span class="muted">Not comparable</span>'
    arrow = {Travel.IMPROVED: "▲", Travel.DECLINED: "▼", Travel.UNCHANGED: "▶"}[travel]
    return f'<span aria-hidden="true">{arrow}</span> {travel.label}'


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]],
          css: str = "", row_header: bool = True) -> str:
    """A table with a caption and scoped headers; cells are HTML already made safe."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            tag = "th" if i == 0 and row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}>{cell}</{tag}>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        span = len(headers)
        body.append(f'<tr><td colspan="{span}" class="muted">None this quarter.</td></tr>')
    return (f'<table class="{css}"><caption>{esc(caption)}</caption><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table>")


def frame_table(caption: str, frame: pd.DataFrame) -> str:
    """Any small DataFrame as an accessible table, every cell escaped."""
    rows = [[esc(v) for v in record] for record in frame.itertuples(index=False, name=None)]
    return table(caption, [str(c).capitalize() for c in frame.columns], rows, css="data")


_SVG_ROOT = re.compile(r"<svg\b([^>]*)>", re.S)


def figure(fig: Figure, ident: str) -> str:
    """The chart as inline SVG named for assistive technology, with its figures as a table."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(fig.chart.to_dict())
    # vl-convert drops the chart's description; give the root a role and a name, or screen
    # readers meet an unlabelled graphic.
    label = esc(fig.description)
    svg = _SVG_ROOT.sub(lambda m: f'<svg{m[1]} role="img" aria-labelledby="{ident}-title '
                        f'{ident}-desc" focusable="false">', svg, count=1)
    svg = svg.replace(">", f'><title id="{ident}-title">{esc(fig.title)}</title>'
                      f'<desc id="{ident}-desc">{label}</desc>', 1)
    return (f'<figure class="chart" id="{ident}">'
            # The SVG draws the title; the caption names the figure for screen readers.
            f'<figcaption class="visually-hidden">{esc(fig.title)}. {label}</figcaption>'
            f'<div class="chart-svg">{svg}</div>'
            f"<details><summary>{esc(fig.title)}: the figures as a table</summary>"
            f"{frame_table(fig.title, fig.data)}</details></figure>")


def section(ident: str, heading: str, *parts: str, css: str = "") -> Fragment:
    return Fragment(f'<section id="{ident}" class="{css}" aria-labelledby="{ident}-h">'
                    f'<h2 id="{ident}-h">{esc(heading)}</h2>{"".join(parts)}</section>')


def paragraphs(texts: Iterable[str]) -> str:
    return "".join(f"<p>{esc(t)}</p>" for t in texts)
