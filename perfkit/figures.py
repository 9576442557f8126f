"""``figures.csv``: the quarter's figures as a download, one row per milestone and measure.

Pure: a :class:`~perfkit.summary.Summary` in, the file's text out. The file is UTF-8 with a
byte-order mark (so Excel opens "£" and "–" correctly) and CRLF line ends, and is read by
pandas, Power BI and every spreadsheet as is.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab
or a carriage return) as a formula. Every text cell from the data that starts with one of
those, or with spaces before one, is written with a leading apostrophe, which spreadsheets
show as text, as OWASP advises for CSV injection. A cell that is a plain number ("-5", "+2.5")
is a number, not a formula, and is written as it is, so numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re

from perfkit.html import plain
from perfkit.model import Travel
from perfkit.scheme import Part

HEADERS = ("Year", "Quarter", "Priority", "Type", "ID", "Name", "Status", "Value", "Target",
           "Previous quarter", "Same quarter last year", "Since last quarter",
           "Since last year", "Quarters as an exception", "Forecast", "Action", "Reason")

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """A cell that no spreadsheet runs as a formula; numbers are left as they are.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-5"), safe_cell(" @SUM(A1)"), safe_cell(3)
    ('\\'=HYPERLINK("http://x")', '-5', "' @SUM(A1)", 3)
    """
    if not isinstance(value, str):
        return value
    text = plain(value)
    if _NUMBER.fullmatch(text.strip()):
        return text
    if text.lstrip(" ").startswith(_TRIGGERS) or text.startswith(_TRIGGERS):
        return "'" + text
    return text


def _travel(value: object) -> str:
    return value.label if isinstance(value, Travel) else "Not comparable"


def figures_rows(summary) -> list[list[object]]:
    """The rows of ``figures.csv``, in the report's order: each priority's milestones, then
    its measures."""
    q, movement = summary.quarter, summary.movement
    scheme = summary.rollup.scheme
    names = dict(zip(q.priorities["priority_id"], q.priorities["name"]))

    def moved(part: str, column: str) -> dict:
        if movement is None:
            return {}
        rows = movement.milestones if part == "milestones" else movement.measures
        return dict(zip(rows.iloc[:, 0], rows[column]))

    def label(part: Part, key: object) -> str:
        return scheme.label(part, key) if isinstance(key, str) and key else ""

    ms_moves = {c: moved("milestones", c) for c in ("previous_quarter", "same_quarter_last_year",
                                                     "vs_previous_quarter", "vs_last_year")}
    me_moves = {c: moved("measures", c) for c in ("previous_quarter", "same_quarter_last_year",
                                                   "vs_previous_quarter", "vs_last_year")}
    run = movement.run if movement is not None else (lambda part, ident: 0)
    rows: list[list[object]] = []
    ms, me = q.milestones, q.measures
    for pid in q.priorities["priority_id"]:
        for r in ms[ms["priority_id"] == pid].itertuples():
            ident = r.milestone_id
            rows.append([
                q.year, q.quarter, names[pid], "Milestone", ident, r.title,
                label(Part.MILESTONES, r.rag), "", "",
                label(Part.MILESTONES, ms_moves["previous_quarter"].get(ident)),
                label(Part.MILESTONES, ms_moves["same_quarter_last_year"].get(ident)),
                _travel(ms_moves["vs_previous_quarter"].get(ident)),
                _travel(ms_moves["vs_last_year"].get(ident)),
                run(Part.MILESTONES, ident),
                label(Part.MILESTONES, getattr(r, "forecast_state", None)),
                getattr(r, "action", ""), ""])
        for r in me[me["priority_id"] == pid].itertuples():
            ident = r.measure_id
            forecast = r.forecast_text
            if forecast and r.projected:
                forecast = f"{forecast} (pro-rata projection)"
            rows.append([
                q.year, q.quarter, names[pid], "Measure", ident, r.name,
                label(Part.MEASURES, r.state), r.value, r.bar_text,
                me_moves["previous_quarter"].get(ident, ""),
                me_moves["same_quarter_last_year"].get(ident, ""),
                _travel(me_moves["vs_previous_quarter"].get(ident)),
                _travel(me_moves["vs_last_year"].get(ident)),
                run(Part.MEASURES, ident), forecast, getattr(r, "action", ""), r.reason])
    return rows


def figures_csv(summary) -> bytes:
    """``figures.csv`` as bytes: UTF-8 with a byte-order mark, every text cell made safe.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.summary import summarise
    >>> text = figures_csv(summarise(load_dataset("data/chesterfield"), "2022/23", 2))
    >>> text[:3] == b"\\xef\\xbb\\xbf", text.count(b"\\r\\n")
    (True, 83)
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in figures_rows(summary):
        writer.writerow([safe_cell("" if cell is None else cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")
