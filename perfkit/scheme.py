"""A council's scheme as data: its status words, headline figures and how it prints them.

Every council words its statuses differently, counts its headline over a different base and
prints its percentages its own way. A scheme is one YAML file that says all of that; six
councils' schemes ship with perfkit (see ``BUILT_INS``), and any other is a file of the same
shape. Nothing here reads the data: the assessment maps the data's words to a scheme's
statuses, the rollup counts them, and :meth:`Scheme.headlines_from` turns counts into the
figures the report prints.
"""

from __future__ import annotations

import os
import re
import stat
import string
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError,
)

from perfkit.errors import PerfkitError
from perfkit.limits import MAX_HEADLINES, MAX_SCHEME_BYTES, MAX_STATUSES, clip
from perfkit.model import Status

BUILT_INS = ("chesterfield", "bracknell-forest", "rotherham", "medway", "flintshire", "lincoln")
DEFAULT = "chesterfield"

#: Keys a scheme never declares but every count may hold.
MISSING = "missing"  # a milestone with no update this quarter
UNRATED = "unrated"  # a measure the officer was to rate, with no rating given

_KEY = r"^[a-z][a-z0-9_]*$"
_HEX = r"^#[0-9a-fA-F]{6}$"
# Colours of the states a scheme does not declare: the report's own greys.
_PLAIN = ("#f3f2f1", "#0b0c0c")
_DARK = ("#505a5f", "#ffffff")


class SchemeError(PerfkitError):
    """A scheme file is missing, not YAML, or breaks the scheme's rules; lists every problem."""


# --- format strings: the only fields a scheme's phrases may hold ----------------------------

#: Fields of a verb phrase (``says``), agreed with the count before it.
VERB_FIELDS = ("are", "were", "was", "have")
#: Fields of a headline's wording: the verbs, and the quarter and year it is about.
HEADLINE_FIELDS = (*VERB_FIELDS, "quarter", "year")
#: Fields of a headline's ``empty`` sentence.
EMPTY_FIELDS = ("total", "nouns", "quarter", "year")


def phrase_fields(text: str, allowed: tuple[str, ...]) -> str:
    """Check a phrase's ``{fields}``: each a name from ``allowed``, nothing more.

    No attribute (``{are.__class__}``), index (``{are[0]}``), conversion (``{are!r}``),
    format spec (``{are:>1000000000}``) or position (``{0}``, ``{}``): the phrase is
    formatted with the report's words, and anything else would run into them.

    >>> phrase_fields("{are} amber", VERB_FIELDS)
    '{are} amber'
    >>> phrase_fields("{are:>9}", VERB_FIELDS)
    Traceback (most recent call last):
    ValueError: a phrase whose only fields are {are}, {were}, {was}, {have} (found '{are:>9}'; write a brace as {{ or }})
    """
    def refuse(found: str) -> ValueError:
        names = ", ".join(f"{{{name}}}" for name in allowed)
        return ValueError(f"a phrase whose only fields are {names} (found {clip(found)!r}; "
                          "write a brace as {{ or }})")

    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise refuse("an unmatched { or }") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise refuse(f"{{{shown}}}")
    return text


def _fields(*allowed: str):
    return AfterValidator(lambda text: phrase_fields(text, allowed))


class Part(StrEnum):
    """What a status or headline is about."""

    MILESTONES = "milestones"
    MEASURES = "measures"


class Source(StrEnum):
    """Where a measure's status comes from."""

    CHECK = "check"  # the value checked against the target
    OFFICER = "officer"  # the officer's own rating in the data's ``rag`` column
    CHECK_UNLESS_OFFICER = "check_unless_officer"  # the officer's rating when given


class Rounding(StrEnum):
    HALF_UP = "half_up"
    CUT = "cut"


