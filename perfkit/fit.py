"""Fitting any chart to where it is read: a page or paper, and a phone.

Every chart the report draws passes through here on its way to SVG (:func:`perfkit.html.figure`),
whoever built it: perfkit's own charts, the trend charts, an analyst's. So a chart reads on a
phone because of how it is rendered, not because its builder remembered to.

- **Labels wrap, never cut.** Vega-Lite cuts an axis or header label at ``labelLimit`` with
  "…". Here every label of a nominal or ordinal axis, and every facet header, is split into
  lines of at most a few words by a ``labelExpr`` that returns an array (one line each), with
  the limit lifted. The same pattern counts the lines in Python, so each bar gets the height
  its label needs.
- **A narrow variant.** A 375 px phone cannot show a 746 px chart at a legible size. The
  narrow variant keeps the text at its size and changes the layout instead: plots narrower,
  side-by-side panels stacked, facets in one column, the legend in two columns, the title
  in lines.

>>> spec = {"mark": "bar", "width": 520, "height": {"step": 34},
...         "title": "Milestones by RAG status, quarter 2 2022/23",
...         "data": {"values": [{"g": "Making Chesterfield a thriving borough", "n": 3}]},
...         "encoding": {"y": {"field": "g", "type": "nominal"},
...                      "x": {"field": "n", "type": "quantitative"}}}
>>> phone = for_phone(spec)
>>> phone["width"], phone["title"]["text"]
(300, ['Milestones by RAG status, quarter', '2 2022/23'])
>>> axis = phone["encoding"]["y"]["axis"]
>>> axis["labelLimit"], axis["labelAlign"], phone["height"], phone["mark"]["height"]
(0, 'left', {'step': 58}, 20)
>>> for_page(spec)["encoding"]["y"]["axis"]["labelLimit"]
0
"""

from __future__ import annotations

import copy
import re
from typing import Any, Iterator

#: Characters on one line of an axis label: on a page or paper, and on a phone.
PAGE_LABEL_CHARS = 30
PHONE_LABEL_CHARS = 15
#: Characters on one line of a chart's title on a phone (15 px bold, about 300 px).
PHONE_TITLE_CHARS = 34
#: The widest a plot may be on a phone: with the wrapped labels beside it, the whole chart
#: stays inside 375 px less the page's margins.
PHONE_WIDTH = 190
#: A time series on a phone: its value axis is short numbers, so the plot may be wider.
PHONE_SERIES_WIDTH = 260
#: About how wide a character of an axis label is drawn (10–11 px type), in px.
CHAR_WIDTH = 6
#: Axis labels are drawn at this line height (px) per line, and a band gets this much room
#: around them.
LINE_HEIGHT = 14
BAND_PADDING = 8
#: A horizontal bar chart on a phone: each group's name in lines above its bar, which then
#: has the whole width (so a count of 1 still fits on its segment).
PHONE_ROW_CHARS = 40
PHONE_ROW_WIDTH = 300
BAR = 20

_LINE = r"(.{1,%d})(\s+|$)"


