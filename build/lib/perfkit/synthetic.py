"""Synthetic datasets in the data contract, for benchmarks and tests of scale.

Targets and values are drawn from the forms councils write ("Over £500k", "70% C",
"3 mins 26 secs", "Annual update", ...) with figures scattered around each target, so a
dataset holds a realistic mix of met, near, missed, not due and unreadable measures. The
same seed gives the same dataset. Nothing here claims to be any council's data.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from perfkit.load import FIRST_DATA_ROW, ROW, Dataset
from perfkit.model import OPTIONAL, REQUIRED, Polarity, Table
from perfkit.targets import Unit, parse_target


@dataclass(frozen=True)
class Form:
    """A family of targets: ``template`` takes one of ``numbers``; ``style`` writes values."""

    template: str
    numbers: tuple[float, ...]
    style: str
    scale: float = 1.0  # from the number in the template to the value's unit (pounds, seconds)


# The first number of each family gives exactly the form the core issue lists.
FORMS: tuple[Form, ...] = (
    Form("{:,.0f}", (240, 500, 1200, 5000), "count"),
    Form("{:g}%", (60, 70, 80, 90), "percent"),
    Form("Under {:g}%", (10, 5, 15, 20), "percent"),
    Form("Over £{:g}k", (500, 250, 750), "money", 1e3),
    Form("{:g}% C", (70, 65, 75), "percent_band"),
    Form("Over {:,.0f}", (300, 3360, 19700), "count"),
    Form("Yes", (0,), "yes_no"),
    Form("Gold", (0,), "medal"),
    Form("{:g}% for year", (96.4, 90, 85), "percent"),
    Form("1 minute", (60,), "minutes_bare"),
    Form("Above {:,.0f}", (13000, 8000, 2500), "count"),
    Form("At least {:g}%", (95, 90, 85), "percent"),
    Form("≥ {:g}%", (95, 98, 75), "percent"),
    Form("No more than {:g} days", (5, 10, 20), "days", 86400),
    Form("Less than {:g}%", (3, 2, 8), "percent"),
    Form("£{:g}m", (1.2, 2.5, 0.8), "money", 1e6),
    Form("{:g} days", (5, 10, 28), "days_bare", 86400),
    Form("3 mins 26 secs", (206,), "mins_secs"),
    Form("00:03:26", (206,), "clock"),
    Form("Maintain {:g}% or above", (9, 12, 50), "percent"),
    Form("N/A", (0,), "count"),
    Form("Data only", (0,), "count"),
    Form("TBC", (0,), "count"),
    Form("Top quartile", (0,), "count"),
    Form("Increase", (0,), "count"),
)
NOT_YET = ("Annual update", "TBC", "N/A")
#: The tables a synthetic dataset fills; any other table of the contract is left empty.
GENERATED = (Table.PRIORITIES, Table.MILESTONES, Table.MEASURES, Table.MILESTONE_UPDATES,
             Table.MEASURE_UPDATES)
_BANDS = np.array(["A", "B", "C", "D"], dtype=object)
_MEDALS = np.array(["Bronze", "Silver", "Gold", "Platinum"], dtype=object)


def synthetic_dataset(*, measures: int = 46, milestones: int = 36, priorities: int = 3,
                      years: int = 1, first_year: str = "2022/23", quarters: int = 4,
                      seed: int = 0) -> Dataset:
    """A valid dataset: the plan repeated each year, and an update per item and quarter.

    Years run from ``first_year`` for ``years`` years; each gets ``quarters`` quarters of
    updates, so there are ``measures * years * quarters`` measure updates.

    >>> ds = synthetic_dataset(measures=10, milestones=4, years=2, quarters=3)
    >>> len(ds.measures), len(ds.measure_updates), sorted(set(ds.measure_updates["year"]))
    (20, 60, ['2022/23', '2023/24'])
    """
    rng = np.random.default_rng(seed)
    year_names = _years(first_year, years)
    pids = [f"P{i + 1}" for i in range(priorities)]
    priority_rows = pd.DataFrame({
        "year": np.repeat(year_names, priorities),
        "priority_id": pids * years,
        "name": [f"Priority {i + 1}: a synthetic theme" for i in range(priorities)] * years,
        "order": [str(i + 1) for i in range(priorities)] * years,
    })
    plan_measures = _plan_measures(rng, measures, pids)
    plan_milestones = pd.DataFrame({
        "milestone_id": [f"M{i + 1:05d}" for i in range(milestones)],
        "priority_id": [pids[i % priorities] for i in range(milestones)],
        "title": [f"Synthetic milestone {i + 1}" for i in range(milestones)],
        "objective": "", "lead": "",
    })
    measure_plan = _each_year(plan_measures.drop(columns=["_form", "_number"]), year_names)
    milestone_plan = _each_year(plan_milestones, year_names)
    measure_updates = _measure_updates(rng, plan_measures, year_names, quarters)
    milestone_updates = _milestone_updates(rng, plan_milestones, year_names, quarters)
    frames = (priority_rows, milestone_plan, measure_plan, milestone_updates, measure_updates)
    tables = {name.value: _numbered(frame) for name, frame in zip(GENERATED, frames)}
    # Any further (optional) table the contract has is left empty, as load_dataset leaves it.
    for field in fields(Dataset)[1:]:
        if field.name not in tables:
            table = Table(field.name)
            tables[field.name] = pd.DataFrame(
                columns=[*REQUIRED.get(table, ()), *OPTIONAL.get(table, ()), ROW], dtype=object)
    return Dataset(Path("synthetic"), **tables)


def write_dataset(dataset: Dataset, folder: str | Path) -> Path:
    """Write a dataset as the five CSV files of the data contract; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in GENERATED:
        frame = dataset.table(name).drop(columns=[ROW], errors="ignore")
        frame.to_csv(folder / f"{name.value}.csv", index=False)
    return folder


