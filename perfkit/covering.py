"""The Cabinet covering report: the officer's Markdown with the data's figures filled in.

The officer writes prose and places generated content with fields in double braces
(``{{ milestones.pct_progressing_well }}``, ``{{ priorities.TB.paragraph }}``,
``{{ risk_table }}``), and may leave notes in ``{# ... #}``. That is the whole language: the
covering file is fields, not a program. Anything else in braces (``{% include %}``, a loop,
a filter, arithmetic) is an error naming its line, found before anything renders and never
evaluated. Fields are checked against the data the same way: an unknown one is an error
naming its line and the fields that exist. A field's value goes into the page as text,
escaped, never as Markdown or HTML. Figures and years typed
by hand into sentences about milestones or measures are found and listed as warnings, so
the officer can replace them with fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perfkit.errors import PerfkitError
from perfkit.limits import MAX_COVERING_BYTES, clip
from perfkit.model import Level
from perfkit.narrative import say
from perfkit.rollup import Group
from perfkit.summary import Summary

# Fields whose value is a block of generated HTML, placed after the Markdown is converted.
BLOCK_FIELDS = ("risk_table",)
_TOKEN = "PERFKITBLOCK{}END"  # given a random nonce at each render


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
            "statuses": {k: say(n) for k, n in m.statuses.items()},
            "pct_progressing_well": f"{m.pct_progressing_well}%",
            **{f"pct_{k}": f"{v}%" for k, v in m.pct.items()},
        },
        "measures": {
            "total": say(me.total), "quarterly": say(me.quarterly), "tracked": say(me.tracked),
            "met": say(me.met), "near": say(me.near), "missed": say(me.missed),
            "not_due": say(me.not_due),
            "statuses": {k: say(n) for k, n in me.statuses.items()},
            "pct_met": "no" if me.pct_met is None else f"{me.pct_met}%",
        },
        # The scheme's headlines, as its report prints them: {{ headlines.met.text }}.
        "headlines": {h.name: {"label": h.label, "text": h.text, "count": say(h.count),
                               "base": say(h.base)} for h in group.headlines},
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
        "risk_table": "(the risk table)",
        "appendix": appendix,
    }


def field_names(context: dict, prefix: str = "") -> list[str]:
    """Every field as a dotted path, for messages and the README."""
    names = []
    for key, value in context.items():
        path = f"{prefix}{key}"
        names.extend(field_names(value, path + ".") if isinstance(value, dict) else [path])
    return names


# --- reading the template -----------------------------------------------------------------

#: A field: dotted names, or a quoted key in brackets for an ID that is not a plain name.
_PATH = re.compile(r"\s*([A-Za-z_][\w-]*(?:\.[\w-]+|\[\s*'[^'\\{}]{1,100}'\s*\])*)\s*\Z")
_SEGMENT = re.compile(r"\.([\w-]+)|\[\s*'([^']*)'\s*\]")
_OPENER = re.compile(r"{[{%#]")
#: Longest text between "{{" and "}}" worth reading as a field.
_MAX_FIELD_CHARS = 300
ALLOWED_CONSTRUCTS = ("fields such as {{ milestones.total }} or {{ priorities['TB'].name }}, "
                      "and notes in {# ... #}")


@dataclass(frozen=True)
class Field:
    """One ``{{ a.b.c }}`` in the covering file: its path, line, and place in the source."""

    path: tuple[str, ...]
    line: int
    start: int
    end: int


def parse_fields(source: str, name: str) -> tuple[list[Field], list[tuple[int, int]]]:
    """Every field and every note (as a span) in the source; any other construct is an error.

    One pass over the text, in linear time: nothing is evaluated.

    >>> fields_, notes = parse_fields("{# note #}At Q{{ quarter }}: {{ priorities['TB'].name }}", "c.md")
    >>> [f.path for f in fields_], notes
    ([('quarter',), ('priorities', 'TB', 'name')], [(0, 10)])
    >>> parse_fields("{% include '/etc/passwd' %}", "c.md")
    Traceback (most recent call last):
    ...
    perfkit.covering.CoveringError: c.md, line 1: "{% include '/etc/passwd' %}" is a template statement; a covering report holds only fields such as {{ milestones.total }} or {{ priorities['TB'].name }}, and notes in {# ... #}
    """
    found: list[Field] = []
    notes: list[tuple[int, int]] = []
    problems: list[str] = []
    line, counted, pos = 1, 0, 0
    while len(problems) < MAX_PROBLEMS:
        match = _OPENER.search(source, pos)
        if not match:
            break
        start = match.start()
        line += source.count("\n", counted, start)
        counted = start
        opener = match[0]
        closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[opener]
        end = source.find(closer, start + 2)
        if end < 0:
            problems.append(f"{name}, line {line}: {opener!r} is never closed by {closer!r}")
            break
        end += 2
        pos = end
        inner = source[start + 2:end - 2]
        shown = clip(source[start:end].replace("\n", " "), 60)
        if opener == "{#":
            notes.append((start, end))
        elif opener == "{%":
            problems.append(f"{name}, line {line}: {shown!r} is a template statement; a covering "
                            f"report holds only {ALLOWED_CONSTRUCTS}")
        else:
            path = _PATH.match(inner) if len(inner) <= _MAX_FIELD_CHARS else None
            if path is None:
                problems.append(f"{name}, line {line}: {shown!r} is not a field; a covering report "
                                f"holds only {ALLOWED_CONSTRUCTS} (no filters, calls or "
                                "arithmetic)")
                continue
            text = path[1]
            head = re.match(r"[A-Za-z_][\w-]*", text)[0]
            parts = [head, *(a or b for a, b in _SEGMENT.findall(text, len(head)))]
            found.append(Field(tuple(parts), line, start, end))
    if problems:
        raise CoveringError("\n".join(problems))
    return found, notes


MAX_PROBLEMS = 50


# --- checking the template -----------------------------------------------------------------

def check_fields(source: str, context: dict, name: str) -> tuple[list[Field], list[tuple[int, int]]]:
    """Raise one :class:`CoveringError` listing every construct that is not a field or a
    note, and every unknown field, each with its line; return the fields and notes."""
    found, notes = parse_fields(source, name)
    problems: list[str] = []
    for item in found:
        problems.extend(_unknown(list(item.path), context, name, item.line))
    if problems:
        raise CoveringError("\n".join(problems[:MAX_PROBLEMS]))
    return found, notes


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
                    f"(fields{' under ' + repr(parent) if parent else ''}: {clip(options, 600)})"]
        here = here[part]
    if isinstance(here, dict):
        return [f"{name}, line {line}: {'.'.join(path)!r} is a group of fields, not one "
                f"(fields under it: {clip(_children(here, '.'.join(path)), 600)})"]
    return []


# --- hand-typed figures --------------------------------------------------------------------

def _without_constructs(source: str) -> str:
    """The source with each field, note or statement replaced by the word FIELD, keeping its
    line breaks so line numbers hold; an unclosed one is left as it is. Linear time."""
    out, pos = [], 0
    while True:
        match = _OPENER.search(source, pos)
        if not match:
            break
        closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[match[0]]
        end = source.find(closer, match.end())
        if end < 0:
            break
        out += [source[pos:match.start()], " FIELD ", "\n" * source.count("\n", match.start(), end)]
        pos = end + 2
    out.append(source[pos:])
    return "".join(out)


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
    for number, prose in enumerate(_without_constructs(source).splitlines(), start=1):
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


#: A "<" that starts raw HTML the page does not keep: a tag not in ALLOWED_TAGS, a comment,
#: a declaration. Markdown would let an unclosed <style>, <script>, <textarea> or <!-- run
#: to the end of the file, and the sanitiser would then drop all of it.
_RAW_HTML = re.compile(r"<(?!/?(?:%s)\b[^<>]*>|(?:https?|mailto):[^\s<>]*>)"
                       % "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True)), re.I)


def render_body(source: str, context: dict, blocks: dict[str, str], name: str) -> str:
    """The covering report's body as safe HTML, with fields and generated blocks put in place.

    Each field first stands in the Markdown as a random token, so no value is ever read as
    Markdown or HTML; after the Markdown is converted, the token is replaced by the value,
    escaped. A priority named ``<style>`` or ``[x](http://evil)`` appears as written.

    >>> body = render_body("# {{ name }}\\n\\nHi <style>", {"name": "[x](http://e) <b>"}, {}, "c.md")
    >>> print(body.strip())
    <h1>[x](http://e) &lt;b&gt;</h1>
    <p>Hi &lt;style&gt;</p>
    """
    import secrets

    import mistune
    import nh3

    from perfkit.html import esc, shallow

    found, notes = check_fields(source, context, name)
    nonce = secrets.token_hex(8)
    values: list[str] = []
    spans = sorted([(f.start, f.end, f) for f in found] + [(a, b, None) for a, b in notes],
                   key=lambda span: span[0])
    markdown, pos = [], 0
    for start, end, item in spans:
        markdown.append(_RAW_HTML.sub(r"\\<", source[pos:start]))
        pos = end
        if item is None:
            continue  # a note for the officer, not for the page
        if item.path[0] in BLOCK_FIELDS:
            markdown.append(_TOKEN.format(f"{nonce}B{BLOCK_FIELDS.index(item.path[0])}"))
            continue
        value: object = context
        for part in item.path:
            value = value[part]
        markdown.append(f"PKF{nonce}F{len(values)}E")
        values.append(esc(value))
    markdown.append(_RAW_HTML.sub(r"\\<", source[pos:]))
    html = mistune.html("".join(markdown))
    html = re.sub(f"PKF{nonce}F(\\d+)E", lambda m: values[int(m[1])], html)
    # The officer's Markdown may hold raw HTML: sanitise it before perfkit's own blocks go in.
    body = nh3.clean(shallow(html), tags=ALLOWED_TAGS,
                     attributes={"a": {"href", "title"}, "th": {"scope"}},
                     url_schemes={"http", "https", "mailto"}, link_rel=None)
    body = re.sub(r"<table>", '<table class="officer">', body)
    for index, field in enumerate(BLOCK_FIELDS):
        token = _TOKEN.format(f"{nonce}B{index}")
        block = blocks.get(field, "")
        body = body.replace(f"<p>{token}</p>", block).replace(token, block)
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
    """The covering report's Markdown: a regular ``.md`` file of bounded size, as UTF-8.

    Anything else is refused before a byte is read: a device (``/dev/zero`` never ends), a
    pipe (it blocks), ``/proc`` and ``/etc`` files (they would be published), a folder.
    """
    import os
    import stat

    path = Path(path)
    allowed = f"a Markdown file (.md) of at most {MAX_COVERING_BYTES // 1024} KB"
    real = path.resolve()
    if path.suffix.lower() != ".md" or real.suffix.lower() != ".md":
        raise CoveringError(f"{path}: the covering report must be a Markdown file ending in "
                            f".md ({allowed})")
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; fstat then refuses it.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise CoveringError(f"{path}: cannot read the covering report ({err.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CoveringError(f"{path}: the covering report is not a regular file "
                            f"(a folder, device or pipe); {allowed}")
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_COVERING_BYTES + 1)
    if len(raw) > MAX_COVERING_BYTES:
        raise CoveringError(f"{path}: the covering report is larger than the limit ({allowed})")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CoveringError(f"{path}: byte {err.start:,} (0x{raw[err.start]:02X}) is not UTF-8; "
                            "save the covering report as UTF-8") from None


@dataclass(frozen=True)
class Covering:
    """A checked covering report, ready to be written as ``cabinet.html``."""

    title: str
    body: str
    warnings: list[CoveringWarning]
    print_body: str | None = None  # the body whose links point at the print appendix


def build_covering(path: Path, summary: Summary, risks: pd.DataFrame, *, organisation: str,
                   plan_span: str | None, title: str, appendix: str = "report.html",
                   print_appendix: str | None = None) -> Covering:
    """Read, check and render a covering report for a quarter; ``appendix`` is its link.

    With ``print_appendix`` (``report.pdf``), the body is also rendered with that link, for
    ``cabinet.pdf``: the file is read, checked and its risks drawn once for both.
    """
    from perfkit.charts import risk_matrix
    from perfkit.html import esc, figure, table

    source = read_source(path)
    year, quarter = summary.rollup.year, summary.rollup.quarter
    context = fields(summary, organisation, appendix)
    check_fields(source, context, path.name)  # before any drawing: a bad file fails at once
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
    print_body = None
    if print_appendix is not None:
        print_body = render_body(source, {**context, "appendix": print_appendix},
                                 {"risk_table": risk_html}, path.name)
    return Covering(title, body, hand_typed(source, year, plan_span, path.name), print_body)
