"""The report's sections, one method each, for the notebook to call in order.

``open_report`` validates the parameters, loads the data and computes every figure once;
each section method then returns a :class:`~perfkit.html.Fragment` that Jupyter shows inline
and nbconvert writes into the HTML file.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from perfkit import cache, charts
from perfkit.errors import ParamsError
from perfkit.html import (
    Fragment, clean, esc, figure, frame_table, paragraphs, section, state_badge, table,
    travel_text,
)
from perfkit.inline import use_offline_charts
from perfkit.limits import MAX_TREND_PANELS
from perfkit.load import Dataset
from perfkit.model import Issue, Status
from perfkit.params import (
    REQUIRED_KEYS, ReportParams, check_injected, check_params, injected_parameters, resolve_data,
)
from perfkit.scheme import Part, Scheme, load_scheme
from perfkit.summary import Summary
from perfkit.targets import grouped, parse_target, parse_value


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
#: The two directions of travel, and the column each is shown in.
TRAVEL_HEADS = (("vs_previous_quarter", "Since last quarter"),
                ("vs_last_year", "Since last year"))


def _either(words: list[str]) -> str:
    if not words:
        return "nothing"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


@dataclass
class Report:
    """One quarter's report: parameters, data and computed figures, ready to render."""

    params: ReportParams
    data_path: Path
    dataset: Dataset
    summary: Summary
    covering_warnings: list = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    #: Figures and table columns the analyst changed (:meth:`use_figure`, :meth:`use_columns`).
    _figures: dict = field(default_factory=dict, repr=False)
    _columns: dict = field(default_factory=dict, repr=False)

    # -- sections, in the order the report prints them ----------------------------------

    def header(self) -> Fragment:
        organisation = (f'<p class="organisation">{esc(self.params.organisation)}</p>'
                        if self.params.organisation else "")
        nav = "".join(
            f'<li><a href="#{ident}">{esc(text)}</a></li>' for ident, text in self._contents())
        # figures.csv is published beside report.html in the quarter's set.
        download = ('<p class="download"><a href="figures.csv" type="text/csv">Download the '
                    "figures</a> (CSV: every milestone and measure, with its status, value, "
                    "target, earlier figures, forecast and action)</p>")
        return Fragment(f'<header class="report-header">{organisation}'
                        f"<h1>{esc(self.params.heading)}</h1>"
                        f'<nav aria-label="Contents"><ol>{nav}</ol></nav>{download}</header>',
                        styled=True, script=self._fields_script())

    def summary_section(self) -> Fragment:
        return self._numbered(section("summary", "Summary", paragraphs(self.summary.paragraphs)))

    def dashboard(self) -> Fragment:
        nouns = self.scheme.nouns
        checked = ("check against its target" if self.scheme.measure_source.value == "check"
                   else "status")
        overall = self.summary.rollup.overall
        # A plan of measures only is not told about milestones' ratings, and the reverse.
        shown = [text for text, total in (
            (f"each {nouns.milestone[0]}'s {nouns.rating}", overall.milestones.total),
            (f"each quarterly {nouns.measure[0]}'s {checked}", overall.measures.total))
            if total] or [f"each {nouns.milestone[0]}'s {nouns.rating}"]
        intro = (f"The charts show {' and '.join(shown)}, for the whole plan and for each "
                 "priority. Each bar is labelled with its number, and each chart's figures "
                 "are also given as a table below it.")
        # Only the dashboard's own charts: the trend charts are built by trends().
        figures = self._changed(self._dashboard_figures())
        parts = [f"<p>{esc(intro)}</p>", self._headline_table(), self._travel_table(),
                 *(figure(figures[ident], ident) for ident in ("chart-milestones", "chart-measures")
                   if ident in figures)]
        return self._numbered(section("dashboard", "Performance dashboard", *parts))

    def priority_sections(self) -> Fragment:
        parts = []
        q = self.summary.quarter
        for number, group in enumerate(self.summary.rollup.priorities, start=1):
            pid = group.priority_id
            milestones = q.milestones[q.milestones["priority_id"] == pid]
            measures = q.measures[q.measures["priority_id"] == pid]
            ident = f"priority-{number}"
            paragraph = self.summary.paragraphs[number]
            nouns = self.scheme.nouns
            ms_noun, me_noun = nouns.milestone[1].capitalize(), nouns.measure[1].capitalize()
            body = [f"<p>{esc(paragraph)}</p>", self._objectives(pid, milestones)]
            if self.summary.rollup.overall.milestones.total:
                body += [f'<h3 id="{ident}-milestones">{esc(ms_noun)}</h3>',
                         self._milestone_table(milestones, f"{ms_noun}: {group.name}")]
            if self.summary.rollup.overall.measures.total:
                body += [f'<h3 id="{ident}-measures">{esc(me_noun)}</h3>',
                         self._measure_table(measures, f"{me_noun}: {group.name}")]
            parts.append(section(ident, group.name, *body, css="priority").html)
        return self._numbered(Fragment("".join(parts)), "priority-1")

    def exceptions(self) -> Fragment:
        q, scheme = self.summary.quarter, self.scheme
        late = scheme.exceptions(Part.MILESTONES)
        behind = scheme.exceptions(Part.MEASURES)
        slipping = q.milestones[q.milestones["rag"].isin(late)]
        missed = q.measures[q.measures["state"].isin(behind)]
        ms, me = scheme.nouns.milestone[1], scheme.nouns.measure[1]
        ms_words = _either([scheme.label(Part.MILESTONES, k).lower() for k in late])
        me_words = _either([scheme.label(Part.MEASURES, k).lower() for k in behind])
        overall = self.summary.rollup.overall
        listed = [f"every {noun} rated {said}" for noun, said, total, keys in (
            (scheme.nouns.milestone[0], ms_words, overall.milestones.total, late),
            (scheme.nouns.measure[0], me_words, overall.measures.total, behind))
            if total and keys]
        intro = (f"{_sentence(' and '.join(listed))} at quarter {self.params.quarter}, for the "
                 "leadership team's follow-up." if listed else
                 "The scheme marks no status as an exception, so nothing is listed here.")
        persistent = self.summary.movement.persistent if self.summary.movement else []
        if persistent and listed:
            intro += (f" {len(persistent):,} of them {'has' if len(persistent) == 1 else 'have'}"
                      " been exceptions for two quarters or more in a row; they are listed "
                      "first, the longest-running at the top.")
        parts = [f"<p>{esc(intro)}</p>"]
        if self.summary.rollup.overall.milestones.total and late:
            parts.append(self._exception_table(slipping, f"{ms.capitalize()} rated {ms_words}"))
        if self.summary.rollup.overall.measures.total and behind:
            parts.append(self._measure_table(missed, f"{me.capitalize()} rated {me_words}",
                                             exceptions=True))
        return self._numbered(section("exceptions", "Exceptions", *parts))

    def data_quality(self) -> Fragment:
        issues = self.summary.quarter.issues
        order = list(Issue)
        issues = issues.assign(_o=issues["issue"].map(order.index)).sort_values(
            ["_o"], kind="stable") if len(issues) else issues
        counts = issues["issue"].value_counts() if len(issues) else pd.Series(dtype=int)
        q = self.summary.quarter
        acted = "action" in q.milestones or "action" in q.measures
        lines = [f"{issue.label}: {int(counts.get(issue, 0))}" for issue in Issue
                 if acted or issue is not Issue.NO_ACTION]
        intro = ("Rows that could not be checked, and rows that need a second look. Every "
                 "milestone and measure in the plan appears in the report, either with its "
                 "status or here.")
        single, grouped = group_findings(issues)
        rows = [[esc(r.id), esc(r.issue.label), esc(r.name), esc(r.detail)]
                for r in single.itertuples()]
        parts = [f"<p>{esc(intro)}</p>",
                 "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>",
                 *(_grouped_finding(self.scheme, issue, detail, rows, _alike(issues, rows))
                   for (issue, detail), rows in grouped),
                 *([table("Data quality findings", ["ID", "Finding", "Name", "Detail"], rows)]
                   if rows or not grouped else [])]
        return self._numbered(section("data-quality", "Data quality", *parts))

    def trends(self) -> Fragment:
        history = [*self.summary.history, self.summary.rollup]
        if len(history) < 2 and not self._across_years:
            text = (f"The data holds no earlier quarter of {self.params.year}, so there are "
                    "no trend charts this time.")
            return self._numbered(section("trends", "Trends", f"<p>{esc(text)}</p>"))
        figures = self.figures()
        shown = ["chart-headline-history", "chart-rag-trend", "chart-measure-trend",
                 *(i for i in figures if i.startswith("chart-measure-history-"))]
        parts = [figure(figures[ident], ident) for ident in shown if ident in figures]
        measured = any(i in figures for i in shown[2:])
        if self._across_years and not measured:
            from perfkit import history

            values = history.measure_points([q for q, _ in self.summary.timeline])
            if len(values) and values["measure"].nunique() > MAX_TREND_PANELS:
                table_ = history.measure_history_table(values)
                count = values["measure"].nunique()
                text = (f"The charts of measures over time are drawn for up to "
                        f"{MAX_TREND_PANELS:,} measures (MAX_TREND_PANELS); this plan has "
                        f"{count:,}, so their values are listed in this table.")
                parts.append(f"<p>{esc(text)}</p>" + frame_table(
                    "Measures against their target in each quarter", table_))
            return self._numbered(section("trends", "Trends", *parts))
        values = self._measure_history() if not measured else []
        if len(values) and values["measure"].nunique() > MAX_TREND_PANELS:
            # Too many panels to draw (or to print): the same figures, as a table.
            trend = charts.measure_trends(values, self.params.year)
            count = values["measure"].nunique()
            text = (f"The chart of quarterly measures is drawn for up to "
                    f"{MAX_TREND_PANELS:,} measures (MAX_TREND_PANELS); this plan has "
                    f"{count:,}, so their values are listed in this table.")
            parts.append(f"<p>{esc(text)}</p>" + frame_table(trend.title, trend.table))
        return self._numbered(section("trends", "Trends", *parts))

    def about(self) -> Fragment:
        from perfkit import __version__

        p = self.params
        rows = [
            ["Data source", esc(shown_path(p.data))],
            ["Year", esc(p.year)],
            ["Quarter", esc(p.quarter)],
            ["Organisation", esc(p.organisation or "Not given")],
            ["Scheme", esc(self.scheme.name)],
            ["Rendered", esc(self.started.strftime("%d %B %Y at %H:%M %Z").strip())],
            ["perfkit version", esc(__version__)],
        ]
        return Fragment('<aside class="about" aria-labelledby="about-h">'
                        '<h2 id="about-h">About this report</h2>'
                        + table("How this report was made", ["Item", "Value"], rows)
                        + "</aside>")

    # -- the report's data, for analysts to take further ------------------------------------

    @property
    def milestones(self) -> pd.DataFrame:
        """This quarter's milestones, one row each: priority, title, RAG, progress (a copy)."""
        return self.summary.quarter.milestones.copy()

    @property
    def measures(self) -> pd.DataFrame:
        """This quarter's measures, one row each: target, value, status and reason (a copy)."""
        return self.summary.quarter.measures.copy()

    def use_figure(self, ident: str, chart, *, title: str | None = None,
                   description: str | None = None,
                   table: pd.DataFrame | None = None) -> None:
        """Publish ``chart`` (an Altair chart) as the figure ``ident`` in its section.

        Take the figure from :meth:`figures`, change it with Altair and hand it back, in a
        cell before the section's own. The title, description and table stay the figure's
        unless given: give them when the change alters what the chart says.

        >>> import altair as alt
        >>> r = open_report("data/chesterfield", "2022/23", 2)
        >>> chart = r.figures()["chart-milestones"].chart.properties(width=300)
        >>> r.use_figure("chart-milestones", chart)
        >>> r.figures()["chart-milestones"].chart.to_dict()["width"]
        300
        """
        import altair as alt

        own = self._own_figures()
        if ident not in own:
            raise ParamsError(f"use_figure: no figure {ident!r} in this report (figures: "
                              f"{', '.join(own)})")
        if not isinstance(chart, alt.TopLevelMixin):
            raise ParamsError(f"use_figure: {ident!r} takes an Altair chart, not "
                              f"{type(chart).__name__} (change figure.chart and pass that)")
        base = own[ident]
        changed = charts.Figure(chart, title or base.title, description or base.description,
                                base.data if table is None else table,
                                base.table if table is None else None)
        self._figures[ident] = changed

    def use_columns(self, table: str, columns: Sequence[str]) -> None:
        """Show only ``columns`` of the ``milestones`` or ``measures`` tables, in that order.

        Columns are named by their headings ("Status", "Progress", ...); the first one is the
        row's heading for a screen reader.

        >>> r = open_report("data/chesterfield", "2022/23", 2)
        >>> r.use_columns("measures", ["Measure", "Status"])
        >>> ">Comment</th>" in r.priority_sections().html
        False
        """
        kinds = {"milestones": self._milestone_table, "measures": self._measure_table}
        if table not in kinds:
            raise ParamsError(f"use_columns: no table {table!r} (tables: milestones, measures)")
        rows = self.summary.quarter.milestones if table == "milestones" else \
            self.summary.quarter.measures
        self._columns.pop(table, None)
        headers = self._headers(table, rows)
        unknown = [c for c in columns if c not in headers]
        if unknown or not columns:
            raise ParamsError(f"use_columns: {', '.join(map(repr, unknown)) or 'no column'} "
                              f"is not a column of the {table} table (columns: "
                              f"{', '.join(headers)})")
        self._columns[table] = list(columns)

    def figures(self) -> dict[str, charts.Figure]:
        """The report's charts by figure id, each with ``.chart`` (Altair) and ``.data``.

        A figure the analyst changed (:meth:`use_figure`) is the changed one.

        >>> r = open_report("data/chesterfield", "2022/23", 2)
        >>> list(r.figures()), type(r.figures()["chart-measures"].chart).__name__
        (['chart-milestones', 'chart-measures'], 'LayerChart')
        """
        return self._changed(self._own_figures())

    def _changed(self, found: dict[str, charts.Figure]) -> dict[str, charts.Figure]:
        """perfkit's figures with those the analyst changed (:meth:`use_figure`) in their place."""
        return {ident: self._figures.get(ident, fig) for ident, fig in found.items()}

    def _dashboard_figures(self) -> dict[str, charts.Figure]:
        """The dashboard's charts: this quarter's milestones and measures."""
        rollup = self.summary.rollup
        found = {}
        if rollup.overall.milestones.total:  # a scheme may have none
            found["chart-milestones"] = charts.milestones_by_rag(rollup)
        if rollup.overall.measures.total:
            found["chart-measures"] = charts.measures_by_status(rollup)
        return found

    def _own_figures(self) -> dict[str, charts.Figure]:
        """perfkit's own charts, as it builds them."""
        rollup = self.summary.rollup
        has_milestones = bool(rollup.overall.milestones.total)
        found = self._dashboard_figures()
        history = [*self.summary.history, rollup]
        if len(history) >= 2 and has_milestones:
            found["chart-rag-trend"] = charts.rag_by_quarter(history)
        if self._across_years:
            found.update(self._history_figures())
        elif len(history) >= 2:
            # Earlier quarters of this year only: the measures are charted as across years,
            # priority by priority in page-sized charts, so a long plan still prints whole.
            found.update(self._measure_history_figures())
        return found

    @property
    def _across_years(self) -> bool:
        """Whether the data holds a quarter of an earlier year to trend against."""
        return any(q.year != self.params.year for q, _ in self.summary.timeline)

    def _history_figures(self) -> dict[str, charts.Figure]:
        """The headline figures and each measure over every quarter held, across years."""
        from perfkit import history

        found = {}
        points = history.headline_points([r for _, r in self.summary.timeline])
        if len(points):
            found["chart-headline-history"] = history.headline_history(
                points, f"Headline figures in each quarter, {self._span()}")
        return found | self._measure_history_figures()

    def _span(self) -> str:
        """The quarters the timeline holds, first to last ("Q1 2021/22 to Q2 2023/24")."""
        from perfkit import history

        first, last = self.summary.timeline[0][0], self.summary.timeline[-1][0]
        return (f"{history.period(first.year, first.quarter)} to "
                f"{history.period(last.year, last.quarter)}")

    def _measure_history_figures(self) -> dict[str, charts.Figure]:
        """Each measure against its target over every quarter held, one or more page-sized
        charts per priority."""
        from perfkit import history

        timeline, span = self.summary.timeline, self._span()
        found = {}
        values = history.measure_points([q for q, _ in timeline])
        # Past the limit the charts would take minutes to draw: trends() lists the values.
        if len(values) and values["measure"].nunique() <= MAX_TREND_PANELS:
            noun = self.scheme.nouns.measure[1]
            # Each priority under its latest name, this quarter's in the report's order.
            names = {g.priority_id: g.name for _, r in timeline for g in r.priorities}
            order = [g.priority_id for g in timeline[-1][1].priorities]
            order += [pid for pid in names if pid not in order]
            # One chart per priority, or more for a long one, so each fits a page.
            for n, fig in enumerate(history.measure_histories(
                    values, f"{noun} against their target in each quarter, {span}",
                    [(pid, names[pid]) for pid in order]), start=1):
                found[f"chart-measure-history-{n}"] = fig
        return found

    # -- helpers --------------------------------------------------------------------------

    def _fields_script(self) -> str:
        """Inside IPython, the script that fills the notebook's Markdown ``{{ field }}``s in
        JupyterLab (:func:`perfkit.inline.fields_script`); elsewhere nothing."""
        if not _in_ipython():
            return ""
        from perfkit.covering import fields
        from perfkit.inline import fields_script

        return fields_script(fields(self.summary, self.params.organisation))

    def _numbered(self, fragment: Fragment, ident: str | None = None) -> Fragment:
        """The fragment told how many sections come before it, so that inline, where each
        output counts on its own, its number is the one ``report.html`` prints."""
        import dataclasses
        import re

        ident = ident or re.match(r'<section id="([^"]+)"', fragment.html)[1]
        order = [i for i, _ in self._contents()]
        return dataclasses.replace(fragment, before=order.index(ident))

    def _contents(self) -> list[tuple[str, str]]:
        items = [("summary", "Summary"), ("dashboard", "Performance dashboard")]
        items += [(f"priority-{i}", g.name)
                  for i, g in enumerate(self.summary.rollup.priorities, start=1)]
        items += [("exceptions", "Exceptions"), ("data-quality", "Data quality"),
                  ("trends", "Trends"), ("about-h", "About this report")]
        return items

    @property
    def scheme(self) -> Scheme:
        return self.summary.rollup.scheme or load_scheme()

    def _headline_table(self) -> str:
        """Every headline, overall and for each priority, as the scheme prints it."""
        rollup = self.summary.rollup
        groups = [rollup.overall, *rollup.priorities]
        labels = charts.group_labels(groups)
        heads = [h for h in rollup.overall.headlines]
        if not heads:
            return ""
        if not self.summary.received:  # "n/a (0 of 0)" would read as a result
            text = f"No updates were received for quarter {rollup.quarter} of {rollup.year}."
            return f'<p class="headlines">{esc(text)}</p>'
        rows = [[esc(label), *(esc(f"{g.headline(h.name).text} ({g.headline(h.name).count:,} "
                                   f"of {g.headline(h.name).base:,})") for h in heads)]
                for g, label in zip(groups, labels)]
        return table(f"Headline figures, quarter {rollup.quarter} {rollup.year}",
                     ["Group", *(h.label for h in heads)], rows, css="headlines")

    def _objectives(self, priority_id: str, milestones: pd.DataFrame) -> str:
        """A priority's objectives: its own, when the data has them, else its milestones'."""
        plan = self.dataset.priorities
        own = []
        for column in ("objectives", "objective"):
            if column in plan:
                mine = plan[(plan["priority_id"] == priority_id) & (plan["year"] ==
                                                                    self.params.year)]
                own += [t for t in mine[column] if isinstance(t, str) and t.strip()]
        if not own and "objective" in milestones:
            own = [t for t in dict.fromkeys(milestones["objective"].fillna(""))
                   if isinstance(t, str) and t.strip()]
        if not own:
            return ""
        return ('<div class="objectives"><h3>Objectives</h3><ul>'
                + "".join(f"<li>{esc(t)}</li>" for t in own) + "</ul></div>")

    def _milestone_table(self, rows: pd.DataFrame, caption: str,
                         exceptions: bool = False) -> str:
        periods = self._travel_periods()
        moved = self._moved(Part.MILESTONES)
        # What the councils' own reports print beside each milestone, when the data has it.
        extra = [c for c in ("objective", "lead") if c in rows
                 and rows[c].fillna("").astype(str).str.strip().ne("").any()]
        if exceptions:
            rows = self._persistent_first(Part.MILESTONES, rows, "milestone_id")
        runs = exceptions and self._runs_known
        forecast = rows["forecast_state"].notna().any() if "forecast_state" in rows else False
        action = exceptions and "action" in rows
        # The anchor the exceptions link to, at the end of the title (the cell begins with
        # the ID, as every reader and test of the page expects).
        body = [[f'{esc(r.milestone_id)} – {esc(r.title)}<span id="{row_id(r.milestone_id)}">'
                 "</span>",
                 *(esc(getattr(r, c) or "") for c in extra),
                 state_badge(self.scheme, Part.MILESTONES, r.rag),
                 *([state_badge(self.scheme, Part.MILESTONES, r.forecast_state)
                    if isinstance(r.forecast_state, str) else "—"] if forecast else []),
                 *([self._run_text(Part.MILESTONES, r.milestone_id)] if runs else []),
                 *(travel_text(moved.get((p, r.milestone_id))) for p, _ in periods),
                 f'<div class="progress">{clean(r.progress)}</div>',
                 *([_action(r.action)] if action else [])]
                for r in rows.itertuples()]
        headers = [self.scheme.nouns.milestone[0].capitalize(), *(c.capitalize() for c in extra),
                   "Status", *(["Year-end forecast"] if forecast else []),
                   *(["Quarters in a row"] if runs else []),
                   *(h for _, h in periods), "Progress",
                   *(["Corrective action"] if action else [])]
        # In print a row is kept whole, title, badge and progress, unless its note is long
        # enough to leave most of a page blank if moved: then it may continue overleaf.
        long = ["long" if len(re.sub(r"<[^>]*>", "", clean(r.progress))) > LONG_NOTE else ""
                for r in rows.itertuples()]
        return table(caption, *self._chosen("milestones", headers, body), css="milestones",
                     row_css=long)

    def _exception_table(self, rows: pd.DataFrame, caption: str) -> str:
        """Exceptions in brief: the status, the note's opening (the reason, and the action
        where the officer gives one first) and a link to the whole note, printed above;
        persistent ones first, with the officer's corrective action where the data has it."""
        extra = [c for c in ("lead",) if c in rows
                 and rows[c].fillna("").astype(str).str.strip().ne("").any()]
        rows = self._persistent_first(Part.MILESTONES, rows, "milestone_id")
        runs = self._runs_known
        action = "action" in rows
        body = [[f"{esc(r.milestone_id)} – {esc(r.title)}",
                 *(esc(getattr(r, c) or "") for c in extra),
                 state_badge(self.scheme, Part.MILESTONES, r.rag),
                 *([self._run_text(Part.MILESTONES, r.milestone_id)] if runs else []),
                 f"{esc(opening(r.progress))} "
                 f'<a href="#{row_id(r.milestone_id)}">Full progress note for '
                 f"{esc(r.milestone_id)}</a>",
                 *([_action(r.action)] if action else [])]
                for r in rows.itertuples()]
        headers = [self.scheme.nouns.milestone[0].capitalize(), *(c.capitalize() for c in extra),
                   "Status", *(["Quarters in a row"] if runs else []), "Reason",
                   *(["Corrective action"] if action else [])]
        return table(caption, headers, body, css="milestones exceptions")

    def _headers(self, kind: str, rows: pd.DataFrame) -> list[str]:
        """The headings of the ``kind`` table as it prints ``rows``."""
        import re

        html = (self._milestone_table if kind == "milestones" else self._measure_table)(rows, "")
        return re.findall(r'<th scope="col">([^<]*)</th>', html)

    def _chosen(self, kind: str, headers: list[str], body: list) -> tuple[list, list]:
        """The columns the analyst chose for ``kind`` tables (:meth:`use_columns`), in order."""
        import html

        wanted = self._columns.get(kind)
        if not wanted:
            return headers, body
        plain = [html.unescape(h) for h in headers]
        picks = [plain.index(c) for c in wanted if c in plain]
        return [headers[i] for i in picks], [[row[i] for i in picks] for row in body]

    def _measure_table(self, rows: pd.DataFrame, caption: str, exceptions: bool = False) -> str:
        periods = self._travel_periods()
        moved = self._moved(Part.MEASURES)
        movement = self.summary.movement
        outturn = ({} if movement is None else
                   dict(zip(movement.measures["measure_id"],
                            movement.measures["last_year_outturn"])))
        with_outturn = any(outturn.get(i) for i in rows["measure_id"])
        if exceptions:
            rows = self._persistent_first(Part.MEASURES, rows, "measure_id")
        runs = exceptions and self._runs_known
        forecast = (rows["forecast_text"] != "").any() if "forecast_text" in rows else False
        action = exceptions and "action" in rows
        body = [[esc(r.name), esc(grouped(r.bar_text)),
                 *([esc(grouped(outturn.get(r.measure_id) or "—"))] if with_outturn else []),
                 self._value_cell(r),
                 f'{state_badge(self.scheme, Part.MEASURES, r.state)}'
                 f'<span class="reason">{esc(r.reason)}</span>',
                 *([self._forecast_cell(r)] if forecast else []),
                 *([self._run_text(Part.MEASURES, r.measure_id)] if runs else []),
                 *(travel_text(moved.get((p, r.measure_id))) for p, _ in periods),
                 clean(r.comment), *([_action(r.action)] if action else [])]
                for r in rows.itertuples()]
        headers = [self.scheme.nouns.measure[0].capitalize(), "Target",
                   *(["Last year's outturn"] if with_outturn else []),
                   self._value_head(), "Status",
                   *(["Year-end forecast"] if forecast else []),
                   *(["Quarters in a row"] if runs else []),
                   *(h for _, h in periods), "Comment",
                   *(["Corrective action"] if action else [])]
        headers, body = self._chosen("measures", headers, body)
        # With the columns over time, print lays the table out by its content (report.css).
        return table(caption, headers, body, css="measures" + (" wide" if len(headers) > 6 else ""))

    def _value_head(self) -> str:
        """Quarter 4's figure is the year's outturn, as councils call it."""
        return "Outturn" if self.params.quarter == 4 else f"Q{self.params.quarter} value"

    def _value_cell(self, r) -> str:
        """The value checked; a summed measure's year to date also gives the quarter's own."""
        own = getattr(r, "quarter_value", r.value)
        if own and own != r.value:
            return (f'{esc(grouped(r.value))}<span class="reason">Year to date; '
                    f"{esc(grouped(own))} in quarter {self.params.quarter}</span>")
        return esc(grouped(r.value or "—"))

    def _forecast_cell(self, r) -> str:
        """The year-end forecast beside the current status: the figure, its check, and
        whether it is the officer's or a pro-rata projection."""
        if not r.forecast_text:
            return "—"
        who = "Pro-rata projection" if r.projected else "Officer's forecast"
        badge = (state_badge(self.scheme, Part.MEASURES, r.forecast_state)
                 if isinstance(r.forecast_state, str) else "")
        return (f"{esc(r.forecast_text)} {badge}<span class=\"reason\">{esc(who)}. "
                f"{esc(r.forecast_reason)}</span>")

    def _travel_periods(self) -> list[tuple[str, str]]:
        """The comparisons the data holds an earlier quarter for, with their column heads."""
        movement = self.summary.movement
        if movement is None or not self.summary.received:
            return []
        return [(period, head) for period, head in TRAVEL_HEADS if movement.compared.get(period)]

    def _moved(self, part: Part) -> dict[tuple[str, str], object]:
        """Each row's direction of travel by (period, ID)."""
        movement = self.summary.movement
        if movement is None:
            return {}
        rows = movement.milestones if part is Part.MILESTONES else movement.measures
        ids = rows.iloc[:, 0]
        return {(period, ident): travel for period, _ in TRAVEL_HEADS
                for ident, travel in zip(ids, rows[period])}

    def _persistent_first(self, part: Part, rows: pd.DataFrame, column: str) -> pd.DataFrame:
        """The longest-running exceptions first; the plan's order otherwise."""
        runs = rows[column].map(lambda i: self._run(part, i))
        return rows.assign(_run=runs.to_numpy()).sort_values(
            "_run", ascending=False, kind="stable").drop(columns="_run")

    @property
    def _runs_known(self) -> bool:
        """Whether the data holds the quarter before this one, so a run can be counted."""
        movement = self.summary.movement
        return bool(movement and movement.compared.get("vs_previous_quarter")
                    and self.summary.received)

    def _run(self, part: Part, ident: str) -> int:
        movement = self.summary.movement
        return movement.run(part, ident) if movement is not None else 0

    def _run_text(self, part: Part, ident: str) -> str:
        run = self._run(part, ident)
        if run >= 2:
            return f'<strong class="persistent">{run} quarters</strong>'
        return "New this quarter"

    def _travel_table(self) -> str:
        """How many milestones and measures improved or declined, against each comparison."""
        periods = self._travel_periods()
        movement = self.summary.movement
        if not periods or movement is None:
            return ""
        nouns = self.scheme.nouns
        parts = [(Part.MILESTONES, nouns.milestone[1]), (Part.MEASURES, nouns.measure[1])]
        parts = [(part, noun) for part, noun in parts
                 if len(movement.milestones if part is Part.MILESTONES else movement.measures)]
        rows = []
        for part, noun in parts:
            for period, head in periods:
                counts = movement.counts(part, period).to_dict()
                rows.append([esc(f"{noun.capitalize()}: {head.lower()}"),
                             *(esc(f"{n:,}") for n in counts.values())])
        return table("Direction of travel", ["Compared", "Improved", "Declined", "No change",
                                             "Not comparable"], rows, css="headlines")

    def _measure_history(self) -> pd.DataFrame:
        """Numeric values and bars of quarterly measures in each quarter held this year."""
        frames = []
        for q in [*self.summary.earlier, self.summary.quarter]:
            m = q.measures[q.measures["status"].isin([Status.MET, Status.NEAR, Status.MISSED])]
            for r in m.itertuples():
                target = parse_target(r.bar_text)
                number = parse_value(r.value, target.duration_unit).number
                if number is not None and r.bar == r.bar and r.bar is not None:
                    frames.append({"measure": r.name, "quarter": q.quarter,
                                   "value": number, "bar": r.bar,
                                   "unit": target.unit.value})
        values = pd.DataFrame(frames, columns=["measure", "quarter", "value", "bar", "unit"])
        held = values.groupby("measure")["quarter"].transform("count")
        return values[held >= 2].reset_index(drop=True)


