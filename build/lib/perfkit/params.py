"""A quarter's parameters file: what to render, validated before any work starts."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from perfkit.errors import ParamsError
from perfkit.model import YEAR_ALLOWED, is_financial_year, slug


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
    allow_empty: bool = False  # render a quarter with no updates rather than refuse it

    @field_validator("year")
    @classmethod
    def _year(cls, value: str) -> str:
        if not is_financial_year(value):
            raise ValueError(YEAR_ALLOWED)
        return value

    @property
    def slug(self) -> str:
        return slug(self.year, self.quarter)

    @property
    def heading(self) -> str:
        return self.title or f"Council Plan delivery: quarter {self.quarter} of {self.year}"


KNOWN_KEYS = tuple(ReportParams.model_fields)


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
                lines.append(f"{source}: unknown key {key!r} (known keys: {', '.join(KNOWN_KEYS)})")
            elif e["type"] == "missing":
                lines.append(f"{source}: key {key!r} is required (known keys: {', '.join(KNOWN_KEYS)})")
            else:
                reason = e["msg"].removeprefix("Value error, ")
                lines.append(f"{source}: key {key!r} has {e.get('input')!r}; expected {reason}")
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
    perfkit.errors.ParamsError: unknown parameter 'colour' (known keys: data, year, quarter, organisation, title, covering, plan_span, allow_empty)
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
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path}: parameters file not found") from None
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(values, dict):
        raise ParamsError(f"{path}: expected a mapping of keys ({', '.join(KNOWN_KEYS)})")
    params = check_params(values, str(path))
    return params, resolve_data(params.data, path.resolve().parent)


def resolve_beside(params_path: str | Path, relative: str) -> Path:
    """A path from a params file, resolved as ``data`` is."""
    return resolve_data(relative, Path(params_path).resolve().parent)


def resolve_data(data: str, base: Path) -> Path:
    candidate = Path(data).expanduser()
    if candidate.is_absolute():
        return candidate
    for folder in (base, *base.parents):
        if (folder / candidate).exists():
            return (folder / candidate).resolve()
    return (base / candidate).resolve()
