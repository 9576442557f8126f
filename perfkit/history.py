"""Chart builders for the story over time: every quarter the data holds, across years.

Like :mod:`perfkit.charts`, each builder returns a :class:`~perfkit.charts.Figure` (the
Altair chart, its title, a description that states every figure, and its data) and never
renders. Lines are told apart by dash and point shape as well as colour, and every point is
labelled with its figure, so nothing is told by colour alone.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from perfkit.charts import FONT, Figure
from perfkit.targets import Unit, show

#: Ink, dash and point shape of each line, in turn; blue and black both pass 4.5:1 on white.
LINES = (("#1d70b8", [1, 0], "circle"), ("#0b0c0c", [6, 3], "square"),
         ("#00703c", [2, 2], "triangle-up"), ("#4c2c92", [8, 2, 2, 2], "diamond"))


def period(year: str, quarter: int) -> str:
    """The label of one quarter on a time axis.

    >>> period("2022/23", 2)
    'Q2 2022/23'
    """
    return f"Q{quarter} {year}"


def headline_history(points: pd.DataFrame, title: str) -> Figure:
    """Each headline figure's percentage in every quarter held, oldest first.

    ``points`` has columns period (from :func:`period`), order (sortable), headline (its
    label), pct (a number, or None where it had no base), text (as the report prints it),
    count and base.

    >>> pts = pd.DataFrame({"period": ["Q1 2022/23", "Q2 2022/23"], "order": [1, 2],
    ...                     "headline": ["Met target"] * 2, "pct": [75.0, 80.0],
    ...                     "text": ["75%", "80%"], "count": [15, 16], "base": [20, 20]})
    >>> fig = headline_history(pts, "Headline figures by quarter")
    >>> fig.description
    'Headline figures by quarter. Met target: Q1 2022/23 75% (15 of 20); Q2 2022/23 80% (16 of 20).'
    """
    points = points.sort_values("order", kind="stable")
    periods = list(dict.fromkeys(points["period"]))
    names = list(dict.fromkeys(points["headline"]))
    lines = [LINES[i % len(LINES)] for i in range(len(names))]
    description = title + ". " + " ".join(
        f"{name}: " + "; ".join(
            f"{r.period} {r.text} ({r.count:,} of {r.base:,})" if r.base else
            f"{r.period} none to count" for r in rows.itertuples()) + "."
        for name, rows in points.groupby("headline", sort=False))
    drawn = points[points["pct"].notna()]
    base = alt.Chart(drawn).encode(
        x=alt.X("period:O", sort=periods, title="Quarter", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("pct:Q", title="Per cent", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("headline:N", scale=alt.Scale(domain=names, range=[c for c, _, _ in lines]),
                        legend=alt.Legend(title=None, orient="bottom")),
        strokeDash=alt.StrokeDash("headline:N", scale=alt.Scale(
            domain=names, range=[d for _, d, _ in lines]), legend=None),
    )
    line = base.mark_line(strokeWidth=2)
    dots = base.mark_point(filled=True, size=70).encode(
        shape=alt.Shape("headline:N", scale=alt.Scale(domain=names,
                                                      range=[s for _, _, s in lines]),
                        legend=None),
        tooltip=[alt.Tooltip("headline:N", title="Figure"), alt.Tooltip("period:O"),
                 alt.Tooltip("text:N", title="Value")])
    labels = base.mark_text(dy=-11, fontSize=11, font=FONT, fontWeight="bold").encode(
        text="text:N")
    chart = (line + dots + labels).properties(
        title=title, description=description, width=max(240, 80 * len(periods)), height=200,
    ).configure(font=FONT).configure_axis(labelColor="#0b0c0c", titleColor="#0b0c0c",
                                          labelFontSize=11).configure_legend(
        labelColor="#0b0c0c", labelFontSize=12).configure_title(color="#0b0c0c", fontSize=15,
                                                                anchor="start")
    table = pd.DataFrame({
        "quarter": points["period"], "figure": points["headline"],
        "value": [f"{t} ({c:,} of {b:,})" if b else "None to count"
                  for t, c, b in zip(points["text"], points["count"], points["base"])]})
    return Figure(chart, title, description, points, table)


def measure_history(values: pd.DataFrame, title: str) -> Figure:
    """Each measure's value in every quarter held, across years, against its target line.

    ``values`` has columns measure, period, order, value and bar (numbers in one unit) and
    unit (a :class:`~perfkit.targets.Unit` value); one small panel per measure.
    """
    values = values.sort_values("order", kind="stable")
    periods = list(dict.fromkeys(values["period"]))
    value_text = [show(v, Unit(u)) for v, u in zip(values["value"], values["unit"])]
    bar_text = [show(b, Unit(u)) for b, u in zip(values["bar"], values["unit"])]
    texts = values.assign(_v=value_text, _b=bar_text)
    description = title + ". " + " ".join(
        f"{name}: " + "; ".join(f"{p} {v} against a target of {b}" for p, v, b in
                                zip(rows["period"], rows["_v"], rows["_b"])) + "."
        for name, rows in texts.groupby("measure", sort=False))
    base = alt.Chart().encode(x=alt.X("period:O", title=None, sort=periods,
                                      axis=alt.Axis(labelAngle=-40, labelFontSize=10)))
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=50),
                          color="#1d70b8").encode(
        y=alt.Y("value:Q", title="Value"),
        tooltip=["measure:N", "period:O", "value:Q", "bar:Q"])
    target = base.mark_line(strokeDash=[6, 4], color="#0b0c0c").encode(y="bar:Q")
    chart = alt.layer(line, target, data=values.drop(columns=["unit"])).properties(
        width=max(200, 44 * len(periods)), height=120).facet(
        facet=alt.Facet("measure:N", title=None,
                        header=alt.Header(labelLimit=220, labelFontSize=11)),
        columns=2 if len(periods) > 4 else 3,
    ).resolve_scale(y="independent").properties(title=title, description=description) \
        .configure(font=FONT).configure_title(color="#0b0c0c", fontSize=15, anchor="start")
    table = pd.DataFrame({"measure": values["measure"], "quarter": values["period"],
                          "value": value_text, "target": bar_text})
    return Figure(chart, title, description, values, table)


def headline_points(rollups) -> pd.DataFrame:
    """The points of :func:`headline_history` from rollups (or ``summary.json`` dicts), in
    time order.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.summary import summarise
    >>> s = summarise(load_dataset("data/chesterfield"), "2022/23", 2)
    >>> headline_points([s.rollup])[["period", "headline", "text"]].values.tolist()
    [['Q2 2022/23', 'Progressing well', '86%'], ['Q2 2022/23', 'Met target', '80%']]
    """
    rows = []
    for r in rollups:
        if isinstance(r, dict):
            year, quarter, heads = r["year"], r["quarter"], r.get("headlines", [])
        else:
            year, quarter = r.year, r.quarter
            heads = [h.to_dict() for h in r.overall.headlines]
        for h in heads:
            rows.append({"period": period(year, quarter), "order": _order(year, quarter),
                         "headline": h["label"], "pct": h["pct"] if h["base"] else None,
                         "text": h["text"], "count": h["count"], "base": h["base"]})
    return pd.DataFrame(rows, columns=["period", "order", "headline", "pct", "text", "count",
                                       "base"])


def _order(year: str, quarter: int) -> int:
    return int(year[:4]) * 4 + quarter


def measure_points(quarters) -> pd.DataFrame:
    """The points of :func:`measure_history` from assessed quarters: each checked measure's
    value and bar, kept for measures with two points or more."""
    from perfkit.model import Status
    from perfkit.targets import parse_target, parse_value

    rows = []
    for q in quarters:
        m = q.measures[q.measures["status"].isin([Status.MET, Status.NEAR, Status.MISSED])]
        for r in m.itertuples():
            target = parse_target(r.bar_text)
            number = parse_value(r.value, target.duration_unit).number
            if number is not None and r.bar == r.bar and r.bar is not None:
                rows.append({"measure": r.name, "period": period(q.year, q.quarter),
                             "order": _order(q.year, q.quarter), "value": number,
                             "bar": r.bar, "unit": target.unit.value})
    values = pd.DataFrame(rows, columns=["measure", "period", "order", "value", "bar", "unit"])
    held = values.groupby("measure")["period"].transform("count")
    return values[held >= 2].reset_index(drop=True)