def _years(first: str, count: int) -> list[str]:
    start = int(first[:4])
    return [f"{start + i}/{(start + i + 1) % 100:02d}" for i in range(count)]


def _each_year(plan: pd.DataFrame, years: list[str]) -> pd.DataFrame:
    rows = pd.concat([plan] * len(years), ignore_index=True)
    rows.insert(0, "year", np.repeat(years, len(plan)))
    return rows


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    # As load_dataset leaves a table: every cell text, and the spreadsheet row number.
    frame = frame.astype(str).reset_index(drop=True)
    frame[ROW] = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    return frame


def _plan_measures(rng: np.random.Generator, count: int, pids: list[str]) -> pd.DataFrame:
    form = rng.integers(0, len(FORMS), count)
    pick = rng.integers(0, 3, count)
    numbers = np.array([FORMS[f].numbers[p % len(FORMS[f].numbers)]
                        for f, p in zip(form, pick)])
    targets = [FORMS[f].template.format(n) for f, n in zip(form, numbers)]
    percent_for_year = np.array([FORMS[f].template.endswith("for year") for f in form])
    cumulative = percent_for_year | ((np.array([FORMS[f].style for f in form]) == "count")
                                     & (rng.random(count) < 0.2))
    annual = rng.random(count) < 0.15
    polarity = np.where(rng.random(count) < 0.05,
                        rng.choice(np.array(["higher", "lower"], dtype=object), count), "")
    tolerance = np.where(rng.random(count) < 0.2,
                         rng.choice(np.array(["0.05", "0.15", "0.2"], dtype=object), count), "")
    own_q2 = np.where(rng.random(count) < 0.02, targets, "")
    return pd.DataFrame({
        "measure_id": [f"{pids[i % len(pids)]}-M{i + 1:06d}" for i in range(count)],
        "priority_id": [pids[i % len(pids)] for i in range(count)],
        "name": [f"Synthetic measure {i + 1}" for i in range(count)],
        "target": targets,
        "frequency": np.where(annual, "annual", "quarterly"),
        "polarity": polarity,
        "profile": np.where(cumulative, "cumulative", ""),
        "tolerance": tolerance,
        "unit": "",
        "q1_target": "", "q2_target": own_q2, "q3_target": "", "q4_target": "",
        "_form": form, "_number": numbers,
    })