class Others(StrEnum):
    """After a headline's sentence, whether the rest of its base is listed, and how."""

    NONE = "none"
    WITH_PCT = "with_pct"  # "; four (11%) are amber and one (3%) is red"
    COUNTS = "counts"  # ", one was within tolerance and three missed it"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusDef(_Model):
    """One status a council uses, with the words its tracker writes for it."""

    key: Annotated[str, Field(pattern=_KEY)]
    label: str
    words: list[str] = []  # listed in messages, matched in any case
    short: list[str] = []  # short forms, such as G
    aliases: list[str] = []  # also accepted, not listed
    colour: Annotated[str, Field(pattern=_HEX)]
    text: Annotated[str, Field(pattern=_HEX)] = "#ffffff"
    rank: int | None = None  # higher is better; for direction of travel
    exception: bool = False  # listed in the report's exceptions
    says: Annotated[str, _fields(*VERB_FIELDS)] = ""  # after a count: "{are} amber"
    check: list[Status] = []  # measures only: the target-check outcomes that give it

    def matches(self) -> set[str]:
        return {w.strip().lower() for w in [self.key, self.label, *self.words, *self.short,
                                            *self.aliases]}


class Headline(_Model):
    """A headline figure: which statuses it adds up, over which base, and how it reads."""

    name: Annotated[str, Field(pattern=_KEY)]
    label: str
    of: Part
    counts: Annotated[list[str], Field(min_length=1)]
    base: Literal["rated", "all"] | Annotated[list[str], Field(min_length=1)] = "rated"
    says: Annotated[str, _fields(*HEADLINE_FIELDS)]  # "{are} progressing well"; "met it"
    base_words: tuple[str, str]  # the base, one and many: "milestone rated this quarter"
    others: Others = Others.NONE
    share: str = ""  # "the share of milestones progressing well", for change sentences
    empty: Annotated[str, _fields(*EMPTY_FIELDS)] = "None could be rated this quarter."
    sentence: bool = True  # whether the summary gives it a sentence of its own


class PercentFormat(_Model):
    """How the council prints a share."""

    decimals: Annotated[int, Field(ge=0, le=3)] = 0
    rounding: Rounding = Rounding.HALF_UP
    below_one: str | None = None  # "less than 1%" for a share above 0 and below 1%
    none: str = "n/a"  # a share of nothing
    trim_zeros: bool = False  # "50%" and "57.1%", not "50.0%", with decimals

    def shown(self, count: int, base: int) -> Decimal | None:
        """The share as printed, in points: rounded or cut to ``decimals``.

        >>> PercentFormat(decimals=1, rounding="cut").shown(44, 64)
        Decimal('68.7')
        >>> PercentFormat().shown(85, 113), PercentFormat().shown(1, 8)
        (Decimal('75'), Decimal('13'))
        """
        if base == 0:
            return None
        # Fractions, not floats: 12.5 must round to 13, never to 12 through binary noise.
        scaled = Fraction(100 * count, base) * 10 ** self.decimals
        if self.rounding is Rounding.HALF_UP:
            scaled += Fraction(1, 2)
        return Decimal(scaled.numerator // scaled.denominator).scaleb(-self.decimals)

    def text(self, count: int, base: int) -> str:
        """The share as the council prints it.

        >>> PercentFormat(decimals=1, rounding="cut").text(44, 64)
        '68.7%'
        >>> PercentFormat(below_one="less than 1%").text(1, 400)
        'less than 1%'
        >>> [PercentFormat(decimals=1, trim_zeros=True).text(n, 14) for n in (7, 8)]
        ['50%', '57.1%']
        """
        shown = self.shown(count, base)
        if shown is None:
            return self.none
        if self.below_one and count > 0 and Fraction(100 * count, base) < 1:
            return self.below_one
        text = str(shown)
        if self.trim_zeros and "." in text:
            text = text.rstrip("0").rstrip(".")
        return f"{text}%"


class Nouns(_Model):
    """The council's nouns, one and many, and what it calls a milestone's status."""

    milestone: tuple[str, str] = ("milestone", "milestones")
    measure: tuple[str, str] = ("measure", "measures")
    rating: str = "RAG status"


@dataclass(frozen=True)
class HeadlineFigure:
    """A headline's figures for one group: ``pct`` unrounded, ``text`` as printed."""

    name: str
    label: str
    of: str
    count: int
    base: int
    pct: float | None
    text: str
    headline: Headline

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "count": self.count,
                "base": self.base, "pct": self.pct, "text": self.text}


