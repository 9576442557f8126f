"""Altair chart builders. Each returns a chart and the table of figures it draws; none renders.

Colours are GOV.UK's accessible palette, and every bar also carries its count as text, so
no figure is told by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from perfkit.model import Rag, Status
from perfkit.rollup import Group, Rollup
from perfkit.scheme import Part, Scheme, Source, load_scheme

RAG_COLOURS = {Rag.GREEN: "#00703c", Rag.AMBER: "#f47738", Rag.RED: "#d4351c",
               Rag.COMPLETE: "#1d70b8"}
STATUS_COLOURS = {Status.MET: "#00703c", Status.NEAR: "#f47738", Status.MISSED: "#d4351c",
                  Status.MISSING: "#505a5f"}
# Dark text on the orange fill, white on the others: each pair passes 4.5:1.
TEXT_ON = {"#f47738": "#0b0c0c"}
FONT = "Arial, Helvetica, sans-serif"
#: The look of every chart on the page, applied when it is drawn (:func:`spec`), not built
#: into the chart: a chart with a ``config`` cannot be concatenated or layered with another,
#: and an analyst's ``figure.chart | other.chart`` must work.
CONFIG = {"font": FONT,
          "axis": {"labelColor": "#0b0c0c", "titleColor": "#0b0c0c", "labelFontSize": 12},
          "legend": {"labelColor": "#0b0c0c", "labelFontSize": 12},
          "title": {"color": "#0b0c0c", "fontSize": 15, "anchor": "start"}}


def spec(chart: alt.TopLevelMixin | dict, validate: bool = True) -> dict:
    """The chart's Vega-Lite spec with perfkit's look under whatever config it sets itself.

    >>> spec(alt.Chart().mark_bar().configure_title(fontSize=20))["config"]["title"]
    {'color': '#0b0c0c', 'fontSize': 20, 'anchor': 'start'}
    """
    out = dict(chart) if isinstance(chart, dict) else chart.to_dict(validate=validate)
    own = out.get("config", {})
    merged = {key: ({**value, **own.get(key, {})} if isinstance(value, dict) else
                    own.get(key, value)) for key, value in CONFIG.items()}
    out["config"] = {**own, **merged}
    return out


@dataclass(frozen=True)
class Figure:
    """A chart with its title, a text description for assistive technology and its data.

    ``table`` is the data as the report prints it, beneath the chart; by default ``data``.
    """

    chart: alt.TopLevelMixin
    title: str
    description: str
    data: pd.DataFrame
    table: pd.DataFrame | None = None


def _stacked(frame: pd.DataFrame, category: str, order: list[str], colours: list[str],
             title: str, description: str, y: str = "group",
             inks: list[str] | None = None) -> alt.LayerChart:
    inks = inks or [TEXT_ON.get(c, "#ffffff") for c in colours]
    frame = frame.assign(_order=frame[category].map({c: i for i, c in enumerate(order)}),
                         _text=frame["count"].map(lambda n: f"{n:,}" if n else ""),
                         _ink=frame[category].map(dict(zip(order, inks))),
                         # What a screen reader says on each bar, in the report's words.
                         _aria=[f"{g}: {n:,} {c.lower()}" for g, n, c in
                                zip(frame[y], frame["count"], frame[category])])
    groups = list(dict.fromkeys(frame[y]))
    bars = alt.Chart().mark_bar(stroke="#ffffff", strokeWidth=1).encode(
        tooltip=[alt.Tooltip(f"{y}:N", title="Group"), alt.Tooltip(f"{category}:N"),
                 alt.Tooltip("count:Q", title="Number")],
        description="_aria:N",
    )
    # The counts are drawn on the bars for the eye; the bars already say them aloud.
    labels = alt.Chart().mark_text(align="right", dx=-4, fontWeight="bold", font=FONT,
                                   aria=False).encode(
        text="_text:N", color=alt.Color("_ink:N", scale=None),
        x=alt.X("sum(count):Q", stack="zero", bandPosition=1),
    )
    # The shared encodings sit on the layer, not in each mark, so that an analyst's
    # ``figure.chart.encode(color=..., y=alt.Y(..., sort=...))`` recolours and re-sorts the
    # bars (the labels keep their own ink and position).
    return alt.layer(bars, labels, data=frame).encode(
        y=alt.Y(f"{y}:N", sort=groups, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("sum(count):Q", title="Number", stack="zero"),
        order=alt.Order("_order:Q"),
        color=alt.Color(f"{category}:N", scale=alt.Scale(domain=order, range=colours),
                        legend=alt.Legend(title=None, orient="bottom")),
    ).properties(title=title, description=description, width=520, height=alt.Step(34))


def _scheme(rollup: Rollup) -> Scheme:
    return rollup.scheme or load_scheme()


def group_labels(groups: list[Group]) -> list[str]:
    """Each group's name, with its priority ID where two priorities share a name, so that
    no two groups merge into one bar.

    >>> from perfkit.rollup import Group
    >>> group_labels([Group("A", "Housing", None, None), Group("B", "Housing", None, None)])
    ['Housing (A)', 'Housing (B)']
    """
    names = [g.name for g in groups]
    return [f"{g.name} ({g.priority_id})" if names.count(g.name) > 1 and g.priority_id
            else g.name for g in groups]


def _by_group(rollup: Rollup, part: Part, keys: list[str], title: str) -> Figure:
    """One stacked bar per group (the plan, then each priority) of ``part``'s counts."""
    scheme = _scheme(rollup)
    groups = [rollup.overall, *rollup.priorities]
    labels = {key: scheme.label(part, key) for key in keys}
    colours = [scheme.colours(part, key)[0] for key in keys]

    def count(g: Group, key: str) -> int:
        return (g.milestones if part is Part.MILESTONES else g.measures).statuses.get(key, 0)

    rows = [{"group": label, "priority_id": g.priority_id or "", "status": labels[key],
             "count": count(g, key)}
            for g, label in zip(groups, group_labels(groups)) for key in keys]
    description = title + ". " + " ".join(
        f"{label}: " + ", ".join(f"{count(g, key)} {labels[key].lower()}" for key in keys) + "."
        for g, label in zip(groups, group_labels(groups)))
    frame = pd.DataFrame(rows, columns=["group", "priority_id", "status", "count"])
    chart = _stacked(frame, "status", list(labels.values()), colours, title, description,
                     inks=[scheme.colours(part, key)[1] for key in keys])
    shown = frame.drop(columns=["priority_id"]).assign(count=frame["count"].map("{:,}".format))
    return Figure(chart, title, description, frame, shown)


