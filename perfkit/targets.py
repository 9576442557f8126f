"""Read a target and a value as officers write them, and check one against the other.

Targets arrive as text typed into a Word table: "Over £500k", "Under 10%", "1 minute",
"96.4% for year", "Gold". This module turns them into a :class:`Target` (parsed once per
distinct string) and judges a value against it. Nothing here raises on odd text: what it
cannot read becomes ``Status.UNPARSED`` with a reason, never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from perfkit.model import STATUS_RAG, Polarity, Profile, Rag, Status


class Unit(StrEnum):
    """What a number counts; values and targets must agree on it (a bare number fits any)."""

    NUMBER = "number"
    PERCENT = "percent"
    MONEY = "money"
    DURATION = "duration"  # held in seconds


class Kind(StrEnum):
    NUMERIC = "numeric"
    LABEL = "label"  # "Yes", "Gold": met by an equal (or, on a known ladder, better) value
    CHANGE = "change"  # "Increase"/"Decrease": compared with the previous value
    NONE = "none"  # deliberately no target: "Baseline year", "Data only", "N/A", "TBC"
    NOT_DUE = "not_due"  # "Annual update" written where a target should be
    UNPARSED = "unparsed"


@dataclass(frozen=True)
class Target:
    """A target as read from its text. ``number`` is in the unit's base (seconds, pounds, %)."""

    text: str
    kind: Kind
    number: float | None = None
    unit: Unit = Unit.NUMBER
    polarity: Polarity | None = None
    strict: bool = False
    label: str | None = None
    duration_unit: str | None = None  # the unit a bare value is read in, e.g. "minutes"


@dataclass(frozen=True)
class Reading:
    """A value as read from its text: a number, a label, a "not yet" word, or nothing."""

    text: str
    number: float | None = None
    unit: Unit = Unit.NUMBER
    label: str | None = None
    not_yet: bool = False
    blank: bool = False
    unreadable: bool = False


@dataclass(frozen=True)
class Check:
    """The verdict on one value: ``status``, its ``rag``, the ``bar`` it was held to and why."""

    status: Status
    rag: Rag | None
    bar: float | None
    reason: str


# --- vocabularies -------------------------------------------------------------------------

_HIGHER = ("at least", "greater than", "more than", "or above", "or more", "or higher",
           "minimum of", "minimum", "over", "above", "exceed", "exceeding", ">=", "≥", ">")
_LOWER = ("no more than", "not more than", "not exceeding", "no greater than", "or below",
          "or less", "or lower", "maximum of", "maximum", "fewer than", "less than", "under",
          "below", "within", "<=", "≤", "<")
# Words that state a bound the value must pass, not merely reach.
_STRICT = {"greater than", "more than", "over", "above", "exceed", "exceeding", ">",
           "fewer than", "less than", "under", "below", "<"}
# Words that may sit around a number without changing what it means.
_FILLER = {"national", "average", "england", "regional", "target", "for", "the", "year",
           "annual", "annually", "per", "annum", "of", "a", "an", "by", "end", "maintain",
           "at", "to", "rate", "rating", "band", "sap", "year-end", "approx", "approximately",
           "around", "cumulative", "total", "in", "each", "quarter", "and", "is", "be"}
_NO_TARGET = {"baseline year", "baseline", "data only", "n/a", "na", "none", "no target",
              "tbc", "tbd", "to be confirmed", "monitor", "monitor only", "contextual",
              "not applicable", "-", "–", "n.a."}
_NOT_YET = {"annual update", "annual", "tbc", "tbd", "n/a", "na", "not yet available",
            "awaiting data", "data not yet available", "not due", "not available",
            "to follow", "due q4", "-", "–"}
_INCREASE = {"increase", "increase on last year", "improve", "higher than last year",
             "increase on previous year", "increasing"}
_DECREASE = {"decrease", "reduce", "reduction", "lower than last year", "decreasing",
             "decrease on last year", "reduce on last year"}
# Label targets perfkit can compare. Anything else unrecognised is unparsed, not a guess.
_LADDERS: tuple[tuple[str, ...], ...] = (
    ("bronze", "silver", "gold", "platinum"),
    ("inadequate", "requires improvement", "good", "outstanding"),
    ("no", "yes"),
    ("not achieved", "achieved"),
    ("fail", "pass"),
    ("not compliant", "compliant"),
    ("not accredited", "accredited"),
)
_LABELS = {word: (ladder, rank) for ladder in _LADDERS for rank, word in enumerate(ladder)}