class Scheme(_Model):
    """A council's scheme. Build one with :func:`load_scheme` or :func:`parse_scheme`."""

    name: str
    council: str = ""
    nouns: Nouns = Nouns()
    percent: PercentFormat = PercentFormat()
    measure_source: Source = Source.CHECK
    #: Counts below this are written as words ("seven"); 0 writes every count as figures.
    words_below: Annotated[int, Field(ge=0, le=10)] = 10
    no_target_words: list[str] = []  # target texts that mean there is no target
    not_yet_words: list[str] = []  # value texts that mean the figure is not due yet
    no_data_words: list[str] = []  # value texts that mean the figure is not available
    milestone_statuses: list[StatusDef] = []  # empty for a measures-only scheme
    measure_statuses: list[StatusDef] = []  # empty for a milestones-only scheme
    headlines: list[Headline] = []
    _words: dict[Part, dict[str, str]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object) -> None:
        for part in Part:
            self._words[part] = {w: s.key for s in self.statuses(part) for w in s.matches()}

    # -- words -----------------------------------------------------------------------------

    def statuses(self, part: Part | str) -> list[StatusDef]:
        return self.milestone_statuses if Part(part) is Part.MILESTONES else self.measure_statuses

    def word_key(self, part: Part | str, word: object) -> str | None:
        """The status a word of the data stands for, in any case; None if unknown.

        >>> s = builtin("chesterfield")
        >>> s.word_key("milestones", " G "), s.word_key("milestones", "Purple")
        ('green', None)
        """
        if not isinstance(word, str):
            return None
        return self._words[Part(part)].get(word.strip().lower())

    def value_words(self) -> set[str]:
        """Value texts that stand in for a figure: the "not yet" and "no data" words."""
        return words([*self.not_yet_words, *self.no_data_words])

    def allowed(self, part: Part | str) -> str:
        """The words a ``rag`` cell may hold, for messages.

        >>> builtin("chesterfield").allowed("milestones")
        'green, amber, red or complete (any case), or G, A, R, C'
        """
        defs = self.statuses(part)
        if not defs:
            return f"nothing: this scheme has no {Part(part).value[:-1]} statuses"
        # Each status's main word first, then the rest: "green, amber, red or complete".
        words = _main_first([s.words or [s.label.lower()] for s in defs])
        text = _either(words) + " (any case)"
        short = _main_first([s.short for s in defs])
        return text + (f", or {', '.join(short)}" if short else "")

    # -- states ----------------------------------------------------------------------------

    def keys(self, part: Part | str) -> list[str]:
        """Every state a row of ``part`` can be in, in the scheme's order, then perfkit's."""
        own = [s.key for s in self.statuses(part)]
        if Part(part) is Part.MILESTONES:
            return [*own, MISSING]
        mapped = {c for s in self.measure_statuses for c in s.check}
        rest = [s.value for s in Status if s not in mapped and s.value not in own]
        return [*own, *rest, *([UNRATED] if self.measure_source is not Source.CHECK else [])]

    def label(self, part: Part | str, key: str) -> str:
        found = self._def(part, key)
        if found:
            return found.label
        if key == MISSING and Part(part) is Part.MILESTONES:
            return "No update"
        if key == UNRATED:
            return "Not rated"
        return Status(key).label

    def colours(self, part: Part | str, key: str) -> tuple[str, str]:
        """Fill and text colour of a state's badge and bar."""
        found = self._def(part, key)
        if found:
            return found.colour, found.text
        plain = key in (Status.NOT_DUE, Status.NO_TARGET, Status.NO_DATA, UNRATED)
        return _PLAIN if plain else _DARK

    def rank(self, key: object) -> int | None:
        found = self._def(Part.MILESTONES, key) if isinstance(key, str) else None
        return found.rank if found else None

    def exceptions(self, part: Part | str) -> list[str]:
        return [s.key for s in self.statuses(part) if s.exception]

    def measure_state(self, status: Status | str, officer: object) -> str:
        """A measure's state from its check and the officer's rating, as the scheme says.

        >>> builtin("bracknell-forest").measure_state("missed", "G")
        'green'
        """
        status = Status(status)
        given = self.word_key(Part.MEASURES, officer)
        if given and self.measure_source is not Source.CHECK:
            return given
        if self.measure_source is Source.OFFICER and status.tracked:
            return UNRATED
        for s in self.measure_statuses:
            if status in s.check:
                return s.key
        return status.value

    def headlines_for(self, part: Part | str) -> list[Headline]:
        return [h for h in self.headlines if h.of is Part(part)]

    def headlines_from(self, counts: dict[str, dict[str, int]]) -> list[HeadlineFigure]:
        """Each headline's count, base and share from a group's counts by state.

        ``counts`` maps "milestones" and "measures" to counts by state. A headline is summed
        from counts, never from rounded shares.

        >>> s = builtin("chesterfield")
        >>> [h.text for h in s.headlines_from({"milestones": {"green": 60, "complete": 25,
        ...                                                   "amber": 28},
        ...                                    "measures": {"met": 1, "missed": 2}})]
        ['75%', '33%']
        """
        figures = []
        for h in self.headlines:
            states = counts.get(h.of.value, {})
            count = sum(states.get(k, 0) for k in h.counts)
            base = sum(states.get(k, 0) for k in self.base_keys(h))
            pct = None if base == 0 else float(Fraction(100 * count, base))
            figures.append(HeadlineFigure(h.name, h.label, h.of.value, count, base, pct,
                                          self.percent.text(count, base), h))
        return figures

    def says(self, part: Part | str, key: str) -> str:
        """The verb phrase after a count of ``key``: "{are} amber", "missed it"."""
        found = self._def(part, key)
        if found and found.says:
            return found.says
        # A label is plain text: its braces are not fields.
        return "{are} " + self.label(part, key).lower().replace("{", "{{").replace("}", "}}")

    def base_keys(self, headline: Headline) -> list[str]:
        """The states a headline's base adds up."""
        if headline.base == "rated":
            return [s.key for s in self.statuses(headline.of)]
        if headline.base == "all":
            return self.keys(headline.of)
        return list(headline.base)

    def _def(self, part: Part | str, key: object) -> StatusDef | None:
        return next((s for s in self.statuses(part) if s.key == key), None)


