"""``perfkit init``: a council's first params file, layout and scheme, guessed from its files.

It reads the council's spreadsheets as they are, finds each sheet's header row, matches the
columns by heading and content, and writes what it found as YAML a person can read and
correct: ``params.yaml``, ``layout.yaml``, ``scheme.yaml`` (the status words found, in a
best-guess order and colour) and the council's own copy of the report notebook. It asks
nothing, so a scheduler or a test can run it, and it says what it guessed and what a person
should review. Nothing here is used when a report renders: the files it writes are.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from perfkit.errors import DataError, ParamsError, Problem
from perfkit.layout import (
    Field_, Holds, Monthly, Period, _read_csv_rows, _read_xlsx, _Sheet, financial_year,
    heading_key, month_of,
)

#: Rows looked at for the header: title rows above it are rarely more than a few.
HEADER_SEARCH_ROWS = 30

# Headings, matched in this order, each field taken by the first column that matches. The
# order settles the overlaps: "Comments (where targets have been missed)" is a comment, not
# a target; "Performance Indicator" a name, not a value; "How measured" not a measure.
_HEADINGS: list[tuple[Field_, str]] = [
    (Field_.KIND, r"^(type|kind|category|record type|item type)$"),
    (Field_.ID, r"^(ref\.?|reference|id|code|pi code|pi ref|kpi ref|ref no\.?|no\.?|pi no\.?)$"),
    (Field_.AGGREGATE, r"how measured|aggregat|calculated|how (it is|is it) (counted|totalled)"),
    (Field_.COMMENT, r"comment|commentary|update|progress|narrative|explanation|notes?\b"),
    (Field_.POLARITY, r"polarity|direction|good is|better if|higher or lower"),
    (Field_.FREQUENCY, r"frequency|how often"),
    (Field_.LOW_TARGET, r"low(er)? target|tolerance threshold"),
    (Field_.NAME, r"indicator|measure|action|description|title|kpi|^pi$|milestone|activity|"
                  r"project|commitment|deliverable|^name$"),
    (Field_.TARGET, r"target"),
    (Field_.STATUS, r"status|\brag\b|assessment|rating|on track"),
    (Field_.LEAD, r"lead|officer|owner|responsible|manager"),
    (Field_.GROUP, r"committee|service|directorate|priority|theme|portfolio|department|"
                   r"outcome|ambition|area|objective"),
    (Field_.YEAR, r"^(financial )?year$"),
    (Field_.MONTH, r"^(month|month ending|period ending)$"),
    (Field_.QUARTER, r"^(quarter|qtr|period)$"),
    (Field_.VALUE, r"value|actual|outturn|result|performance|figure|score|data"),
]
_PERIOD_WORDS = re.compile(r"\b(actual|actuals|value|outturn|figure|result|data|performance|"
                           r"perf|position|to date)\b", re.IGNORECASE)
_YEAR = re.compile(r"(20\d\d)\s*[-/–]\s*(20\d\d|\d\d)(?!\d)")
_QUARTER = re.compile(r"\b(?:q|qtr|quarter)\s*([1-4])\b", re.IGNORECASE)
_MILESTONE_WORDS = re.compile(r"action|project|milestone|activit|task|commitment|deliverable",
                              re.IGNORECASE)
#: Most distinct words a status column holds; a column with more is free text.
MAX_STATUS_WORDS = 12


@dataclass
class Guess:
    """What was guessed about one sheet, and why, for the person reviewing it."""

    sheet: _Sheet
    file: Path
    sheet_name: str | None
    header_row: int = 1
    ends_at_blank_row: bool = False
    columns: dict[Field_, str] = field(default_factory=dict)
    periods: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    holds: Holds = Holds.MEASURES
    kinds: dict[str, list[str]] = field(default_factory=dict)
    year: str | None = None
    year_from: str = ""
    quarter: int | None = None
    quarter_from: str = ""
    body: list[list[str]] = field(default_factory=list)  # the data rows
    notes: list[str] = field(default_factory=list)  # what a person should check

    def cells(self, heading: str) -> list[str]:
        header = self.sheet.rows[self.header_row - 1]
        at = [heading_key(h) for h in header].index(heading_key(heading))
        return [row[at].strip() if at < len(row) else "" for row in self.body]


# --- reading -------------------------------------------------------------------------------

def read_sheets(path: Path, problems: list[Problem]) -> list[tuple[_Sheet, str | None]]:
    """Every sheet of a workbook, or the one table of a CSV file."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        from perfkit.load import _unreadable, _workbook_problem

        early = _workbook_problem(path)
        if early:
            problems.append(early)
            return []
        try:
            book = load_workbook(path, read_only=True, data_only=True)
            names = list(book.sheetnames)
            book.close()
        except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
            problems.append(_unreadable(path.name, err))
            return []
        sheets = [(_read_xlsx(path, name, problems), name) for name in names]
        return [(s, name) for s, name in sheets if s is not None]
    if path.suffix.lower() in (".csv", ".txt"):
        sheet = _read_csv_rows(path, problems)
        return [(sheet, None)] if sheet is not None else []
    problems.append(Problem(path.name, None, None, None, "an .xlsx workbook or a .csv file",
                            what="is neither a workbook nor a CSV file"))
    return []


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[£$€]?-?[\d,]*\.?\d+\s*%?", text.strip()))