_SECONDS = {"second": 1, "seconds": 1, "sec": 1, "secs": 1,
            "minute": 60, "minutes": 60, "min": 60, "mins": 60,
            "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600,
            "day": 86400, "days": 86400, "week": 604800, "weeks": 604800}
_UNIT_NAMES = {1: "seconds", 60: "minutes", 3600: "hours", 86400: "days", 604800: "weeks"}
_NUMBER = r"(\d[\d,]*(?:\.\d+)?|\.\d+)"
_DURATION_WORD = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\b"
_MONEY = re.compile(rf"^£\s*{_NUMBER}\s*(k|m|bn|million|thousand|billion)?$")
_PERCENT = re.compile(rf"^{_NUMBER}\s*%(?:\s+[a-g])?$")
_PLAIN = re.compile(rf"^{_NUMBER}(?:\s+[a-g])?$")
_CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,2}):(\d{2})$")
_DURATION_PART = re.compile(rf"{_NUMBER}\s*{_DURATION_WORD}")
_MULTIPLIER = {None: 1, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6,
               "bn": 1e9, "billion": 1e9}


def _normalise(text: object) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _to_float(digits: str) -> float:
    return float(digits.replace(",", ""))


def _read_duration(text: str) -> tuple[float, str] | None:
    """Seconds and the largest unit named, for "3 mins 26 secs", "1 minute", "00:03:26"."""
    clock = _CLOCK.match(text)
    if clock:
        hours = int(clock[1]) if clock[1] else 0
        # "3:26" is minutes and seconds; "00:03:26" adds hours in front.
        return hours * 3600 + int(clock[2]) * 60 + int(clock[3]), "seconds"
    parts = list(_DURATION_PART.finditer(text))
    if not parts or _DURATION_PART.sub("", text).strip():
        return None
    factors = [_SECONDS[part[2]] for part in parts]
    total = sum(_to_float(part[1]) * factor for part, factor in zip(parts, factors))
    return total, _UNIT_NAMES[max(factors)]


def _read_quantity(text: str) -> tuple[float, Unit, str | None] | None:
    """A number with its unit from a fragment holding nothing else, or None."""
    if match := _MONEY.match(text):
        return _to_float(match[1]) * _MULTIPLIER[match[2]], Unit.MONEY, None
    if match := _PERCENT.match(text):
        return _to_float(match[1]), Unit.PERCENT, None
    if match := _PLAIN.match(text):
        return _to_float(match[1]), Unit.NUMBER, None
    if duration := _read_duration(text):
        return duration[0], Unit.DURATION, duration[1]
    return None


def _finite(quantity: tuple[float, Unit, str | None] | None):
    # Forty nines in a cell is a typo, not a figure; infinity would break every comparison.
    return quantity if quantity is None or math.isfinite(quantity[0]) else None


_QUANTITY_SPAN = re.compile(
    rf"£\s*{_NUMBER}\s*(?:k|m|bn|million|thousand|billion)?\b"
    rf"|(?:\d{{1,2}}:)?\d{{1,2}}:\d{{2}}"
    rf"|(?:{_NUMBER}\s*{_DURATION_WORD}\s*)+"
    rf"|{_NUMBER}\s*%?(?:\s+[a-g]\b)?"
)


@lru_cache(maxsize=65536)
def parse_target(text: object) -> Target:
    """Read a target as written.

    >>> t = parse_target("Over £500k")
    >>> t.kind, t.number, t.unit, t.polarity, t.strict
    (<Kind.NUMERIC: 'numeric'>, 500000.0, <Unit.MONEY: 'money'>, <Polarity.HIGHER: 'higher'>, True)
    >>> parse_target("Top quartile").kind
    <Kind.UNPARSED: 'unparsed'>
    """
    raw = "" if text is None else str(text)
    norm = _normalise(text)
    if not norm or norm in _NO_TARGET:
        return Target(raw, Kind.NONE)
    if norm in ("annual update",):
        return Target(raw, Kind.NOT_DUE)
    if norm in _INCREASE:
        return Target(raw, Kind.CHANGE, polarity=Polarity.HIGHER)
    if norm in _DECREASE:
        return Target(raw, Kind.CHANGE, polarity=Polarity.LOWER)
    if norm in _LABELS:
        return Target(raw, Kind.LABEL, label=norm)

    spans = list(_QUANTITY_SPAN.finditer(norm))
    if len(spans) != 1:
        return Target(raw, Kind.UNPARSED)
    quantity = _finite(_read_quantity(spans[0][0].strip()))
    if quantity is None:
        return Target(raw, Kind.UNPARSED)
    number, unit, duration_unit = quantity
    words = (norm[: spans[0].start()] + " | " + norm[spans[0].end():]).strip()

    polarity, strict = None, False
    for phrases, direction in ((_LOWER, Polarity.LOWER), (_HIGHER, Polarity.HIGHER)):
        # Lower first, so "no more than" is not read as "more than".
        for phrase in phrases:
            pattern = rf"(?<![\w]){re.escape(phrase)}(?![\w])" if phrase[0].isalpha() else re.escape(phrase)
            if re.search(pattern, words):
                polarity, strict = direction, phrase in _STRICT
                words = re.sub(pattern, " ", words)
                break
        if polarity:
            break
    leftover = [w for w in re.split(r"[\s|,()]+", words) if w]
    if any(w not in _FILLER for w in leftover):
        return Target(raw, Kind.UNPARSED)
    return Target(raw, Kind.NUMERIC, number=number, unit=unit, polarity=polarity,
                  strict=strict, duration_unit=duration_unit)


