"""The Cabinet covering report: the officer's Markdown with the data's figures filled in.

The officer writes prose and places generated content with Jinja2 fields
(``{{ milestones.pct_progressing_well }}``, ``{{ priorities.TB.paragraph }}``,
``{{ risk_table }}``). Fields are checked against the data before anything renders: an
unknown one is an error naming its line and the fields that exist. Figures and years typed
by hand into sentences about milestones or measures are found and listed as warnings, so
the officer can replace them with fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perfkit.errors import PerfkitError
from perfkit.model import Level
from perfkit.narrative import say
from perfkit.rollup import Group
from perfkit.summary import Summary

# Fields whose value is a block of generated HTML, placed after the Markdown is converted.
BLOCK_FIELDS = ("risk_table",)
_TOKEN = "PERFKITBLOCK{}END"


class CoveringError(PerfkitError):
    """The covering report uses a field that does not exist, or is not a valid template."""


@dataclass(frozen=True)
class CoveringWarning:
    """A figure or year typed by hand where a field would keep it true."""

    file: str
    line: int
    found: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.found!r} {self.message}"


# --- the fields ----------------------------------------------------------------------------

def _figures(group: Group) -> dict:
    m, me = group.milestones, group.measures
    return {
        "milestones": {
            "total": say(m.total), "rated": say(m.rated), "green": say(m.green),
            "amber": say(m.amber), "red": say(m.red), "complete": say(m.complete),
            "progressing_well": say(m.progressing_well),
            "pct_progressing_well": f"{m.pct_progressing_well}%",
            **{f"pct_{k}": f"{v}%" for k, v in m.pct.items()},
        },
        "measures": {
            "total": say(me.total), "quarterly": say(me.quarterly), "tracked": say(me.tracked),
            "met": say(me.met), "near": say(me.near), "missed": say(me.missed),
            "not_due": say(me.not_due),
            "pct_met": "no" if me.pct_met is None else f"{me.pct_met}%",
        },
    }


def fields(summary: Summary, organisation: str = "", appendix: str = "report.html") -> dict:
    """Every field a covering report can use, with its value for this quarter.

    >>> from perfkit.load import load_dataset
    >>> from perfkit.summary import summarise
    >>> f = fields(summarise(load_dataset("data/chesterfield"), "2022/23", 2))
    >>> f["milestones"]["pct_progressing_well"], f["priorities"]["QL"]["milestones"]["pct_progressing_well"]
    ('86%', '93%')
    """
    rollup = summary.rollup
    return {
        "year": rollup.year,
        "quarter": rollup.quarter,
        "organisation": organisation,
        "overall_paragraph": summary.paragraphs[0],
        "change_paragraph": summary.paragraphs[-1],
        **_figures(rollup.overall),
        "priorities": {
            g.priority_id: {"name": g.name, "paragraph": summary.paragraphs[i], **_figures(g)}
            for i, g in enumerate(rollup.priorities, start=1)
        },
        "risk_table": _TOKEN.format(0),
        "appendix": appendix,
    }


def field_names(context: dict, prefix: str = "") -> list[str]:
    """Every field as a dotted path, for messages and the README."""
    names = []
    for key, value in context.items():
        path = f"{prefix}{key}"
        names.extend(field_names(value, path + ".") if isinstance(value, dict) else [path])
    return names


# --- checking the template -----------------------------------------------------------------

def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # Sandboxed: the covering file is an officer's, not the project's code.
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                keep_trailing_newline=True)


def check_fields(source: str, context: dict, name: str) -> None:
    """Raise one :class:`CoveringError` listing every unknown field, with its line."""
    from jinja2 import TemplateSyntaxError, nodes

    env = _environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as err:
        raise CoveringError(f"{name}, line {err.lineno}: {err.message}") from None
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    problems: list[str] = []

    def chain(node) -> list[str] | None:
        if isinstance(node, nodes.Name):
            return [node.name]
        if isinstance(node, nodes.Getattr):
            head = chain(node.node)
            return None if head is None else [*head, node.attr]
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            head = chain(node.node)
            return None if head is None else [*head, str(node.arg.value)]
        return None

    def visit(node) -> None:
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            path = chain(node)
            if path is not None and (not isinstance(node, nodes.Name) or node.ctx == "load"):
                if path[0] not in local:
                    problems.extend(_unknown(path, context, name, node.lineno))
                return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    if problems:
        raise CoveringError("\n".join(problems))


def _children(here: dict, parent: str) -> str:
    """One level of fields, with a hint of what lies below: "milestones.*"."""
    prefix = f"{parent}." if parent else ""
    shown = []
    for key, value in here.items():
        if parent == "priorities":
            shown.append(f"{prefix}{key}.*")
        elif key == "priorities" and isinstance(value, dict):
            shown.append(f"priorities.<{'|'.join(value)}>.*")
        else:
            shown.append(f"{prefix}{key}{'.*' if isinstance(value, dict) else ''}")
    return ", ".join(shown)


def _unknown(path: list[str], context: dict, name: str, line: int) -> list[str]:
    here: object = context
    for depth, part in enumerate(path):
        if not isinstance(here, dict) or part not in here:
            parent = ".".join(path[:depth])
            options = (_children(here, parent) if isinstance(here, dict)
                       else f"none: {parent!r} is a single value")
            return [f"{name}, line {line}: unknown field {'.'.join(path)!r} "
                    f"(fields{' under ' + repr(parent) if parent else ''}: {options})"]
        here = here[part]
    return []


# --- hand-typed figures --------------------------------------------------------------------

_FIELD = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
_YEAR = re.compile(r"\b(20\d\d)(?:\s*(/|–|-|to)\s*(\d{2,4}))?\b")
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?%")
_COUNT = re.compile(r"(?<![\w.,£$])\d[\d,]*\b(?![.,]\d|\s?%)")
_NUMBER_WORDS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|all|half)\b", re.I)
_TOPIC = re.compile(r"\b(milestones?|measures?|targets?|indicators?)\b", re.I)


def _span_years(plan_span: str | None) -> set[int]:
    found = [int(y) for y in re.findall(r"20\d\d", plan_span or "")]
    return set(range(min(found), max(found) + 1)) if found else set()


def hand_typed(source: str, year: str, plan_span: str | None, name: str) -> list[CoveringWarning]:
    """Years other than the report's, and figures about milestones or measures, typed by hand.

    >>> text = "Milestones due in 2021/22 are done. 80% of measures met their target."
    >>> [w.found for w in hand_typed(text, "2022/23", None, "c.md")]
    ['2021/22', '80%']
    """
    start = int(year[:4])
    allowed_years = {start, start + 1} | _span_years(plan_span)
    warnings = []
    for number, line in enumerate(source.splitlines(), start=1):
        prose = _FIELD.sub(" FIELD ", line)
        if prose.lstrip().startswith(("|", "<!--")):
            continue  # tables of the officer's own and comments are not sentences
        for sentence in re.split(r"(?<=[.!?])\s+", prose):
            for match in _YEAR.finditer(sentence):
                text = match[0]
                if _year_ok(match, year, allowed_years):
                    continue
                warnings.append(CoveringWarning(
                    name, number, text, f"is not the report's year ({year}) or the plan's "
                    "span; write {{ year }} or declare plan_span in the params file"))
            if not _TOPIC.search(sentence):
                continue
            without_years = _YEAR.sub(" ", sentence)
            for pattern, what in ((_PERCENT, "percentage"), (_COUNT, "count"),
                                  (_NUMBER_WORDS, "count")):
                for match in pattern.finditer(without_years):
                    warnings.append(CoveringWarning(
                        name, number, match[0].strip(),
                        f"is a {what} typed by hand in a sentence about milestones or "
                        "measures; use a field such as {{ milestones.pct_progressing_well }}"))
                without_years = pattern.sub(" ", without_years)
    return warnings


def _year_ok(match: re.Match, year: str, allowed: set[int]) -> bool:
    if match[2] == "/":
        return match[0].replace(" ", "") == year
    first = int(match[1])
    if match[3]:
        second = int(match[3]) if len(match[3]) == 4 else int(match[1][:2] + match[3])
        return first in allowed and second in allowed
    return first in allowed


# --- rendering -----------------------------------------------------------------------------

ALLOWED_TAGS = {"h1", "h2", "h3", "h4", "p", "br", "ul", "ol", "li", "strong", "em", "b", "i",
                "a", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "code"}


def render_body(source: str, context: dict, blocks: dict[str, str], name: str) -> str:
    """The covering report's body as safe HTML, with generated blocks put in place."""
    import mistune
    import nh3
    from jinja2 import TemplateError

    check_fields(source, context, name)
    try:
        text = _environment().from_string(source).render(**context)
    except TemplateError as err:
        raise CoveringError(f"{name}: {err}") from None
    # The officer's Markdown may hold raw HTML: sanitise it before perfkit's own blocks go in.
    body = nh3.clean(mistune.html(text), tags=ALLOWED_TAGS,
                     attributes={"a": {"href", "title"}, "th": {"scope"}},
                     url_schemes={"http", "https", "mailto"}, link_rel=None)
    body = re.sub(r"<table>", '<table class="officer">', body)
    for index, field in enumerate(BLOCK_FIELDS):
        token = _TOKEN.format(index)
        body = body.replace(f"<p>{token}</p>", blocks[field]).replace(token, blocks[field])
    return body