def _main_first(lists: list[list[str]]) -> list[str]:
    return [x[0] for x in lists if x] + [w for x in lists for w in x[1:]]


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


# --- the scheme's own rules, beyond each field's type ---------------------------------------

def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rule_breaks(scheme: Scheme) -> list[str]:
    """Every break of the rules that tie a scheme's parts together (empty when sound)."""
    problems = []
    if not scheme.milestone_statuses and not scheme.measure_statuses:
        problems.append("(file): the scheme has no statuses (allowed: milestone_statuses, "
                        "measure_statuses or both)")
    for part in Part:
        defs = scheme.statuses(part)
        where = f"{part.value[:-1]}_statuses"
        seen: dict[str, str] = {}
        keys = [s.key for s in defs]
        for i, s in enumerate(defs):
            if keys.count(s.key) > 1 and keys.index(s.key) != i:
                problems.append(f"{where}.{i}.key: {s.key!r} is used by two statuses")
            if s.key in (MISSING, UNRATED):
                problems.append(f"{where}.{i}.key: {s.key!r} is kept for perfkit's own use")
            for word in s.matches():
                other = seen.get(word)
                if other and other != s.key:
                    problems.append(f"{where}.{i}: the word {word!r} stands for both "
                                    f"{other!r} and {s.key!r}")
                seen[word] = s.key
            ratio = _contrast(s.colour, s.text)
            if ratio < 4.5:
                problems.append(f"{where}.{i}: text {s.text} on {s.colour} has contrast "
                                f"{ratio:.2f}:1 (allowed: 4.5:1 or more)")
            if part is Part.MILESTONES and s.check:
                problems.append(f"{where}.{i}.check: only measure statuses come from the "
                                "target check")
        if part is Part.MEASURES:
            given: dict[Status, str] = {}
            for i, s in enumerate(defs):
                for status in s.check:
                    if status in given:
                        problems.append(f"{where}.{i}.check: {status.value!r} already gives "
                                        f"{given[status]!r}")
                    given[status] = s.key
    names = [h.name for h in scheme.headlines]
    for i, h in enumerate(scheme.headlines):
        if names.count(h.name) > 1 and names.index(h.name) != i:
            problems.append(f"headlines.{i}.name: {h.name!r} is used by two headlines")
        known = list(dict.fromkeys(scheme.keys(h.of)))
        base = list(h.base) if isinstance(h.base, list) else []
        for field, keys in (("counts", h.counts), ("base", base)):
            for j, key in enumerate(keys):
                if key not in known:
                    problems.append(f"headlines.{i}.{field}.{j}: {key!r} is not a "
                                    f"{h.of.value[:-1]} status of this scheme (allowed: "
                                    f"{', '.join(known)})")
        if base and not set(h.counts) <= set(base):
            problems.append(f"headlines.{i}.counts: every status counted must be in the base "
                            f"({', '.join(sorted(set(h.counts) - set(base)))} is not)")
    return problems


