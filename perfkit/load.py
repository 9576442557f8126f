"""Read a dataset (a folder of CSV files or one workbook) and validate it once, at the edge.

Every cell is read as text, exactly as typed, because targets and values are text in the
report ("Over £500k"). Validation is lazy: every problem in every table is collected and
raised together as one :class:`~perfkit.errors.DataError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from perfkit.errors import DataError, Problem
from perfkit.limits import (
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_PROBLEMS_PER_FILE, MAX_ROWS,
    MAX_PLAN_ITEMS, MAX_PRIORITIES, MAX_QUARTER_TEXT, MAX_UNZIPPED_BYTES, clip,
)
from perfkit.model import (
    CONTRACT, LEVEL_ALLOWED, OPTIONAL, OPTIONAL_TABLES, PARTS, REQUIRED, YEAR_ALLOWED,
    Frequency, Level, Polarity, Profile, Table,
    is_financial_year,
)

if TYPE_CHECKING:
    from perfkit.scheme import Scheme

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


def load_dataset(path: str | Path, scheme: "Scheme | None" = None,
                 layout: str | Path | None = None) -> Dataset:
    """Read and validate a dataset folder or ``.xlsx`` workbook.

    The ``rag`` columns take the ``scheme``'s words (by default, Chesterfield's). With a
    ``layout`` file, ``path`` holds the council's own files, read as the layout says
    (:mod:`perfkit.layout`).

    >>> ds = load_dataset("data/chesterfield")
    >>> len(ds.milestones), len(ds.measures)
    (36, 46)
    """
    if layout is not None:
        from perfkit.layout import load_native

        return load_native(layout, path, scheme)
    source = Path(path)
    problems: list[Problem] = []
    frames: dict[Table, pd.DataFrame] = {}
    if source.is_dir():
        for name in Table:
            path = source / f"{name.value}.csv"
            if name not in OPTIONAL_TABLES or path.is_file():
                frames[name] = _read_csv(path, problems)
    elif source.suffix.lower() == ".xlsx" and source.is_file():
        frames = _read_workbook(source, problems)
    else:
        raise DataError([_not_a_dataset(source)])
    for name in OPTIONAL_TABLES:
        # An empty sheet (no header, no rows) is a table left out, as a missing one is.
        if name in frames and list(frames[name].columns) == [ROW] and frames[name].empty:
            del frames[name]
    problems += _parts_missing(source, frames)
    absent = {name for name in Table if name not in frames or ROW not in frames[name]}
    for name in OPTIONAL_TABLES:
        if name not in frames:
            frames[name] = _empty(name)
    dataset = Dataset(source, *(frames.get(name, _empty(name)) for name in Table))
    problems += validate(dataset, absent, scheme)
    if problems:
        raise DataError(problems)
    return dataset


def _parts_missing(source: Path, frames: dict[Table, pd.DataFrame]) -> list[Problem]:
    """The milestone or measure tables missing from a plan that needs them.

    A part (milestones and their updates, or measures and theirs) may be left out whole. A
    table left out while the other of its part has rows is reported, and so is a plan with
    neither part.
    """
    held = [[name for name in part if name in frames] for part in PARTS]
    needed = [name for part, have in zip(PARTS, held) for name in part
              if name not in frames and (not any(held) or any(len(frames[h]) for h in have))]
    if source.is_dir():
        return [_file_missing(source / f"{name.value}.csv") for name in needed]
    return [_sheet_missing(source, name) for name in needed]


def _file_missing(path: Path) -> Problem:
    return Problem(path.name, None, None, None, f"a file {path.name} in {path.parent}",
                   what="file not found")


def _sheet_missing(book: Path, name: Table) -> Problem:
    return Problem(book.name, None, None, None,
                   f"sheets named {', '.join(t.value for t in CONTRACT)}",
                   what=f"sheet {name.value!r} not found")


def _not_a_dataset(source: Path) -> Problem:
    allowed = "a folder of CSV files or an .xlsx workbook"
    suffix = source.suffix.lower()
    if not source.exists():
        what = "no dataset folder or workbook found here"
    elif suffix in (".xlsm", ".xltm", ".xlsb", ".xls"):
        what = (f"is a {suffix} workbook; perfkit reads only .xlsx workbooks and never runs "
                "macros: save a copy as Excel Workbook (.xlsx)")
    elif not (source.is_file() or source.is_dir()):
        what = "is not a regular file or folder (a device, pipe or socket)"
    else:
        what = "is neither a folder of CSV files nor an .xlsx workbook"
    return Problem(str(source), None, None, None, allowed, what=what)


def _empty(name: Table) -> pd.DataFrame:
    return pd.DataFrame(columns=[*REQUIRED[name], *OPTIONAL[name], ROW], dtype=object)


def _read_csv(path: Path, problems: list[Problem]) -> pd.DataFrame:
    if not path.is_file():
        problems.append(_file_missing(path))
        return pd.DataFrame()
    raw = _read_bounded(path, problems)
    text = None if raw is None else _decode(raw, path.name, problems)
    records = None if text is None else _csv_records(text, path.name, problems)
    if records is None:
        return pd.DataFrame()  # reported; the table counts as absent, so nothing else is
    header, body = records[0], records[1:]
    frame = pd.DataFrame([r + [""] * (len(header) - len(r)) for r in body],
                         columns=header, dtype=object)
    return _tidy(frame)


def _read_bounded(path: Path, problems: list[Problem]) -> bytes | None:
    """The file's bytes, or None (reported) when it is larger than the limit."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(path.name, None, None, None,
                                f"files of at most {MAX_FILE_BYTES // 2**20} MB",
                                what="is larger than the size limit"))
        return None
    return raw