def current_risks(risks: pd.DataFrame, year: str, quarter: int) -> pd.DataFrame:
    """The quarter's risks with their levels read, numbered R1… where no risk_id is given."""
    rows = risks[(risks["year"] == year) & (risks["quarter"] == str(quarter))].copy()
    if "risk_id" not in rows:
        rows["risk_id"] = ""
    rows["risk_id"] = [rid or f"R{i}" for i, rid in enumerate(rows["risk_id"], start=1)]
    for column in ("impact", "likelihood", "residual_impact", "residual_likelihood"):
        rows[column] = rows[column].map(Level.parse)
    return rows.reset_index(drop=True)


def read_source(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise CoveringError(f"{path}: cannot read the covering report ({err.strerror})") from None


@dataclass(frozen=True)
class Covering:
    """A checked covering report, ready to be written as ``cabinet.html``."""

    title: str
    body: str
    warnings: list[CoveringWarning]


def build_covering(path: Path, summary: Summary, risks: pd.DataFrame, *, organisation: str,
                   plan_span: str | None, title: str) -> Covering:
    """Read, check and render a covering report for a quarter."""
    from perfkit.charts import risk_matrix
    from perfkit.html import esc, figure, table

    source = read_source(path)
    year, quarter = summary.rollup.year, summary.rollup.quarter
    context = fields(summary, organisation)
    current = current_risks(risks, year, quarter)
    if len(current):
        rows = [[esc(r.risk_id), esc(r.risk), esc(r.impact.label), esc(r.likelihood.label),
                 esc(r.mitigation), esc(r.residual_impact.label), esc(r.residual_likelihood.label)]
                for r in current.itertuples()]
        risk_html = table(f"Risks at quarter {quarter} {year}",
                          ["Risk", "Description", "Impact", "Likelihood", "Mitigating action",
                           "Impact after", "Likelihood after"], rows, css="risks") + \
            figure(risk_matrix(current, year, quarter), "chart-risks")
    else:
        risk_html = f"<p>The data holds no risks for quarter {quarter} of {esc(year)}.</p>"
    body = render_body(source, context, {"risk_table": risk_html}, path.name)
    return Covering(title, body, hand_typed(source, year, plan_span, path.name))
