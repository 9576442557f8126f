"""Counts and whole-number percentages, overall and by priority, and how they moved."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Sequence

import pandas as pd

from perfkit.assess import Quarter
from perfkit.model import Rag, Status

RAGS = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.COMPLETE)


def whole_percentages(counts: Sequence[int]) -> list[int]:
    """Whole percentages, rounded half up, that add to 100 (largest remainder if need be).

    >>> whole_percentages([13, 1]), whole_percentages([1, 1, 1]), whole_percentages([0, 0])
    ([93, 7], [34, 33, 33], [0, 0])
    """
    total = sum(counts)
    if total == 0:
        return [0 for _ in counts]
    exact = [Fraction(100 * c, total) for c in counts]
    rounded = [int(x + Fraction(1, 2)) for x in exact]
    if sum(rounded) == 100:
        return rounded
    floors = [int(x) for x in exact]
    short = 100 - sum(floors)
    # Stable sort: on equal remainders the earlier category gets the point.
    order = sorted(range(len(counts)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[:short]:
        floors[i] += 1
    return floors


def percent(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` as a whole percentage, half up; None when there is no whole.

    >>> percent(4, 8), percent(1, 8), percent(0, 0)
    (50, 13, None)
    """
    if whole == 0:
        return None
    return int(Fraction(100 * part, whole) + Fraction(1, 2))


@dataclass(frozen=True)
class MilestoneCounts:
    total: int
    green: int
    amber: int
    red: int
    complete: int
    missing: int
    pct: dict[str, int]

    @property
    def rated(self) -> int:
        return self.total - self.missing

    @property
    def pct_progressing_well(self) -> int:
        """Green or complete, of the milestones rated this quarter."""
        return self.pct["green"] + self.pct["complete"]

    @property
    def progressing_well(self) -> int:
        return self.green + self.complete


@dataclass(frozen=True)
class MeasureCounts:
    total: int
    quarterly: int
    tracked: int
    met: int
    near: int
    missed: int
    not_due: int
    no_target: int
    unparsed: int
    missing: int
    pct_met: int | None


@dataclass(frozen=True)
class Group:
    """A priority's figures, or the whole plan's when ``priority_id`` is None."""

    priority_id: str | None
    name: str
    milestones: MilestoneCounts
    measures: MeasureCounts


@dataclass(frozen=True)
class Rollup:
    year: str
    quarter: int
    overall: Group
    priorities: list[Group] = field(default_factory=list)

    def to_summary(self) -> dict:
        """The ``summary.json`` shape: counts as integers, percentages as printed."""
        def block(group: Group) -> dict:
            ms, me = asdict(group.milestones), asdict(group.measures)
            return {
                "milestones": {k: ms[k] for k in
                               ("total", "green", "amber", "red", "complete", "missing", "pct")},
                "measures": {k: me[k] for k in
                             ("tracked", "met", "near", "missed", "not_due", "no_target",
                              "unparsed", "missing", "quarterly", "total", "pct_met")},
            }

        return {
            "year": self.year,
            "quarter": self.quarter,
            **block(self.overall),
            "priorities": [{"priority_id": g.priority_id, "name": g.name, **block(g)}
                           for g in self.priorities],
        }


def count_milestones(rows: pd.DataFrame) -> MilestoneCounts:
    """Counts by RAG of a quarter's milestone rows (``rag`` holds Rag or None)."""
    counts = {rag.value: int((rows["rag"] == rag).sum()) for rag in RAGS}
    missing = int(rows["rag"].isna().sum())
    pct = dict(zip(counts, whole_percentages(list(counts.values()))))
    return MilestoneCounts(total=len(rows), missing=missing, pct=pct, **counts)


def count_measures(rows: pd.DataFrame) -> MeasureCounts:
    """Counts by status of a quarter's measure rows."""
    by = {status.value: int((rows["status"] == status).sum()) for status in Status}
    tracked = by["met"] + by["near"] + by["missed"]
    return MeasureCounts(
        total=len(rows), quarterly=int((rows["frequency"] == "quarterly").sum()),
        tracked=tracked, pct_met=percent(by["met"], tracked), **by)


def roll_up(quarter: Quarter) -> Rollup:
    """The quarter's figures overall and for each priority, in the plan's order.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.assess import assess_quarter
    >>> r = roll_up(assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2))
    >>> r.overall.milestones.total, [g.measures.pct_met for g in r.priorities]
    (36, [100, 100, 50])
    """
    overall = Group(None, "All priorities", count_milestones(quarter.milestones),
                    count_measures(quarter.measures))
    groups = []
    for priority in quarter.priorities.itertuples():
        ms = quarter.milestones[quarter.milestones["priority_id"] == priority.priority_id]
        me = quarter.measures[quarter.measures["priority_id"] == priority.priority_id]
        groups.append(Group(priority.priority_id, priority.name,
                            count_milestones(ms), count_measures(me)))
    return Rollup(quarter.year, quarter.quarter, overall, groups)


@dataclass(frozen=True)
class Change:
    """How a group's headline percentages moved since an earlier rollup (points)."""

    priority_id: str | None
    name: str
    progressing_well: int
    pct_met: int | None
    before: Group
    after: Group


def compare(now: Rollup, then: Rollup) -> list[Change]:
    """The change in each group's percentages; the overall group first."""
    earlier = {g.priority_id: g for g in [then.overall, *then.priorities]}
    changes = []
    for group in [now.overall, *now.priorities]:
        old = earlier.get(group.priority_id)
        if old is None or old.milestones.rated == 0:
            continue
        met_now, met_then = group.measures.pct_met, old.measures.pct_met
        changes.append(Change(
            group.priority_id, group.name,
            group.milestones.pct_progressing_well - old.milestones.pct_progressing_well,
            None if met_now is None or met_then is None else met_now - met_then,
            old, group))
    return changes