#: Characters of progress note above which a milestone's row may break across pages in
#: print: about half an A4 page in the progress column.
LONG_NOTE = 1800


def row_id(milestone_id: object) -> str:
    """The page anchor of a milestone's row in its priority's table.

    >>> row_id("TB 1/a")
    'milestone-TB-1-a'
    """
    return "milestone-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(milestone_id))


def opening(note: object, limit: int = 240) -> str:
    """A progress note's first sentence as plain text, for the exceptions' summary.

    >>> opening("<p>Delayed by the contractor. The new date is May.</p><ul><li>x</li></ul>")
    'Delayed by the contractor.'
    >>> opening("Our priorities:<ul><li>homes</li><li>roads</li></ul>")
    'Our priorities: homes; roads'
    """
    # list items read as a list in one line: "priorities: homes; roads; parks"
    items = re.sub(r"\s*</li>\s*(?=<li\b)", "; ", clean(note))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", items)).strip()
    text = html.unescape(text)
    first = re.match(r"(.+?[.!?])(\s|$)", text)
    text = first[1] if first else text
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def shown_path(data: str) -> str:
    """The data source as the public page names it: as the params file gives it when
    relative, else only its own name (a server's folders are not the public's business).

    >>> shown_path("data/chesterfield"), shown_path("/srv/perf/data/chesterfield")
    ('data/chesterfield', 'chesterfield')
    """
    path = Path(data)
    return path.name if path.is_absolute() else data