@lru_cache(maxsize=262144)
def parse_value(text: object, duration_unit: str | None = None) -> Reading:
    """Read a reported value; a bare number against a duration target is in its unit.

    >>> parse_value("72% C").number, parse_value("£1.2m").number, parse_value("3.26", "minutes").number
    (72.0, 1200000.0, 195.6)
    """
    raw = "" if text is None else str(text)
    norm = _normalise(text)
    if not norm:
        return Reading(raw, blank=True)
    if norm in _NOT_YET:
        return Reading(raw, not_yet=True)
    if norm in _LABELS:
        return Reading(raw, label=norm)
    quantity = _finite(_read_quantity(norm))
    if quantity is None:
        return Reading(raw, unreadable=True)
    number, unit, _ = quantity
    if unit is Unit.NUMBER and duration_unit:
        factor = next(f for f, name in _UNIT_NAMES.items() if name == duration_unit)
        number, unit = round(number * factor, 6), Unit.DURATION
    return Reading(raw, number=number, unit=unit)


# --- showing numbers back to a reader ----------------------------------------------------

def show(number: float, unit: Unit) -> str:
    """A number as a report prints it.

    >>> show(48.2, Unit.PERCENT), show(500000, Unit.MONEY), show(206, Unit.DURATION)
    ('48.2%', '£500,000', '3 min 26 s')
    """
    if unit is Unit.PERCENT:
        return f"{_trim(number)}%"
    if unit is Unit.MONEY:
        return f"£{number:,.0f}" if number == round(number) else f"£{number:,.2f}"
    if unit is Unit.DURATION:
        return _show_duration(number)
    return f"{number:,.0f}" if number == round(number) else f"{_trim(number)}"


def _trim(number: float) -> str:
    return f"{round(number, 2):,.2f}".rstrip("0").rstrip(".")