def milestones_by_rag(rollup: Rollup) -> Figure:
    """Milestones by RAG status, overall and for each priority.

    >>> from perfkit.summary import summarise
    >>> from perfkit.load import load_dataset
    >>> fig = milestones_by_rag(summarise(load_dataset("data/chesterfield"), "2022/23", 2).rollup)
    >>> fig.chart.to_dict()["layer"][0]["mark"]["type"], len(fig.data)
    ('bar', 16)
    """
    scheme = _scheme(rollup)
    keys = [s.key for s in scheme.milestone_statuses]
    return _by_group(rollup, Part.MILESTONES, keys,
                     f"{scheme.nouns.milestone[1].capitalize()} by {scheme.nouns.rating}, "
                     f"quarter {rollup.quarter} {rollup.year}")


def measures_by_status(rollup: Rollup) -> Figure:
    """Quarterly measures by the scheme's status (and no update), overall and by priority."""
    scheme = _scheme(rollup)
    keys = [s.key for s in scheme.measure_statuses if Status.NO_TARGET not in s.check
            and Status.NOT_DUE not in s.check]
    keys += [k for k in (Status.MISSING.value,) if k in scheme.keys(Part.MEASURES)]
    noun = scheme.nouns.measure[1].capitalize()
    title = (f"{noun} checked against target, quarter {rollup.quarter} {rollup.year}"
             if scheme.measure_source is Source.CHECK else
             f"{noun} by status, quarter {rollup.quarter} {rollup.year}")
    return _by_group(rollup, Part.MEASURES, keys, title)


def rag_by_quarter(history: list[Rollup]) -> Figure:
    """The whole plan's milestone status mix in each quarter held, oldest first."""
    scheme = _scheme(history[-1])
    defs = scheme.milestone_statuses
    rows = [{"quarter": f"Q{r.quarter} {r.year}", "status": s.label,
             "count": r.overall.milestones.statuses.get(s.key, 0)}
            for r in history for s in defs]
    title = (f"{scheme.nouns.milestone[1].capitalize()} by {scheme.nouns.rating} in each "
             f"quarter of {history[-1].year}")
    description = title + ". " + " ".join(
        f"Q{r.quarter}: " + ", ".join(f"{r.overall.milestones.statuses.get(s.key, 0)} "
                                      f"{s.label.lower()}" for s in defs) + "." for r in history)
    frame = pd.DataFrame(rows, columns=["quarter", "status", "count"])
    chart = _stacked(frame, "status", [s.label for s in defs], [s.colour for s in defs], title,
                     description, y="quarter", inks=[s.text for s in defs])
    return Figure(chart, title, description, frame,
                  frame.assign(count=frame["count"].map("{:,}".format)))