def label_lines(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, broken at spaces, as the chart
    draws it (a word longer than a line stays whole: it is never cut).

    >>> label_lines("Improving quality of life for local people", 15)
    ['Improving', 'quality of life', 'for local', 'people']
    """
    return re.sub(_LINE % chars, "\\1\n", text).strip().split("\n")


def wrap_expr(chars: int) -> str:
    """A Vega expression that splits ``datum.label`` into lines, as :func:`label_lines` does."""
    pattern = (_LINE % chars).replace("\\", "\\\\")
    return f"split(trim(replace(datum.label, regexp('{pattern}', 'g'), '$1\\n')), '\\n')"


def _padded_expr(chars: int, lines: int, centre: bool = False) -> str:
    """As :func:`wrap_expr`, with blank lines first so that every label takes ``lines``
    lines: its last line (or, with ``centre``, its middle) then sits at the same place
    whatever its length, as Vega draws a label's lines downwards from its first."""
    split = wrap_expr(chars)
    blanks = "'" + "\\n" * lines + "'"
    count = f"{lines} - length({split})"
    return (f"split(slice({blanks}, 0, {f'floor(({count}) / 2)' if centre else count}) + "
            f"join({split}, '\\n'), '\\n')")


def for_page(spec: dict) -> dict:
    """The chart as drawn on a wide screen and on paper: its own layout, labels wrapped."""
    spec = copy.deepcopy(spec)
    _wrap_labels(spec, PAGE_LABEL_CHARS)
    return spec


def for_phone(spec: dict) -> dict:
    """The chart laid out for a 375 px screen, its text no smaller than on the page."""
    spec = copy.deepcopy(spec)
    texts = _texts(spec)
    for node in _nodes(spec):
        if isinstance(node.get("width"), (int, float)):
            series = _series(node)
            node["width"] = min(node["width"], PHONE_SERIES_WIDTH if series else PHONE_WIDTH)
            if series:
                _upright_times(series, node["width"], texts)
        if "hconcat" in node:
            node["vconcat"] = node.pop("hconcat")
        if "facet" in node and "columns" in node:
            node["columns"] = 1
        if "concat" in node:
            node["columns"] = 1
        if isinstance(node.get("title"), str):
            node["title"] = {"text": label_lines(node["title"], PHONE_TITLE_CHARS)}
        elif isinstance(node.get("title"), dict):
            # A title (or subtitle) already in lines for the page is put in a phone's lines.
            for key in ("text", "subtitle"):
                text = node["title"].get(key)
                if isinstance(text, list) and all(isinstance(t, str) for t in text):
                    text = " ".join(text)
                if isinstance(text, str):
                    node["title"][key] = label_lines(text, PHONE_TITLE_CHARS)
    _names_above_bars(spec)
    _wrap_labels(spec, PHONE_LABEL_CHARS)
    config = spec.setdefault("config", {})
    config["legend"] = {**config.get("legend", {}), "columns": 2, "labelLimit": 0}
    return spec


def _series(node: dict) -> list[dict]:
    """The x encodings of a view whose every layer draws values (y, a number) over a row of
    categories or times (x): a time series, whose value axis needs little room beside it.
    Empty for any other view."""
    units = _units(node)
    encodings = [_encoding(node, u) for u in units]
    if not units or not all(
            (e.get("x") or {}).get("type") in ("nominal", "ordinal", "temporal")
            and (e.get("y") or {}).get("type") == "quantitative" for e in encodings):
        return []
    return [e["x"] for e in encodings]


def _upright_times(xs: list[dict], width: float, texts: dict[str, list[str]]) -> None:
    """Stand an x axis's labels upright when side by side they would not fit the plot's
    width (ten quarters' names on a phone ran into one another)."""
    for x in xs:
        names = set(texts.get(x.get("field"), []))
        axis = x.get("axis", {})
        if not names or axis is None or axis.get("labelAngle", 0) != 0:
            continue
        if len(names) * (max(map(len, names)) * CHAR_WIDTH + 4) > width:
            x["axis"] = {**axis, "labelAngle": -90}


def _units(node: dict) -> list[dict]:
    """The single-view specs a view with a height draws: itself, or its layers."""
    if "mark" in node:
        return [node]
    return [unit for layer in node.get("layer", []) if isinstance(layer, dict)
            for unit in _units(layer)]


def _encoding(node: dict, unit: dict) -> dict:
    """A unit's encoding with what its layer shares (an analyst re-sorts the whole layer)."""
    shared = dict(node.get("encoding") or {}) if unit is not node else {}
    return {**shared, **(unit.get("encoding") or {})}


def _horizontal_bars(encoding: dict) -> bool:
    y, x = encoding.get("y") or {}, encoding.get("x") or {}
    return (y.get("type") in ("nominal", "ordinal") and y.get("axis", {}) is not None
            and x.get("type") == "quantitative" and "labelExpr" not in (y.get("axis") or {}))


def _names_above_bars(spec: dict) -> None:
    """Lay each horizontal bar chart out for a phone: names above the bars, bars full width."""
    texts = _texts(spec)
    for node in list(_nodes(spec)):
        height = node.get("height")
        units = _units(node)
        encodings = [_encoding(node, u) for u in units]
        if not (isinstance(height, dict) and "step" in height and units
                and all(_horizontal_bars(e) for e in encodings)):
            continue
        field = encodings[0]["y"].get("field")
        lines = max([1, *(len(label_lines(t, PHONE_ROW_CHARS)) for t in texts.get(field, []))])
        # The name sits on its bar; the gap to the next name is wider than that, so no name
        # reads as the bar's above it.
        step = lines * LINE_HEIGHT + BAR + 3 * BAND_PADDING
        height["step"] = step
        expr = _padded_expr(PHONE_ROW_CHARS, lines)
        node["width"] = PHONE_ROW_WIDTH
        shift = step / 2 - BAR / 2 - BAND_PADDING  # from the band's middle to the bar's
        holders = [u["encoding"] for u in units if "y" in (u.get("encoding") or {})]
        if node not in units and "y" in (node.get("encoding") or {}):
            holders.append(node["encoding"])
        for holder in holders:
            axis = holder["y"].get("axis") or {}
            holder["y"]["axis"] = {
                **axis, "labelExpr": expr, "labelLimit": 0, "labelLineHeight": LINE_HEIGHT,
                "labelAlign": "left", "labelBaseline": "top", "labelPadding": -2,
                "labelOffset": shift - BAR / 2 - 3 - lines * LINE_HEIGHT,
                "ticks": False, "domain": False}
        for unit in units:
            mark = unit["mark"] if isinstance(unit["mark"], dict) else {"type": unit["mark"]}
            unit["mark"] = {**mark, "height": BAR, "yOffset": shift}


def _nodes(spec: Any) -> Iterator[dict]:
    """Every dict of the spec's structure, the spec first; never the data's rows (a column
    named "title" or "width" is data, not layout)."""
    if isinstance(spec, dict):
        yield spec
        for key, value in spec.items():
            if key not in ("data", "datasets"):
                yield from _nodes(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _nodes(value)


def _texts(spec: dict) -> dict[str, list[str]]:
    """The text values of each field in the chart's inline data."""
    rows: list[dict] = []
    for values in (spec.get("datasets") or {}).values():
        rows += [r for r in values if isinstance(r, dict)]
    for node in _nodes(spec):
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            rows += [r for r in data["values"] if isinstance(r, dict)]
    found: dict[str, list[str]] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str):
                found.setdefault(key, []).append(value)
    return found


def _wrap_labels(spec: dict, chars: int) -> None:
    texts = _texts(spec)
    axes: list[tuple[str, dict]] = []  # (channel, encoding) of each band axis to wrap
    headers: list[dict] = []
    for node in _nodes(spec):
        encoding = node.get("encoding")
        if isinstance(encoding, dict):
            for channel in ("x", "y"):
                enc = encoding.get(channel)
                if (isinstance(enc, dict) and enc.get("type") in ("nominal", "ordinal")
                        and enc.get("axis", {}) is not None
                        and "labelExpr" not in (enc.get("axis") or {})):
                    axes.append((channel, enc))
            headers += [encoding.get(c) for c in ("facet", "row", "column")]
        if isinstance(node.get("facet"), dict) and "field" in node["facet"]:
            headers.append(node["facet"])
    # The most lines any label of a y axis takes: each band is made tall enough for it, and
    # every label is centred on its band.
    most = max([1, *(len(label_lines(t, chars)) for channel, enc in axes if channel == "y"
                     for t in texts.get(enc.get("field"), []))])
    for channel, enc in axes:
        axis = {**(enc.get("axis") or {}), "labelLimit": 0, "labelLineHeight": LINE_HEIGHT}
        if channel == "y":
            axis.update(labelExpr=_padded_expr(chars, most, centre=True),
                        labelOffset=-(most - 1) * LINE_HEIGHT / 2)
        else:
            axis["labelExpr"] = wrap_expr(chars)
        enc["axis"] = axis
    for head in headers:
        if isinstance(head, dict) and head.get("header", {}) is not None:
            head["header"] = {**(head.get("header") or {}), "labelExpr": wrap_expr(chars),
                              "labelLimit": 0, "labelLineHeight": LINE_HEIGHT}
    need = most * LINE_HEIGHT + BAND_PADDING
    for node in _nodes(spec):
        height = node.get("height")
        if isinstance(height, dict) and isinstance(height.get("step"), (int, float)):
            height["step"] = max(height["step"], need)
