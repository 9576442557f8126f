"""The data contract: table and column names, and the closed vocabularies they use."""

from __future__ import annotations

import re
from enum import StrEnum


class Rag(StrEnum):
    """A milestone's Red/Amber/Green status as the officer set it."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    COMPLETE = "complete"

    @classmethod
    def parse(cls, text: object) -> "Rag | None":
        """Read a RAG word in any case, or its initial.

        >>> Rag.parse(" G "), Rag.parse("Amber"), Rag.parse("purple")
        (<Rag.GREEN: 'green'>, <Rag.AMBER: 'amber'>, None)
        """
        if not isinstance(text, str):
            return None
        return _RAG_WORDS.get(text.strip().lower())

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        """Order for direction of travel: red < amber < green < complete."""
        return (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE).index(self)


_RAG_WORDS = {
    **{r.value: r for r in Rag},
    **{r.value[0]: r for r in Rag},
    "completed": Rag.COMPLETE,
}


class Status(StrEnum):
    """The outcome of checking a measure's value against its target."""

    MET = "met"
    NEAR = "near"
    MISSED = "missed"
    NOT_DUE = "not_due"
    NO_TARGET = "no_target"
    UNPARSED = "unparsed"
    #: Only in a quarter's assessment: a quarterly measure with no figure is a data problem.
    MISSING = "missing"
    #: A value such as "Data not available": reported, but with no figure to check.
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def tracked(self) -> bool:
        """Whether the status counts towards "measures tracked this quarter"."""
        return self in (Status.MET, Status.NEAR, Status.MISSED)


_STATUS_LABELS = {
    Status.MET: "Met",
    Status.NEAR: "Near target",
    Status.MISSED: "Missed",
    Status.NOT_DUE: "Not due",
    Status.NO_TARGET: "No target",
    Status.UNPARSED: "Not readable",
    Status.MISSING: "No update",
    Status.NO_DATA: "No data",
}

STATUS_RAG = {Status.MET: Rag.GREEN, Status.NEAR: Rag.AMBER, Status.MISSED: Rag.RED}


class Travel(StrEnum):
    """Direction of travel of one milestone or measure since an earlier quarter."""

    IMPROVED = "improved"
    DECLINED = "declined"
    UNCHANGED = "unchanged"

    @property
    def label(self) -> str:
        return {"improved": "Improved", "declined": "Declined", "unchanged": "No change"}[self]


class Issue(StrEnum):
    """Kinds of data-quality finding listed in the report."""

    MISSING_UPDATE = "missing_update"
    UNPARSED_TARGET = "unparsed_target"
    UNREADABLE_VALUE = "unreadable_value"
    RAG_DISAGREES = "rag_disagrees"
    NOT_DUE = "not_due"
    TIME_READ_AS_DECIMAL = "time_read_as_decimal"
    #: No polarity given or worded, and the other direction would give another verdict.
    POLARITY_ASSUMED = "polarity_assumed"
    #: An exception with no corrective action, when the data has an ``action`` column.
    NO_ACTION = "no_action"

    @property
    def label(self) -> str:
        return {
            "time_read_as_decimal": "Time read as decimal minutes, could be m.ss",
            "no_action": "Exception with no corrective action",
            "missing_update": "No update this quarter",
            "unparsed_target": "Target not readable",
            "unreadable_value": "Value not readable",
            "rag_disagrees": "Officer's RAG differs from the check",
            "not_due": "Not due this quarter",
            "polarity_assumed": "Direction assumed",
        }[self]


def previous_quarter(year: str, quarter: int) -> tuple[str, int]:
    """The quarter before, crossing into the previous financial year after Q1.

    >>> previous_quarter("2023/24", 1), previous_quarter("2023/24", 3)
    (('2022/23', 4), ('2023/24', 2))
    """
    return (previous_year(year), 4) if quarter == 1 else (year, quarter - 1)