# --- reading a scheme (the only I/O here) ----------------------------------------------------

def parse_scheme(values: object, source: str = "scheme", *,
                 node: yaml.Node | None = None) -> Scheme:
    """Validate a scheme's mapping; every problem is listed in one :class:`SchemeError`.

    >>> parse_scheme({"name": "x", "percent": {"decimals": 9}, "colour": "red",
    ...               "measure_statuses": [{"key": "Met", "label": "Met"}]}, "x.yaml")
    Traceback (most recent call last):
    perfkit.scheme.SchemeError: 4 problems in the scheme x.yaml:
      - percent.decimals: 9 is not allowed (input should be less than or equal to 3)
      - measure_statuses.0.key: 'Met' is not allowed (string should match pattern '^[a-z][a-z0-9_]*$')
      - measure_statuses.0.colour: is required
      - colour: unknown key (known keys: name, council, nouns, percent, measure_source, words_below, no_target_words, not_yet_words, no_data_words, milestone_statuses, measure_statuses, headlines)
    """
    if not isinstance(values, dict):
        raise SchemeError(f"{source}: expected a mapping of keys "
                          f"({', '.join(Scheme.model_fields)})")
    too_many = [f"{where}: {len(values[key]):,} {what}; at most {limit} ({name})"
                for key, what, limit, name in (
                    ("milestone_statuses", "statuses", MAX_STATUSES, "MAX_STATUSES"),
                    ("measure_statuses", "statuses", MAX_STATUSES, "MAX_STATUSES"),
                    ("headlines", "headlines", MAX_HEADLINES, "MAX_HEADLINES"))
                if isinstance(values.get(key), list) and len(values[key]) > limit
                for where in [_where(node, (key,))]]
    if too_many:  # refused before any is checked: the charts could not draw them
        raise SchemeError(_listed(source, too_many))
    try:
        scheme = Scheme.model_validate(values)
    except ValidationError as err:
        raise SchemeError(_listed(source, [_say(e, node) for e in err.errors()])) from None
    problems = rule_breaks(scheme)
    if problems:
        raise SchemeError(_listed(source, problems))
    return scheme


def _say(error: dict, node: yaml.Node | None = None) -> str:
    where = _where(node, error["loc"])
    if error["type"] == "missing":
        return f"{where}: is required"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key (known keys: {', '.join(_known_keys(error['loc']))})"
    shown = error.get("input")
    value = repr(shown) if isinstance(shown, (str, int, float)) else "the value"
    reason = error["msg"].removeprefix("Value error, ")
    return f"{where}: {value} is not allowed ({reason[:1].lower() + reason[1:]})"


def _where(node: yaml.Node | None, loc: tuple) -> str:
    """A key's place for a message: its line, where the file is known, and its path."""
    where = ".".join(str(p) for p in loc) or "(file)"
    line = _line(node, loc)
    return f"line {line}, {where}" if line else where


