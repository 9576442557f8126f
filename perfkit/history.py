"""Chart builders for the story over time: every quarter the data holds, across years.

Like :mod:`perfkit.charts`, each builder returns a :class:`~perfkit.charts.Figure` (the
Altair chart, its title, a description that states every figure, and its data) and never
renders. Lines are told apart by dash and point shape as well as colour, and every point is
labelled with its figure, so nothing is told by colour alone.
"""

from __future__ import annotations

from typing import Any, Sequence

import altair as alt
import pandas as pd

from perfkit.charts import FONT, Figure
from perfkit.fit import label_lines
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
    drawn = drawn.assign(place=_label_places(drawn))
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
    # Each figure's label above its point, or below it where another headline's point sits
    # just above in the same quarter, so two close figures do not print over each other.
    labels = [base.mark_text(dy=dy, fontSize=11, font=FONT, fontWeight="bold").encode(
        text="text:N").transform_filter(alt.FieldEqualPredicate(field="place", equal=place))
        for place, dy in (("above", -11), ("below", 19))]
    chart = alt.layer(line, dots, *labels).properties(
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


#: Percentage points between two headlines' points in a quarter below which their labels
#: would meet (11 px type on a 200 px tall axis of 0 to 100).
LABEL_GAP = 8


def _label_places(points: pd.DataFrame) -> list[str]:
    """Where each point's label goes: "above", or "below" when the next point up in its
    quarter is within :data:`LABEL_GAP` and labelled above (unless it is that close to 0).

    >>> _label_places(pd.DataFrame({"period": ["Q1", "Q1", "Q2", "Q2"],
    ...                             "pct": [80.0, 81.0, 40.0, 80.0]}))
    ['below', 'above', 'above', 'above']
    """
    places = ["above"] * len(points)
    for _, rows in points.reset_index(drop=True).groupby("period", sort=False):
        ranked = rows.sort_values("pct", ascending=False, kind="stable")
        higher = None  # the last point up: its pct and place
        for i, pct in zip(ranked.index, ranked["pct"]):
            # (not at the axis's foot, where a label below would meet the quarters' names)
            if higher and higher[1] == "above" and higher[0] - pct < LABEL_GAP \
                    and pct >= LABEL_GAP:
                places[i] = "below"
            higher = (pct, places[i])
    return places


#: A chart of measures is cut into charts of at most this many rows of panels, so each one
#: fits a printed A4 page whole (about 960 by 670 CSS px inside report.css's margins) and a
#: phone scrolls through it panel by panel. A plan's measures are charted priority by
#: priority, each priority's in as many charts as it needs.
PANEL_ROWS = 3
PANEL_HEIGHT = 110
#: Room for one quarter on a panel's time axis: its label is drawn upright (10 px type).
QUARTER_STEP = 24
#: The printed page's text width in CSS px (A4 less 16 mm each side), which two panels,
#: their value axes included, must share to stand side by side.
PAGE_WIDTH = 670
PANEL_AXIS = 75  # a panel's value axis: its labels and title, beside the plot
#: Characters on one line of a chart's title, and of a panel's (11 px, above a narrow plot).
TITLE_CHARS = 70
PANEL_TITLE_CHARS = 30


def layout(periods: int) -> tuple[int, int]:
    """A panel's plot width and how many panels stand side by side on a page, for a time
    axis of ``periods`` quarters.

    >>> layout(10), layout(20)
    ((240, 2), (480, 1))
    """
    width = max(160, QUARTER_STEP * periods)
    return width, 2 if 2 * (width + PANEL_AXIS) <= PAGE_WIDTH else 1


def measure_history(values: pd.DataFrame, title: str) -> Figure:
    """Some measures' values in every quarter held, across years, each in its own small panel
    against its target line. Keep to :func:`panels_per_chart` measures (see
    :func:`measure_histories`, which cuts a plan into such charts).

    ``values`` has columns measure, period, order, value and bar (numbers in one unit), unit
    (a :class:`~perfkit.targets.Unit` value) and scale (for a duration, the unit its target
    is written in, such as "minutes"; else empty). Each panel's value axis is in the measure's
    own unit, and a duration in the unit its target names: minutes as m:ss, not seconds.

    >>> pts = pd.DataFrame({"measure": ["Calls answered"] * 2, "period": ["Q1 2022/23",
    ...     "Q2 2022/23"], "order": [1, 2], "value": [196.0, 150.0], "bar": [120.0] * 2,
    ...     "unit": ["duration"] * 2, "scale": ["minutes"] * 2})
    >>> fig = measure_history(pts, "Call times")
    >>> fig.description
    'Call times. Calls answered: Q1 2022/23 3 min 16 s against a target of 2 min; Q2 2022/23 2 min 30 s against a target of 2 min.'
    >>> axis = fig.chart.to_dict()["concat"][0]["layer"][0]["encoding"]["y"]["axis"]
    >>> axis["title"]
    'Minutes (m:ss)'
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
    width, columns = layout(len(periods))
    scales = values["scale"] if "scale" in values else pd.Series("", index=values.index)
    divisor = [_DIVISOR.get(s, 1) if u == Unit.DURATION.value else 1
               for u, s in zip(values["unit"], scales.fillna(""))]
    drawn = values.assign(shown=values["value"] / divisor, shown_bar=values["bar"] / divisor,
                          value_text=value_text, bar_text=bar_text)
    panels = []
    # Every panel's title takes as many lines as the longest, so the plots of a row line up.
    lines = max(len(label_lines(str(n), PANEL_TITLE_CHARS)) for n in drawn["measure"])
    for name, rows in drawn.groupby("measure", sort=False):
        unit, scale = Unit(rows["unit"].iloc[-1]), (scales.loc[rows.index[-1]] or "")
        base = alt.Chart().encode(x=alt.X(
            "period:O", title=None, sort=periods, scale=alt.Scale(domain=periods),
            axis=alt.Axis(labelAngle=-90, labelFontSize=10, labelColor="#0b0c0c")))
        line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=50),
                              color="#1d70b8").encode(
            y=alt.Y("shown:Q", axis=_value_axis(unit, scale)),
            tooltip=[alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("period:O", title="Quarter"),
                     alt.Tooltip("value_text:N", title="Value"),
                     alt.Tooltip("bar_text:N", title="Target")])
        target = base.mark_line(strokeDash=[6, 4], color="#0b0c0c").encode(y="shown_bar:Q")
        # Properties, transform and config given at construction, not by chained calls:
        # each chained call deep-copies the whole chart (Altair), which made these charts
        # the costliest part of a long plan's report.
        panel = alt.LayerChart(
            transform=[alt.FilterTransform(alt.FieldEqualPredicate(field="measure",
                                                                   equal=name))],
            width=width, height=PANEL_HEIGHT,
            title=alt.TitleParams(_lines(str(name), lines), fontSize=11, anchor="start",
                                  color="#0b0c0c"))
        panel.layer = [line, target]  # as _concat does: no copies of layers with no data
        panels.append(panel)
    chart = _concat(
        panels, columns=columns, data=drawn.drop(columns=["unit"]),
        title=alt.TitleParams(label_lines(title, TITLE_CHARS),
                              subtitle=label_lines(KEY, TITLE_CHARS)),
        description=description,
        config=alt.Config(font=FONT,
                          axis=alt.AxisConfig(titleColor="#0b0c0c", labelColor="#0b0c0c"),
                          title=alt.TitleConfig(color="#0b0c0c", fontSize=15, anchor="start",
                                                subtitleColor="#0b0c0c", subtitleFontSize=12)))
    return Figure(chart, title, description, values, measure_history_table(values))


def _concat(panels: list[alt.LayerChart], **properties: Any) -> alt.ConcatChart:
    """``alt.concat(*panels, **properties)`` for panels with no data and no parameters of
    their own, without the deep copy of every panel (and of each panel's layers) that
    Altair makes to merge those: a third of the time these charts took to build.

    >>> a = alt.LayerChart(layer=[alt.Chart().mark_line()])
    >>> _concat([a, a], columns=2).to_dict() == alt.concat(a, a, columns=2).to_dict()
    True
    """
    chart = alt.ConcatChart(**properties)
    chart.concat = panels
    return chart


def measure_history_table(values: pd.DataFrame) -> pd.DataFrame:
    """The figures of :func:`measure_history` as the report prints them: for each measure a
    row of its values and a row of its targets, a column for each quarter (a table as long
    as the measures, not as the points, so it prints on a page beside its chart).

    >>> pts = pd.DataFrame({"measure": ["Calls"] * 2, "period": ["Q1 2022/23", "Q2 2022/23"],
    ...     "order": [1, 2], "value": [196.0, 150.0], "bar": [120.0] * 2,
    ...     "unit": ["duration"] * 2})
    >>> measure_history_table(pts).values.tolist()
    [['Calls', 'Value', '3 min 16 s', '2 min 30 s'], ['Calls', 'Target', '2 min', '2 min']]
    """
    values = values.sort_values("order", kind="stable")
    periods = list(dict.fromkeys(values["period"]))
    rows = []
    for name, points in values.groupby("measure", sort=False):
        for label, column in (("Value", "value"), ("Target", "bar")):
            shown = {p: show(v, Unit(u)) for p, v, u in
                     zip(points["period"], points[column], points["unit"])}
            rows.append({"Measure": name, "Figure": label,
                         **{p: shown.get(p, "—") for p in periods}})
    return pd.DataFrame(rows, columns=["Measure", "Figure", *periods])


def _lines(name: str, lines: int) -> list[str]:
    """A panel's title in lines, blank lines first to make up ``lines``."""
    text = label_lines(name, PANEL_TITLE_CHARS)
    return [" "] * (lines - len(text)) + text


#: What each line of a panel is, beneath the chart's title (the lines differ in dash, ink and
#: points, so this holds without colour).
KEY = "Solid blue line with dots: the measure's value. Dashed black line: its target."

#: A duration's value axis in the unit its target names: seconds divided by this.
_DIVISOR = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def _value_axis(unit: Unit, scale: str) -> alt.Axis:
    """The value axis as the report writes the unit: 58%, £1,200, 3:16 (m:ss), 4 days."""
    if unit is Unit.DURATION and scale == "minutes":
        # Whole seconds of a minute's value: 3.5 minutes is drawn 3:30.
        seconds = "round(datum.value * 60)"
        return alt.Axis(title="Minutes (m:ss)", labelExpr=(
            f"floor({seconds} / 60) + ':' + ({seconds} % 60 < 10 ? '0' : '') + "
            f"{seconds} % 60"))
    if unit is Unit.DURATION:
        return alt.Axis(title=(scale or "seconds").capitalize(), format=",~r")
    if unit is Unit.PERCENT:
        return alt.Axis(title="Per cent", labelExpr="format(datum.value, ',~r') + '%'")
    if unit is Unit.MONEY:
        return alt.Axis(title="Pounds", labelExpr="'£' + format(datum.value, ',~s')")
    return alt.Axis(title="Value", format=",~r")


def panels_per_chart(periods: int) -> int:
    """How many measures one chart of :func:`measure_history` holds, for ``periods``
    quarters: three rows of panels.

    >>> panels_per_chart(10), panels_per_chart(20)
    (6, 3)
    """
    return PANEL_ROWS * layout(periods)[1]


def measure_histories(values: pd.DataFrame, title: str,
                      priorities: Sequence[tuple[str, str]]) -> list[Figure]:
    """The measures of :func:`measure_points` charted priority by priority, each priority's
    in as many charts as it needs of at most :func:`panels_per_chart` panels.

    ``priorities`` is (priority_id, name) in the report's order; a measure of a priority not
    in it (one the plan has since dropped) comes last, under its priority's ID. Each chart's
    title is its priority's name, ``title``, and which of its priority's charts it is.
    """
    known = dict(priorities)
    order = {pid: i for i, (pid, _) in enumerate(priorities)}
    ids = sorted(dict.fromkeys(values["priority_id"]),
                 key=lambda p: (order.get(p, len(order)), str(p)))
    per = panels_per_chart(values["period"].nunique())
    found = []
    for pid in ids:
        rows = values[values["priority_id"] == pid]
        names = list(dict.fromkeys(rows.sort_values("order", kind="stable")["measure"]))
        parts = [names[i:i + per] for i in range(0, len(names), per)]
        for n, part in enumerate(parts, start=1):
            head = f"{known.get(pid, pid)}: {title}"
            if len(parts) > 1:
                head += f" ({n} of {len(parts)})"
            found.append(measure_history(rows[rows["measure"].isin(part)], head))
    return found


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
    value and bar, kept for measures with two points or more, with the unit its target is
    written in and its priority."""
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
                             "bar": r.bar, "unit": target.unit.value,
                             "scale": target.duration_unit or "",
                             "priority_id": r.priority_id})
    values = pd.DataFrame(rows, columns=["measure", "period", "order", "value", "bar", "unit",
                                         "scale", "priority_id"])
    held = values.groupby("measure")["period"].transform("count")
    values = values[held >= 2].reset_index(drop=True)
    # A measure is charted under the priority it has in the latest quarter it is held.
    latest = values.sort_values("order", kind="stable").groupby("measure")["priority_id"].last()
    return values.assign(priority_id=values["measure"].map(latest))