def _show_duration(seconds: float) -> str:
    seconds = round(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{secs} s"] if secs or not parts else []
    return " ".join(parts)


# --- checking ----------------------------------------------------------------------------

def check_target(
    target: object,
    value: object,
    *,
    quarter: int = 4,
    polarity: Polarity | str | None = None,
    profile: Profile | str = "snapshot",
    tolerance: float = 0.10,
    previous: object = None,
) -> Check:
    """Check a value against a target as both are written in the report.

    >>> check_target("Over 19,700", "31,000").status
    <Status.MET: 'met'>
    >>> c = check_target("96.4% for year", "58%", quarter=2, profile="cumulative")
    >>> c.status, c.bar
    (<Status.MET: 'met'>, 48.2)
    >>> check_target("1 minute", "3.26").status
    <Status.MISSED: 'missed'>
    """
    parsed = parse_target(target)
    reading = parse_value(value, parsed.duration_unit)
    before = parse_value(previous, parsed.duration_unit) if previous is not None else None
    return judge(parsed, reading, quarter=quarter, polarity=_enum(Polarity, polarity),
                 profile=_enum(Profile, profile) or Profile.SNAPSHOT,
                 tolerance=tolerance, previous=before)


def _enum(kind, value):
    if value is None or isinstance(value, kind):
        return value
    text = _normalise(value)
    return kind(text) if text else None


def _verdict(status: Status, bar: float | None, reason: str) -> Check:
    return Check(status, STATUS_RAG.get(status), None if bar is None else round(float(bar), 6), reason)


def judge(
    target: Target,
    value: Reading,
    *,
    quarter: int = 4,
    polarity: Polarity | None = None,
    profile: Profile = Profile.SNAPSHOT,
    tolerance: float = 0.10,
    previous: Reading | None = None,
) -> Check:
    """Judge an already-read value against an already-read target (see :func:`check_target`)."""
    shown = value.text.strip()
    if target.kind is Kind.UNPARSED:
        return _verdict(Status.UNPARSED, None,
                        f"The target {target.text.strip()!r} is not in a form perfkit can read, "
                        "so the value has not been judged.")
    if value.not_yet or target.kind is Kind.NOT_DUE:
        return _verdict(Status.NOT_DUE, None, "The figure is not due this quarter.")
    if value.blank:
        return _verdict(Status.NOT_DUE, None, "No figure has been reported this quarter.")
    if target.kind is Kind.NONE:
        what = target.text.strip() or "none"
        return _verdict(Status.NO_TARGET, None,
                        f"There is no target to meet this year (target: {what}).")
    if target.kind is Kind.LABEL:
        return _judge_label(target, value)
    if value.unreadable or value.number is None:
        return _verdict(Status.UNPARSED, None,
                        f"The value {shown!r} cannot be read as a number to compare with "
                        f"{target.text.strip()!r}.")
    if target.kind is Kind.CHANGE:
        return _judge_change(target, value, previous, polarity)
    if value.unit is not Unit.NUMBER and target.unit is not Unit.NUMBER and value.unit is not target.unit:
        return _verdict(Status.UNPARSED, None,
                        f"The value {shown!r} is in different units from the target "
                        f"{target.text.strip()!r}.")
    unit = target.unit if target.unit is not Unit.NUMBER else value.unit
    direction = polarity or target.polarity or (
        Polarity.LOWER if unit is Unit.DURATION else Polarity.HIGHER)
    bar = target.number
    assert bar is not None
    if profile is Profile.CUMULATIVE:
        bar = bar * quarter / 4
    tolerance = min(max(float(tolerance), 0.0), 1.0) if tolerance == tolerance else 0.10
    got = value.number
    higher = direction is Polarity.HIGHER
    passed = (got > bar if target.strict else got >= bar) if higher else (
        got < bar if target.strict else got <= bar)
    slack = bar * tolerance
    within = got >= bar - slack if higher else got <= bar + slack
    bar_text = show(bar, unit)
    if profile is Profile.CUMULATIVE:
        bar_text += f" due by quarter {quarter} ({show(target.number, unit)} for the year)"
    got_text = show(got, unit)
    side = ("above" if got > bar else "at") if higher else ("below" if got < bar else "at")
    if passed:
        return _verdict(Status.MET, bar, f"{got_text} is {side} the target of {bar_text}.")
    if within:
        return _verdict(Status.NEAR, bar,
                        f"{got_text} falls short of the target of {bar_text} but is within the "
                        f"{_trim(tolerance * 100)}% tolerance.")
    beyond = "below" if higher else "above"
    return _verdict(Status.MISSED, bar,
                    f"{got_text} is {beyond} the target of {bar_text}, outside the "
                    f"{_trim(tolerance * 100)}% tolerance.")


def _judge_label(target: Target, value: Reading) -> Check:
    assert target.label is not None
    shown = value.text.strip()
    if value.label is None:
        return _verdict(Status.MISSED, None,
                        f"{shown!r} is not the {target.text.strip()!r} the target asks for.")
    ladder, wanted = _LABELS[target.label]
    got_ladder, got = _LABELS[value.label]
    if got_ladder is ladder and got >= wanted:
        word = "meets" if got == wanted else "exceeds"
        return _verdict(Status.MET, None, f"{shown} {word} the target of {target.text.strip()}.")
    return _verdict(Status.MISSED, None,
                    f"{shown} does not meet the target of {target.text.strip()}.")


def _judge_change(target: Target, value: Reading, previous: Reading | None,
                  polarity: Polarity | None) -> Check:
    wanted = target.polarity or polarity or Polarity.HIGHER
    word = "an increase" if wanted is Polarity.HIGHER else "a decrease"
    if previous is None or previous.number is None:
        return _verdict(Status.NO_TARGET, None,
                        f"The target is {word}, but there is no earlier figure to compare with.")
    bar, got = previous.number, value.number
    assert got is not None
    moved = got > bar if wanted is Polarity.HIGHER else got < bar
    unit = value.unit
    if moved:
        return _verdict(Status.MET, bar,
                        f"{show(got, unit)} is {word} on the previous {show(bar, unit)}.")
    return _verdict(Status.MISSED, bar,
                    f"{show(got, unit)} is not {word} on the previous {show(bar, unit)}.")
