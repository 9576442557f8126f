"""A quarter's parameters file: what to render, validated before any work starts."""

from __future__ import annotations

import ast
import os
import re
import string
from pathlib import Path
from typing import Annotated, Sequence

from pydantic import (
    BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
)

from perfkit.errors import ParamsError
from perfkit.limits import MAX_PARAM_CHARS, clip, shown
from perfkit.model import YEAR_ALLOWED, is_financial_year, slug


#: C0 and C1 control characters other than tab and newline, and lone surrogates.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class ReportParams(BaseModel):
    """The keys of ``params/*.yaml``; the notebook's parameters cell has the same names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: str
    year: str
    quarter: Annotated[int, Field(ge=1, le=4, strict=True)]
    organisation: str = ""
    title: str | None = None
    covering: str | None = None  # the Cabinet covering report's Markdown file
    plan_span: str | None = None  # the Council Plan's years, such as "2019 – 2023"
    scheme: str = "chesterfield"  # a built-in scheme's name, or a scheme YAML file
    allow_empty: bool = False  # render a quarter with no updates rather than refuse it
    layout: str | None = None  # a layout YAML file: the council's own files, read as they are
    notebook: str | None = None  # the report notebook, resolved like data (perfkit.notebook)

    @field_validator("data", "year", "organisation", "title", "covering", "plan_span", "scheme",
                     "layout", "notebook")
    @classmethod
    def _plain_text(cls, value: str | None) -> str | None:
        # A NUL, a control character or a lone surrogate (YAML's "\ud800") cannot be
        # written into a file name or a page; say so here rather than fail when writing.
        if value is None:
            return value
        if len(value) > MAX_PARAM_CHARS:
            raise ValueError(f"text of at most {MAX_PARAM_CHARS:,} characters")
        bad = _UNWRITABLE.search(value)
        if bad:
            raise ValueError(f"text without control characters or lone surrogates "
                             f"(found U+{ord(bad[0]):04X} at character {bad.start() + 1})")
        return value

    @field_validator("data", "covering", "scheme")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        # Checked here so that opening it later cannot fail with a traceback.
        return value if value is None else check_path_text(value)

    @field_validator("year")
    @classmethod
    def _year(cls, value: str) -> str:
        if not is_financial_year(value):
            raise ValueError(YEAR_ALLOWED)
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "year" not in info.data or "quarter" not in info.data:
            return value
        check_title(value, info.data["year"], info.data["quarter"])
        return value

    @property
    def slug(self) -> str:
        return slug(self.year, self.quarter)

    @property
    def heading(self) -> str:
        """The report's title, its ``{quarter}`` and ``{year}`` fields filled in.

        >>> ReportParams(data="d", year="2023/24", quarter=3,
        ...              title="Delivery plan {year}: quarter {quarter}").heading
        'Delivery plan 2023/24: quarter 3'
        """
        if not self.title:
            return f"Council Plan delivery: quarter {self.quarter} of {self.year}"
        return self.title.format(quarter=self.quarter, year=self.year)


#: The fields a title may use; a title is not a template language.
TITLE_FIELDS = ("quarter", "year")
_TITLE_ALLOWED = ("{quarter} and {year} as fields (write {{ and }} for a brace)")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4,
             "one": 1, "two": 2, "three": 3, "four": 4}
#: "quarter 2", "Q2", "Qtr 2", "second quarter", "quarter two".
_QUARTER_WORDS = re.compile(
    r"\b(?:quarter|qtr|q)\s*([1-4]|one|two|three|four)\b|\b(first|second|third|fourth)\s+quarter\b",
    re.I)
#: A financial year as councils write it: 2022/23, 2022-23, 2022/2023.
_YEAR_WORDS = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[/-]\s*(\d{4}|\d{2})(?!\d)")


def check_title(title: str, year: str, quarter: int) -> None:
    """Refuse a title whose fields are not ``{quarter}``/``{year}``, or whose fixed words name
    another quarter or year than the parameters (the reference's "quarter 1" on a Q2 report).

    >>> check_title("Performance report {year}, quarter {quarter}", "2022/23", 3)
    >>> check_title("Quarter 2 performance report 2022/23", "2022/23", 3)
    Traceback (most recent call last):
    ...
    ValueError: a title that agrees with the parameters: it names quarter 2, but quarter is 3 (write quarter {quarter} to follow the parameters)
    """
    try:
        pieces = list(string.Formatter().parse(title))
    except ValueError:
        raise ValueError(_TITLE_ALLOWED) from None
    fixed = []
    for literal, name, spec, conversion in pieces:
        fixed.append(literal)
        if name is None:
            continue
        if name not in TITLE_FIELDS or spec or conversion:
            shown_field = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"
            raise ValueError(f"{_TITLE_ALLOWED}; {shown_field} is not one")
    text = "\n".join(fixed)  # a field between two words joins neither
    for match in _QUARTER_WORDS.finditer(text):
        word = (match[1] or match[2]).lower()
        named = int(word) if word.isdigit() else _ORDINALS[word]
        if named != quarter:
            said = "" if match[0].lower() == f"quarter {named}" else f" ({match[0].strip()!r})"
            raise ValueError(f"a title that agrees with the parameters: it names quarter "
                             f"{named}{said}, but quarter is {quarter} (write quarter "
                             "{quarter} to follow the parameters)")
    start = int(year[:4])
    for match in _YEAR_WORDS.finditer(text):
        first, second = int(match[1]), int(match[2])
        if second not in (first + 1, (first + 1) % 100):
            continue  # a span of years ("2019-2023"), not a financial year
        if first != start:
            raise ValueError(f"a title that agrees with the parameters: it names the year "
                             f"{match[0]}, but year is {year} (write {{year}} to follow the "
                             "parameters)")


#: The file system's limits on one name and a whole path, in bytes (Linux's NAME_MAX and
#: PATH_MAX).
MAX_NAME_BYTES, MAX_PATH_BYTES = 255, 4_096


def check_path_text(value: str) -> str:
    """A path from a params file that the file system can be asked about.

    >>> check_path_text("data/chesterfield")
    'data/chesterfield'
    >>> check_path_text("~nosuchuser/data")
    Traceback (most recent call last):
    ValueError: a path whose ~user names a user of this machine (~nosuchuser is not one)
    """
    if value.startswith("~"):
        head = value.split("/", 1)[0]
        try:
            expanded = os.path.expanduser(head)
        except (KeyError, RuntimeError):
            expanded = head
        if expanded == head:
            raise ValueError(f"a path whose ~user names a user of this machine "
                             f"({clip(head)} is not one)")
    for part in value.split("/"):
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            raise ValueError(f"a path whose every name is at most {MAX_NAME_BYTES} bytes "
                             f"(one is {len(os.fsencode(part)):,})")
    if len(os.fsencode(value)) > MAX_PATH_BYTES:
        raise ValueError(f"a path of at most {MAX_PATH_BYTES:,} bytes")
    return value


KNOWN_KEYS = tuple(ReportParams.model_fields)
#: The keys the notebook's parameters cell holds: which notebook to run is not one of them.
NOTEBOOK_KEYS = tuple(k for k in KNOWN_KEYS if k != "notebook")
REQUIRED_KEYS = tuple(k for k, f in ReportParams.model_fields.items() if f.is_required())


def check_params(values: dict, source: str = "parameters") -> ReportParams:
    """Validate a mapping of parameters; every problem is named in one error.

    >>> check_params({"data": "d", "year": "2022/23", "quarter": 2}).slug
    '2022-23-Q2'
    """
    try:
        return ReportParams.model_validate(values)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(file)"
            if e["type"] == "extra_forbidden":
                lines.append(f"{source}: unknown key {shown(key)} (known keys: {', '.join(KNOWN_KEYS)})")
            elif e["type"] == "missing":
                lines.append(f"{source}: key {key!r} is required (known keys: {', '.join(KNOWN_KEYS)})")
            else:
                reason = e["msg"].removeprefix("Value error, ")
                lines.append(f"{source}: key {clip(key)!r} has {shown(e.get('input'))}; "
                             f"expected {reason}")
        raise ParamsError("\n".join(lines)) from None


# The first line of the cell papermill injects after the notebook's parameters cell
# (papermill.translators: the Python translator's comment, then one assignment per line).
_PAPERMILL_HEAD = "# Parameters"


def injected_parameters(history: Sequence[str]) -> dict[str, object]:
    r"""The parameters papermill injected, read from the kernel's input history (``In``).

    Only the latest injected-parameters cell counts; the analyst's own cells, imports and
    earlier results are not parameters, so re-running cells never trips the check.

    >>> injected_parameters(["", "year = 'x'", '# Parameters\nquarter = 1\ncolour = "red"\n'])
    {'quarter': 1, 'colour': 'red'}
    >>> injected_parameters(["import pandas as pd", "report = 1"])
    {}
    """
    for source in reversed(list(history or [])):
        if source.split("\n", 1)[0].strip() == _PAPERMILL_HEAD:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return {}
            found = {}
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    try:
                        value = ast.literal_eval(node.value)
                    except ValueError:
                        value = None
                    found.update({t.id: value for t in node.targets if isinstance(t, ast.Name)})
            return found
    return {}


def check_injected(history: Sequence[str]) -> None:
    r"""Refuse a papermill parameter the report does not know, naming it.

    Papermill on its own only warns about a parameter the notebook does not declare. The
    paths its ``--inject-paths`` option adds (``PAPERMILL_INPUT_PATH``, ...) are allowed.

    >>> check_injected(['# Parameters\ncolour = "red"\nPAPERMILL_INPUT_PATH = "a.ipynb"\n'])
    Traceback (most recent call last):
    ...
    perfkit.errors.ParamsError: unknown parameter 'colour' (known keys: data, year, quarter, organisation, title, covering, plan_span, scheme, allow_empty, layout, notebook)
    """
    unknown = [name for name in injected_parameters(history)
               if name not in KNOWN_KEYS and not name.startswith("PAPERMILL_")]
    if unknown:
        raise ParamsError(f"unknown parameter {', '.join(map(repr, unknown))} "
                          f"(known keys: {', '.join(KNOWN_KEYS)})")


def load_params(path: str | Path) -> tuple[ReportParams, Path]:
    """Read a params YAML file; return the parameters and the resolved dataset path.

    A relative ``covering`` path is resolved the same way (see :func:`resolve_beside`).

    A relative ``data`` path is looked for beside the params file, then in each folder
    above it (so ``data/chesterfield`` in ``params/`` finds the project's ``data/``).
    """
    path = Path(path)
    values = _read_yaml(path)
    if not isinstance(values, dict):
        raise ParamsError(f"{path}: expected a mapping of keys ({', '.join(KNOWN_KEYS)})")
    params = check_params(values, str(path))
    return params, resolve_data(params.data, path.resolve().parent)


def _read_yaml(path: Path) -> object:
    """The params file's YAML, read within the size limit; every failure a ParamsError."""
    from perfkit.yamlfile import read_yaml

    return read_yaml(path, ParamsError, "params file", "parameters file")


def layout_path(params: ReportParams, base: Path) -> Path | None:
    """The params file's layout, resolved as ``data`` is; None for the data contract's tables."""
    return resolve_data(params.layout, base) if params.layout else None


def resolve_beside(params_path: str | Path, relative: str) -> Path:
    """A path from a params file, resolved as ``data`` is."""
    return resolve_data(relative, Path(params_path).resolve().parent)


def resolve_data(data: str, base: Path) -> Path:
    candidate = Path(data).expanduser()
    if candidate.is_absolute():
        return candidate
    for folder in (base, *base.parents):
        try:
            if (folder / candidate).exists():
                return (folder / candidate).resolve()
        except OSError:  # a name too long for this file system: not there
            continue
    return (base / candidate).resolve()
