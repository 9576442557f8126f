"""A quarter from data to figures and sentences in one call: what the CLI and notebook share."""

from __future__ import annotations

from dataclasses import dataclass, field

from perfkit.assess import Quarter, assess_quarter, quarters_held, updates_held
from perfkit.errors import ALLOW_EMPTY_HINT, EmptyQuarterError
from perfkit.load import Dataset
from perfkit.model import previous_quarter, previous_year
from perfkit.narrative import (
    change_paragraph, empty_paragraph, overall_paragraph, priority_paragraph, say_quarters,
)
from perfkit.rollup import Change, Rollup, compare, roll_up
from perfkit.scheme import Scheme, load_scheme
from perfkit.travel import Movement, exception_ids, movement


@dataclass(frozen=True)
class Summary:
    """A quarter's assessment, rollup, change since the previous quarter and narrative."""

    quarter: Quarter
    rollup: Rollup
    changes: list[Change]
    paragraphs: list[str]
    history: list[Rollup]  # earlier quarters of the same year, oldest first
    earlier: list[Quarter]  # the assessments behind ``history``, kept for trend charts
    year_changes: list[Change]  # against the same quarter last year, when the data holds it
    received: bool = True  # False: no update arrived for the quarter (rendered on request)
    #: Travel against the previous quarter and last year, row by row, and exceptions' runs.
    movement: Movement | None = None
    #: Every quarter the data holds up to this one, across years, oldest first (at most
    #: ``TIMELINE_QUARTERS``), with its rollup: the trend charts' data.
    timeline: list[tuple[Quarter, Rollup]] = field(default_factory=list)

    def to_summary(self) -> dict:
        """The ``summary.json`` shape: the rollup's, with ``travel`` and ``persistent``."""
        found = self.rollup.to_summary()
        if self.movement is not None:
            found.update(self.movement.to_summary())
        return found


#: How far back the trend charts go: five years of quarters.
TIMELINE_QUARTERS = 20


def require_updates(dataset: Dataset, year: str, quarter: int) -> None:
    """Refuse a quarter the data holds no update for, saying what the data does hold.

    >>> from perfkit.load import load_dataset
    >>> require_updates(load_dataset("data/chesterfield"), "2023/24", 1)
    Traceback (most recent call last):
    ...
    perfkit.errors.EmptyQuarterError: no updates for 2023/24 quarter 1: the data holds updates for 2022/23 quarter 2 only. Check `year` and `quarter`; --allow-empty (allow_empty: true in a params file) renders an empty quarter on purpose.
    """
    held = updates_held(dataset)
    if quarter in held.get(year, []):
        return
    holds = "; ".join(f"{y} {say_quarters(qs)}" for y, qs in held.items()) or "nothing"
    raise EmptyQuarterError(
        f"no updates for {year} quarter {quarter}: the data holds updates for {holds} only. "
        f"Check `year` and `quarter`; {ALLOW_EMPTY_HINT} renders an empty quarter on purpose.")


class Assessments:
    """The quarters of one dataset assessed under one scheme, and their rollups, each worked
    out once and then shared (treat them as read-only, like the dataset).

    A summary assesses up to :data:`TIMELINE_QUARTERS` quarters; the summary of the next
    quarter of the same data needs all but one of them again, so a batch worker that keeps
    one of these (:mod:`perfkit.cache` does) assesses each quarter once, not once a summary.

    >>> from perfkit.load import load_dataset
    >>> seen = Assessments(load_dataset("data/chesterfield"), load_scheme())
    >>> seen.quarter("2022/23", 2) is seen.quarter("2022/23", 2)
    True
    >>> seen.rollup("2022/23", 2).overall.milestones.total
    36
    """

    def __init__(self, dataset: Dataset, scheme: Scheme) -> None:
        self.dataset, self.scheme = dataset, scheme
        self._quarters: dict[tuple[str, int], Quarter] = {}
        self._rollups: dict[tuple[str, int], Rollup] = {}

    def quarter(self, year: str, quarter: int) -> Quarter:
        """The quarter's milestones and measures, checked (:func:`assess_quarter`)."""
        if (year, quarter) not in self._quarters:
            self._quarters[year, quarter] = assess_quarter(self.dataset, year, quarter,
                                                           self.scheme)
        return self._quarters[year, quarter]

    def rollup(self, year: str, quarter: int) -> Rollup:
        """The quarter's statuses counted by priority (:func:`roll_up`)."""
        if (year, quarter) not in self._rollups:
            self._rollups[year, quarter] = roll_up(self.quarter(year, quarter))
        return self._rollups[year, quarter]


