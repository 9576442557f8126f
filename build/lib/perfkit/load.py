"""Read a dataset (a folder of CSV files or one workbook) and validate it once, at the edge.

Every cell is read as text, exactly as typed, because targets and values are text in the
report ("Over £500k"). Validation is lazy: every problem in every table is collected and
raised together as one :class:`~perfkit.errors.DataError`.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from perfkit.errors import DataError, Problem
from perfkit.model import (
    CONTRACT, LEVEL_ALLOWED, OPTIONAL, OPTIONAL_TABLES, RAG_ALLOWED, REQUIRED, YEAR_ALLOWED,
    Frequency, Level, Polarity, Profile, Rag, Table,
    is_financial_year,
)

#: Row numbers in messages are spreadsheet rows: the header is row 1.
FIRST_DATA_ROW = 2
ROW = "_row"


@dataclass(frozen=True)
class Dataset:
    """The tables of the data contract, as text, each with its source row number.

    ``risks`` is the optional sixth table; it is empty when the dataset has none.
    """

    source: Path
    priorities: pd.DataFrame
    milestones: pd.DataFrame
    measures: pd.DataFrame
    milestone_updates: pd.DataFrame
    measure_updates: pd.DataFrame
    risks: pd.DataFrame

    def table(self, name: Table) -> pd.DataFrame:
        return getattr(self, name.value)

    def where(self, name: Table) -> str:
        """How messages name a table: the CSV file, or the workbook and sheet."""
        if self.source.suffix.lower() == ".xlsx":
            return f"{self.source.name}, sheet {name.value!r}"
        return f"{name.value}.csv"


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset folder or ``.xlsx`` workbook.

    >>> ds = load_dataset("data/chesterfield")
    >>> len(ds.milestones), len(ds.measures)
    (36, 46)
    """
    source = Path(path)
    problems: list[Problem] = []
    frames: dict[Table, pd.DataFrame] = {}
    if source.is_dir():
        for name in Table:
            path = source / f"{name.value}.csv"
            if name in CONTRACT or path.is_file():
                frames[name] = _read_csv(path, problems)
    elif source.suffix.lower() == ".xlsx" and source.is_file():
        frames = _read_workbook(source, problems)
    else:
        raise DataError([Problem(str(source), None, None, None,
                                 "a folder of CSV files or an .xlsx workbook",
                                 what="no dataset folder or workbook found here")])
    absent = {name for name in Table if name not in frames or ROW not in frames[name]}
    for name in OPTIONAL_TABLES:
        if name not in frames:
            frames[name] = _empty(name)
    dataset = Dataset(source, *(frames.get(name, _empty(name)) for name in Table))
    problems += validate(dataset, absent)
    if problems:
        raise DataError(problems)
    return dataset


def _empty(name: Table) -> pd.DataFrame:
    return pd.DataFrame(columns=[*REQUIRED[name], *OPTIONAL[name], ROW], dtype=object)


def _read_csv(path: Path, problems: list[Problem]) -> pd.DataFrame:
    if not path.is_file():
        problems.append(Problem(path.name, None, None, None,
                                f"a file {path.name} in {path.parent}", what="file not found"))
        return pd.DataFrame()
    raw = path.read_bytes()
    # Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in Windows-1252.
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                        skip_blank_lines=False)
    return _tidy(frame)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.map(lambda v: v.strip() if isinstance(v, str) else v)
    frame[ROW] = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    cells = frame.drop(columns=[ROW])
    blank = (cells == "").all(axis=1) if len(cells.columns) else pd.Series(True, frame.index)
    return frame.loc[~blank].reset_index(drop=True)


def _read_workbook(path: Path, problems: list[Problem]) -> dict[Table, pd.DataFrame]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about data validation extensions
        book = load_workbook(path, read_only=True, data_only=True)
    frames: dict[Table, pd.DataFrame] = {}
    sheets = {name.strip().lower(): name for name in book.sheetnames}
    for name in Table:
        if name.value not in sheets and name in OPTIONAL_TABLES:
            continue
        if name.value not in sheets:
            problems.append(Problem(path.name, None, None, None,
                                    f"sheets named {', '.join(t.value for t in CONTRACT)}",
                                    what=f"sheet {name.value!r} not found"))
            continue
        rows = [[_cell_text(cell) for cell in row] for row in book[sheets[name.value]].iter_rows()]
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        width = len(header)
        frame = pd.DataFrame([r[:width] + [""] * (width - len(r)) for r in body],
                             columns=[h or f"column {i + 1}" for i, h in enumerate(header)],
                             dtype=object)
        frames[name] = _tidy(frame)
    book.close()
    return frames