def measure_trends(values: pd.DataFrame, year: str) -> Figure:
    """Each quarterly measure's values against its target line, one small panel each.

    ``values`` has columns measure, quarter (int), value and bar (numbers, same unit), and
    optionally unit (a :class:`~perfkit.targets.Unit` value), used to print the figures as
    the report does: "58%", "£1,200", "3 min 26 s".
    """
    from perfkit.targets import Unit, show

    units = values["unit"] if "unit" in values else pd.Series("number", index=values.index)
    value_text = [show(v, Unit(u)) for v, u in zip(values["value"], units)]
    bar_text = [show(b, Unit(u)) for b, u in zip(values["bar"], units)]
    title = f"Quarterly measures against their target, {year}"
    lines = []
    texts = values.assign(_v=value_text, _b=bar_text)
    for name, rows in texts.groupby("measure", sort=False):
        points = "; ".join(f"Q{q}: {v} against {b}" for q, v, b in
                           zip(rows["quarter"], rows["_v"], rows["_b"]))
        lines.append(f"{name}: {points}.")
    description = title + ". " + " ".join(lines)
    frame = values.assign(label=values["quarter"].map(lambda q: f"Q{q}"))
    base = alt.Chart().encode(x=alt.X("label:O", title="Quarter", sort=["Q1", "Q2", "Q3", "Q4"]))
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=60), color="#1d70b8").encode(
        y=alt.Y("value:Q", title="Value"), tooltip=["measure:N", "label:N", "value:Q", "bar:Q"])
    target = base.mark_line(strokeDash=[6, 4], color="#0b0c0c").encode(y="bar:Q")
    chart = alt.layer(line, target, data=frame).properties(width=200, height=120).facet(
        facet=alt.Facet("measure:N", title=None, header=alt.Header(labelLimit=220,
                                                                   labelFontSize=11)),
        columns=3,
    ).resolve_scale(y="independent").properties(title=title, description=description)
    table = pd.DataFrame({"measure": values["measure"], "quarter": frame["label"],
                          "value": value_text, "target": bar_text})
    return Figure(chart, title, description, frame.drop(columns=["label"]), table)


RISK_FILLS = {"Low": "#cce2d8", "Medium": "#fde2b8", "High": "#f3a99f"}  # dark text on each


def risk_matrix(risks: pd.DataFrame, year: str, quarter: int) -> Figure:
    """Each risk in a 3x3 impact-by-likelihood grid, before and after its mitigation.

    ``risks`` has columns risk_id, risk, impact, likelihood, residual_impact and
    residual_likelihood, the levels as :class:`~perfkit.model.Level`.
    """
    from perfkit.model import Level

    levels = [Level.LOW, Level.MEDIUM, Level.HIGH]
    cells = []
    for stage, impact_col, likelihood_col in (("Before mitigation", "impact", "likelihood"),
                                              ("After mitigation", "residual_impact",
                                               "residual_likelihood")):
        for impact in levels:
            for likelihood in levels:
                here = risks[(risks[impact_col] == impact) & (risks[likelihood_col] == likelihood)]
                score = impact.score * likelihood.score
                cells.append({"stage": stage, "impact": impact.label,
                              "likelihood": likelihood.label,
                              "rating": "High" if score >= 6 else "Medium" if score >= 3 else "Low",
                              "risks": ", ".join(here["risk_id"])})
    frame = pd.DataFrame(cells)
    title = f"Risks by impact and likelihood, quarter {quarter} {year}"
    description = title + ". " + " ".join(
        f"{r.risk_id}, {r.risk}: impact {r.impact.label.lower()} and likelihood "
        f"{r.likelihood.label.lower()} before mitigation; impact "
        f"{r.residual_impact.label.lower()} and likelihood "
        f"{r.residual_likelihood.label.lower()} after." for r in risks.itertuples())
    order = ["Low", "Medium", "High"]

    def grid(stage: str) -> alt.LayerChart:
        base = alt.Chart(frame[frame["stage"] == stage]).encode(
            x=alt.X("likelihood:N", sort=order, title="Likelihood",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("impact:N", sort=list(reversed(order)), title="Impact"))
        rects = base.mark_rect(stroke="#0b0c0c", strokeWidth=1).encode(
            color=alt.Color("rating:N", scale=alt.Scale(domain=order,
                                                        range=list(RISK_FILLS.values())),
                            legend=alt.Legend(title="Rating", orient="bottom")))
        text = base.mark_text(fontSize=13, fontWeight="bold", color="#0b0c0c",
                              font=FONT).encode(text="risks:N")
        return (rects + text).properties(title=stage, width=240, height=180)

    chart = alt.hconcat(grid("Before mitigation"), grid("After mitigation")).properties(
        title=title, description=description).configure(font=FONT).configure_axis(
        labelColor="#0b0c0c", titleColor="#0b0c0c", labelFontSize=12).configure_title(
        color="#0b0c0c", fontSize=15, anchor="start").configure_legend(labelColor="#0b0c0c")
    return Figure(chart, title, description, frame)