_UTF8_BOM, _UTF16_BOMS = b"\xef\xbb\xbf", (b"\xff\xfe", b"\xfe\xff")
#: Bytes Windows-1252 leaves undefined: a file holding one is not Windows-1252.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
#: A well-formed UTF-8 multi-byte character; real Windows-1252 text almost never holds one
#: ("Â£" would have to be typed), a UTF-8 file with a stray byte nearly always does.
_UTF8_CHAR = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
ENCODINGS_ALLOWED = ('UTF-8 (Excel\'s "CSV UTF-8", with or without a byte-order mark), '
                     'UTF-16 with a byte-order mark, or Windows-1252 throughout (Excel\'s "CSV")')


def _decode(raw: bytes, name: str, problems: list[Problem]) -> str | None:
    """The file's text, in the one encoding it is consistent with; else None, reported.

    The encoding is never guessed byte by byte: a file that is UTF-8 but for one stray
    byte is refused, naming the byte, rather than read as Windows-1252 ("£" becoming "Â£").
    """
    def refuse(offset: int, what: str) -> None:
        row = _row_at(raw[:offset].decode("utf-8", errors="replace"))
        problems.append(Problem(name, row, None, None, ENCODINGS_ALLOWED,
                                what=f"byte {offset:,} (0x{raw[offset]:02X}) {what}"))

    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as err:
            problems.append(Problem(name, None, None, None, ENCODINGS_ALLOWED,
                                    what=f"starts as UTF-16, but byte {err.start:,} is not"))
            return None
    body = raw.removeprefix(_UTF8_BOM)
    skip = len(raw) - len(body)
    nul = body.find(b"\0")
    if nul >= 0:
        refuse(skip + nul, "is a NUL: this is a binary file, or UTF-16 without a byte-order "
                           "mark, not a CSV file")
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = skip + err.start
    if skip:
        refuse(bad, "is not UTF-8, though the file starts with UTF-8's byte-order mark")
        return None
    undefined = _CP1252_UNDEFINED.search(raw)
    if undefined:
        refuse(undefined.start(), "is neither UTF-8 nor Windows-1252 text")
        return None
    utf8 = _UTF8_CHAR.search(raw)
    if utf8:
        example = raw[utf8.start():utf8.end()].decode("utf-8")
        refuse(bad, f"is not UTF-8, yet the file holds UTF-8 elsewhere ({example!r} on row "
                    f"{_row_at(raw[:utf8.start()].decode('utf-8', errors='replace'))}); "
                    "read as Windows-1252, that text would change")
        return None
    return raw.decode("cp1252")


def _row_at(prefix: str) -> int:
    """The spreadsheet row (header = 1) of the record that the text after ``prefix`` is in."""
    return sum(1 for _ in csv.reader(io.StringIO(prefix + "x", newline="")))


