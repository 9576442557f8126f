"""``index.html`` at the output root: every quarter published there, newest first, with its
headline figures, a chart of them over time, and links to each quarter's files.

The page is built from what is published: each quarter folder's ``summary.json``. A quarter
whose run failed keeps its last good folder, so it keeps its entry. :func:`index_page` is
pure; :func:`read_quarters` reads the folders; :func:`perfkit.publish.publish_index` writes
the page in one rename, under a lock, after each run's set is published.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from perfkit.html import esc, figure, table

#: A quarter's folder name, as :func:`perfkit.model.slug` makes it.
SLUG = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")
#: Files a quarter's set may hold that the index links to, with what each is.
LINKS = (("report.html", "Report (web page)"), ("report.pdf", "Report (PDF)"),
         ("cabinet.html", "Cabinet paper (web page)"), ("cabinet.pdf", "Cabinet paper (PDF)"),
         ("figures.csv", "Figures (CSV)"))
MAX_SUMMARY_BYTES = 1 << 20  # a summary.json is a few KB; anything larger is not ours


@dataclass(frozen=True)
class Entry:
    """One published quarter: its folder name, year, quarter, files and figures."""

    slug: str
    year: str
    quarter: int
    files: tuple[str, ...]
    summary: dict | None = None  # None: its summary.json is missing or unreadable
    headlines: list[dict] = field(default_factory=list)

    @property
    def order(self) -> tuple[str, int]:
        return (self.year, self.quarter)


def read_quarters(root: Path) -> list[Entry]:
    """Every quarter folder in ``root`` (real folders, not links), with its summary."""
    found = []
    for item in sorted(root.iterdir()):
        match = SLUG.match(item.name)
        if not match or item.is_symlink() or not item.is_dir():
            continue
        year, quarter = f"{match[1]}/{match[2]}", int(match[3])
        files = tuple(name for name, _ in LINKS
                      if (item / name).is_file() and not (item / name).is_symlink())
        summary = _summary(item / "summary.json")
        heads = summary.get("headlines", []) if summary else []
        found.append(Entry(item.name, year, quarter, files, summary,
                           [h for h in heads if _headline(h)] if isinstance(heads, list) else []))
    return found


def _summary(path: Path) -> dict | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_SUMMARY_BYTES:
            return None
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def index_page(entries: list[Entry], organisation: str = "", css: str = "") -> str:
    """The index page for ``entries``: newest first, a chart of the headline figures over
    time when there are two quarters or more, and each quarter's links.

    >>> page = index_page([Entry("2022-23-Q2", "2022/23", 2, ("report.html",))])
    >>> '<a href="2022-23-Q2/report.html">' in page
    True
    """
    from markupsafe import Markup

    from perfkit import history

    entries = sorted(entries, key=lambda e: e.order, reverse=True)
    names = list(dict.fromkeys(h.get("label", "") for e in entries for h in e.headlines))
    rows = []
    for e in entries:
        heads = {h.get("label"): h for h in e.headlines}
        name = f"Quarter {e.quarter}, {e.year}"
        title = (f'<a href="{esc(e.slug)}/report.html">{esc(name)}</a>'
                 if "report.html" in e.files else esc(name))
        cells = [title]
        for label in names:
            h = heads.get(label)
            cells.append(esc(f"{h.get('text')} ({h.get('count', 0):,} of {h.get('base', 0):,})")
                         if h and h.get("base") else "—")
        cells.append(_persistent(e))
        links = [f'<a href="{esc(e.slug)}/{esc(f)}">{esc(what)}</a>'
                 for f, what in LINKS if f in e.files and f != "report.html"]
        cells.append("<ul class=\"links\">" + "".join(f"<li>{a}</li>" for a in links) + "</ul>"
                     if links else "—")
        rows.append(cells)
    listing = table("Every quarter published here, newest first",
                    ["Quarter", *names, "Persistent exceptions", "Other files"], rows,
                    css="quarters")
    chart = ""
    dated = [e for e in reversed(entries) if e.headlines]
    if len(dated) >= 2:
        # The folder's name says which quarter it is; the headlines are its summary's.
        points = history.headline_points(
            [{"year": e.year, "quarter": e.quarter, "headlines": e.headlines} for e in dated])
        if len(points):
            fig = history.headline_history(points, "Headline figures in each quarter published")
            chart = figure(fig, "chart-index-history")
    heading = "Performance reports"
    intro = (f"Every quarterly performance report published here, newest first"
             f"{', by ' + organisation if organisation else ''}. Each quarter links to its "
             "report, its committee papers where there are any, and its figures to download.")
    return _template().render(
        title=heading, organisation=organisation, intro=intro, css=Markup(css),
        chart=Markup(chart), listing=Markup(listing), count=len(entries))


def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from perfkit.report import TEMPLATE, TEMPLATES

    env = Environment(loader=FileSystemLoader(TEMPLATES / TEMPLATE),
                      autoescape=select_autoescape(["j2"]))
    return env.get_template("index.html.j2")


def _headline(h: object) -> bool:
    """A headline of a summary.json as perfkit writes it (the file may have been edited)."""
    return (isinstance(h, dict) and isinstance(h.get("label"), str)
            and isinstance(h.get("text"), str)
            and all(isinstance(h.get(k), int) and not isinstance(h.get(k), bool)
                    for k in ("count", "base"))
            and (h.get("pct") is None or isinstance(h.get("pct"), (int, float))))


def _persistent(entry: Entry) -> str:
    if not entry.summary or "persistent" not in entry.summary:
        return "—"
    runs = entry.summary["persistent"]
    if not isinstance(runs, list) or not runs:
        return "None"
    return esc(f"{len(runs):,}")