def _measure_updates(rng: np.random.Generator, plan: pd.DataFrame, years: list[str],
                     quarters: int) -> pd.DataFrame:
    per_period = len(plan)
    periods = [(y, q) for y in years for q in range(1, quarters + 1)]
    n = per_period * len(periods)
    form = np.tile(plan["_form"].to_numpy(), len(periods))
    number = np.tile(plan["_number"].to_numpy(), len(periods))
    quarter = np.repeat([q for _, q in periods], per_period)
    # Performance around the target: most meet it, some are near, some miss. Where lower is
    # better, a figure above the target is the worse side, so the scatter is mirrored.
    ratio = rng.normal(1.03, 0.12, n)
    lower = np.array([_lower_is_better(spec) for spec in FORMS])[form]
    ratio = np.where(lower, 2 - ratio, ratio)
    values = np.empty(n, dtype=object)
    for f, spec in enumerate(FORMS):
        rows = np.flatnonzero(form == f)
        if len(rows):
            values[rows] = _write_values(rng, spec, number[rows] * spec.scale, ratio[rows])
    cumulative = np.tile((plan["profile"] == "cumulative").to_numpy(), len(periods))
    share = np.where(cumulative, quarter / 4, 1.0)
    counts = np.flatnonzero(cumulative & np.isin(form, _styles("count")))
    values[counts] = _write_values(rng, FORMS[0], number[counts] * share[counts], ratio[counts])
    annual = np.tile((plan["frequency"] == "annual").to_numpy(), len(periods)) & (quarter < 4)
    values[annual] = "Annual update"
    # A few figures are missing, or "not yet" words, whatever the measure.
    noise = rng.random(n)
    values[noise < 0.03] = ""
    not_yet = (noise >= 0.03) & (noise < 0.04)
    values[not_yet] = rng.choice(np.array(NOT_YET, dtype=object), int(not_yet.sum()))
    rag = rng.choice(np.array(["Green", "Amber", "Red", ""], dtype=object), n,
                     p=[0.6, 0.15, 0.1, 0.15])
    comment = np.where(rng.random(n) < 0.1, "Figure confirmed by the service.", "")
    return pd.DataFrame({
        "year": np.repeat([y for y, _ in periods], per_period),
        "quarter": quarter.astype(str),
        "measure_id": np.tile(plan["measure_id"].to_numpy(), len(periods)),
        "value": values, "rag": rag, "comment": comment,
    })


def _lower_is_better(form: Form) -> bool:
    target = parse_target(form.template.format(form.numbers[0]))
    return target.polarity is Polarity.LOWER or (
        target.polarity is None and target.unit is Unit.DURATION)


def _styles(style: str) -> list[int]:
    return [i for i, form in enumerate(FORMS) if form.style == style]


def _write_values(rng: np.random.Generator, form: Form, target: np.ndarray,
                  ratio: np.ndarray) -> np.ndarray:
    """Figures written the way officers write them for targets of this family."""
    writer = _WRITERS[form.style]
    return np.asarray(writer(rng, target * ratio), dtype=object)


def _percent(rng, x):
    return [f"{v:.1f}%" for v in np.clip(x, 0, 100)]


def _percent_band(rng, x):
    letters = rng.choice(_BANDS, len(x))
    return [f"{v:.0f}% {b}" for v, b in zip(np.clip(x, 0, 100), letters)]


def _count(rng, x):
    # A target of zero (no-target forms) still gets a plausible count.
    x = np.where(x > 0, x, rng.integers(0, 5000, len(x)))
    return [f"{v:,.0f}" if c else f"{v:.0f}" for v, c in zip(x, rng.random(len(x)) < 0.5)]


def _money(rng, x):
    return [f"£{v / 1e3:,.0f}k" if k else f"£{v:,.0f}" for v, k in
            zip(x, rng.random(len(x)) < 0.5)]


def _minutes_bare(rng, x):
    return [f"{v / 60:.2f}" for v in x]


def _days(rng, x):
    return [f"{max(v / 86400, 0):.0f} days" for v in x]


def _days_bare(rng, x):
    return [f"{max(v / 86400, 0):.0f}" for v in x]


def _mins_secs(rng, x):
    seconds = np.maximum(np.round(x), 0).astype(int)
    return [f"{s // 60} mins {s % 60} secs" for s in seconds]


def _clock(rng, x):
    seconds = np.maximum(np.round(x), 0).astype(int)
    return [f"00:{s // 60:02d}:{s % 60:02d}" for s in seconds]


def _yes_no(rng, x):
    return np.where(rng.random(len(x)) < 0.8, "Yes", "No")


def _medal(rng, x):
    return rng.choice(_MEDALS, len(x), p=[0.1, 0.2, 0.5, 0.2])


_WRITERS: dict[str, Callable[[np.random.Generator, np.ndarray], object]] = {
    "count": _count, "percent": _percent, "percent_band": _percent_band, "money": _money,
    "minutes_bare": _minutes_bare, "days": _days, "days_bare": _days_bare,
    "mins_secs": _mins_secs, "clock": _clock, "yes_no": _yes_no, "medal": _medal,
}


def _milestone_updates(rng: np.random.Generator, plan: pd.DataFrame, years: list[str],
                       quarters: int) -> pd.DataFrame:
    periods = [(y, q) for y in years for q in range(1, quarters + 1)]
    n = len(plan) * len(periods)
    return pd.DataFrame({
        "year": np.repeat([y for y, _ in periods], len(plan)),
        "quarter": np.repeat([str(q) for _, q in periods], len(plan)),
        "milestone_id": np.tile(plan["milestone_id"].to_numpy(), len(periods)),
        "rag": rng.choice(np.array(["Green", "Amber", "Red", "Complete"], dtype=object), n,
                          p=[0.7, 0.15, 0.05, 0.1]),
        "progress": "Work continues as planned this quarter.",
    })