def find_header(rows: list[list[str]]) -> int | None:
    """The header row (1 for the first): the row among the first few with the most words
    as headings (not figures), ahead of at least one row of data.

    >>> find_header([["Council Plan: Q2"], [], ["Priority", "Measure", "Target"], ["A", "B", "5"]])
    3
    """
    best, best_score = None, 1
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        words = [c for c in row if c.strip() and not _is_number(c)]
        score = len(set(heading_key(w) for w in words))
        later = any(any(c.strip() for c in r) for r in rows[number:])
        if score > best_score and later:
            best, best_score = number, score
    return best


def guess_sheet(sheet: _Sheet, file: Path, sheet_name: str | None) -> Guess | None:
    """Everything that can be guessed about one sheet; None if it holds no table."""
    rows = sheet.rows
    header_row = find_header(rows)
    if header_row is None:
        return None
    guess = Guess(sheet, file, sheet_name, header_row)
    header = rows[header_row - 1]
    body_rows = rows[header_row:]
    # Notes below the table: rows after a blank row that are not table rows.
    blank = next((i for i, r in enumerate(body_rows) if not any(c.strip() for c in r)), None)
    if blank is not None:
        after = [r for r in body_rows[blank + 1:] if any(c.strip() for c in r)]
        width = sum(1 for h in header if h.strip())
        if after and all(sum(1 for c in r if c.strip()) <= max(1, width // 3) for r in after):
            guess.ends_at_blank_row = True
            body_rows = body_rows[:blank]
            guess.notes.append(f"rows below row {header_row + blank + 1} are taken for notes, "
                               "not data (ends_at_blank_row)")
    guess.body = [r for r in body_rows if any(c.strip() for c in r)]
    if not guess.body:
        return None
    _match_columns(guess, header)
    if Field_.NAME not in guess.columns:
        return None
    _guess_holds(guess)
    _guess_period(guess, rows[:header_row - 1])
    return guess


def _match_columns(guess: Guess, header: list[str]) -> None:
    taken: set[Field_] = set()
    for heading in header:
        if not heading.strip():
            continue
        period = _period_of(heading)
        if period is not None:
            guess.periods[heading] = period
            continue
        key = heading_key(heading)
        found = next((f for f, pattern in _HEADINGS
                      if f not in taken and re.search(pattern, key)), None)
        if found is None:
            guess.unused.append(heading)
            continue
        guess.columns[found] = heading
        taken.add(found)
    # Content outranks heading where the two disagree about a status column.
    status = guess.columns.get(Field_.STATUS)
    if status and len({heading_key(c) for c in guess.cells(status) if c}) > MAX_STATUS_WORDS:
        guess.unused.append(guess.columns.pop(Field_.STATUS))
        guess.notes.append(f"column {status!r} holds too many different words for a status; "
                           "it is not used")
    if Field_.NAME not in guess.columns:
        # No heading names the rows: take the text column with the longest, most varied text.
        texts = [h for h in guess.unused if not any(_is_number(c) for c in guess.cells(h)[:20])]
        if texts:
            best = max(texts, key=lambda h: (len(set(guess.cells(h))),
                                             sum(map(len, guess.cells(h)))))
            guess.columns[Field_.NAME] = best
            guess.unused.remove(best)
            guess.notes.append(f"no heading says which column names the rows; {best!r} was "
                               "taken for it from its content")
    # One period column is the sheet's value, and its period is the sheet's quarter.
    quarters = {h: p for h, p in guess.periods.items() if Period.parse(p).month is None}
    if len(guess.periods) == 1 and quarters and Field_.VALUE not in guess.columns:
        (heading, text), = guess.periods.items()
        guess.columns[Field_.VALUE] = heading
        guess.periods = {}
        period = Period.parse(text)
        guess.quarter, guess.quarter_from = period.quarter, f"the heading {heading!r}"
        if period.year:
            guess.year, guess.year_from = period.year, f"the heading {heading!r}"


def _period_of(heading: str) -> str | None:
    """A heading's period, as the layout writes it ("2023/24 Q2", "Apr"), if it is one."""
    text = heading
    year = _YEAR.search(text)
    text = _YEAR.sub(" ", text)
    text = _PERIOD_WORDS.sub(" ", text)
    text = re.sub(r"[-_:()]+", " ", text)
    text = re.sub(r"\b(20)?\d\d\b", " ", text)  # "Apr-23": the year of a month heading
    text = " ".join(text.split())
    period = Period.parse(text)
    if period is None:
        return None
    base = f"Q{period.quarter}" if period.month is None else text.title()[:3]
    year = financial_year(f"{year[1]}/{year[2]}") if year else None
    return f"{year} {base}" if year else base


def _guess_holds(guess: Guess) -> None:
    kind = guess.columns.get(Field_.KIND)
    if kind:
        words = list(dict.fromkeys(c for c in guess.cells(kind) if c))
        milestones = [w for w in words if _MILESTONE_WORDS.search(w)]
        measures = [w for w in words if w not in milestones]
        if milestones and measures:
            guess.holds = Holds.BOTH
            guess.kinds = {"milestones": milestones, "measures": measures}
            return
        guess.unused.append(guess.columns.pop(Field_.KIND))
        guess.holds = Holds.MILESTONES if milestones else Holds.MEASURES
        return
    figures = {Field_.TARGET, Field_.VALUE} & set(guess.columns) or guess.periods
    place = f"{guess.columns[Field_.NAME]} {guess.file.name} {guess.sheet_name or ''}"
    if not figures and _MILESTONE_WORDS.search(place):
        guess.holds = Holds.MILESTONES
    if guess.holds is Holds.MILESTONES and Field_.STATUS not in guess.columns:
        guess.holds = Holds.MEASURES


def _guess_period(guess: Guess, above: list[list[str]]) -> None:
    """The sheet's year and quarter: from its headings, title rows, sheet name, file name."""
    places = [("the title rows above the header", " ".join(c for r in above for c in r)),
              (f"the sheet name {guess.sheet_name!r}", guess.sheet_name or ""),
              (f"the file name {guess.file.name!r}", guess.file.stem)]
    if guess.year is None:
        years = {p.split()[0] for p in guess.periods.values() if " " in p}
        if len(years) == 1:
            guess.year, guess.year_from = years.pop(), "the period headings"
    for where, text in places:
        if guess.year is None:
            match = _YEAR.search(text)
            year = match and financial_year(f"{match[1]}/{match[2]}")
            if year:
                guess.year, guess.year_from = year, where
        if guess.quarter is None and not guess.periods:
            match = _QUARTER.search(text)
            if match:
                guess.quarter, guess.quarter_from = int(match[1]), where
    if Field_.YEAR in guess.columns:
        guess.year, guess.year_from = None, f"the column {guess.columns[Field_.YEAR]!r}"
    for by in (Field_.QUARTER, Field_.MONTH):
        if by in guess.columns:
            guess.quarter, guess.quarter_from = None, f"the column {guess.columns[by]!r}"
    if guess.periods:
        # The status and comment are the latest quarter's with a figure.
        latest = [Period.parse(p) for h, p in guess.periods.items() if any(guess.cells(h))]
        if latest and ({Field_.STATUS, Field_.COMMENT} & set(guess.columns)):
            guess.quarter = max(p.quarter for p in latest)
            guess.quarter_from = "the latest quarter with figures (the status is taken as its)"
    if guess.year is None and Field_.YEAR not in guess.columns:
        guess.year, guess.year_from = (_this_year(),
                                       "today's date, an assumption: nothing in the sheet says")
        guess.notes.append("no financial year found in the headings, title, sheet or file "
                           f"name; {guess.year} was assumed")
    if guess.quarter is None and Field_.QUARTER not in guess.columns and not guess.periods \
            and Field_.MONTH not in guess.columns:
        guess.quarter, guess.quarter_from = 1, "an assumption: nothing in the sheet says"
        guess.notes.append("no quarter found in the headings, title, sheet or file name; "
                           "quarter 1 was assumed")


def _this_year() -> str:
    import datetime as dt

    today = dt.date.today()
    start = today.year if today.month >= 4 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


# --- the scheme ----------------------------------------------------------------------------

# Best-guess classes of status words, best first: (name, colour, text colour, rank, pattern).
_CLASSES = [
    ("bad", "#d4351c", "#ffffff", 0,
     r"^r$|\bred\b|off (track|target)|\bmissed\b|not (met|achieved|on track)|will not|"
     r"high risk|significant|failed|behind|overdue|\bdelayed\b"),
    ("complete", "#1d70b8", "#ffffff", 3, r"^c$|complete|\bdone\b|delivered|closed|achieved"),
    ("good", "#00703c", "#ffffff", 2,
     r"^g$|green|on (track|target|schedule)|\bmet\b|\bgood\b|ahead|exceed"),
    ("middling", "#f47738", "#0b0c0c", 1,
     r"^a$|amber|slippage|at risk|concern|near|within|tolerance|confident|minor|some"),
]
_UNKNOWN = ("unknown", "#505a5f", "#ffffff", None, "")
_LETTERS = {"g": "Green", "a": "Amber", "r": "Red", "c": "Complete"}
_HAVE = ("some", "minor", "major", "significant", "no", "slight")
_ORDER = ["complete", "good", "middling", "bad", "unknown"]


def classify(word: str) -> tuple:
    """A status word's best-guess class: bad, complete, good, middling or unknown.

    >>> [classify(w)[0] for w in ("On track", "Some slippage", "Off track", "C", "Paused")]
    ['good', 'middling', 'bad', 'complete', 'unknown']
    """
    key = heading_key(word)
    return next((c for c in _CLASSES if re.search(c[4], key)), _UNKNOWN)


def _key(label: str, taken: set[str]) -> str:
    key = "_".join(re.findall(r"[a-z0-9]+", label.lower().replace("%", " pct "))) or "status"
    if not key[0].isalpha():
        key = f"s_{key}"
    key = key[:40]
    base, n = key, 2
    while key in taken or key in ("missing", "unrated"):
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def build_statuses(words: Counter) -> list[dict]:
    """Status definitions for the words found, best first, each coloured by its class.

    >>> [(d["key"], d.get("short")) for d in build_statuses(Counter({"G": 3, "Green": 1,
    ...                                                                "Off track": 2}))]
    [('green', ['G']), ('off_track', None)]

    None stands for a target check's outcome: a measure the officer rated is counted under
    the officer's word, one not rated under perfkit's own Met, Near target or Missed, so each
    word is counted exactly as often as the sheet has it.
    """
    # One status per meaning: "G" and "Green", or "On track" and "On Track", are one.
    groups: dict[str, list[str]] = {}
    for word in sorted(words, key=lambda w: -words[w]):
        label = _LETTERS.get(heading_key(word)) or (word.strip()[:1].upper() + word.strip()[1:])
        groups.setdefault(heading_key(label), []).append(word)
    found = sorted(groups.values(), key=lambda ws: (_ORDER.index(classify(ws[0])[0]),
                                                    -sum(words[w] for w in ws)))
    taken: set[str] = set()
    defs = []
    for spellings in found:
        name, colour, text, rank, _ = classify(spellings[0])
        full = [w for w in spellings if heading_key(w) not in _LETTERS]
        letters = [w.strip().upper() for w in spellings if heading_key(w) in _LETTERS]
        label = (full[0].strip() if full else _LETTERS[heading_key(spellings[0])])
        label = label[:1].upper() + label[1:]
        entry: dict = {"key": _key(label, taken), "label": label}
        if letters:
            entry["short"] = sorted(set(letters))
        entry.update({"colour": colour, "text": text})
        if rank is not None:
            entry["rank"] = rank
        if name in ("middling", "bad"):
            entry["exception"] = True
        verb = "{have} " if label.lower().split()[0] in _HAVE else "{are} "
        entry["says"] = verb + label.lower()
        defs.append(entry)
    return defs


_CHECKED = [
    {"key": "met", "label": "Met", "check": ["met"], "colour": "#00703c", "says": "met it"},
    {"key": "near", "label": "Near target", "check": ["near"], "colour": "#f47738",
     "text": "#0b0c0c", "exception": True, "says": "{was} within tolerance"},
    {"key": "missed", "label": "Missed", "check": ["missed"], "colour": "#d4351c",
     "exception": True, "says": "missed it"},
]


def _nouns(guesses: list[Guess], holds: Holds, default: tuple[str, str]) -> tuple[str, str]:
    for guess in guesses:
        if guess.holds in (holds, Holds.BOTH):
            heading = heading_key(guess.columns[Field_.NAME])
            for word in ("action", "indicator", "measure", "milestone", "project", "kpi"):
                if word in heading and (holds is Holds.MEASURES) == (word in (
                        "indicator", "measure", "kpi")):
                    return ("indicator", "indicators") if word == "kpi" else (word, f"{word}s")
    return default


def build_scheme(guesses: list[Guess], name: str) -> dict:
    """A scheme from the status words of the council's sheets (as data for scheme.yaml)."""
    words = {Holds.MILESTONES: Counter(), Holds.MEASURES: Counter()}
    checked = False
    for guess in guesses:
        status = guess.columns.get(Field_.STATUS)
        if {Field_.TARGET, Field_.VALUE} & set(guess.columns) or guess.periods:
            checked = checked or Field_.TARGET in guess.columns
        if not status:
            continue
        kinds = guess.cells(guess.columns[Field_.KIND]) if guess.holds is Holds.BOTH else None
        for i, word in enumerate(guess.cells(status)):
            if not word:
                continue
            part = guess.holds
            if kinds is not None:
                part = (Holds.MILESTONES if kinds[i] in guess.kinds["milestones"]
                        else Holds.MEASURES)
            words[part][word] += 1
    milestone = _nouns(guesses, Holds.MILESTONES, ("milestone", "milestones"))
    measure = _nouns(guesses, Holds.MEASURES, ("measure", "measures"))
    scheme: dict = {"name": name, "nouns": {"milestone": list(milestone),
                                            "measure": list(measure), "rating": "status"}}
    if words[Holds.MEASURES]:
        scheme["measure_source"] = "check_unless_officer" if checked else "officer"
    else:
        scheme["measure_source"] = "check"
    any_milestones = any(g.holds in (Holds.MILESTONES, Holds.BOTH) for g in guesses)
    any_measures = any(g.holds in (Holds.MEASURES, Holds.BOTH) for g in guesses)
    if any_milestones:
        scheme["milestone_statuses"] = build_statuses(words[Holds.MILESTONES])
    if any_measures:
        scheme["measure_statuses"] = (build_statuses(words[Holds.MEASURES])
                                      if words[Holds.MEASURES] else [dict(s) for s in _CHECKED])
    headlines = []
    for part, noun in (("milestone", milestone), ("measure", measure)):
        defs = scheme.get(f"{part}_statuses", [])
        good = [d for d in defs if d.get("rank", -1) >= 2 or d["key"] == "met"]
        if not good:
            continue
        said = " or ".join(d["label"].lower() for d in good)
        headlines.append({
            "name": f"{part}s_{good[0]['key']}"[:40], "label": said[:1].upper() + said[1:],
            "of": f"{part}s", "counts": [d["key"] for d in good], "base": "rated",
            "says": "{are} " + said if defs is not _CHECKED else "met it",
            "base_words": [f"{noun[0]} rated this quarter", f"{noun[1]} rated this quarter"],
            "others": "with_pct", "share": f"the share of {noun[1]} {said}"})
    scheme["headlines"] = headlines
    return scheme


# --- writing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Initialised:
    """What ``perfkit init`` wrote, and what it said."""

    params: Path
    layout: Path
    scheme: Path
    notebook: Path
    report: list[str]  # the lines printed: what was guessed, what to review


_WRITES = ("params.yaml", "layout.yaml", "scheme.yaml", "quarterly_report.ipynb")


def init(files: list[str | Path], out: str | Path, *, force: bool = False) -> Initialised:
    """Guess a params file, layout and scheme from a council's own files; write them to
    ``out`` with a copy of the report notebook, and check them.

    Raises :class:`~perfkit.errors.DataError` (every problem named) when the files cannot be
    read, or when the guess does not check; the files are written first, for review.
    """
    paths = [Path(f) for f in files]
    out = Path(out)
    problems: list[Problem] = []
    for path in paths:
        if not path.is_file():
            problems.append(Problem(str(path), None, None, None, "a council's .xlsx or .csv file",
                                    what="file not found"))
    if problems:
        raise DataError(problems)
    existing = [out / name for name in _WRITES if (out / name).exists()]
    if existing and not force:
        raise ParamsError(f"{out}: already holds {', '.join(p.name for p in existing)}; "
                          "perfkit init does not replace a council's files (--force does)")
    guesses: list[Guess] = []
    lines: list[str] = []
    for path in paths:
        sheets = read_sheets(path, problems)
        found = [g for g in (guess_sheet(s, path, name) for s, name in sheets) if g]
        for sheet, name in sheets:
            if not any(g.sheet is sheet for g in found):
                lines.append(f"{sheet.where}: no table of actions or indicators found; "
                             "not used")
        guesses += found
    if problems:
        raise DataError(problems)
    if not guesses:
        raise DataError([Problem(", ".join(p.name for p in paths), None, None, None,
                                 "a sheet with a header row naming its columns, one of which "
                                 "names each action or indicator",
                                 what="no table of actions or indicators found")])
    folder = Path(os.path.commonpath([str(p.resolve().parent) for p in paths]))
    out.mkdir(parents=True, exist_ok=True)
    layout = {"sources": [_source(g, folder) for g in guesses]}
    year, quarter = _latest(guesses)
    scheme = build_scheme(guesses, _council_name(out))
    data = os.path.relpath(folder, out.resolve())
    if data.count("..") > 2:  # far away: an absolute path reads better, and survives a move
        data = str(folder)
    params = {"data": data, "layout": "layout.yaml", "scheme": "scheme.yaml",
              "year": year, "quarter": quarter, "organisation": ""}
    _write(out / "layout.yaml", layout, _layout_head(guesses))
    _write(out / "scheme.yaml", scheme, _scheme_head(scheme))
    _write(out / "params.yaml", params,
           "# Written by perfkit init. Set organisation; each quarter, change year and quarter\n"
           "# (and, if its figures are in a new file, add the file to layout.yaml).\n")
    from perfkit.report import NOTEBOOK

    shutil.copyfile(NOTEBOOK, out / "quarterly_report.ipynb")
    lines = _explain(guesses, scheme, year, quarter) + lines
    return Initialised(out / "params.yaml", out / "layout.yaml", out / "scheme.yaml",
                       out / "quarterly_report.ipynb", lines)


def check(initialised: Initialised) -> str:
    """Load what init wrote, as ``perfkit report`` will; a line saying what it holds."""
    from perfkit.load import load_dataset
    from perfkit.params import layout_path, load_params
    from perfkit.scheme import load_scheme
    from perfkit.summary import summarise

    params, data = load_params(initialised.params)
    base = initialised.params.resolve().parent
    scheme = load_scheme(params.scheme, base)
    dataset = load_dataset(data, scheme, layout_path(params, base))
    summary = summarise(dataset, params.year, params.quarter, scheme, allow_empty=True)
    overall = summary.rollup.overall
    held = [f"{n} {noun}" for n, noun in ((overall.milestones.total, scheme.nouns.milestone[1]),
                                          (overall.measures.total, scheme.nouns.measure[1]))
            if n]
    return f"checked: {' and '.join(held)} at quarter {params.quarter} of {params.year}"


def _source(guess: Guess, folder: Path) -> dict:
    entry: dict = {"file": os.path.relpath(guess.file.resolve(), folder)}
    if guess.sheet_name is not None:
        entry["sheet"] = guess.sheet_name
    if guess.header_row != 1:
        entry["header_row"] = guess.header_row
    if guess.ends_at_blank_row:
        entry["ends_at_blank_row"] = True
    entry["holds"] = guess.holds.value
    if guess.kinds:
        entry["kinds"] = guess.kinds
    if guess.year and Field_.YEAR not in guess.columns:
        entry["year"] = guess.year
    if guess.quarter and Field_.QUARTER not in guess.columns:
        entry["quarter"] = guess.quarter
    entry["columns"] = {f.value: h for f, h in guess.columns.items()}
    if guess.periods:
        entry["periods"] = dict(guess.periods)
    if Field_.MONTH in guess.columns or any(Period.parse(p).month
                                            for p in guess.periods.values()):
        entry["monthly"] = Monthly.LAST.value
    return entry


def _latest(guesses: list[Guess]) -> tuple[str, int]:
    """The latest year and quarter the files hold figures or statuses for."""
    held: list[tuple[str, int]] = []
    for g in guesses:
        if g.quarter and g.year:
            held.append((g.year, g.quarter))
        if Field_.MONTH in g.columns:  # months as rows: the latest quarter whose last month
            for text in g.cells(g.columns[Field_.MONTH]):  # is in
                period = month_of(text)
                if period and period.month == 3 and (period.year or g.year):
                    held.append((period.year or g.year, period.quarter))
        if Field_.QUARTER in g.columns:  # quarters as rows: the latest row's
            years = (g.cells(g.columns[Field_.YEAR]) if Field_.YEAR in g.columns
                     else [g.year] * len(g.body))
            for year, text in zip(years, g.cells(g.columns[Field_.QUARTER])):
                match = re.fullmatch(r"(?:q(?:uarter)?\s*)?([1-4])", text.strip().lower())
                if match and year and financial_year(year):
                    held.append((financial_year(year), int(match[1])))
        for heading, text in g.periods.items():
            period = Period.parse(text)
            cells = g.cells(heading)
            if period.month is not None and period.month != 3 and not any(
                    g.cells(h) and Period.parse(t).quarter == period.quarter
                    and Period.parse(t).month == 3 and any(g.cells(h))
                    for h, t in g.periods.items()):
                continue
            if any(cells):
                held.append((period.year or g.year or _this_year(), period.quarter))
    return max(held) if held else (_this_year(), 1)


def _council_name(out: Path) -> str:
    return out.resolve().name or "council"


class _Dumper(yaml.SafeDumper):
    """Block style, but a list of words on one line: ``short: [G]``, as schemes are written."""


def _list(dumper: yaml.SafeDumper, values: list) -> yaml.Node:
    flow = all(isinstance(v, (str, int)) for v in values)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", values, flow_style=flow)


_Dumper.add_representer(list, _list)


def _write(path: Path, values: dict, head: str) -> None:
    text = yaml.dump(values, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    path.write_text(head + text, encoding="utf-8")


def _layout_head(guesses: list[Guess]) -> str:
    return ("# Written by perfkit init from the council's own files: where each table is, its\n"
            "# header row, and which of its columns is which field. Review it; see the README's\n"
            "# \"Your council's layout\".\n")


def _scheme_head(scheme: dict) -> str:
    return ("# Written by perfkit init from the status words in the council's files. The order\n"
            "# (best first), colours and which statuses are exceptions are guesses: review\n"
            "# them, and each headline's wording. See the README's \"Your council's scheme\".\n")


def _explain(guesses: list[Guess], scheme: dict, year: str, quarter: int) -> list[str]:
    lines = []
    for g in guesses:
        lines.append(f"{g.sheet.where}: header in row {g.header_row}; {len(g.body)} rows of "
                     f"{'actions and indicators' if g.holds is Holds.BOTH else g.holds.value}")
        for f, heading in g.columns.items():
            lines.append(f"  {heading!r} is {f.value}")
        if g.periods:
            lines.append("  figures by period: " + ", ".join(
                f"{h!r} = {p}" for h, p in g.periods.items()))
        if g.kinds:
            lines.append(f"  actions are {', '.join(g.kinds['milestones'])}; indicators are "
                         f"{', '.join(g.kinds['measures'])}")
        if g.year:
            lines.append(f"  year {g.year}, from {g.year_from}")
        if g.quarter:
            lines.append(f"  quarter {g.quarter}, from {g.quarter_from}")
        elif g.quarter_from:
            lines.append(f"  each row's quarter from {g.quarter_from}")
        if g.unused:
            lines.append(f"  not used: {', '.join(repr(h) for h in g.unused)}")
        lines += [f"  review: {n}" for n in g.notes]
    for part in ("milestone", "measure"):
        defs = scheme.get(f"{part}_statuses")
        if defs:
            lines.append(f"{part} statuses, best first (review order and colours in "
                         f"scheme.yaml): " + ", ".join(d["label"] for d in defs))
    lines.append(f"the report is for quarter {quarter} of {year} (params.yaml)")
    if scheme.get("measure_source") == "check_unless_officer":
        lines.append("measures take the officer's status where given, and the target check "
                     "where not (measure_source in scheme.yaml)")
    if not any(Field_.POLARITY in g.columns for g in guesses) and any(
            Field_.TARGET in g.columns for g in guesses):
        lines.append("review: no column gives each measure's polarity (higher or lower is "
                     "better); perfkit reads it from the target's wording, or assumes higher")
    return lines