def _line(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line of the YAML file that holds the value at ``loc``, when it can be found."""
    found = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        found = node.start_mark.line + 1
    return found
def _known_keys(loc: tuple) -> list[str]:
    """The keys allowed where an unknown one was found (``loc`` ends with the unknown key).

    >>> _known_keys(("percent", "colour"))
    ['decimals', 'rounding', 'below_one', 'none', 'trim_zeros']
    """
    model: type[BaseModel] = Scheme
    for part in loc[:-1]:
        if isinstance(part, int) or part not in model.model_fields:
            continue
        annotation = model.model_fields[part].annotation
        inner = [a for a in (annotation, *getattr(annotation, "__args__", ()))
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            break
        model = inner[0]
    return list(model.model_fields)


def _listed(source: str, problems: list[str]) -> str:
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} in the scheme {source}:"
    return "\n".join([head, *(f"  - {p}" for p in problems)])


def builtin(name: str) -> Scheme:
    """One of the schemes that ship with perfkit.

    >>> builtin("lincoln").percent.rounding
    <Rounding.CUT: 'cut'>
    """
    return _builtin(name)


@lru_cache(maxsize=None)
def _builtin(name: str) -> Scheme:
    if name not in BUILT_INS:
        raise SchemeError(f"scheme {name!r}: no built-in scheme of that name "
                          f"(built-ins: {', '.join(BUILT_INS)}; or give a path to a YAML file)")
    text = resources.files("perfkit").joinpath("schemes", f"{name}.yaml").read_text("utf-8")
    return parse_scheme(yaml.safe_load(text), f"{name}.yaml")


def is_builtin(reference: str) -> bool:
    return reference in BUILT_INS


def load_scheme(reference: str | Path | None = None, base: str | Path | None = None) -> Scheme:
    """A built-in scheme by name, or a scheme YAML file (relative to ``base``, as ``data`` is).

    >>> load_scheme().name, load_scheme("medway").name
    ('chesterfield', 'medway')
    """
    if reference is None or str(reference) == "":
        return builtin(DEFAULT)
    if is_builtin(str(reference)):
        return builtin(str(reference))
    from perfkit.params import resolve_data

    path = resolve_data(str(reference), Path(base) if base else Path.cwd())
    text = _read_scheme_file(reference, path)
    try:
        node, values = _compose(text, path)
    except SchemeError:
        raise
    except yaml.YAMLError as err:
        raise SchemeError(f"{path}: not valid YAML ({clip(str(err), 400)})") from None
    except (ValueError, RecursionError) as err:
        # A 5,000-digit number, or lists nested thousands deep.
        raise SchemeError(f"{path}: not a valid scheme file ({clip(str(err), 200)})") from None
    return parse_scheme(values, path.name, node=node)


SCHEME_ALLOWED = (f"a built-in scheme's name, or a regular .yaml file of at most "
                  f"{MAX_SCHEME_BYTES // 1024} KB")


def _read_scheme_file(reference: object, path: Path) -> str:
    """A scheme file's text: a regular ``.yaml`` file within the size limit, as UTF-8.

    A device (``/dev/zero``), a pipe or a folder is refused before a byte is read.
    """
    real = path.resolve()
    if path.suffix.lower() not in (".yaml", ".yml") or real.suffix.lower() not in (".yaml",
                                                                                    ".yml"):
        if not path.exists():
            raise SchemeError(f"scheme {clip(str(reference))!r}: no such file ({path}) and no "
                              f"built-in scheme of that name (built-ins: "
                              f"{', '.join(BUILT_INS)})")
        raise SchemeError(f"{path}: a scheme file must end in .yaml (allowed: {SCHEME_ALLOWED})")
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; fstat then refuses it.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SchemeError(f"scheme {clip(str(reference))!r}: no such file ({path}) and no "
                          f"built-in scheme of that name (built-ins: "
                          f"{', '.join(BUILT_INS)})") from None
    except OSError as err:
        raise SchemeError(f"{path}: cannot read the scheme file ({err.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SchemeError(f"{path}: the scheme is not a regular file (a folder, device "
                          f"or pipe; allowed: {SCHEME_ALLOWED})")
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_SCHEME_BYTES + 1)
    if len(raw) > MAX_SCHEME_BYTES:
        raise SchemeError(f"{path}: larger than the {MAX_SCHEME_BYTES // 1024} KB a scheme "
                          "file may be (MAX_SCHEME_BYTES)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SchemeError(f"{path}: byte {err.start:,} (0x{raw[err.start]:02X}) is not UTF-8; "
                          "save the scheme as UTF-8") from None


def _compose(text: str, path: Path) -> tuple[yaml.Node | None, object]:
    """The file's YAML node (for line numbers) and its values."""
    from perfkit.yamlfile import AliasFound, NoAliasLoader, alias_refused

    loader = NoAliasLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except AliasFound as found:
        raise SchemeError(f"{path}, {alias_refused(found.line, 'scheme file')}") from None
    finally:
        loader.dispose()


def scheme_reference(reference: str | None, base: Path) -> str:
    """What a params file's ``scheme`` names, as the notebook should receive it: a built-in's
    name, or the file's resolved path."""
    from perfkit.params import resolve_data

    if not reference or is_builtin(reference):
        return reference or DEFAULT
    return str(resolve_data(reference, base))


_SPACE = re.compile(r"\s+")


def words(texts: list[str]) -> set[str]:
    """Texts as matched against the data: stripped, single-spaced, lower case."""
    return {_SPACE.sub(" ", t.strip().lower()) for t in texts}
