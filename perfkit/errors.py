"""The one exception family perfkit raises, so callers can catch ``PerfkitError`` alone."""

from __future__ import annotations

from dataclasses import dataclass

from perfkit.limits import shown

#: Lines printed in one message; the rest are counted (every one is in ``problems``).
MAX_LISTED = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located precisely enough for an officer to fix it.

    >>> print(Problem("measures.csv", 4, "tolerance", "ten", "a number from 0 to 1"))
    measures.csv, row 4, column 'tolerance': 'ten' is not allowed (allowed: a number from 0 to 1)
    >>> print(Problem("data", None, None, None, "a folder or .xlsx workbook", what="no such file"))
    data: no such file (allowed: a folder or .xlsx workbook)
    """

    file: str
    row: int | None
    column: str | None
    value: object
    allowed: str
    what: str = "is not allowed"

    def __str__(self) -> str:
        return self.located(None if self.row is None else f"row {self.row}")

    def located(self, rows: str | None) -> str:
        """The message with ``rows`` for where it is (``"rows 2-28 (27 rows)"``)."""
        where = [self.file]
        if rows is not None:
            where.append(rows)
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is None:
            subject = self.what
        else:
            # A bad value can be megabytes long: the message shows its start and its length.
            value = "(blank)" if self.value == "" else shown(self.value)
            subject = f"{value} {self.what}"
        return f"{', '.join(where)}: {subject} (allowed: {self.allowed})"


class PerfkitError(Exception):
    """Base of every error perfkit raises on purpose."""


#: How a command-line run asks for an empty quarter; in a notebook the parameter says it.
ALLOW_EMPTY_HINT = "--allow-empty (allow_empty: true in a params file)"
ALLOW_EMPTY_NOTEBOOK = "allow_empty = True in the parameters cell"


def counted(problems: list[Problem]) -> list[str]:
    r"""Each distinct problem once, with the rows it is on: one scheme's words against
    another's data is one problem on 36 rows, not 36 lines. Problems are distinct when
    anything but the row differs (file or sheet, column, value, what is wrong, what is
    allowed); they keep the order in which they were first found.

    >>> print("\n".join(counted([Problem("m.csv", r, "rag", "Green", "red") for r in (2, 3, 4, 9)]
    ...                         + [Problem("m.csv", 5, "rag", "Blue", "red")])))
    m.csv, rows 2-4 and 9 (4 rows), column 'rag': 'Green' is not allowed (allowed: red)
    m.csv, row 5, column 'rag': 'Blue' is not allowed (allowed: red)
    >>> print(counted([Problem("plan.xlsx, sheet 'KPIs'", r, "rag", "?", "red") for r in (7, 8)])[0])
    plan.xlsx, sheet 'KPIs', rows 7-8 (2 rows), column 'rag': '?' is not allowed (allowed: red)
    """
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        key = (p.file, p.column, repr(p.value), p.what, p.allowed)
        groups.setdefault(key, []).append(p)
    lines = []
    for same in groups.values():
        rows = sorted({p.row for p in same if p.row is not None})
        if len(rows) < 2:
            lines.extend(dict.fromkeys(str(p) for p in same))  # an exact repeat once
            continue
        spans, start = [], rows[0]
        for before, row in zip(rows, rows[1:] + [None]):
            if row != before + 1:
                spans.append(f"{start}" if start == before else f"{start}-{before}")
                start = row
        where = ", ".join(spans[:-1]) + " and " + spans[-1] if len(spans) > 1 else spans[0]
        lines.append(same[0].located(f"rows {where} ({len(rows):,} rows)"))
        if any(p.row is None for p in same):
            lines.append(str(next(p for p in same if p.row is None)))
    return lines


class DataError(PerfkitError):
    """The dataset breaks the data contract; ``problems`` lists every break found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count:,} problem{'s' if count != 1 else ''} in the data:"
        # The same problem on many rows is one line naming its rows (an officer fixes it
        # once), in the order found; every problem stays in ``problems``.
        distinct = counted(self.problems)
        lines = [head, *(f"  - {line}" for line in distinct[:MAX_LISTED])]
        if len(distinct) > MAX_LISTED:
            lines.append(f"  ... and {len(distinct) - MAX_LISTED:,} more (the first "
                         f"{MAX_LISTED} are listed)")
        super().__init__("\n".join(lines))


class ParamsError(PerfkitError):
    """A parameters file is missing, unreadable or holds a key or value that is not allowed."""


class EmptyQuarterError(ParamsError):
    """The data holds no update for the quarter asked for (or not that year at all)."""


class RenderError(PerfkitError):
    """Executing the report notebook or exporting it to HTML failed."""


class OutputError(PerfkitError):
    """The output folder cannot take the report: not writable, full, or not a folder."""


class OutputBusyError(OutputError):
    """Another run is writing the same quarter into the same output root."""


class Stopped(BaseException):
    """A render stopped from outside: a signal, or the wall-clock limit.

    Deliberately not an ``Exception``: it is raised from a signal handler wherever the main
    thread happens to be, and code in a notebook cell must not swallow it with
    ``except Exception``.
    """


class Interrupted(Stopped):
    """SIGINT (Ctrl-C) or SIGTERM arrived; the exit code is 128 plus the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class OutOfTime(Stopped):
    """Rendering one report took longer than its wall-clock limit."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds
