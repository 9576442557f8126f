"""Counts and percentages, overall and by priority, and how they moved.

Every percentage is computed from counts, each on its own: a share is never the sum of
other rounded shares, so equal counts always print equal percentages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction

import pandas as pd

from perfkit.assess import Quarter
from perfkit.model import Rag, Status
from perfkit.scheme import MISSING, HeadlineFigure, Part, Scheme, load_scheme

RAGS = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.COMPLETE)


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
    statuses: dict[str, int] = field(default_factory=dict)  # by the scheme's status

    @property
    def rated(self) -> int:
        return self.total - self.missing

    @property
    def pct_progressing_well(self) -> int:
        """Green or complete, of the milestones rated this quarter: from the counts."""
        return percent(self.progressing_well, self.rated) or 0

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
    statuses: dict[str, int] = field(default_factory=dict)  # by the scheme's status
    no_data: int = 0  # a value such as "Data not available"


@dataclass(frozen=True)
class Group:
    """A priority's figures, or the whole plan's when ``priority_id`` is None."""

    priority_id: str | None
    name: str
    milestones: MilestoneCounts
    measures: MeasureCounts
    headlines: list[HeadlineFigure] = field(default_factory=list)

    def headline(self, name: str) -> HeadlineFigure | None:
        return next((h for h in self.headlines if h.name == name), None)


@dataclass(frozen=True)
class Rollup:
    year: str
    quarter: int
    overall: Group
    priorities: list[Group] = field(default_factory=list)
    scheme: Scheme | None = None

    def to_summary(self) -> dict:
        """The ``summary.json`` shape: counts as integers, percentages as printed, and the
        scheme's ``headlines`` (``pct`` unrounded, ``text`` as printed).

        The milestone fields green, amber, red and complete (and their ``pct``) are there
        for the statuses the scheme has: all four for the default scheme, none for a scheme
        whose statuses are other words (its counts are in ``statuses``)."""
        own = ({s.key for s in self.scheme.milestone_statuses} if self.scheme
               else {r.value for r in RAGS})
        rags = [r.value for r in RAGS if r.value in own]

        def block(group: Group) -> dict:
            ms, me = asdict(group.milestones), asdict(group.measures)
            milestones = {"total": ms["total"], **{k: ms[k] for k in rags},
                          "missing": ms["missing"]}
            if rags:
                milestones["pct"] = {k: v for k, v in ms["pct"].items() if k in rags}
            milestones["statuses"] = ms["statuses"]
            return {
                "milestones": milestones,
                "measures": {k: me[k] for k in
                             ("tracked", "met", "near", "missed", "not_due", "no_target",
                              "unparsed", "missing", "no_data", "quarterly", "total",
                              "pct_met", "statuses")},
                "headlines": [h.to_dict() for h in group.headlines],
            }

        return {
            "year": self.year,
            "quarter": self.quarter,
            "scheme": self.scheme.name if self.scheme else None,
            **block(self.overall),
            "priorities": [{"priority_id": g.priority_id, "name": g.name, **block(g)}
                           for g in self.priorities],
        }


def count_milestones(rows: pd.DataFrame, scheme: Scheme | None = None) -> MilestoneCounts:
    """Counts by status of a quarter's milestone rows (``rag`` holds a status key or None).

    ``pct`` holds each RAG's whole percentage of those rated, each rounded on its own.
    """
    scheme = scheme or load_scheme()
    counts = {rag.value: int((rows["rag"] == rag).sum()) for rag in RAGS}
    missing = int(rows["rag"].isna().sum())
    rated = len(rows) - missing
    pct = {k: percent(n, rated) or 0 for k, n in counts.items()}
    statuses = {k: int((rows["rag"] == k).sum()) for k in scheme.keys(Part.MILESTONES)}
    statuses[MISSING] = missing
    return MilestoneCounts(total=len(rows), missing=missing, pct=pct, statuses=statuses,
                           **counts)


_MEASURE_FIELDS = {f.name for f in fields(MeasureCounts)}


def count_measures(rows: pd.DataFrame, scheme: Scheme | None = None) -> MeasureCounts:
    """Counts by status of a quarter's measure rows, and by the scheme's state."""
    scheme = scheme or load_scheme()
    by = {status.value: int((rows["status"] == status).sum()) for status in Status
          if status.value in _MEASURE_FIELDS}
    if "officer_rated" in rows:
        # A measure the officer rated has its update, figure or not: it is not missing.
        by["missing"] = int(((rows["status"] == Status.MISSING) & ~rows["officer_rated"]).sum())
    tracked = by["met"] + by["near"] + by["missed"]
    statuses = ({k: int((rows["state"] == k).sum()) for k in scheme.keys(Part.MEASURES)}
                if "state" in rows else {})
    return MeasureCounts(
        total=len(rows), quarterly=int((rows["frequency"] == "quarterly").sum()),
        tracked=tracked, pct_met=percent(by["met"], tracked), statuses=statuses, **by)


def _group(priority_id: str | None, name: str, milestones: pd.DataFrame,
           measures: pd.DataFrame, scheme: Scheme) -> Group:
    ms, me = count_milestones(milestones, scheme), count_measures(measures, scheme)
    headlines = scheme.headlines_from({Part.MILESTONES.value: ms.statuses,
                                       Part.MEASURES.value: me.statuses})
    return Group(priority_id, name, ms, me, headlines)


def roll_up(quarter: Quarter) -> Rollup:
    """The quarter's figures overall and for each priority, in the plan's order.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.assess import assess_quarter
    >>> r = roll_up(assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2))
    >>> r.overall.milestones.total, [g.measures.pct_met for g in r.priorities]
    (36, [100, 100, 50])
    """
    scheme = quarter.scheme or load_scheme()
    overall = _group(None, "All priorities", quarter.milestones, quarter.measures, scheme)
    groups = []
    for priority in quarter.priorities.itertuples():
        ms = quarter.milestones[quarter.milestones["priority_id"] == priority.priority_id]
        me = quarter.measures[quarter.measures["priority_id"] == priority.priority_id]
        groups.append(_group(priority.priority_id, priority.name, ms, me, scheme))
    return Rollup(quarter.year, quarter.quarter, overall, groups, scheme)


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
        # Nothing to compare with: no headline had a base then (or, without headlines, no
        # milestone was rated).
        if old is None or not (any(h.base for h in old.headlines) if old.headlines
                               else old.milestones.rated):
            continue
        met_now, met_then = group.measures.pct_met, old.measures.pct_met
        changes.append(Change(
            group.priority_id, group.name,
            group.milestones.pct_progressing_well - old.milestones.pct_progressing_well,
            None if met_now is None or met_then is None else met_now - met_then,
            old, group))
    return changes