def summarise(dataset: Dataset, year: str, quarter: int,
              scheme: Scheme | None = None, *, allow_empty: bool = False,
              assessments: Assessments | None = None) -> Summary:
    """Everything the report says about one quarter, computed once, in the ``scheme``'s
    words (by default, Chesterfield's).

    A quarter with no updates is refused (:class:`~perfkit.errors.EmptyQuarterError`)
    unless ``allow_empty``; then the narrative says plainly that none was received.
    ``assessments`` (of this dataset, under this scheme) lends quarters already assessed.

    >>> from perfkit.load import load_dataset
    >>> s = summarise(load_dataset("data/chesterfield"), "2022/23", 2)
    >>> s.rollup.overall.milestones.total, len(s.paragraphs)
    (36, 5)
    """
    received = quarter in updates_held(dataset).get(year, [])
    if not received and not allow_empty:
        require_updates(dataset, year, quarter)
    if assessments is None:
        assessments = Assessments(dataset, scheme or load_scheme())
    elif assessments.dataset is not dataset or (scheme and scheme != assessments.scheme):
        raise ValueError("assessments of another dataset or scheme")
    assess, rolled = assessments.quarter, assessments.rollup

    assessed = assess(year, quarter)
    rollup = rolled(year, quarter)
    if not received:
        # Nothing to compare: a fall "to 0%" would report missing data as a collapse.
        nothing = (f"No updates were received for quarter {quarter} of {year}, so no "
                   "direction of travel is shown.")
        paragraphs = [empty_paragraph(rollup),
                      *(priority_paragraph(g, rollup) for g in rollup.priorities), nothing]
        return Summary(assessed, rollup, [], paragraphs, [], [], [], received=False,
                       movement=movement(assessed, None, None, None, [assessed]))
    held_now = quarters_held(dataset, year, quarter - 1)
    earlier = [assess(year, q) for q in held_now]
    history = [rolled(year, q) for q in held_now]
    before_year, before_q = previous_quarter(year, quarter)
    before = (rolled(before_year, before_q)
              if before_q in quarters_held(dataset, before_year, before_q) else None)
    changes = compare(rollup, before) if before else []
    last_year = previous_year(year)
    year_changes = (compare(rollup, rolled(last_year, quarter))
                    if quarter in quarters_held(dataset, last_year, quarter) else [])
    paragraphs = [overall_paragraph(rollup),
                  *(priority_paragraph(g, rollup) for g in rollup.priorities),
                  change_paragraph(rollup, changes, assessed.milestones,
                                   last_year=year_changes)]
    held = [(y, q) for y, qs in updates_held(dataset).items() for q in qs
            if (y, q) < (year, quarter)][-(TIMELINE_QUARTERS - 1):]
    timeline = [(assess(y, q), rolled(y, q)) for y, q in held]
    return Summary(assessed, rollup, changes, paragraphs, history, earlier, year_changes,
                   movement=_movement(dataset, year, quarter, assess),
                   timeline=[*timeline, (assessed, rollup)])


def _movement(dataset: Dataset, year: str, quarter: int, assess) -> Movement:
    """Travel against the quarters the data holds, and the runs of this quarter's exceptions
    back through every consecutive quarter it holds (across years)."""
    held = updates_held(dataset)

    def holds(y: str, q: int) -> bool:
        return q in held.get(y, [])

    previous = previous_quarter(year, quarter)
    last_year = previous_year(year)
    chain = [assess(year, quarter)]
    alive = exception_ids(chain[0])
    y, q = previous
    while alive and holds(y, q):  # back until no exception of this quarter is still running
        chain.append(assess(y, q))
        alive &= exception_ids(chain[-1])
        y, q = previous_quarter(y, q)
    return movement(chain[0], assess(*previous) if holds(*previous) else None,
                    assess(last_year, quarter) if holds(last_year, quarter) else None,
                    assess(last_year, 4) if holds(last_year, 4) else None, chain)
