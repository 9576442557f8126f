"""A council's data as it keeps it: a layout file says where its tables are and what is what.

A scheme makes a council's words data; a layout does the same for the shape of its
spreadsheet. One YAML file names the files and sheets, the header row, which of the
council's own column headings is which field, whether quarters (or months) are rows,
columns or files, and how actions and indicators are told apart. :func:`load_native` reads
the council's files through it into the five tables of the data contract, validated as any
dataset is, and every row keeps its :class:`Origin` (file, sheet, row and column heading in
the council's own sheet), so each message names the council's cell, never a generated one.

Nothing here guesses: :mod:`perfkit.init` guesses, and writes a layout a person can read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from perfkit.errors import DataError, PerfkitError, Problem
from perfkit.limits import MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, clip
from perfkit.model import OPTIONAL, REQUIRED, Table, is_financial_year

if TYPE_CHECKING:
    from perfkit.load import Dataset
    from perfkit.scheme import Scheme


class LayoutError(PerfkitError):
    """A layout file is missing, not YAML, or breaks the layout's rules; lists every problem."""


class Field_(StrEnum):
    """A field a council's column can hold."""

    ID = "id"
    NAME = "name"
    GROUP = "group"  # priority, theme, directorate or committee: the report's sections
    KIND = "kind"  # tells actions (milestones) and indicators (measures) apart
    TARGET = "target"
    VALUE = "value"
    STATUS = "status"  # the officer's word: a milestone's status, a measure's rating
    COMMENT = "comment"
    YEAR = "year"
    QUARTER = "quarter"
    FREQUENCY = "frequency"
    POLARITY = "polarity"
    PROFILE = "profile"
    TOLERANCE = "tolerance"
    LOW_TARGET = "low_target"
    UNIT = "unit"
    LEAD = "lead"
    OBJECTIVE = "objective"
    AGGREGATE = "aggregate"  # per measure: how a quarter's figure is made from its months
    MONTH = "month"  # a row per measure per month: Apr, April 2024, Apr-24 or 2024-04-30


class Holds(StrEnum):
    MEASURES = "measures"
    MILESTONES = "milestones"
    BOTH = "both"


class Monthly(StrEnum):
    """How a quarter's figure is made from a measure's monthly figures."""

    LAST = "last"  # the quarter's last month
    SUM = "sum"  # the three months added up (all three needed)
    MEAN = "mean"  # the mean of the months given


_AGGREGATE_WORDS = {
    "last": Monthly.LAST, "latest": Monthly.LAST, "snapshot": Monthly.LAST,
    "end of quarter": Monthly.LAST, "quarter end": Monthly.LAST,
    "sum": Monthly.SUM, "total": Monthly.SUM, "cumulative": Monthly.SUM, "count": Monthly.SUM,
    "mean": Monthly.MEAN, "average": Monthly.MEAN, "avg": Monthly.MEAN,
}
AGGREGATE_ALLOWED = "last (or latest), sum (or total) or mean (or average)"

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_PERIOD = re.compile(
    r"^\s*(?:(?P<year>\d{4}\s*[/-]\s*\d{2,4})\s+)?"
    r"(?:q(?:uarter)?\s*(?P<q>[1-4])|(?P<month>[a-z]{3})[a-z]*)\s*$", re.IGNORECASE)
PERIOD_ALLOWED = ("Q1 to Q4 or a month (Apr, April), optionally after the financial year "
                  "(2023/24 Q2, 2023/24 Apr)")


