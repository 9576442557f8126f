"""The notebook's cells on the page: what the analyst shows is published with the same care
as perfkit's own sections.

- A Markdown cell is prose, sanitised as officers' text is, and may use the covering report's
  ``{{ field }}`` references (:func:`perfkit.covering.fields`).
- An Altair chart becomes a figure like perfkit's own: drawn as SVG, titled, described, its
  figures as a table beneath it, scrolling in its own box on a phone.
- A DataFrame is shown as a captioned table, every cell escaped and labelled with its
  column, that reflows on a phone (:func:`frame_html`, registered with IPython by
  ``open_report``, so JupyterLab shows the same table).
- Jupyter Book's tags: ``remove-cell`` keeps a cell out of the page, ``remove-output`` its
  outputs. Code is never shown.
"""

from __future__ import annotations

from html import escape
from typing import Iterator

REMOVE_CELL = "remove-cell"
REMOVE_OUTPUT = "remove-output"
VEGA_LITE = ("application/vnd.vegalite.v5+json", "application/vnd.vegalite.v6+json",
             "application/vnd.vegalite.v4+json")


def page_parts(notebook, context: dict | None = None) -> Iterator[str]:
    """Each cell's part of the page, in order: prose, outputs; nothing of a removed cell.

    ``context`` holds the fields a Markdown cell may use (``{{ milestones.total }}``); with
    none, Markdown cells are left out (a notebook exported without its quarter's figures).
    """
    counter = {"figure": 0}
    for index, cell in enumerate(notebook.cells, start=1):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if REMOVE_CELL in tags:
            continue
        if cell.cell_type == "markdown":
            if context is not None and cell.source.strip():
                yield prose(cell.source, context, f"the notebook's cell {index} (Markdown)")
            continue
        if cell.cell_type != "code" or REMOVE_OUTPUT in tags:
            continue
        for output in cell.get("outputs", []):
            html = output_html(output, context, counter, index)
            if html:
                yield html


def prose(source: str, context: dict, name: str) -> str:
    """Markdown with fields, as the covering report is rendered: sanitised, values escaped."""
    from perfkit.covering import render_body

    return f'<div class="notebook-prose">{render_body(source, context, {}, name)}</div>'


def output_html(output, context: dict | None = None, counter: dict | None = None,
                cell: int = 0) -> str:
    """One cell output as HTML, by the richest type it offers.

    ``text/html`` is placed as it is, as nbconvert places it: it comes from the notebook's
    own code, and perfkit's sections escape and sanitise every data value.
    """
    kind = output.get("output_type")
    if kind == "stream":
        name, text = escape(output.get("name", "")), escape(output.get("text", ""))
        return f'<pre class="stream-{name}">{text}</pre>'
    if kind == "error":
        ename, evalue = escape(output.get("ename", "")), escape(output.get("evalue", ""))
        return f'<pre class="error">{ename}: {evalue}</pre>'
    data = output.get("data", {})
    for mime in VEGA_LITE:
        if mime in data:
            counter = counter if counter is not None else {"figure": 0}
            counter["figure"] += 1
            return chart_figure(data[mime], f"notebook-figure-{counter['figure']}")
    if "text/html" in data:
        from perfkit.inline import unwrap

        value = data["text/html"]
        # The page has its own stylesheet: the inline report's wrapper comes off.
        return unwrap("".join(value) if isinstance(value, list) else value)
    if "text/markdown" in data and context is not None:
        value = data["text/markdown"]
        return prose("".join(value) if isinstance(value, list) else value, context,
                     f"the notebook's cell {cell} (Markdown output)")
    if "image/svg+xml" in data:
        value = data["image/svg+xml"]
        return "".join(value) if isinstance(value, list) else value
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f'<img src="data:{mime};base64,{escape(data[mime].strip())}" alt="">'
    for mime in ("text/markdown", "text/plain"):
        if mime in data:
            text = data[mime]
            return f"<pre>{escape(''.join(text) if isinstance(text, list) else text)}</pre>"
    return ""


# -- an analyst's chart --------------------------------------------------------------------

def chart_figure(spec: dict, ident: str) -> str:
    """An Altair chart's spec as an accessible figure: its title (or one named for what it
    charts, :func:`untitled`), its description (or one written from its figures) and its
    figures as a table."""
    from perfkit.charts import spec as styled
    from perfkit.html import spec_figure

    table = chart_table(spec)
    title = _title(spec.get("title")) or untitled(table)
    description = spec.get("description") or describe(title, table)
    return spec_figure(styled(spec), title, description, table, ident)