def _cell_text(cell) -> str:
    """A cell as the officer saw it: 0.58 formatted as a percentage is "58%"."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)):
        if "%" in (cell.number_format or ""):
            return f"{value * 100:.10g}%"
        return f"{value:.10g}"
    return str(value).strip()


# --- validation -------------------------------------------------------------------------

def validate(dataset: Dataset, absent: set[Table] = frozenset()) -> list[Problem]:
    """Every breach of the data contract in the dataset; ``absent`` tables are already reported."""
    problems: list[Problem] = []
    whole: set[Table] = set()
    for name in Table:
        if name in absent:
            continue
        frame = dataset.table(name)
        where = dataset.where(name)
        missing = [c for c in REQUIRED[name] if c not in frame.columns]
        if not missing:
            whole.add(name)
        for column in missing:
            problems.append(Problem(where, None, column, None,
                                    f"columns {', '.join(REQUIRED[name])}",
                                    what="required column is missing"))
        if missing:
            continue
        problems.extend(_cell_problems(frame, where, name))
    return problems + _references(dataset, whole) + _values(dataset, whole)


@dataclass(frozen=True)
class Rule:
    """One check on every cell of a column: ``test`` says whether a cell's text is allowed."""

    test: Callable[[str], bool]
    allowed: str


def _allowed(values) -> str:
    return ", ".join(v.value for v in values)


def _columns(name: Table) -> dict[str, list[Rule]]:
    """Each column's rules; a column not in the table is not checked (optional columns)."""
    filled = Rule(lambda v: v != "", "any text (this cell is required)")
    year = Rule(is_financial_year, YEAR_ALLOWED)
    # No type checks: every cell is read as text, and an absent table is an empty frame.
    columns = {c: [filled] for c in REQUIRED[name]}
    columns["year"] = [year]
    if "quarter" in columns:
        columns["quarter"] = [Rule(lambda v: v in ("1", "2", "3", "4"),
                                   "a quarter number from 1 to 4")]
    if name is Table.MILESTONE_UPDATES:
        columns["rag"] = [Rule(lambda v: Rag.parse(v) is not None, RAG_ALLOWED)]
    if name is Table.MEASURE_UPDATES:
        columns["rag"] = [Rule(lambda v: v == "" or Rag.parse(v) is not None,
                               f"blank or {RAG_ALLOWED}")]
    if name is Table.MEASURES:
        columns["frequency"] = [Rule(lambda v: v.lower() in Frequency._value2member_map_,
                                     _allowed(Frequency))]
        columns["polarity"] = [Rule(lambda v: v == "" or v.lower() in Polarity._value2member_map_,
                                    f"blank, {_allowed(Polarity)}")]
        columns["profile"] = [Rule(lambda v: v == "" or v.lower() in Profile._value2member_map_,
                                   f"blank, {_allowed(Profile)}")]
        columns["tolerance"] = [Rule(_is_tolerance, "blank or a number from 0 to 1, such as 0.10")]
    if name is Table.RISKS:
        for column in ("impact", "likelihood", "residual_impact", "residual_likelihood"):
            columns[column] = [Rule(lambda v: Level.parse(v) is not None, LEVEL_ALLOWED)]
    if name is Table.PRIORITIES:
        columns["order"] = [Rule(lambda v: v == "" or v.lstrip("-").isdigit(),
                                 "blank or a whole number")]
    return columns


def _cell_problems(frame: pd.DataFrame, where: str, name: Table) -> list[Problem]:
    """Duplicate keys, then every cell that breaks its column's rules, in row order.

    Each rule is asked once per distinct text in the column, not once per cell.
    """
    problems = []
    rows = frame[ROW].to_numpy()
    key = _key(name)
    if key:
        ident = key[-1]
        twice = frame.duplicated(subset=key, keep=False).to_numpy()
        for at in np.flatnonzero(twice):
            problems.append(Problem(where, int(rows[at]), ident, frame[ident].iat[at],
                                    f"one row per {' and '.join(key)}", what="is a duplicate"))
    for column, rules in _columns(name).items():
        if column not in frame.columns:
            continue
        # A missing cell (a short CSV row) is judged, and shown, as a blank one.
        cells = frame[column].fillna("").to_numpy(dtype=object)
        codes, texts = pd.factorize(cells)
        for rule in rules:
            bad = np.array([not rule.test(str(text)) for text in texts], dtype=bool)
            for at in np.flatnonzero(bad[codes]):
                problems.append(Problem(where, int(rows[at]), column, cells[at], rule.allowed))
    # A breach is reported once per row and column; sorted in file order, stably.
    unique = {(p.row, p.column, p.what, p.allowed): p for p in problems}
    return sorted(unique.values(), key=lambda p: (p.row or 0, p.column or ""))