@dataclass(frozen=True)
class Period:
    """A value column's period: a quarter, or a month (its quarter and place in it)."""

    year: str | None
    quarter: int
    month: int | None = None  # 1 to 3: the month's place in its quarter

    @classmethod
    def parse(cls, text: str) -> "Period | None":
        """Read a period heading's meaning.

        >>> Period.parse("Q2"), Period.parse("2023/24 June")
        (Period(year=None, quarter=2, month=None), Period(year='2023/24', quarter=1, month=3))
        >>> Period.parse("Sept").quarter, Period.parse("Septic") is None
        (2, True)
        """
        match = _PERIOD.match(str(text))
        if not match:
            return None
        year = financial_year(match["year"]) if match["year"] else None
        if match["year"] and not year:
            return None
        if match["q"]:
            return cls(year, int(match["q"]))
        word = match["month"].lower()
        full = str(text).strip().split()[-1].lower()
        names = ("january", "february", "march", "april", "may", "june", "july", "august",
                 "september", "october", "november", "december")
        if word not in _MONTHS:
            return None
        index = _MONTHS.index(word)
        if full not in (_MONTHS[index], names[index], *(("sept",) if word == "sep" else ())):
            return None
        # The financial year starts in April: April to June is quarter 1.
        place = (index - 3) % 12
        return cls(year, place // 3 + 1, place % 3 + 1)


MONTH_ALLOWED = "a month such as Apr, April 2024, Apr-24 or a date such as 2024-04-30"


def month_of(text: str) -> Period | None:
    """A month cell's period, with its financial year when the cell gives the year.

    >>> month_of("Apr-24"), month_of("2025-03-31")
    (Period(year='2024/25', quarter=1, month=1), Period(year='2024/25', quarter=4, month=3))
    >>> month_of("June"), month_of("Smarch")
    (Period(year=None, quarter=1, month=3), None)
    """
    text = str(text).strip()
    date = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", text)
    if date:
        calendar_year, month = int(date[1]), int(date[2])
        if not 1 <= month <= 12:
            return None
    else:
        named = re.fullmatch(r"([A-Za-z]+)[\s'/-]*(\d{4}|\d{2})?", text)
        period = Period.parse(named[1]) if named else None
        if period is None or period.month is None:
            return None
        month = (period.quarter - 1) * 3 + period.month + 3
        month = month - 12 if month > 12 else month
        calendar_year = None
        if named[2]:
            calendar_year = int(named[2]) + (2000 if len(named[2]) == 2 else 0)
    place = (month - 4) % 12
    year = None
    if calendar_year is not None:
        start = calendar_year if month >= 4 else calendar_year - 1
        year = f"{start}/{(start + 1) % 100:02d}"
    return Period(year, place // 3 + 1, place % 3 + 1)


def financial_year(text: str) -> str | None:
    """A financial year as the data contract writes it, from the ways councils write it.

    >>> financial_year("2023/24"), financial_year("2023-2024"), financial_year("2023/25")
    ('2023/24', '2023/24', None)
    """
    match = re.fullmatch(r"\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*", str(text))
    if not match:
        return None
    year = f"{match[1]}/{match[2][-2:]}"
    if len(match[2]) == 4 and int(match[2]) != int(match[1]) + 1:
        return None
    return year if is_financial_year(year) else None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kinds(_Model):
    """The words of the ``kind`` column that mark an action or an indicator."""

    milestones: Annotated[list[str], Field(min_length=1)]
    measures: Annotated[list[str], Field(min_length=1)]


class Source(_Model):
    """One file or sheet of the council's, and how to read it."""

    file: str | None = None  # relative to the params file's ``data`` folder
    sheet: str | None = None  # a workbook's sheet; the first by default
    header_row: Annotated[int, Field(ge=1, le=1000)] = 1
    ends_at_blank_row: bool = False  # notes below the table, after a blank row
    holds: Holds = Holds.MEASURES
    kinds: Kinds | None = None  # with ``holds: both``
    year: str | None = None  # when the sheet is one financial year
    quarter: Annotated[int, Field(ge=1, le=4)] | None = None  # when the sheet is one quarter
    columns: dict[Field_, Annotated[str, Field(min_length=1, max_length=500)]]
    periods: dict[Annotated[str, Field(min_length=1, max_length=500)], str] = {}
    monthly: Monthly = Monthly.LAST

    @model_validator(mode="after")
    def _sound(self) -> "Source":
        problems = []
        if Field_.NAME not in self.columns:
            problems.append("columns.name: is required (the heading of the column that names "
                            "each action or indicator)")
        if self.holds is Holds.BOTH and (self.kinds is None or Field_.KIND not in self.columns):
            problems.append("holds both: needs columns.kind and kinds (which words of that "
                            "column mark milestones and which measures)")
        if self.holds is not Holds.MEASURES and Field_.STATUS not in self.columns:
            problems.append("columns.status: is required for milestones (their status)")
        if self.year is not None and not financial_year(self.year):
            problems.append(f"year: {self.year!r} is not allowed (a financial year written "
                            "like 2023/24)")
        if self.year is None and Field_.YEAR not in self.columns and not self.periods \
                and Field_.MONTH not in self.columns:
            problems.append("year: give the sheet's year, or columns.year")
        if (self.quarter is None and Field_.QUARTER not in self.columns
                and Field_.MONTH not in self.columns and not self.periods):
            problems.append("quarter: give the sheet's quarter, columns.quarter or periods")
        for heading, text in self.periods.items():
            period = Period.parse(text)
            if period is None:
                problems.append(f"periods.{heading}: {text!r} is not allowed ({PERIOD_ALLOWED})")
            elif period.year is None and self.year is None:
                problems.append(f"periods.{heading}: {text!r} needs a year (2023/24 {text}) "
                                "or the sheet's year")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Layout(_Model):
    """A council's layout: its sources, and the words that stand for no target or not yet."""

    sources: Annotated[list[Source], Field(min_length=1, max_length=200)]
    no_target: list[str] = []  # target texts that mean "no target" (a blank one always does)
    not_yet: list[str] = []  # value texts that mean "not due yet"
    plan_name: str = "Council Plan"  # the one section's name when no column groups the rows


# --- reading a layout file --------------------------------------------------------------

def read_layout(path: str | Path) -> Layout:
    """Read and validate a layout YAML file (bounded like a params file: no aliases).

    >>> read_layout("no/such/layout.yaml")
    Traceback (most recent call last):
    perfkit.layout.LayoutError: no/such/layout.yaml: layout file not found
    """
    from perfkit.yamlfile import read_yaml

    values = read_yaml(Path(path), LayoutError, "layout file")
    return parse_layout(values, str(path))


def parse_layout(values: object, source: str = "layout") -> Layout:
    """Validate a layout's mapping; every problem is listed in one :class:`LayoutError`.

    >>> parse_layout({"sources": [{"columns": {"name": "PI", "colour": "x"}}]}, "l.yaml")
    Traceback (most recent call last):
    perfkit.layout.LayoutError: 1 problem in the layout l.yaml:
      - sources.0.columns.colour: 'colour' is not allowed (known fields: id, name, group, kind, target, value, status, comment, year, quarter, frequency, polarity, profile, tolerance, low_target, unit, lead, objective, aggregate, month)
    >>> parse_layout({"sources": [{"columns": {"name": "PI"}, "sheet": "PIs"}]}, "l.yaml")
    Traceback (most recent call last):
    perfkit.layout.LayoutError: 1 problem in the layout l.yaml:
      - sources.0: year: give the sheet's year, or columns.year; quarter: give the sheet's quarter, columns.quarter or periods
    """
    if not isinstance(values, dict):
        raise LayoutError(f"{source}: expected a mapping of keys "
                          f"({', '.join(Layout.model_fields)})")
    try:
        return Layout.model_validate(values)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"] if p != "[key]") or "(file)"
            if e["type"] == "missing":
                problems.append(f"{where}: is required")
            elif e["type"] == "extra_forbidden":
                known = _known_keys(e["loc"])
                problems.append(f"{where}: unknown key (known keys: {known})")
            elif e["type"] == "enum" and "[key]" in [str(p) for p in e["loc"]]:
                problems.append(f"{where}: {e.get('input')!r} is not allowed (known fields: "
                                f"{', '.join(f.value for f in Field_)})")
            else:
                reason = e["msg"].removeprefix("Value error, ")
                shown = e.get("input")
                value = f"{shown!r} is not allowed " if isinstance(shown, (str, int)) else ""
                problems.append(f"{where}: {value}({reason[:1].lower() + reason[1:]})"
                                if value else f"{where}: {reason}")
        count = len(problems)
        raise LayoutError("\n".join([f"{count} problem{'s' if count != 1 else ''} in the "
                                     f"layout {source}:", *(f"  - {p}" for p in problems)])
                          ) from None


def _known_keys(loc: tuple) -> str:
    model: type[BaseModel] = Layout
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation if part in model.model_fields \
            else None
        inner = [a for a in getattr(annotation, "__args__", (annotation,))
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            break
        model = inner[0]
    return ", ".join(model.model_fields)


# --- reading the council's files --------------------------------------------------------

@dataclass(frozen=True)
class Origin:
    """Where a generated row came from: the council's file and sheet, row and headings."""

    where: str  # "Performance.xlsx, sheet 'Indicators'" or "PIs Q2.csv"
    row: int  # the row in the council's sheet (its first row is 1)
    headings: dict[str, str] = field(default_factory=dict)  # contract column -> heading

    def problem(self, found: Problem) -> Problem:
        """The same problem, told in the council's terms.

        >>> o = Origin("PIs.csv", 7, {"rag": "Status"})
        >>> print(o.problem(Problem("milestone_updates.csv", 12, "rag", "Purple", "G, A or R")))
        PIs.csv, row 7, column 'Status': 'Purple' is not allowed (allowed: G, A or R)
        """
        column = self.headings.get(found.column or "", found.column)
        allowed = _CONTRACT_NAMES.sub(lambda m: "the council's data", found.allowed)
        return Problem(self.where, self.row, column, found.value, allowed, found.what)


_CONTRACT_NAMES = re.compile(r"\b(?:priorities|milestones|measures|milestone_updates|"
                             r"measure_updates)\.csv\b")


@dataclass
class _Sheet:
    where: str
    rows: list[list[str]]  # every row as read, row 1 first; blank rows as []


def _read_sheet(data: Path, source: Source, problems: list[Problem]) -> _Sheet | None:
    path = data / source.file if source.file else data
    if not path.is_file():
        problems.append(Problem(str(source.file or data), None, None, None,
                                f"a file in {data if source.file else data.parent}",
                                what="file not found"))
        return None
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path, source.sheet, problems)
    if path.suffix.lower() in (".csv", ".txt"):
        return _read_csv_rows(path, problems)
    problems.append(Problem(path.name, None, None, None, "an .xlsx workbook or a .csv file",
                            what="is neither a workbook nor a CSV file"))
    return None


def _read_csv_rows(path: Path, problems: list[Problem]) -> _Sheet | None:
    from perfkit.load import _decode, _read_bounded

    raw = _read_bounded(path, problems)
    text = None if raw is None else _decode(raw, path.name, problems)
    if text is None:
        return None
    rows: list[list[str]] = []
    cells = 0
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            cells += len(record)
            if number > MAX_ROWS + 1000 or cells > MAX_CELLS or len(record) > MAX_COLUMNS * 4:
                problems.append(Problem(path.name, number, None, None,
                                        f"at most {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns "
                                        f"and {MAX_CELLS:,} cells in a table",
                                        what="is past the limit; the file was read no further"))
                return None
            long = next((v for v in record if len(v) > MAX_CELL_CHARS), None)
            if long is not None:
                problems.append(Problem(path.name, number, None, long,
                                        f"cells of at most {MAX_CELL_CHARS:,} characters",
                                        what="is longer than the limit"))
                return None
            rows.append([v.strip() for v in record])
    except csv.Error as err:
        problems.append(Problem(path.name, len(rows) + 1, None, None,
                                'comma-separated cells, a cell with a comma in "quotes"',
                                what=f"cannot be read as CSV ({clip(str(err))})"))
        return None
    return _Sheet(path.name, rows)


def _read_xlsx(path: Path, sheet: str | None, problems: list[Problem]) -> _Sheet | None:
    from openpyxl import load_workbook

    from perfkit.load import _cell_text, _unreadable, _workbook_problem

    early = _workbook_problem(path)
    if early:
        problems.append(early)
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        problems.append(_unreadable(path.name, err))
        return None
    try:
        names = {n.strip().lower(): n for n in book.sheetnames}
        name = book.sheetnames[0] if sheet is None else names.get(sheet.strip().lower())
        if name is None:
            problems.append(Problem(path.name, None, None, None,
                                    f"sheets named {', '.join(book.sheetnames)}",
                                    what=f"sheet {sheet!r} not found"))
            return None
        where = f"{path.name}, sheet {name!r}"
        ws = book[name]
        ws.reset_dimensions()
        rows: list[list[str]] = []
        cells = 0
        for number, row in enumerate(ws.iter_rows(), start=1):
            cells += len(row)
            if number > MAX_ROWS + 1000 or cells > MAX_CELLS:
                problems.append(Problem(where, number, None, None,
                                        f"at most {MAX_ROWS:,} rows and {MAX_CELLS:,} cells",
                                        what="is past the limit; the sheet was read no further"))
                return None
            texts = [_cell_text(c) for c in row[:MAX_COLUMNS * 4]]
            while texts and texts[-1] == "":
                texts.pop()
            long = next((v for v in texts if len(v) > MAX_CELL_CHARS), None)
            if long is not None:
                problems.append(Problem(where, number, None, long,
                                        f"cells of at most {MAX_CELL_CHARS:,} characters",
                                        what="is longer than the limit"))
                return None
            rows.append(texts)
        while rows and not rows[-1]:
            rows.pop()
        return _Sheet(where, rows)
    except Exception as err:  # noqa: BLE001 - a damaged sheet, whatever openpyxl raises
        problems.append(_unreadable(path.name, err))
        return None
    finally:
        book.close()


def heading_key(text: str) -> str:
    """A heading as matched: stripped, single-spaced, any case."""
    return re.sub(r"\s+", " ", str(text).strip().lower())


def make_id(name: str) -> str:
    """An ID made from a name, the same every quarter the name is the same.

    A long name is cut at a word, and ends with four characters of its whole name's hash,
    so two long names that begin alike still get two IDs.

    >>> make_id("Council Tax collected")
    'council-tax-collected'
    >>> make_id("% of sites falling below the cleanliness standard")
    'pct-of-sites-falling-below-the-98b8'
    >>> make_id("Council Tax collected") == make_id("council tax  collected ")
    True
    """
    words = re.findall(r"[a-z0-9]+", name.lower().replace("%", " pct "))
    digest = hashlib.sha1(" ".join(words).encode()).hexdigest()
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 40:
            return f"{slug}-{digest[:4]}" if slug else f"row-{digest[:8]}"
        slug = f"{slug}-{word}" if slug else word
    return slug or f"row-{heading_key(name).encode().hex()[:8] or 'blank'}"


# --- from the council's rows to the contract's tables -----------------------------------

@dataclass
class _Row:
    """One row of a generated table, with where each of its cells came from."""

    table: Table
    values: dict[str, str]
    origin: Origin
    order: tuple = ()


@dataclass
class _Build:
    layout: Layout
    problems: list[Problem] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)


def native_tables(layout: Layout, data: Path) -> tuple[dict[Table, pd.DataFrame],
                                                      dict[tuple[Table, int], Origin],
                                                      list[Problem]]:
    """The contract's tables from the council's files, each row's origin, and the problems
    found in reading them (a missing heading, an unknown kind word, a blank name)."""
    build = _Build(layout)
    for index, source in enumerate(layout.sources):
        sheet = _read_sheet(data, source, build.problems)
        if sheet is not None:
            _read_source(build, index, source, sheet)
    return (*_assemble(build), build.problems)


def _read_source(build: _Build, index: int, source: Source, sheet: _Sheet) -> None:
    rows = sheet.rows
    at = source.header_row
    header = rows[at - 1] if len(rows) >= at else []
    positions = {heading_key(h): i for i, h in reversed(list(enumerate(header))) if h}
    # Fields by name; period columns by "@" and heading, so a heading never shadows a field.
    wanted = {**{f.value: h for f, h in source.columns.items()},
              **{f"@{h}": h for h in source.periods}}
    missing = [h for h in wanted.values() if heading_key(h) not in positions]
    if missing:
        found = ", ".join(repr(h) for h in header if h) or "nothing"
        for heading in missing:
            build.problems.append(Problem(sheet.where, at, heading, None,
                                          f"a heading in row {at}, the header row the layout "
                                          f"gives (found: {clip(found, 300)})",
                                          what="heading not found"))
        return
    col = {name: positions[heading_key(h)] for name, h in wanted.items()}
    heads = {name: header[i] for name, i in col.items()}
    periods = {f"@{h}": Period.parse(p) for h, p in source.periods.items()}
    for number in range(at + 1, len(rows) + 1):
        cells = rows[number - 1]
        if not any(cells):
            if source.ends_at_blank_row:
                break
            continue

        def cell(name: str) -> str:
            i = col.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        _read_row(build, index, source, sheet.where, number, cell, heads, periods)


def _read_row(build: _Build, index: int, source: Source, where: str, number: int,
              cell, heads: dict[str, str], periods: dict[str, Period]) -> None:
    layout = build.layout

    def problem(name: str, value: str, allowed: str, what: str = "is not allowed") -> None:
        build.problems.append(Problem(where, number, heads.get(name, name), value, allowed, what))

    name = cell("name")
    if not name:
        problem("name", "", "a name (this cell is required)")
        return
    kind = source.holds
    if kind is Holds.BOTH:
        word = heading_key(cell("kind"))
        kinds = source.kinds
        if word in {heading_key(w) for w in kinds.milestones}:
            kind = Holds.MILESTONES
        elif word in {heading_key(w) for w in kinds.measures}:
            kind = Holds.MEASURES
        else:
            problem("kind", cell("kind"), f"{', '.join(kinds.milestones)} (an action) or "
                                          f"{', '.join(kinds.measures)} (an indicator)")
            return
    year = source.year and financial_year(source.year)
    if "year" in heads:
        year = financial_year(cell("year")) or cell("year")  # a bad year is named below
    quarter = str(source.quarter or "")
    if "quarter" in heads:
        text = cell("quarter")
        match = re.fullmatch(r"(?:q(?:uarter)?\s*)?([1-4])", text.strip().lower())
        quarter = match[1] if match else text
    month = None
    if "month" in heads:
        month = month_of(cell("month"))
        if month is None:
            problem("month", cell("month"), MONTH_ALLOWED)
            return
        year, quarter = month.year or year, str(month.quarter)
        if not year:
            problem("month", cell("month"), "a month with its year (Apr-24), or the layout's "
                                            "year or year column", what="has no year")
            return
    group = cell("group") if "group" in heads else layout.plan_name
    if not group:
        problem("group", "", "the name of the row's priority, theme, directorate or committee")
        return
    ident = cell("id") if "id" in heads else make_id(name)
    id_heading = heads.get("id", heads["name"])
    origin = lambda **h: Origin(where, number, h)  # noqa: E731
    # Each row's place in the council's files, so tables keep the council's order.
    order = (index, number)
    build.rows.append(_Row(Table.PRIORITIES, {"year": year or "", "name": group},
                           origin(year=heads.get("year", "year"), name=heads.get("group", "group"),
                                  priority_id=heads.get("group", "group")), order))
    if kind is Holds.MILESTONES:
        plan = {"year": year, "milestone_id": ident, "title": name, "_group": group,
                "_quarter": quarter}
        for f in ("objective", "lead"):
            if f in heads:
                plan[f] = cell(f)
        build.rows.append(_Row(Table.MILESTONES, plan, origin(
            milestone_id=id_heading, title=heads["name"], priority_id=heads.get("group", ""),
            **{f: heads[f] for f in ("objective", "lead", "year") if f in heads}), order))
        update = {"year": year, "quarter": quarter, "milestone_id": ident, "rag": cell("status")}
        if "comment" in heads:
            update["progress"] = cell("comment")
        build.rows.append(_Row(Table.MILESTONE_UPDATES, update, origin(
            milestone_id=id_heading, rag=heads["status"], progress=heads.get("comment", ""),
            year=heads.get("year", ""), quarter=heads.get("quarter", "")), order))
        return
    target = cell("target")
    if heading_key(target) in {heading_key(w) for w in layout.no_target}:
        target = ""
    frequency = cell("frequency") if "frequency" in heads else "quarterly"
    frequency = {"monthly": "quarterly", "annually": "annual", "yearly": "annual",
                 "quarter": "quarterly", "month": "quarterly", "annual": "annual",
                 "quarterly": "quarterly"}.get(heading_key(frequency), frequency)
    plan = {"year": year, "measure_id": ident, "name": name, "_group": group,
            "target": target, "frequency": frequency, "_quarter": quarter,
            "_month": month and month.month}
    for f in ("polarity", "profile", "tolerance", "low_target", "unit"):
        if f in heads:
            plan[f] = cell(f).lower() if f in ("polarity", "profile") else cell(f)
    build.rows.append(_Row(Table.MEASURES, plan, origin(
        measure_id=id_heading, name=heads["name"], target=heads.get("target", ""),
        frequency=heads.get("frequency", ""), year=heads.get("year", ""),
        **{f: heads[f] for f in ("polarity", "profile", "tolerance", "low_target", "unit")
           if f in heads}), order))
    how = source.monthly
    if "aggregate" in heads and (month or any(p.month for p in periods.values())):
        word = heading_key(cell("aggregate"))
        if word and word not in _AGGREGATE_WORDS:
            problem("aggregate", cell("aggregate"), AGGREGATE_ALLOWED)
            return
        how = _AGGREGATE_WORDS.get(word, how)
    if month is not None:
        # One month of a quarter: its figure is made when every month's row is read.
        update = {"year": year, "quarter": quarter, "measure_id": ident,
                  "value": cell("value"), "_month": month.month, "_how": how}
        for f, column in (("status", "rag"), ("comment", "comment")):
            if f in heads:
                update[column] = cell(f)
        build.rows.append(_Row(Table.MEASURE_UPDATES, update, origin(
            measure_id=id_heading, value=heads.get("value", ""), rag=heads.get("status", ""),
            comment=heads.get("comment", ""), year=heads.get("year", heads["month"]),
            quarter=heads["month"]), order))
        return
    # The figures: one value column, or one per quarter or month.
    figures: dict[tuple[str, str], tuple[str, str]] = {}  # (year, quarter) -> value, heading
    if "value" in heads:
        figures[(year, quarter)] = (cell("value"), heads["value"])
    months: dict[tuple[str, str], dict[int, tuple[str, str]]] = {}
    for heading, period in periods.items():
        at = (period.year or year, str(period.quarter))
        if period.month is None:
            figures[at] = (cell(heading), heads[heading])
        else:
            months.setdefault(at, {})[period.month] = (cell(heading), heads[heading])
    if months:
        for at, given in months.items():
            odd = _odd_month(given) if how is not Monthly.LAST else None
            if odd:
                value, heading = odd
                build.problems.append(Problem(
                    where, number, heading, value,
                    f"a figure written as the quarter's other months are ({AGGREGATE_ALLOWED} "
                    f"makes the quarter's figure from them), or a blank month",
                    what=f"cannot be part of the quarter's {how.value}"))
                return
            figures[at] = (quarter_figure(given, how), ", ".join(h for _, h in given.values()))
    # The status and comment are the row's own quarter's: the sheet's, or the last with a figure.
    own = (year, quarter) if quarter else next(
        (k for k in sorted(figures, reverse=True) if figures[k][0]), None)
    for at in sorted(set(figures) | ({own} if own else set())):
        value, heading = figures.get(at, ("", heads.get("value", "")))
        if heading_key(value) in {heading_key(w) for w in layout.not_yet}:
            value = "Not yet due"
        update = {"year": at[0], "quarter": at[1], "measure_id": ident}
        if "value" in heads or periods:  # an officer's status alone has no value column
            update["value"] = value
        if at == own:
            if "status" in heads:
                update["rag"] = cell("status")
            if "comment" in heads:
                update["comment"] = cell("comment")
        elif not value:
            continue  # a later quarter's empty column: not reported yet
        build.rows.append(_Row(Table.MEASURE_UPDATES, update, origin(
            measure_id=id_heading, value=heading, rag=heads.get("status", ""),
            comment=heads.get("comment", ""), year=heads.get("year", ""),
            quarter=heads.get("quarter", "")), order))


def quarter_figure(months: dict[int, tuple[str, str]], how: Monthly) -> str:
    """A quarter's figure from its months' figures (keyed 1 to 3), written as theirs are.

    Blank when there is no figure to give: for ``last`` the quarter's last month is blank;
    for ``sum`` a month is blank; for ``sum`` and ``mean`` the months are not figures of one
    kind ("95", "12%" and "4 days" do not add up).

    >>> quarter_figure({1: ("10", "Apr"), 2: ("12", "May"), 3: ("11", "Jun")}, Monthly.SUM)
    '33'
    >>> quarter_figure({1: ("50%", "Apr"), 2: ("55%", "May")}, Monthly.MEAN)
    '52.5%'
    >>> quarter_figure({1: ("1,200", "Apr"), 3: ("1,350", "Jun")}, Monthly.LAST)
    '1,350'
    >>> quarter_figure({1: ("2 days", "Apr"), 2: ("3 days", "May")}, Monthly.MEAN)
    '2.5 days'
    """
    given = {m: v for m, (v, _) in months.items() if v}
    if how is Monthly.LAST:
        return given.get(3, "")
    if not given or (how is Monthly.SUM and len(given) < 3):
        return ""
    parts = [_FIGURE.fullmatch(v.strip()) for v in given.values()]
    if not all(parts) or len({(p["pre"].lower(), p["post"].strip().lower()) for p in parts}) > 1:
        return ""
    numbers = [Fraction(p["num"].replace(",", "")) for p in parts]
    total = sum(numbers, Fraction(0))
    number = total if how is Monthly.SUM else total / len(numbers)
    text = f"{float(number):,.2f}".rstrip("0").rstrip(".")
    if not any("," in p["num"] for p in parts):
        text = text.replace(",", "")
    return f"{parts[0]['pre']}{text}{parts[0]['post']}"


def _odd_month(months: dict[int, tuple[str, str]]) -> tuple[str, str] | None:
    """The first month (text, heading) that is not a figure like the quarter's first one."""
    first = None
    for value, heading in months.values():
        if not value:
            continue
        match = _FIGURE.fullmatch(value.strip())
        if not match:
            return value, heading
        kind = (match["pre"].lower(), match["post"].strip().lower())
        if first is None:
            first = kind
        elif kind != first:
            return value, heading
    return None


_FIGURE = re.compile(r"(?P<pre>[£$€]?)(?P<num>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
                     r"(?P<post>\s*(?:%|[a-z]+)?)", re.IGNORECASE)


def _assemble(build: _Build) -> tuple[dict[Table, pd.DataFrame], dict[tuple[Table, int], Origin]]:
    """The contract's tables from the rows read, in the council's order, with origins."""
    origins: dict[tuple[Table, int], Origin] = {}
    frames: dict[Table, pd.DataFrame] = {}
    # A group is a priority; its ID is made from its name, the same every quarter.
    priorities: dict[tuple[str, str], _Row] = {}
    for row in build.rows:
        if row.table is Table.PRIORITIES:
            priorities.setdefault((row.values["year"], row.values["name"]), row)
    ids: dict[str, str] = {}
    for _, name in priorities:
        ids.setdefault(name, _unique(make_id(name), set(ids.values())))
    # A plan row read from several files (one per quarter) is one row: the latest quarter's,
    # with each earlier quarter's own target where it differs.
    plan_rows: dict[tuple, list[_Row]] = {}
    updates: list[_Row] = []
    for row in build.rows:
        if row.table in (Table.MILESTONES, Table.MEASURES):
            key = "milestone_id" if row.table is Table.MILESTONES else "measure_id"
            group = plan_rows.setdefault((row.table, row.values["year"], row.values[key]), [])
            twice = any(r.origin.where == row.origin.where
                        and r.values["_quarter"] == row.values["_quarter"]
                        and r.values.get("_month") == row.values.get("_month") for r in group)
            if twice:
                # Two rows of one sheet and quarter with one ID: both kept, so the check
                # reports the duplicate at both of the council's rows.
                plan_rows[(row.table, row.values["year"], row.values[key], len(plan_rows))] = [row]
            else:
                group.append(row)
        elif row.table is not Table.PRIORITIES:
            updates.append(row)
    tables: dict[Table, list[tuple[dict, Origin]]] = {t: [] for t in Table}
    for (year, name), row in priorities.items():
        tables[Table.PRIORITIES].append(({"year": year, "priority_id": ids[name], "name": name},
                                         row.origin))
    for rows in plan_rows.values():
        latest = max(rows, key=lambda r: r.values.get("_quarter", ""))
        values = dict(latest.values)
        values["priority_id"] = ids.get(values.pop("_group"), "")
        own = values.pop("_quarter", None)
        values.pop("_month", None)
        if latest.table is Table.MEASURES:
            for row in rows:
                q = row.values.get("_quarter")
                if q in ("1", "2", "3", "4") and row.values["target"] != values["target"] and (
                        q != own):
                    values[f"q{q}_target"] = row.values["target"]
        tables[latest.table].append((values, latest.origin))
    for row in _quarters_of_months(build, updates):
        tables[row.table].append((row.values, row.origin))
    for table, rows in tables.items():
        if table is Table.RISKS:
            continue
        if not rows and table is not Table.PRIORITIES:
            continue  # a part the council's files do not hold is left out, as the contract allows
        columns = [*REQUIRED[table], *(c for c in OPTIONAL[table]
                                       if any(c in values for values, _ in rows))]
        records = []
        for number, (values, origin) in enumerate(rows, start=1):
            records.append([values.get(c, "") for c in columns] + [number])
            origins[(table, number)] = origin
        from perfkit.load import ROW

        frames[table] = pd.DataFrame(records, columns=[*columns, ROW], dtype=object) \
            .astype({ROW: int})
    return frames, origins


def _quarters_of_months(build: _Build, updates: list[_Row]) -> list[_Row]:
    """Updates with a row per month made into one per quarter; the others as they are."""
    months: dict[tuple, list[_Row]] = {}
    done: list[_Row] = []
    for row in updates:
        if "_month" not in row.values:
            done.append(row)
            continue
        key = (row.values["year"], row.values["quarter"], row.values["measure_id"])
        if key not in months:
            done.append(row)  # the quarter's place: where its first month was
        months.setdefault(key, []).append(row)
    made = {}
    for key, rows in months.items():
        rows = sorted(rows, key=lambda r: r.values["_month"])
        how = rows[-1].values["_how"]
        given = {r.values["_month"]: (r.values["value"], str(r.origin.row)) for r in rows}
        odd = _odd_month(given) if how is not Monthly.LAST else None
        if odd:
            at = next(r for r in rows if str(r.origin.row) == odd[1])
            build.problems.append(Problem(
                at.origin.where, at.origin.row, at.origin.headings.get("value"), odd[0],
                f"a figure written as the quarter's other months are ({AGGREGATE_ALLOWED} "
                f"makes the quarter's figure from them), or a blank month",
                what=f"cannot be part of the quarter's {how.value}"))
            continue
        value = quarter_figure(given, how)
        if heading_key(value) in {heading_key(w) for w in build.layout.not_yet}:
            value = "Not yet due"
        values = {k: v for k, v in rows[-1].values.items() if not k.startswith("_")}
        values["value"] = value
        for column in ("rag", "comment"):
            said = [r.values[column] for r in rows if r.values.get(column)]
            if column in values:
                values[column] = said[-1] if said else ""
        if value or values.get("rag") or values.get("comment"):
            made[key] = _Row(Table.MEASURE_UPDATES, values, rows[-1].origin)
    out = []
    for row in done:
        if "_month" not in row.values:
            out.append(row)
        else:
            key = (row.values["year"], row.values["quarter"], row.values["measure_id"])
            if key in made:
                out.append(made[key])
    return out


def _unique(ident: str, taken: set[str]) -> str:
    if ident not in taken:
        return ident
    n = 2
    while f"{ident}-{n}" in taken:
        n += 1
    return f"{ident}-{n}"


def load_native(layout_path: str | Path, data: str | Path,
                scheme: "Scheme | None" = None) -> "Dataset":
    """Read the council's files through a layout into a validated :class:`Dataset`.

    Every problem names the council's file, sheet, row and column heading.
    """
    from perfkit.load import Dataset, _empty, validate
    from perfkit.model import OPTIONAL_TABLES

    layout_path, data = Path(layout_path), Path(data)
    layout = read_layout(layout_path)
    if not data.exists():
        raise DataError([Problem(str(data), None, None, None,
                                 "the folder (or file) that holds the files the layout names",
                                 what="not found")])
    frames, origins, problems = native_tables(layout, data)
    if problems:
        raise DataError(problems)
    absent = set()
    if not frames.get(Table.MILESTONES, pd.DataFrame()).shape[0] and \
            not frames.get(Table.MEASURES, pd.DataFrame()).shape[0]:
        raise DataError([Problem(str(layout_path), None, None, None,
                                 "rows below each source's header row",
                                 what="the layout's sources hold no action or indicator")])
    for name in OPTIONAL_TABLES:
        frames.setdefault(name, _empty(name))
    dataset = Dataset(layout_path, *(frames[name] for name in Table))
    found = validate(dataset, absent, scheme)
    if found:
        where = {dataset.where(t): t for t in Table}
        told: dict[str, Problem] = {}
        for p in found:
            origin = origins.get((where.get(p.file), p.row))
            problem = origin.problem(p) if origin else p
            # One council cell feeds several tables (a year column: the priority, the
            # measure and its update); it is named once.
            told.setdefault(str(problem), problem)
        raise DataError(list(told.values()))
    return dataset