def untitled(table) -> str:
    """The name of a chart the analyst gave no title: what it charts, from the columns it
    encodes. The same in JupyterLab and on the page, wherever the chart stands (a number
    would count the kernel's displays in one and the notebook's charts in the other).

    >>> import pandas as pd
    >>> untitled(pd.DataFrame(columns=["priority", "status", "count"]))
    'Chart of priority, status and count'
    >>> untitled(pd.DataFrame())
    'Untitled chart'
    >>> len(untitled(pd.DataFrame(columns=["x" * 5000])))
    50
    """
    # A column's name is the analyst's data: a long one is cut, as a message cuts a value.
    names = [str(c) if len(str(c)) <= 40 else str(c)[:40] + "…" for c in table.columns][:4]
    if not names:
        return "Untitled chart"
    return "Chart of " + (f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1
                          else names[0])


def _title(title: object) -> str:
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title).strip() if title else ""


def _fields(node: object) -> list[str]:
    """Every encoded field of a spec, in the order they appear (layers and panels too)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "encoding" and isinstance(value, dict):
                for channel in value.values():
                    for one in channel if isinstance(channel, list) else [channel]:
                        if isinstance(one, dict) and isinstance(one.get("field"), str):
                            found.append(one["field"])
            elif key != "data":
                found += _fields(value)
    elif isinstance(node, list):
        for value in node:
            found += _fields(value)
    return list(dict.fromkeys(found))


def chart_table(spec: dict):
    """The chart's figures as a DataFrame: its data, the columns it encodes (no helpers)."""
    import pandas as pd

    rows: list = []
    datasets = spec.get("datasets", {})
    stack = [spec]
    while stack and not rows:
        node = stack.pop(0)
        data = node.get("data") if isinstance(node, dict) else None
        if isinstance(data, dict):
            rows = data.get("values") or datasets.get(data.get("name"), [])
        for key in ("layer", "hconcat", "vconcat", "concat"):
            stack += [n for n in node.get(key, []) if isinstance(n, dict)]
        if isinstance(node.get("spec"), dict):
            stack.append(node["spec"])
    if not rows and len(datasets) == 1:
        rows = next(iter(datasets.values()))
    frame = pd.DataFrame(rows if isinstance(rows, list) else [])
    shown = [f for f in _fields(spec) if f in frame.columns and not f.startswith("_")]
    return frame[shown] if shown else frame.loc[:, [c for c in frame.columns
                                                   if not str(c).startswith("_")]]


def describe(title: str, table, limit: int = 60) -> str:
    """A description that states the chart's figures, row by row, for a screen reader."""
    rows = ["; ".join(f"{column}: {value}" for column, value in zip(table.columns, record))
            for record in table.head(limit).itertuples(index=False, name=None)]
    more = f" And {len(table) - limit:,} more rows, in the table." if len(table) > limit else ""
    return f"{title}. " + ". ".join(rows) + ("." if rows else "") + more


# -- an analyst's table --------------------------------------------------------------------

def frame_html(frame, caption: str | None = None, max_rows: int | None = None) -> str:
    """A DataFrame as the page prints tables: captioned, escaped, each value labelled with its
    column, reflowing on a phone and scrolling in its own box on a wide screen.

    The caption is ``frame.attrs["caption"]`` when set, else the table's shape and columns.

    >>> import pandas as pd
    >>> html = frame_html(pd.DataFrame({"measure": ["<b>x</b>"], "value": [1.5]}))
    >>> "&lt;b&gt;x&lt;/b&gt;" in html, 'data-label="value"' in html
    (True, True)
    """
    import pandas as pd

    from perfkit.html import esc, table

    if max_rows is None:
        max_rows = pd.get_option("display.max_rows") or 60
    columns = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    caption = caption or frame.attrs.get("caption") or (
        f"Table of {len(frame):,} row{'s' if len(frame) != 1 else ''}: "
        f"{', '.join(columns[:6])}{', …' if len(columns) > 6 else ''}")
    index = not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None
    shown = frame.head(max_rows)

    def cell(value) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "—"
        return esc(value)

    headers = ([str(frame.index.name or "")] if index else []) + columns
    rows = [[*([esc(label)] if index else []), *(cell(v) for v in record)]
            for label, record in zip(shown.index, shown.itertuples(index=False, name=None))]
    note = (f'<p class="table-note">The first {max_rows:,} of {len(frame):,} rows.</p>'
            if len(frame) > max_rows else "")
    return (f'<div class="table-wide" tabindex="0" role="region" aria-label="{esc(caption)}">'
            f"{table(str(caption), headers, rows, css='frame', row_header=index)}</div>{note}")


def show_frames_as_tables(shell=None) -> None:
    """Have IPython show every DataFrame as :func:`frame_html`, inline and on the page alike."""
    import pandas as pd

    from perfkit.html import Fragment

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame,
                       lambda frame: Fragment(frame_html(frame))._repr_html_())