def group_findings(issues: pd.DataFrame, least: int = 3):
    """Split findings into single rows and groups of ``least`` or more that say the same
    thing (same finding and detail): 26 rows of "not due this quarter" read as one."""
    if not len(issues):
        return issues, []
    key = issues["issue"].astype(str) + "\x00" + issues["detail"].astype(str)
    sizes = key.map(key.value_counts())
    grouped = [((rows["issue"].iloc[0], rows["detail"].iloc[0]), rows)
               for _, rows in issues[sizes >= least].groupby(key[sizes >= least], sort=False)]
    return issues[sizes < least], grouped


def _alike(issues: pd.DataFrame, rows: pd.DataFrame) -> int:
    """How many findings share the group's finding and kind of row (milestone or measure),
    whatever their detail: the count the Data quality list gives for that finding."""
    same = issues["issue"] == rows["issue"].iloc[0]
    if "table" in issues:
        same &= issues["table"].isin(set(rows["table"]))
    return int(same.sum())


def _grouped_finding(scheme: Scheme, issue: Issue, detail: str, rows: pd.DataFrame,
                     alike: int) -> str:
    """One paragraph for a group of findings that say the same thing. Where others of the
    same finding say something else (listed in the table or another group), the lead says
    "5 of 8", so the reader does not take the group for all of them."""
    kinds = set(rows.get("table", pd.Series(dtype=str)))
    noun = ("items" if len(kinds) > 1 or not kinds else
            scheme.nouns.milestone[1] if "milestone" in kinds else scheme.nouns.measure[1])
    names = "; ".join(f'<span class="finding-id">{esc(r.id)}</span> {esc(r.name)}'
                      for r in rows.itertuples())
    count = f"{len(rows)} of {alike}" if alike > len(rows) else f"{len(rows)}"
    return (f'<p class="finding-group"><strong>{count} {esc(noun)}: '
            f"{esc(issue.label.lower())}.</strong> {esc(detail)} {names}.</p>")