def _is_tolerance(text: str) -> bool:
    if text == "":
        return True
    try:
        return 0.0 <= float(text) <= 1.0
    except ValueError:
        return False


def _key(name: Table) -> list[str] | None:
    return {
        Table.PRIORITIES: ["year", "priority_id"],
        Table.MILESTONES: ["year", "milestone_id"],
        Table.MEASURES: ["year", "measure_id"],
        Table.MILESTONE_UPDATES: ["year", "quarter", "milestone_id"],
        Table.MEASURE_UPDATES: ["year", "quarter", "measure_id"],
        Table.RISKS: None,  # risks are free text; two alike are allowed
    }[name]


def _references(dataset: Dataset, whole: set[Table]) -> list[Problem]:
    """IDs that point at nothing: a priority, milestone or measure the plan does not have."""
    problems = []
    checks = [
        (Table.MILESTONES, "priority_id", Table.PRIORITIES, "priority_id"),
        (Table.MEASURES, "priority_id", Table.PRIORITIES, "priority_id"),
        (Table.MILESTONE_UPDATES, "milestone_id", Table.MILESTONES, "milestone_id"),
        (Table.MEASURE_UPDATES, "measure_id", Table.MEASURES, "measure_id"),
    ]
    for child, column, parent, parent_column in checks:
        if child not in whole or parent not in whole:
            continue
        rows = dataset.table(child)
        parents = dataset.table(parent)
        # A row whose year is malformed is reported once, for its year, not again here, and
        # neither are the rows that point at it.
        misdated = set(parents.loc[~parents["year"].map(is_financial_year), parent_column])
        rows = rows[rows["year"].map(is_financial_year) & ~rows[column].isin(misdated)]
        known = set(zip(parents["year"], parents[parent_column]))
        for year, ident, row in zip(rows["year"], rows[column], rows[ROW]):
            if (year, ident) not in known:
                problems.append(Problem(
                    dataset.where(child), int(row), column, ident,
                    f"a {parent_column} listed in {dataset.where(parent)} for {year}",
                    what=f"is not in the {parent.value} table for that year"))
    return sorted(problems, key=lambda p: (p.file, p.row or 0))


def _values(dataset: Dataset, whole: set[Table]) -> list[Problem]:
    """Values that cannot be read against their measure's numeric target."""
    from perfkit.targets import Kind, Unit, parse_target, parse_value

    if not {Table.MEASURES, Table.MEASURE_UPDATES} <= whole:
        return []
    updates = dataset.measure_updates
    if "value" not in updates:
        return []
    plan = dataset.measures.drop_duplicates(["year", "measure_id"])
    targets = {(m["year"], m["measure_id"]): m for m in plan.to_dict("records")}
    problems = []
    for row in updates[updates["value"] != ""].to_dict("records"):
        key = (row["year"], row["measure_id"])
        if key not in targets or row["quarter"] not in ("1", "2", "3", "4"):
            continue
        measure = targets[key]
        own = measure.get(f"q{row['quarter']}_target", "")
        text = own if isinstance(own, str) and own else measure["target"]
        target = parse_target(text)
        if target.kind is not Kind.NUMERIC:
            continue
        value = parse_value(row["value"], target.duration_unit)
        fits = value.not_yet or (value.number is not None and (
            Unit.NUMBER in (value.unit, target.unit) or value.unit is target.unit))
        if not fits:
            problems.append(Problem(
                dataset.where(Table.MEASURE_UPDATES), int(row[ROW]), "value", row["value"],
                f"a figure comparable with the target {text!r}, such as "
                f"{_example(target.unit)}, or a not-yet word (Annual update, TBC, N/A)",
                what=f"cannot be read against the target of measure {row['measure_id']}"))
    return problems


def _example(unit) -> str:
    return {"percent": "58%", "money": "£1.2m or £500,000", "duration": "3 mins 26 secs or 00:03:26",
            "number": "1,250"}[unit.value]