def _csv_records(text: str, name: str, problems: list[Problem]) -> list[list[str]] | None:
    """The file's records, header first, within the limits; None (reported) if any is broken."""
    found: list[Problem] = []

    def add(problem: Problem) -> None:
        found.append(problem)

    if not text.strip():
        problems.append(Problem(name, None, None, None,
                                "a header row naming the columns, then one row per record",
                                what="is empty"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    cells = 0
    header: list[str] = []
    try:
        for row, record in enumerate(reader, start=1):
            if row == 1:
                separator = _other_separator(record)
                if separator:
                    # Every column would be "missing": say once what the file is instead.
                    add(Problem(name, 1, None, None,
                                "comma-separated values (in Excel: Save As, CSV UTF-8 "
                                "(Comma delimited))",
                                what=f"is {separator}-separated, not comma-separated"))
                    break
                width = len(record)  # a row may be as wide as the header, blank cells and all
                while record and not record[-1].strip():
                    record.pop()  # Excel pads a range's header with blank cells
                header = [h or f"column {i + 1}" for i, h in enumerate(record)]
                if len(header) > MAX_COLUMNS:
                    add(Problem(name, 1, None, None, f"at most {MAX_COLUMNS:,} columns",
                                what=f"the header has {len(header):,} columns"))
                    break
                seen = {}
                for h in header:
                    key = h.strip().lower()
                    if key in seen:
                        add(Problem(name, 1, h, None, "each column named once",
                                    what="names a column twice"))
                    seen[key] = True
                record = header
            elif len(record) > len(header):
                # More fields than the header means a cell's comma split it (even when the
                # extra field is blank, the cells after the split have moved).
                extra = [v for v in record[len(header):] if v.strip()]
                if len(record) > width or extra:
                    add(Problem(name, row, None, extra[0] if extra else None,
                                f"at most {len(header)} fields, as the header has",
                                what=f"{'is one of' if extra else 'this row has'} "
                                     f"{len(record)} fields, more than the header has (a "
                                     'comma inside a cell needs the cell in "quotes")'))
                record = record[:len(header)]
            for column, value in zip(header, record):
                if len(value) > MAX_CELL_CHARS:
                    add(Problem(name, row, column, value,
                                f"cells of at most {MAX_CELL_CHARS:,} characters",
                                what="is longer than the limit"))
            cells += len(record)
            if row - 1 > MAX_ROWS or cells > MAX_CELLS:
                add(Problem(name, row, None, None,
                            f"at most {MAX_ROWS:,} rows and {MAX_CELLS:,} cells in a table",
                            what="is past the limit; the file was read no further"))
                break
            if len(found) >= MAX_PROBLEMS_PER_FILE:
                break
            records.append(record)
    except csv.Error as err:
        row = len(records) + 1
        reason = str(err)
        if "unexpected end of data" in reason:
            what = 'holds a quoted cell whose closing " is never found'
        elif "field larger than field limit" in reason:
            what = f"holds a cell longer than {MAX_CELL_CHARS:,} characters"
        elif "expected after" in reason:
            what = ('holds a quote (") out of place: a quoted cell must end with " just before '
                    'the next comma, and a " inside a cell is written twice ("")')
        else:
            what = f"cannot be read as CSV ({clip(reason)})"
        add(Problem(name, row, None, None,
                    'comma-separated cells; a cell holding a comma, quote or line break in '
                    '"quotes", a quote inside one doubled ("")', what=what))
    if found:
        problems.extend(found)
        return None
    return records


_SEPARATORS = {"\t": "tab", ";": "semicolon", "|": "pipe"}


def _other_separator(header: list[str]) -> str | None:
    r"""The separator a one-column header is split by instead of commas, if any.

    >>> _other_separator(["year\tpriority_id\tname"]), _other_separator(["year;name"])
    ('tab', 'semicolon')
    >>> _other_separator(["year", "name"]) is None
    True
    """
    if len(header) != 1:
        return None
    for char, word in _SEPARATORS.items():
        if char in header[0] and len([c for c in header[0].split(char) if c.strip()]) > 1:
            return word
    return None


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.map(lambda v: v.strip() if isinstance(v, str) else v)
    frame[ROW] = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    cells = frame.drop(columns=[ROW])
    blank = (cells == "").all(axis=1) if len(cells.columns) else pd.Series(True, frame.index)
    return frame.loc[~blank].reset_index(drop=True)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_ALLOWED = "an .xlsx workbook as Excel or LibreOffice saves it, without a password"


def _workbook_problem(path: Path) -> Problem | None:
    """Why a file cannot be opened as a workbook at all, checked before openpyxl sees it."""
    import zipfile

    def problem(what: str, allowed: str = WORKBOOK_ALLOWED) -> Problem:
        return Problem(path.name, None, None, None, allowed, what=what)

    if path.stat().st_size > MAX_FILE_BYTES:
        return problem("is larger than the size limit",
                       f"workbooks of at most {MAX_FILE_BYTES // 2**20} MB")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == _OLE:
        # Excel stores a password-protected workbook, like an old .xls, as an OLE file.
        return problem("is password-protected (encrypted), or an old .xls workbook: it is "
                       "not a zip archive as an .xlsx is; save it as .xlsx without a password")
    if not magic.startswith(b"PK\x03\x04"):
        return problem("is not a workbook: an .xlsx file is a zip archive, and this is not "
                       "(it may be damaged, or another kind of file renamed)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        return problem(f"is damaged: its zip archive cannot be read ({clip(str(err))})")
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        return problem("is larger than the size limit once unzipped",
                       f"workbooks of at most {MAX_UNZIPPED_BYTES // 2**20} MB unzipped")
    if "xl/workbook.xml" not in {m.filename for m in members}:
        return problem("is a zip archive but not an Excel workbook (it has no xl/workbook.xml)")
    return None


def _read_workbook(path: Path, problems: list[Problem]) -> dict[Table, pd.DataFrame]:
    from openpyxl import load_workbook

    early = _workbook_problem(path)
    if early:
        problems.append(early)
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation extensions
            book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        problems.append(_unreadable(path.name, err))
        return {}
    frames: dict[Table, pd.DataFrame] = {}
    sheets = {name.strip().lower(): name for name in book.sheetnames}
    try:
        for name in Table:
            if name.value not in sheets and name in OPTIONAL_TABLES:
                continue
            if name.value not in sheets:
                problems.append(_sheet_missing(path, name))
                continue
            where = f"{path.name}, sheet {name.value!r}"
            try:
                rows = _sheet_rows(book[sheets[name.value]], where, problems)
            except Exception as err:  # noqa: BLE001 - a damaged sheet, whatever openpyxl raises
                problems.append(_unreadable(where, err))
                continue
            if rows is None:
                continue
            header, body = (rows[0], rows[1:]) if rows else ([], [])
            width = len(header)
            frame = pd.DataFrame([r[:width] + [""] * (width - len(r)) for r in body],
                                 columns=[h or f"column {i + 1}" for i, h in enumerate(header)],
                                 dtype=object)
            frames[name] = _tidy(frame)
    finally:
        book.close()
    return frames


def _unreadable(where: str, err: Exception) -> Problem:
    return Problem(where, None, None, None, WORKBOOK_ALLOWED,
                   what=f"cannot be read as a workbook ({type(err).__name__}: {clip(str(err))})")


def _sheet_rows(sheet, where: str, problems: list[Problem]) -> list[list[str]] | None:
    """A sheet's cells as text, within the limits; None (reported) if a limit is broken.

    The sheet's declared dimension is ignored: a sheet can claim ``A1:XFD1048576`` and hold
    ten rows, and only what is there is read.
    """
    from openpyxl.utils import get_column_letter

    sheet.reset_dimensions()
    found: list[Problem] = []
    rows: list[list[str]] = []
    cells, blank = 0, 0
    for number, row in enumerate(sheet.iter_rows(), start=1):
        cells += len(row)
        if len(row) > MAX_COLUMNS and any(c.value is not None for c in row[MAX_COLUMNS:]):
            column = next(i for i, c in enumerate(row) if i >= MAX_COLUMNS and c.value is not None)
            found.append(Problem(where, number, get_column_letter(column + 1), None,
                                 f"at most {MAX_COLUMNS:,} columns",
                                 what="holds a value past the column limit"))
            break
        texts = [_cell_text(c) for c in row[:MAX_COLUMNS]]
        while texts and texts[-1] == "":
            texts.pop()
        if not texts:
            blank += 1  # kept only if a row follows, so trailing blank rows cost nothing
            continue
        if number > MAX_ROWS + 1 or cells > MAX_CELLS:
            found.append(Problem(where, number, None, None,
                                 f"at most {MAX_ROWS:,} rows and {MAX_CELLS:,} cells in a table",
                                 what="is past the limit; the sheet was read no further"))
            break
        rows.extend([] for _ in range(blank))  # blank rows keep the numbering; _tidy drops them
        blank = 0
        header = rows[0] if rows else texts
        for i, text in enumerate(texts):
            column = header[i] if i < len(header) and header[i] else get_column_letter(i + 1)
            if len(text) > MAX_CELL_CHARS:
                found.append(Problem(where, number, column, text,
                                     f"cells of at most {MAX_CELL_CHARS:,} characters",
                                     what="is longer than the limit"))
            elif rows and i >= len(header):
                found.append(Problem(where, number, get_column_letter(i + 1), text,
                                     "values only in columns that have a header",
                                     what="is in a column with no header"))
        if len(found) >= MAX_PROBLEMS_PER_FILE:
            break
        rows.append(texts)
    if found:
        problems.extend(found)
        return None
    return rows


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

def validate(dataset: Dataset, absent: set[Table] = frozenset(),
             scheme: "Scheme | None" = None) -> list[Problem]:
    """Every breach of the data contract in the dataset; ``absent`` tables are already reported."""
    from perfkit.scheme import load_scheme

    scheme = scheme or load_scheme()
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
        problems.extend(_cell_problems(frame, where, name, scheme))
    return (problems + _references(dataset, whole) + _low_targets(dataset, whole)
            + _values(dataset, whole, scheme) + plan_size(dataset, whole))


#: The columns whose text a quarter's report prints, by table.
_PRINTED = {Table.MILESTONES: ["title", "objective", "lead"],
            Table.MEASURES: ["name", "target"],
            Table.MILESTONE_UPDATES: ["progress"],
            Table.MEASURE_UPDATES: ["value", "comment"],
            Table.RISKS: ["risk_id", "risk", "mitigation"]}  # the covering report's


def plan_size(dataset: Dataset, whole: set[Table]) -> list[Problem]:
    """A year with more priorities or items, or a quarter with more text, than a report can
    draw: the limits are where the charts and the PDF are, so what passes here renders."""
    problems = []

    def per_year(name: Table, key: str) -> pd.Series:
        if name not in whole or not len(dataset.table(name)):
            return pd.Series(dtype=int)
        return dataset.table(name).drop_duplicates(["year", key]).groupby("year").size()

    priorities = per_year(Table.PRIORITIES, "priority_id")
    for year, count in priorities[priorities > MAX_PRIORITIES].items():
        problems.append(Problem(dataset.where(Table.PRIORITIES), None, "priority_id", None,
                                f"at most {MAX_PRIORITIES:,} priorities in a year "
                                "(MAX_PRIORITIES: each is a bar of every chart)",
                                what=f"{year} has {count:,} priorities"))
    items: dict[str, int] = {}
    for name, key in ((Table.MILESTONES, "milestone_id"), (Table.MEASURES, "measure_id")):
        for year, count in per_year(name, key).items():
            items[year] = items.get(year, 0) + int(count)
    for year, count in ((y, n) for y, n in items.items() if n > MAX_PLAN_ITEMS):
        problems.append(Problem(f"{dataset.where(Table.MILESTONES)} and "
                                f"{dataset.where(Table.MEASURES)}", None, None, None,
                                f"at most {MAX_PLAN_ITEMS:,} milestones and measures in a year "
                                "(MAX_PLAN_ITEMS: each is a row of the report and its PDF)",
                                what=f"{year} has {int(count):,} milestones and measures"))
    problems += _quarter_text(dataset, whole)
    return problems


def _quarter_text(dataset: Dataset, whole: set[Table]) -> list[Problem]:
    def chars(name: Table, by: list[str]) -> dict[tuple, int]:
        frame = dataset.table(name)
        columns = [c for c in _PRINTED[name] if c in frame.columns]
        if name not in whole or not len(frame) or not columns:
            return {}
        size = sum(frame[c].map(lambda v: len(v) if isinstance(v, str) else 0) for c in columns)
        totals = size.groupby([frame[k] for k in by]).sum()
        return {(key if isinstance(key, tuple) else (key,)): int(n) for key, n in totals.items()}

    plan: dict[tuple, int] = {}
    updates: dict[tuple, int] = {}
    for into, names, by in ((plan, (Table.MILESTONES, Table.MEASURES), ["year"]),
                            (updates, (Table.MILESTONE_UPDATES, Table.MEASURE_UPDATES,
                                       Table.RISKS),
                             ["year", "quarter"])):
        for name in names:
            for key, n in chars(name, by).items():
                into[key] = into.get(key, 0) + n
    problems = []
    for (year, quarter), count in updates.items():
        total = count + plan.get((year,), 0)
        if total > MAX_QUARTER_TEXT:
            problems.append(Problem(
                f"{dataset.where(Table.MILESTONE_UPDATES)} and "
                f"{dataset.where(Table.MEASURE_UPDATES)}", None, None, None,
                f"at most {MAX_QUARTER_TEXT:,} characters of text in one quarter's report "
                "(MAX_QUARTER_TEXT: what the PDF's pages follow)",
                what=f"quarter {quarter} of {year} prints {total:,} characters"))
    return problems


@dataclass(frozen=True)
class Rule:
    """One check on every cell of a column: ``test`` says whether a cell's text is allowed."""

    test: Callable[[str], bool]
    allowed: str


def _allowed(values) -> str:
    return ", ".join(v.value for v in values)


def _columns(name: Table, scheme: "Scheme") -> dict[str, list[Rule]]:
    """Each column's rules; a column not in the table is not checked (optional columns)."""
    filled = Rule(lambda v: v != "", "any text (this cell is required)")
    year = Rule(is_financial_year, YEAR_ALLOWED)
    # No type checks: every cell is read as text, and an absent table is an empty frame.
    columns = {c: [filled] for c in REQUIRED[name]}
    if name is Table.MEASURES:
        columns["target"] = []  # a blank target is "no target", as "Data only" is
    columns["year"] = [year]
    if "quarter" in columns:
        columns["quarter"] = [Rule(lambda v: v in ("1", "2", "3", "4"),
                                   "a quarter number from 1 to 4")]
    if name is Table.MILESTONE_UPDATES:
        columns["rag"] = [Rule(lambda v: scheme.word_key("milestones", v) is not None,
                               scheme.allowed("milestones"))]
        # The officer's year-end forecast for a milestone is a status word, as the rag is.
        columns["forecast"] = [Rule(lambda v: v == "" or scheme.word_key("milestones", v)
                                    is not None, f"blank or {scheme.allowed('milestones')}")]
    if name is Table.MEASURE_UPDATES:
        columns["rag"] = [Rule(lambda v: v == "" or scheme.word_key("measures", v) is not None,
                               f"blank or {scheme.allowed('measures')}")]
    if name is Table.MEASURES:
        columns["frequency"] = [Rule(lambda v: v.lower() in Frequency._value2member_map_,
                                     _allowed(Frequency))]
        columns["polarity"] = [Rule(lambda v: v == "" or v.lower() in Polarity._value2member_map_,
                                    f"blank, {_allowed(Polarity)}")]
        columns["profile"] = [Rule(lambda v: v == "" or v.lower() in Profile._value2member_map_,
                                   f"blank, {_allowed(Profile)}")]
        columns["tolerance"] = [Rule(_is_tolerance, TOLERANCE_ALLOWED)]
    if name is Table.RISKS:
        for column in ("impact", "likelihood", "residual_impact", "residual_likelihood"):
            columns[column] = [Rule(lambda v: Level.parse(v) is not None, LEVEL_ALLOWED)]
    if name is Table.PRIORITIES:
        columns["order"] = [Rule(lambda v: v == "" or v.lstrip("-").isdigit(),
                                 "blank or a whole number")]
    return columns


def _cell_problems(frame: pd.DataFrame, where: str, name: Table,
                   scheme: "Scheme") -> list[Problem]:
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
    for column, rules in _columns(name, scheme).items():
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


TOLERANCE_ALLOWED = ("blank, a share of the target from 0 to 1 such as 0.10, or points "
                     "such as 5 points (also 5 pts, 5pp)")


def _is_tolerance(text: str) -> bool:
    from perfkit.targets import parse_tolerance

    return parse_tolerance(text) is not None


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
        # astype(bool): on an empty table the mask must not be read as a list of columns.
        rows = rows[(rows["year"].map(is_financial_year)
                     & ~rows[column].isin(misdated)).astype(bool)]
        known = set(zip(parents["year"], parents[parent_column]))
        for year, ident, row in zip(rows["year"], rows[column], rows[ROW]):
            if (year, ident) not in known:
                problems.append(Problem(
                    dataset.where(child), int(row), column, ident,
                    f"a {parent_column} listed in {dataset.where(parent)} for {year}",
                    what=f"is not in the {parent.value} table for that year"))
    return sorted(problems, key=lambda p: (p.file, p.row or 0))


def _values(dataset: Dataset, whole: set[Table], scheme: "Scheme") -> list[Problem]:
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
    # The scheme's own "not yet" and "no data" words stand in for a figure.
    words = scheme.value_words()
    for row in updates[(updates["value"] != "")
                       & ~updates["value"].str.lower().isin(words)].to_dict("records"):
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
        fits = value.not_yet or value.no_data or (value.number is not None and (
            Unit.NUMBER in (value.unit, target.unit) or value.unit is target.unit))
        if not fits:
            problems.append(Problem(
                dataset.where(Table.MEASURE_UPDATES), int(row[ROW]), "value", row["value"],
                f"a figure comparable with the target {text!r}, such as "
                f"{_example(target.unit)}, or a not-yet word (Annual update, TBC, N/A)",
                what=f"cannot be read against the target of measure {row['measure_id']}"))
    return problems


def _low_targets(dataset: Dataset, whole: set[Table]) -> list[Problem]:
    """Low targets that are not a figure on the worse side of their measure's target."""
    from perfkit.targets import Kind, Unit, parse_target, parse_value

    plan = dataset.measures
    if Table.MEASURES not in whole or "low_target" not in plan:
        return []
    problems = []
    for row in plan[plan["low_target"].fillna("") != ""].to_dict("records"):
        text, low_text, ident = row["target"], row["low_target"], row["measure_id"]
        target = parse_target(text)
        if target.kind is not Kind.NUMERIC:
            problems.append(Problem(
                dataset.where(Table.MEASURES), int(row[ROW]), "low_target", low_text,
                f"blank: a low target needs a target that is a figure, and {text!r} is not",
                what=f"cannot be used with the target of measure {ident}"))
            continue
        low = parse_value(low_text, target.duration_unit)
        fits = low.number is not None and (
            Unit.NUMBER in (low.unit, target.unit) or low.unit is target.unit)
        unit = target.unit if target.unit is not Unit.NUMBER else low.unit
        asked = str(row.get("polarity") or "").strip().lower()
        polarity = Polarity(asked) if asked in Polarity._value2member_map_ else None
        higher = (polarity or target.polarity or (
            Polarity.LOWER if unit is Unit.DURATION else Polarity.HIGHER)) is Polarity.HIGHER
        side = "below" if higher else "above"
        allowed = (f"blank, or a figure comparable with the target {text!r} and at or {side} "
                   f"it, such as {_example(target.unit)}")
        if not fits:
            what = f"cannot be read against the target of measure {ident}"
        elif (low.number > target.number) if higher else (low.number < target.number):
            what = f"is {'above' if higher else 'below'} the target of measure {ident}"
        else:
            continue
        problems.append(Problem(dataset.where(Table.MEASURES), int(row[ROW]), "low_target",
                                low_text, allowed, what=what))
    return problems


def _example(unit) -> str:
    return {"percent": "58%", "money": "£1.2m or £500,000", "duration": "3 mins 26 secs or 00:03:26",
            "number": "1,250"}[unit.value]