def _action(text: object) -> str:
    """An exception's corrective action, or a plain "None given" (also in Data quality)."""
    if isinstance(text, str) and text.strip():
        return clean(text)
    return '<span class="muted">None given</span>'


def _in_ipython() -> bool:
    import sys

    shell = sys.modules.get("IPython")
    return bool(shell and shell.get_ipython())


def _base(history: Sequence[str], data: str) -> Path:
    """Where relative paths start: the working folder, else the notebook's own folder.

    JupyterLab and ``perfkit report`` run the kernel in the notebook's folder; papermill
    run from elsewhere says where the notebook is only with ``--inject-paths``.
    """
    cwd = Path.cwd()
    notebook = injected_parameters(history).get("PAPERMILL_INPUT_PATH")
    if isinstance(notebook, str) and not resolve_data(data, cwd).exists():
        return (cwd / notebook).resolve().parent
    return cwd


def open_report(data: str, year: str, quarter: int, organisation: str = "",
                title: str | None = None, covering: str | None = None,
                plan_span: str | None = None, scheme: str = "chesterfield",
                allow_empty: bool = False, history: Sequence[str] | None = None,
                base: str | Path | None = None, layout: str | None = None) -> Report:
    """Validate the parameters, load the data and compute the quarter, ready for sections.

    ``history`` is the kernel's input history, ``In``: a parameter papermill injected that
    the report does not know is an error naming it (papermill alone would only warn). The
    analyst's own names are never taken for parameters, so Run All can be repeated.

    >>> r = open_report("data/chesterfield", "2022/23", 2)
    >>> r.summary.rollup.overall.milestones.total
    36
    """
    if _in_ipython():
        from perfkit.cells import show_frames_as_tables
        from perfkit.inline import show_errors_briefly

        show_errors_briefly()  # before anything can fail: this cell's error is brief too
        use_offline_charts()
        show_frames_as_tables()
    check_injected(history or [])
    values = dict(data=str(data), year=year, quarter=quarter, organisation=organisation or "",
                  title=title, covering=covering, plan_span=plan_span,
                  scheme=scheme or "chesterfield", allow_empty=allow_empty, layout=layout)
    injected = injected_parameters(history or [])
    if injected:
        # A papermill run: an optional key its params file leaves out means what it means to
        # `perfkit report` (the documented default), not the sample's value that the
        # notebook's cell holds for analysts, which would put Chesterfield's title and
        # covering report on another council's or quarter's report.
        values = {k: v for k, v in values.items() if k in injected or k in REQUIRED_KEYS}
    params = check_params(values)
    folder = Path(base) if base else _base(history or [], params.data)
    path = resolve_data(params.data, folder)
    if not path.exists():
        raise ParamsError(
            f"data {params.data!r} is not in {folder} or any folder above it. Run from "
            "another folder, papermill finds it beside the notebook with its --inject-paths "
            "option (or --cwd NOTEBOOK_FOLDER); an absolute path works from anywhere.")
    chosen = load_scheme(params.scheme, folder)
    # In-process (perfkit's engine) these are the objects `perfkit report` already validated.
    layout_file = resolve_data(params.layout, folder) if params.layout else None
    dataset, summary = cache.summarise(path, params.year, params.quarter, chosen,
                                       allow_empty=params.allow_empty, layout=layout_file)
    warnings = []
    if params.covering:
        from perfkit.covering import read_source, hand_typed

        source_path = resolve_data(params.covering, folder)
        warnings = hand_typed(read_source(source_path), params.year, params.plan_span,
                              source_path.name)
    return Report(params, path, dataset, summary, warnings)
