"""The story over time: direction of travel against the previous quarter and against the same
quarter last year, and exceptions that persist from one quarter to the next.

Pure: it takes assessed quarters (:class:`~perfkit.assess.Quarter`) and returns tables and
counts. A milestone moves by the scheme's rank of its status; a measure by its value, the
better way being its polarity. Anything without two figures to compare (a measure new this
year, an annual measure not due, a milestone with no update) is "not comparable", so the
four counts always add up to the plan's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import pandas as pd

from perfkit.assess import Quarter
from perfkit.model import Polarity, Profile, Travel
from perfkit.scheme import Part, Scheme, load_scheme
from perfkit.targets import parse_target, parse_value

#: The two comparisons, as ``summary.json`` names them.
PERIODS = ("vs_previous_quarter", "vs_last_year")
NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True)
class TravelCounts:
    """How many rows improved, declined, did not change, or had nothing to compare with."""

    improved: int = 0
    declined: int = 0
    unchanged: int = 0
    not_comparable: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"improved": self.improved, "declined": self.declined,
                "unchanged": self.unchanged, "not_comparable": self.not_comparable}


def count_travel(travels: Iterable[Travel | None]) -> TravelCounts:
    """Count directions of travel; None (nothing to compare) is "not comparable".

    >>> count_travel([Travel.IMPROVED, None, Travel.IMPROVED, Travel.DECLINED]).to_dict()
    {'improved': 2, 'declined': 1, 'unchanged': 0, 'not_comparable': 1}
    """
    found = {"improved": 0, "declined": 0, "unchanged": 0, NOT_COMPARABLE: 0}
    for travel in travels:
        found[travel.value if isinstance(travel, Travel) else NOT_COMPARABLE] += 1
    return TravelCounts(**found)


def milestone_travel(now: pd.DataFrame, then: pd.DataFrame | None,
                     scheme: Scheme | None = None) -> list[Travel | None]:
    """Each milestone of ``now`` against the same ID in ``then``, by the scheme's rank.

    >>> now = pd.DataFrame({"milestone_id": ["A", "B", "C"], "rag": ["green", "red", "amber"]})
    >>> then = pd.DataFrame({"milestone_id": ["A", "B"], "rag": ["amber", "red"]})
    >>> [t and t.value for t in milestone_travel(now, then)]
    ['improved', 'unchanged', None]
    """
    scheme = scheme or load_scheme()
    earlier = {} if then is None else dict(zip(then["milestone_id"], then["rag"]))
    return [_by_rank(scheme.rank(rag), scheme.rank(earlier.get(ident)))
            for ident, rag in zip(now["milestone_id"], now["rag"])]


def _by_rank(now: int | None, then: int | None) -> Travel | None:
    if now is None or then is None:
        return None
    if now == then:
        return Travel.UNCHANGED
    return Travel.IMPROVED if now > then else Travel.DECLINED


def measure_travel(now: pd.DataFrame, then: pd.DataFrame | None, *,
                   same_point: bool) -> list[Travel | None]:
    """Each measure of ``now`` against the same ID in ``then``, by its polarity.

    ``same_point`` says ``then`` is the same quarter of another year. A cumulative measure
    grows through the year, so against the previous quarter (``same_point=False``) it is
    compared by its share of the bar it was held to each quarter, and against the same
    quarter last year by its value.

    >>> now = pd.DataFrame({"measure_id": ["M1", "M2"], "bar_text": ["60%", "Under 5 days"],
    ...                     "value": ["70%", "6 days"], "polarity": ["", ""],
    ...                     "profile": ["snapshot", "snapshot"], "bar": [60.0, 432000.0]})
    >>> then = now.assign(value=["65%", "4 days"])
    >>> [t.value for t in measure_travel(now, then, same_point=True)]
    ['improved', 'declined']
    """
    if then is None:
        return [None] * len(now)
    earlier = {ident: (value, bar) for ident, value, bar in
               zip(then["measure_id"], then["value"], then["bar"])}
    found = []
    for row in now.itertuples():
        value_then, bar_then = earlier.get(row.measure_id, ("", None))
        target = parse_target(row.bar_text)
        a = parse_value(row.value, target.duration_unit).number
        b = parse_value(value_then, target.duration_unit).number if value_then else None
        declared = getattr(row, "declared_profile", row.profile)
        if (a is not None and b is not None and not same_point
                and Profile.CUMULATIVE.value in (row.profile, declared)):
            a, b = _share(a, row.bar), _share(b, bar_then)
        if a is None or b is None:
            found.append(None)
            continue
        polarity = (Polarity(row.polarity) if row.polarity else target.polarity) or (
            Polarity.LOWER if target.duration_unit else Polarity.HIGHER)
        if a == b:
            found.append(Travel.UNCHANGED)
        else:
            better = a > b if polarity is Polarity.HIGHER else a < b
            found.append(Travel.IMPROVED if better else Travel.DECLINED)
    return found


def _share(value: float, bar: object) -> float | None:
    if not isinstance(bar, (int, float)) or bar != bar or bar == 0:
        return None
    return value / bar


def exception_ids(quarter: Quarter, scheme: Scheme | None = None) -> set[tuple[str, str]]:
    """The (part, ID) of every milestone and measure that is an exception this quarter."""
    scheme = scheme or quarter.scheme or load_scheme()
    late = quarter.milestones[quarter.milestones["rag"].isin(scheme.exceptions(Part.MILESTONES))]
    behind = quarter.measures[quarter.measures["state"].isin(scheme.exceptions(Part.MEASURES))]
    return ({(Part.MILESTONES.value, i) for i in late["milestone_id"]}
            | {(Part.MEASURES.value, i) for i in behind["measure_id"]})


def runs(chain: Sequence[Quarter], scheme: Scheme | None = None) -> dict[tuple[str, str], int]:
    """How many quarters in a row each of this quarter's exceptions has been one.

    ``chain`` is this quarter first, then the quarters just before it, each the one before
    the last (across a year boundary too); it ends where the data holds no earlier quarter.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.assess import assess_quarter
    >>> q = assess_quarter(load_dataset("data/chesterfield"), "2022/23", 2)
    >>> runs([q])[("milestones", "QL14")]
    1
    """
    if not chain:
        return {}
    scheme = scheme or chain[0].scheme or load_scheme()
    alive = {key: 1 for key in exception_ids(chain[0], scheme)}
    still = set(alive)
    for earlier in chain[1:]:
        still &= exception_ids(earlier, scheme)
        if not still:
            break
        for key in still:
            alive[key] += 1
    return alive


@dataclass(frozen=True)
class Movement:
    """This quarter's directions of travel, row by row, and its exceptions' runs.

    ``milestones`` and ``measures`` have the ID, ``vs_previous_quarter`` and ``vs_last_year``
    (a :class:`~perfkit.model.Travel` or None), and the figures compared with,
    ``previous_quarter`` and ``same_quarter_last_year`` (a milestone's status key or None, a
    measure's value or ""); ``measures`` also has ``last_year_outturn``, the measure's
    quarter 4 value last year ("" when the data holds none). ``runs`` maps
    (part, ID) of each exception to its quarters in a row (1 when new this quarter).
    """

    milestones: pd.DataFrame
    measures: pd.DataFrame
    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    compared: dict[str, bool] = field(default_factory=dict)  # which period had data

    def counts(self, part: Part | str, period: str) -> TravelCounts:
        rows = self.milestones if Part(part) is Part.MILESTONES else self.measures
        return count_travel(rows[period])

    def run(self, part: Part | str, ident: str) -> int:
        return self.runs.get((Part(part).value, ident), 0)

    @property
    def persistent(self) -> list[dict]:
        """Exceptions of two quarters in a row or more: longest first, then by ID."""
        found = [(ident, n) for (_, ident), n in self.runs.items() if n >= 2]
        return [{"id": ident, "quarters": n}
                for ident, n in sorted(found, key=lambda x: (-x[1], x[0]))]

    def to_summary(self) -> dict:
        """``summary.json``'s ``travel`` and ``persistent``."""
        return {
            "travel": {part.value: {period: self.counts(part, period).to_dict()
                                    for period in PERIODS} for part in Part},
            "persistent": self.persistent,
        }


def movement(quarter: Quarter, previous: Quarter | None, last_year: Quarter | None,
             last_outturn: Quarter | None, chain: Sequence[Quarter]) -> Movement:
    """Travel against ``previous`` and ``last_year`` (either may be None: the data does not
    hold it), last year's outturn from ``last_outturn`` (quarter 4 of last year), and the
    runs of exceptions through ``chain`` (``quarter`` first, then the ones before it)."""
    scheme = quarter.scheme or load_scheme()
    ms, me = quarter.milestones, quarter.measures

    def figures(then: Quarter | None, table: str, column: str) -> dict:
        if then is None:
            return {}
        rows = getattr(then, table)
        return dict(zip(rows[f"{table[:-1]}_id"], rows[column]))

    outturn = figures(last_outturn, "measures", "value")
    ms_then, ms_last = (figures(previous, "milestones", "rag"),
                        figures(last_year, "milestones", "rag"))
    me_then, me_last = (figures(previous, "measures", "value"),
                        figures(last_year, "measures", "value"))
    milestones = pd.DataFrame({
        "milestone_id": ms["milestone_id"].to_list(),
        "vs_previous_quarter": milestone_travel(
            ms, previous.milestones if previous else None, scheme),
        "vs_last_year": milestone_travel(ms, last_year.milestones if last_year else None,
                                         scheme),
        "previous_quarter": [ms_then.get(i) for i in ms["milestone_id"]],
        "same_quarter_last_year": [ms_last.get(i) for i in ms["milestone_id"]]},
        dtype=object)
    measures = pd.DataFrame({
        "measure_id": me["measure_id"].to_list(),
        "vs_previous_quarter": measure_travel(me, previous.measures if previous else None,
                                              same_point=False),
        "vs_last_year": measure_travel(me, last_year.measures if last_year else None,
                                       same_point=True),
        "last_year_outturn": [outturn.get(i, "") or "" for i in me["measure_id"]],
        "previous_quarter": [me_then.get(i, "") or "" for i in me["measure_id"]],
        "same_quarter_last_year": [me_last.get(i, "") or "" for i in me["measure_id"]]},
        dtype=object)
    return Movement(milestones, measures, runs(chain, scheme),
                    {"vs_previous_quarter": previous is not None,
                     "vs_last_year": last_year is not None})