class Frequency(StrEnum):
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class Polarity(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Profile(StrEnum):
    SNAPSHOT = "snapshot"
    CUMULATIVE = "cumulative"  # each value is the year to date: the last one is the year's
    #: Each value is the quarter's own figure: the year to date is their sum, checked as a
    #: cumulative measure is, and quarter 4's sum is the year's outturn.
    SUM = "sum"


class Table(StrEnum):
    PRIORITIES = "priorities"
    MILESTONES = "milestones"
    MEASURES = "measures"
    MILESTONE_UPDATES = "milestone_updates"
    MEASURE_UPDATES = "measure_updates"
    RISKS = "risks"


#: The five tables of the data contract, and the ones a dataset may leave out.
CONTRACT = (Table.PRIORITIES, Table.MILESTONES, Table.MEASURES, Table.MILESTONE_UPDATES,
            Table.MEASURE_UPDATES)
#: A plan of measures only has no milestone tables, and the reverse: each part's plan table
#: and its updates are there together or not at all, and at least one part is there.
PARTS = ((Table.MILESTONES, Table.MILESTONE_UPDATES), (Table.MEASURES, Table.MEASURE_UPDATES))
OPTIONAL_TABLES = (*(name for part in PARTS for name in part), Table.RISKS)


class Level(StrEnum):
    """A risk's impact or likelihood."""

    LOW = "L"
    MEDIUM = "M"
    HIGH = "H"

    @classmethod
    def parse(cls, text: object) -> "Level | None":
        """H, M or L, or the words, in any case.

        >>> Level.parse("high"), Level.parse(" m "), Level.parse("severe")
        (<Level.HIGH: 'H'>, <Level.MEDIUM: 'M'>, None)
        """
        if not isinstance(text, str):
            return None
        word = text.strip().lower()
        return {"l": cls.LOW, "low": cls.LOW, "m": cls.MEDIUM, "medium": cls.MEDIUM,
                "med": cls.MEDIUM, "h": cls.HIGH, "high": cls.HIGH}.get(word)

    @property
    def label(self) -> str:
        return {"L": "Low", "M": "Medium", "H": "High"}[self.value]

    @property
    def score(self) -> int:
        return {"L": 1, "M": 2, "H": 3}[self.value]


LEVEL_ALLOWED = "H, M or L (or high, medium, low)"


#: Required then optional columns of each table, as the README's data contract lists them.
REQUIRED: dict[Table, tuple[str, ...]] = {
    Table.PRIORITIES: ("year", "priority_id", "name"),
    Table.MILESTONES: ("year", "milestone_id", "priority_id", "title"),
    Table.MEASURES: ("year", "measure_id", "priority_id", "name", "target", "frequency"),
    Table.MILESTONE_UPDATES: ("year", "quarter", "milestone_id", "rag"),
    Table.MEASURE_UPDATES: ("year", "quarter", "measure_id"),
    Table.RISKS: ("year", "quarter", "risk", "impact", "likelihood", "mitigation",
                  "residual_impact", "residual_likelihood"),
}
OPTIONAL: dict[Table, tuple[str, ...]] = {
    Table.PRIORITIES: ("order",),
    Table.MILESTONES: ("objective", "lead"),
    Table.MEASURES: (
        "polarity", "profile", "tolerance", "low_target", "unit",
        "q1_target", "q2_target", "q3_target", "q4_target",
    ),
    Table.MILESTONE_UPDATES: ("progress", "action", "forecast"),
    Table.MEASURE_UPDATES: ("value", "rag", "comment", "action", "forecast"),
    Table.RISKS: ("risk_id", "owner"),
}

YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
YEAR_ALLOWED = "a financial year written like 2023/24"


def is_financial_year(text: str) -> bool:
    """True for "2023/24"-style years whose second half follows the first.

    >>> is_financial_year("2022/23"), is_financial_year("2022/24"), is_financial_year("22/23")
    (True, False, False)
    """
    match = YEAR_PATTERN.match(text)
    return bool(match) and (int(match[1]) + 1) % 100 == int(match[2])


def previous_year(year: str) -> str:
    """The financial year before ``year``.

    >>> previous_year("2023/24")
    '2022/23'
    """
    start = int(year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def slug(year: str, quarter: int) -> str:
    """The output folder name for a year and quarter.

    >>> slug("2022/23", 2)
    '2022-23-Q2'
    """
    return f"{year.replace('/', '-')}-Q{quarter}"
