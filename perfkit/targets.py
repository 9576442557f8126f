"""Read a target and a value as officers write them, and check one against the other.

Targets arrive as text typed into a Word table: "Over £500k", "Under 10%", "1 minute",
"96.4% for year", "Gold". This module turns them into a :class:`Target` (parsed once per
distinct string) and judges a value against it. Nothing here raises on odd text: what it
cannot read becomes ``Status.UNPARSED`` with a reason, never a guess. :func:`check_many`
applies the same rules to whole columns at once, for a quarter's table or a million rows.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd

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
    no_data: bool = False  # "Data not available", "No data": explicitly no figure
    duration_unit: str | None = None  # the largest unit a duration names, e.g. "minutes"


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
           "around", "cumulative", "total", "in", "each", "quarter", "and", "is", "be",
           "quarterly", "expectation"}
_NO_TARGET = {"baseline year", "baseline", "data only", "n/a", "na", "none", "no target",
              "tbc", "tbd", "to be confirmed", "monitor", "monitor only", "contextual",
              "not applicable", "-", "–", "n.a.", "volumetric", "volumetric measure",
              "establish baseline", "establish a baseline", "baseline to be established",
              "set baseline", "set a baseline"}
_NOT_YET = {"annual update", "annual", "tbc", "tbd", "n/a", "na", "not yet available",
            "data not yet available", "not due", "not yet due", "not available",
            "to follow", "due q4", "-", "–"}
# A value saying there is no figure at all, as opposed to one not due yet.
_NO_DATA = {"data not available", "no data", "awaiting data", "no data available",
            "data unavailable"}
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
_FACTOR = {name: factor for factor, name in _UNIT_NAMES.items()}
# A number never starts inside another: without the lookbehind, a search over a long run of
# digits tries every start in it, each running to the end of the run (quadratic: 20 KB of
# digits took 15 s). With it, each run is read once, and every pattern here is linear.
_NUMBER = r"(?<![\d,.])(\d[\d,]*(?:\.\d+)?|\.\d+)"
#: Longer text is not a target or a figure: it is unparsed, never searched.
LONGEST = 500
_DURATION_WORD = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\b"
_MONEY = re.compile(rf"^£\s*{_NUMBER}\s*(k|m|bn|million|thousand|billion)?$")
_PERCENT = re.compile(rf"^{_NUMBER}\s*%(?:\s+[a-g])?$")
_PLAIN = re.compile(rf"^{_NUMBER}(?:\s+[a-g])?$")
_CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,2}):(\d{2})$")
_DURATION_PART = re.compile(rf"{_NUMBER}\s*{_DURATION_WORD}")
# "12-minute target": a hyphen between a number and its unit is a space.
_HYPHENATED = re.compile(r"(?<=\d)-(?=(?:second|sec|minute|min|hour|hr|day|week)s?\b)")
_MULTIPLIER = {None: 1, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6,
               "bn": 1e9, "billion": 1e9}


def _normalise(text: object) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    # str.split() splits on exactly the characters re's \s matches, several times faster.
    return " ".join(str(text).split()).lower()


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
    norm = _HYPHENATED.sub(" ", _normalise(text))
    if len(norm) > LONGEST:
        return Target(raw, Kind.UNPARSED)
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
    norm = _HYPHENATED.sub(" ", _normalise(text))
    if len(norm) > LONGEST:
        return Reading(raw, unreadable=True)
    if not norm:
        return Reading(raw, blank=True)
    if norm in _NOT_YET:
        return Reading(raw, not_yet=True)
    if norm in _NO_DATA:
        return Reading(raw, no_data=True)
    if norm in _LABELS:
        return Reading(raw, label=norm)
    quantity = _finite(_read_quantity(norm))
    if quantity is None:
        return Reading(raw, unreadable=True)
    number, unit, own_unit = quantity
    if unit is Unit.NUMBER and duration_unit:
        number, unit = round(number * _FACTOR[duration_unit], 6), Unit.DURATION
    return Reading(raw, number=number, unit=unit,
                   duration_unit=own_unit if unit is Unit.DURATION else None)


@dataclass(frozen=True)
class Tolerance:
    """How far short of the bar is still amber: a share of the bar, or a number of points."""

    amount: float = 0.10
    absolute: bool = False

    def slack(self, bar: float) -> float:
        return self.amount if self.absolute else bar * self.amount

    def __str__(self) -> str:
        return f"{_trim(self.amount)}-point" if self.absolute else f"{_trim(self.amount * 100)}%"


# "5 points", "5 pts", "5pp", "2.5 percentage points": an absolute band. Bounded, so linear.
_POINTS = re.compile(r"(\d{1,12}(?:\.\d{1,12})?) ?(?:points?|pts?|pp|percentage points?)")


def parse_tolerance(tolerance: object) -> Tolerance | None:
    """Read a tolerance: a share of the bar from 0 to 1, or points; None if it is neither.

    Blank (or None, NaN) is the default 10%. A number given in code is held to [0, 1].

    >>> parse_tolerance("0.05"), parse_tolerance("5 pts"), parse_tolerance("ten")
    (Tolerance(amount=0.05, absolute=False), Tolerance(amount=5.0, absolute=True), None)
    """
    if isinstance(tolerance, Tolerance):
        return tolerance
    if isinstance(tolerance, (int, float, np.number)) and not isinstance(tolerance, bool):
        share = float(tolerance)
        return Tolerance() if math.isnan(share) else Tolerance(min(max(share, 0.0), 1.0))
    norm = _normalise(tolerance)
    if not norm:
        return Tolerance()
    if len(norm) > 40:
        return None
    if points := _POINTS.fullmatch(norm):
        return Tolerance(float(points[1]), absolute=True)
    try:
        share = float(norm)
    except ValueError:
        return None
    return Tolerance(share) if 0.0 <= share <= 1.0 else None


def _tolerance(tolerance: object) -> Tolerance:
    read = parse_tolerance(tolerance)
    if read is None:
        raise ValueError(f"tolerance {tolerance!r} is neither a share from 0 to 1 (such as "
                         "0.10) nor points (such as 5 points)")
    return read


# --- showing numbers back to a reader ----------------------------------------------------

_MSS = re.compile(r"\s*(\d{1,3})\.([0-5]\d)\s*")


def minutes_and_seconds(text: object, duration_unit: str | None) -> float | None:
    """Seconds that a bare value would be if written m.ss ("3.26" as 3 min 26 s), when the
    target is in minutes and the value could be read either way; else None.

    >>> minutes_and_seconds("3.26", "minutes"), minutes_and_seconds("3.75", "minutes")
    (206.0, None)
    >>> minutes_and_seconds("3.26", None), minutes_and_seconds("3:26", "minutes")
    (None, None)
    """
    if duration_unit != "minutes" or not isinstance(text, str):
        return None
    found = _MSS.fullmatch(text)
    return float(int(found[1]) * 60 + int(found[2])) if found else None


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


# At most 15 digits, as read_values reads a plain figure: past that the text is not a figure
# a reader would group (and int() refuses a string of more than 4,300 digits).
_UNGROUPED = re.compile(r"(£?)(\d{4,15})((?:\.\d{1,15})?%?)", re.ASCII)


def grouped(text: object) -> object:
    """A figure typed without thousands separators, as the report writes figures ("1,900",
    as its sentences do); any other text as it was typed.

    >>> grouped("1900"), grouped("£25000.50"), grouped("Over £500k"), grouped("70% C")
    ('1,900', '£25,000.50', 'Over £500k', '70% C')
    >>> grouped("2021"), grouped(" 12345"), grouped("999")
    ('2,021', ' 12345', '999')
    """
    match = _UNGROUPED.fullmatch(text) if isinstance(text, str) else None
    return f"{match[1]}{int(match[2]):,}{match[3]}" if match else text


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
    tolerance: float | str = 0.10,
    previous: object = None,
    low_target: object = None,
) -> Check:
    """Check a value against a target as both are written in the report.

    ``tolerance`` is a share of the bar (0.10) or points ("5 points"). With a ``low_target``
    (City of Lincoln's low and high targets), the amber band runs from it to the target
    instead, and ``tolerance`` is not used.

    >>> check_target("Over 19,700", "31,000").status
    <Status.MET: 'met'>
    >>> c = check_target("96.4% for year", "58%", quarter=2, profile="cumulative")
    >>> c.status, c.bar
    (<Status.MET: 'met'>, 48.2)
    >>> check_target("1 minute", "3.26").status
    <Status.MISSED: 'missed'>
    >>> check_target("75%", "72%", low_target="70%").reason
    '72% falls short of the target of 75% but is within target boundaries (between the low target of 70% and the target).'
    """
    parsed = parse_target(target)
    reading = parse_value(value, parsed.duration_unit)
    before = parse_value(previous, parsed.duration_unit) if previous is not None else None
    low = parse_value(low_target, parsed.duration_unit) if low_target is not None else None
    return judge(parsed, reading, quarter=quarter, polarity=_enum(Polarity, polarity),
                 profile=_checked_profile(_enum(Profile, profile)),
                 tolerance=tolerance, previous=before, low=low)


def _checked_profile(profile: Profile | None) -> Profile:
    """A summed measure's year to date is checked as a cumulative figure is."""
    return Profile.CUMULATIVE if profile is Profile.SUM else profile or Profile.SNAPSHOT


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
    tolerance: float | str | Tolerance = 0.10,
    previous: Reading | None = None,
    low: Reading | None = None,
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
    if value.no_data:
        return _verdict(Status.NO_DATA, None,
                        f"There is no figure for this quarter (the value says {shown!r}).")
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
    if low is not None and not low.blank and (low.number is None or (
            Unit.NUMBER not in (low.unit, unit) and low.unit is not unit)):
        return _verdict(Status.UNPARSED, None,
                        f"The low target {low.text.strip()!r} cannot be read as a figure to "
                        f"compare with {target.text.strip()!r}.")
    direction = polarity or target.polarity or (
        Polarity.LOWER if unit is Unit.DURATION else Polarity.HIGHER)
    bar = target.number
    assert bar is not None
    if target.unit is Unit.NUMBER and value.duration_unit:
        # "10 minutes" against a bare "12": the target is read in the value's unit.
        bar = bar * _FACTOR[value.duration_unit]
    if profile is Profile.CUMULATIVE:
        bar = bar * quarter / 4
    band = _tolerance(tolerance)
    got = value.number
    higher = direction is Polarity.HIGHER
    passed = (got > bar if target.strict else got >= bar) if higher else (
        got < bar if target.strict else got <= bar)
    if low is not None and not low.blank:
        assert low.number is not None
        edge = low.number * quarter / 4 if profile is Profile.CUMULATIVE else low.number
    else:
        slack = band.slack(bar)
        edge = bar - slack if higher else bar + slack
    within = got >= edge if higher else got <= edge
    bar_text = show(bar, unit)
    if profile is Profile.CUMULATIVE:
        bar_text += f" due by quarter {quarter} ({show(target.number, unit)} for the year)"
    got_text = show(got, unit)
    if unit is Unit.DURATION and value.duration_unit is None and target.duration_unit:
        # A bare number read in the target's unit: say so, since "3.26" may have been meant
        # as 3 minutes 26 seconds (m.ss) rather than 3.26 minutes.
        got_text = f"{shown}, read as {shown} {target.duration_unit} ({got_text}),"
    side = ("above" if got > bar else "at") if higher else ("below" if got < bar else "at")
    if passed:
        return _verdict(Status.MET, bar, f"{got_text} is {side} the target of {bar_text}.")
    beyond = "below" if higher else "above"
    if low is not None and not low.blank:
        low_text = show(edge, unit)
        if within:
            return _verdict(Status.NEAR, bar,
                            f"{got_text} falls short of the target of {bar_text} but is within "
                            f"target boundaries (between the low target of {low_text} and the "
                            "target).")
        return _verdict(Status.MISSED, bar,
                        f"{got_text} is {beyond} the low target of {low_text}, outside target "
                        f"boundaries (target: {bar_text}).")
    if within:
        return _verdict(Status.NEAR, bar,
                        f"{got_text} falls short of the target of {bar_text} but is within the "
                        f"{band} tolerance.")
    return _verdict(Status.MISSED, bar,
                    f"{got_text} is {beyond} the target of {bar_text}, outside the "
                    f"{band} tolerance.")


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


# --- checking many at once ---------------------------------------------------------------
#
# The same rules as judge(), applied to whole columns: each distinct target is read once
# (parse_target), each distinct value once per unit it is read in (parse_value), and the
# comparisons run on numpy arrays. judge() stays the documented behaviour; a property test
# holds check_many() to it for every form in the README.

#: A status code is the status's position in ``Status``; grade() gives all but MISSING.
STATUS_CODES = tuple(Status)
MET, NEAR, MISSED, NOT_DUE, NO_TARGET, UNPARSED, NO_DATA = (
    STATUS_CODES.index(s) for s in (Status.MET, Status.NEAR, Status.MISSED, Status.NOT_DUE,
                                    Status.NO_TARGET, Status.UNPARSED, Status.NO_DATA))
_STATUS_OF = np.array(STATUS_CODES, dtype=object)
_RAG_OF = np.array([STATUS_RAG.get(s) for s in STATUS_CODES], dtype=object)
_KINDS = tuple(Kind)
_UNITS = tuple(Unit)
_DURATIONS = (None, *_UNIT_NAMES.values())  # how a bare value is read: as is, or a unit
_DURATION_FACTORS = np.array([0, *_UNIT_NAMES], dtype=float)  # seconds in each of those
_LADDER_NO = {ladder: i for i, ladder in enumerate(_LADDERS)}
_NO_POLARITY, _HIGHER_CODE, _LOWER_CODE = 0, 1, 2
_POLARITY_CODE = {None: _NO_POLARITY, Polarity.HIGHER: _HIGHER_CODE,
                  Polarity.LOWER: _LOWER_CODE}
_CUMULATIVE = {None: 0, Profile.SNAPSHOT: 0, Profile.CUMULATIVE: 1, Profile.SUM: 1}


def _distinct(column: object, n: int) -> tuple[np.ndarray, list]:
    """Codes into a list of distinct entries; a missing entry (None, NaN) is read as None.

    A scalar stands for every row. The list ends with None, so code -1 finds it. A
    categorical column is already coded, so its text is not hashed again.
    """
    if np.ndim(column) == 0:
        return np.zeros(n, dtype=np.intp), [column, None]
    if isinstance(getattr(column, "dtype", None), pd.CategoricalDtype):
        coded = pd.Categorical(column)
        codes, entries = np.asarray(coded.codes, dtype=np.intp), list(coded.categories)
    else:
        codes, uniques = pd.factorize(column if isinstance(column, (pd.Series, pd.Index))
                                      else np.asarray(column, dtype=object))
        entries = list(uniques)
    if len(codes) != n:
        raise ValueError(f"every column must have one entry per row: {len(codes)} != {n}")
    return codes, [*entries, None]


def _labels(read: list) -> dict[str, np.ndarray]:
    """Each label's ladder and rank on it (-1 for no label), as arrays."""
    ladder = [_LABELS[r.label] if r.label else None for r in read]
    return {"ladder": np.array([_LADDER_NO[x[0]] if x else -1 for x in ladder], dtype=np.int16),
            "rank": np.array([x[1] if x else -1 for x in ladder], dtype=np.int16)}


# The forms most figures take, written plainly: "1,234", "72.5%", "70% C", "£1.2m", "£512,000".
# One pattern reads a whole column of them, joined one to a line, in one pass of the regex
# engine (findall): a Python loop over 66,620 figures calling parse_value took 0.8 s, this
# takes a tenth of that. It accepts only text that parse_value reads the same way with no
# normalising: ASCII digits (float() reads others too), single spaces, no padding, and at
# most 15 digits each side of the point, so every figure is finite. Anything else, words and
# durations included, matches the catch-all ``.*`` and is read by parse_value itself.
_DIGITS = r"(?:[0-9][0-9,]{0,14}(?:\.[0-9]{1,15})?|\.[0-9]{1,15})"
_PLAIN_FIGURES = re.compile(
    rf"^(?:(£ ?)?({_DIGITS})"
    # After "£" a multiplier may follow; otherwise a percent sign and a band letter may.
    r"(?(1)(?: ?(k|m|bn|million|thousand|billion))?|( ?%)?(?: [a-g])?)|.*)$",
    re.ASCII | re.IGNORECASE | re.MULTILINE)
_READING_FIELDS = ("number", "unit", "ladder", "rank", "not_yet", "blank", "unreadable",
                   "no_data", "factor")


def read_values(texts: Sequence[object]) -> dict[str, np.ndarray]:
    """What :func:`parse_value` reads from each text (with no duration unit), as arrays.

    ``number`` (NaN for none), ``unit`` (a position in ``Unit``), ``ladder`` and ``rank`` of
    a label (-1 for none), the flags ``not_yet``, ``blank``, ``unreadable`` and ``no_data``,
    and ``factor``, the seconds in the largest unit a duration names (0 for none).

    >>> read = read_values(["72% C", "£1.2m", "Yes", "3 mins 26 secs"])
    >>> read["number"].tolist(), read["unit"].tolist(), read["factor"].tolist()
    ([72.0, 1200000.0, nan, 206.0], [1, 2, 0, 3], [0.0, 0.0, 0.0, 60.0])
    """
    n = len(texts)
    table = {"number": np.full(n, np.nan), "unit": np.zeros(n, dtype=np.int8),
             "ladder": np.full(n, -1, dtype=np.int16), "rank": np.full(n, -1, dtype=np.int16),
             **{flag: np.zeros(n, dtype=bool)
                for flag in ("not_yet", "blank", "unreadable", "no_data")},
             "factor": np.zeros(n, dtype=float)}
    if n == 0:
        return table
    try:
        found = _PLAIN_FIGURES.findall("\n".join(texts))  # type: ignore[arg-type]
    except TypeError:  # not all text
        found = []
    if len(found) != n:  # that, or a text holding a line break: parse_value reads those
        found = _PLAIN_FIGURES.findall("\n".join(
            text if type(text) is str and "\n" not in text else "" for text in texts))
    pound, digits, scale, percent = (np.array(part, dtype=object) for part in zip(*found))
    plain = digits != ""  # a line the catch-all matched has no digits
    if plain.any():
        figures = "\n".join(digits[plain]).replace(",", "").split("\n")
        table["number"][plain] = np.array(list(map(float, figures)))  # _to_float's reading
        scaled = np.flatnonzero(plain & (scale != ""))
        table["number"][scaled] *= np.array([_MULTIPLIER[word.lower()] for word in scale[scaled]])
        table["unit"][plain & (pound != "")] = _UNITS.index(Unit.MONEY)
        table["unit"][plain & (percent != "")] = _UNITS.index(Unit.PERCENT)
    rest = np.flatnonzero(~plain)
    read = [parse_value(texts[i]) for i in rest.tolist()]
    if read:
        for name, column in _reading_table(read).items():
            table[name][rest] = column
    return table


def _reading_table(read: list[Reading]) -> dict[str, np.ndarray]:
    """The fields of read_values() from parse_value's readings."""
    return {
        "number": np.array([np.nan if r.number is None else r.number for r in read]),
        "unit": np.array([_UNITS.index(r.unit) for r in read], dtype=np.int8),
        **_labels(read),
        "not_yet": np.array([r.not_yet for r in read], dtype=bool),
        "blank": np.array([r.blank for r in read], dtype=bool),
        "unreadable": np.array([r.unreadable for r in read], dtype=bool),
        "no_data": np.array([r.no_data for r in read], dtype=bool),
        "factor": np.array([_FACTOR.get(r.duration_unit, 0) for r in read], dtype=float),
    }


def _targets_table(texts: list) -> dict[str, np.ndarray]:
    """The parts of each distinct target that checking needs, as arrays (one parse each)."""
    read = [parse_target(text) for text in texts]
    return {
        "kind": np.array([_KINDS.index(t.kind) for t in read], dtype=np.int8),
        "number": np.array([np.nan if t.number is None else t.number for t in read]),
        "unit": np.array([_UNITS.index(t.unit) for t in read], dtype=np.int8),
        "polarity": np.array([_POLARITY_CODE[t.polarity] for t in read], dtype=np.int8),
        "strict": np.array([t.strict for t in read], dtype=bool),
        **_labels(read),
        "duration": np.array([_DURATIONS.index(t.duration_unit) for t in read], dtype=np.int8),
    }


def _text_table(texts: list, known: dict[str, np.ndarray] | None = None
                ) -> dict[str, np.ndarray]:
    """read_values() of ``texts``, where ``known`` is read_values() of the first of them."""
    if known is None:
        return read_values(texts)
    done = len(known["number"])
    if done >= len(texts):
        raise ValueError(f"{done} texts read, but there are only {len(texts) - 1}")
    more = read_values(texts[done:])  # None, and any text not read yet
    return {name: np.concatenate([known[name], more[name]]) for name in _READING_FIELDS}


def _readings(texts: list, codes: np.ndarray, duration: np.ndarray,
              table: dict[str, np.ndarray] | None = None,
              fields: Sequence[str] = _READING_FIELDS) -> dict[str, np.ndarray]:
    """Each row's value read in its target's unit (``duration``, a position in _DURATIONS).

    ``codes`` index ``texts``, whose last entry is None (code -1). ``table`` is
    _text_table(texts), if the caller has it; if not, and there are fewer rows than texts,
    only the texts some row uses are read. Only the ``fields`` asked for are given for each
    row (with ``number`` and ``unit``, always).
    """
    if table is None and len(codes) < len(texts):
        used, distinct = pd.factorize(codes)
        table = read_values([texts[c] for c in distinct.tolist()])
    else:
        used = codes
        table = read_values(texts) if table is None else table
    rows = {name: table[name][used] for name in {*fields, "number", "unit"}}
    # A bare number against a duration target is in the target's unit, as parse_value(text,
    # unit) reads it: multiplied, then rounded as Python rounds (_rounded).
    bare = np.flatnonzero((duration > 0) & (rows["unit"] == _UNITS.index(Unit.NUMBER))
                          & ~np.isnan(rows["number"]))
    if len(bare):
        seconds = rows["number"][bare] * _DURATION_FACTORS[duration[bare]]
        rows["number"][bare] = _rounded(seconds)
        rows["unit"][bare] = _UNITS.index(Unit.DURATION)
    return rows


def _enum_codes(column: object, kind, n: int, code: dict) -> np.ndarray:
    """Each row's word read as ``kind`` (as check_target reads it), then coded by ``code``."""
    codes, words = _distinct(column, n)
    return np.array([code[_enum(kind, word)] for word in words], dtype=np.int8)[codes]


def grade(
    target: object,
    value: object,
    *,
    quarter: object = 4,
    polarity: object = None,
    profile: object = "snapshot",
    tolerance: object = 0.10,
    previous: object = None,
    low_target: object = None,
    value_read: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Status codes (positions in ``Status``) and bars of many checks, without reasons.

    Every argument is a column (one entry per row) or a scalar for every row; ``target``
    must be a column. Missing entries are read as None, as :func:`check_target` reads them.
    ``value_read`` is :func:`read_values` of a categorical ``value``'s categories, in their
    order, for a caller that has read them already (:func:`perfkit.assess.check_measures`):
    a million rows' figures are then read once.
    """
    t_codes, t_texts = _distinct(target, len(target))  # type: ignore[arg-type]
    n = len(t_codes)
    targets = {name: column[t_codes] for name, column in _targets_table(t_texts).items()}
    v_codes, v_texts = _distinct(value, n)
    v_table = _text_table(v_texts, value_read)
    got = _readings(v_texts, v_codes, targets["duration"], v_table)
    kind = targets["kind"]

    status = np.full(n, -1, dtype=np.int8)
    bar = np.full(n, np.nan)

    def decide(mask: np.ndarray, code: int | np.ndarray) -> np.ndarray:
        """Set the status where ``mask`` holds and no earlier rule has; returns those rows."""
        rows = mask & (status < 0)
        np.copyto(status, code, where=rows)  # a masked copy: no arrays of the chosen rows
        return rows

    # In judge()'s order: the first rule that applies decides.
    decide(kind == _KINDS.index(Kind.UNPARSED), UNPARSED)
    decide(got["not_yet"] | (kind == _KINDS.index(Kind.NOT_DUE)), NOT_DUE)
    decide(got["blank"], NOT_DUE)
    decide(kind == _KINDS.index(Kind.NONE), NO_TARGET)
    decide(got["no_data"], NO_DATA)
    label_met = ((got["ladder"] >= 0) & (got["ladder"] == targets["ladder"])
                 & (got["rank"] >= targets["rank"]))
    decide(kind == _KINDS.index(Kind.LABEL), np.where(label_met, MET, MISSED).astype(np.int8))
    decide(got["unreadable"] | np.isnan(got["number"]), UNPARSED)

    asked_code = _enum_codes(polarity, Polarity, n, _POLARITY_CODE)
    number = got["number"]
    with np.errstate(invalid="ignore"):
        change = kind == _KINDS.index(Kind.CHANGE)
        if change.any():
            before = _previous_numbers(previous, n, targets["duration"], change,
                                       (v_texts, v_table))
            # For a change, the target's own word outranks the polarity column.
            wanted = np.where(targets["polarity"] != _NO_POLARITY, targets["polarity"],
                              np.where(asked_code != _NO_POLARITY, asked_code, _HIGHER_CODE))
            moved = np.where(wanted == _HIGHER_CODE, number > before, number < before)
            decide(change & np.isnan(before), NO_TARGET)
            rows = decide(change, np.where(moved, MET, MISSED).astype(np.int8))
            np.copyto(bar, before, where=rows)

        number_unit = _UNITS.index(Unit.NUMBER)
        t_unit, v_unit = targets["unit"], got["unit"]
        decide((v_unit != number_unit) & (t_unit != number_unit) & (v_unit != t_unit), UNPARSED)

        unit = np.where(t_unit != number_unit, t_unit, v_unit)
        low = _low_readings(low_target, n, targets["duration"])
        numeric = kind == _KINDS.index(Kind.NUMERIC)
        decide(numeric & low["given"] & (np.isnan(low["number"]) | (
            (low["unit"] != number_unit) & (unit != number_unit) & (low["unit"] != unit))),
            UNPARSED)
        default = np.where(unit == _UNITS.index(Unit.DURATION), _LOWER_CODE, _HIGHER_CODE)
        direction = np.where(asked_code != _NO_POLARITY, asked_code,
                             np.where(targets["polarity"] != _NO_POLARITY, targets["polarity"],
                                      default))
        cumulative = _enum_codes(profile, Profile, n, _CUMULATIVE).astype(bool)
        quarters = np.broadcast_to(np.asarray(quarter), (n,))
        # A bare target against a value with a duration unit is read in the value's unit.
        base = np.where((t_unit == number_unit) & (got["factor"] > 0),
                        targets["number"] * got["factor"], targets["number"])
        level = np.where(cumulative, base * quarters / 4, base)
        amount, absolute = _tolerances(tolerance, n)
        higher = direction == _HIGHER_CODE
        strict = targets["strict"]
        passed = np.where(higher, np.where(strict, number > level, number >= level),
                          np.where(strict, number < level, number <= level))
        slack = np.where(absolute, amount, level * amount)
        edge = np.where(higher, level - slack, level + slack)
        low_level = np.where(cumulative, low["number"] * quarters / 4, low["number"])
        edge = np.where(low["given"], low_level, edge)
        within = np.where(higher, number >= edge, number <= edge)
        rows = decide(numeric,
                      np.where(passed, MET, np.where(within, NEAR, MISSED)).astype(np.int8))
        np.copyto(bar, level, where=rows)
    return status, _rounded(bar)


def _low_readings(low_target: object, n: int, duration: np.ndarray) -> dict[str, np.ndarray]:
    """Each row's low target read as a figure in its target's unit; ``given`` if not blank."""
    if low_target is None:
        return {"given": np.zeros(n, dtype=bool), "number": np.full(n, np.nan),
                "unit": np.zeros(n, dtype=np.int8)}
    codes, texts = _distinct(low_target, n)
    read = _readings(texts, codes, duration, fields=("blank",))
    return {"given": ~read["blank"], "number": read["number"], "unit": read["unit"]}


def _tolerances(tolerance: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's tolerance as an amount and whether it is in points (else a share)."""
    codes, entries = _distinct(tolerance, n)
    read = [_tolerance(entry) for entry in entries]
    amount = np.array([t.amount for t in read])
    absolute = np.array([t.absolute for t in read], dtype=bool)
    return amount[codes], absolute[codes]


def _previous_numbers(previous: object, n: int, duration: np.ndarray, rows: np.ndarray,
                      values: tuple[list, dict[str, np.ndarray]]) -> np.ndarray:
    """The earlier figure as a number, read only on ``rows`` (the changes): NaN elsewhere.

    ``values`` are the value column's texts and their _text_table(): if the earlier figures
    are among the same texts (check_measures codes both alike), they are not read again.
    """
    numbers = np.full(n, np.nan)
    if previous is not None:
        codes, texts = _distinct(previous, n)
        same = len(texts) == len(values[0]) and all(map(operator.is_, texts, values[0]))
        numbers[rows] = _readings(texts, codes[rows], duration[rows],
                                  values[1] if same else None, fields=())["number"]
    return numbers


def _rounded(bar: np.ndarray) -> np.ndarray:
    # Python's round(x, 6), as judge() gives it, on each distinct bar: numpy's rounding can
    # differ from it in the last place.
    codes, distinct = pd.factorize(bar)
    exact = np.array([round(float(x), 6) for x in distinct] + [np.nan])
    return exact[codes]


def check_many(
    target: object,
    value: object,
    *,
    quarter: object = 4,
    polarity: object = None,
    profile: object = "snapshot",
    tolerance: object = 0.10,
    previous: object = None,
    low_target: object = None,
    reasons: bool = False,
) -> pd.DataFrame:
    """Check many values at once: ``status``, ``rag`` and ``bar`` as :func:`check_target` gives.

    Each argument is a column, one entry per row, or a scalar for every row. With
    ``reasons=True`` a ``reason`` column is added, written by :func:`judge` once for each
    distinct row; without it nothing is written, which is what makes a million rows quick.

    >>> checks = check_many(["Over 19,700", "1 minute", "Yes"], ["31,000", "3.26", "No"],
    ...                     reasons=True)
    >>> [s.value for s in checks["status"]], checks["bar"].tolist()
    (['met', 'missed', 'missed'], [19700.0, 60.0, nan])
    >>> checks["reason"][1]
    '3.26, read as 3.26 minutes (3 min 16 s), is above the target of 1 min, outside the 10% tolerance.'
    """
    codes, bars = grade(target, value, quarter=quarter, polarity=polarity, profile=profile,
                        tolerance=tolerance, previous=previous, low_target=low_target)
    index = target.index if isinstance(target, pd.Series) else None
    checks = pd.DataFrame({"status": _STATUS_OF[codes], "rag": _RAG_OF[codes], "bar": bars},
                          index=index)
    if reasons:
        checks["reason"] = _reasons(target, value, quarter, polarity, profile, tolerance,
                                    previous, low_target, len(codes))
    return checks


def _reasons(target, value, quarter, polarity, profile, tolerance, previous, low_target,
             n: int) -> list[str]:
    """judge()'s reason for each row, written once for each distinct combination."""
    columns = {"target": target, "value": value, "quarter": quarter, "polarity": polarity,
               "profile": profile, "tolerance": tolerance, "previous": previous,
               "low_target": low_target}
    rows = pd.DataFrame({name: (np.asarray(c, dtype=object) if np.ndim(c) else [c] * n)
                         for name, c in columns.items()}, dtype=object)
    words = ["target", "value", "polarity", "profile", "previous", "low_target"]
    # A missing entry is None, as grade() reads it (NaN would never equal itself as a key).
    rows[words] = rows[words].where(rows[words].notna(), None)
    said: dict[tuple, str] = {}
    keys = list(rows.itertuples(index=False, name=None))
    for key in dict.fromkeys(keys):
        t, v, q, pol, prof, tol, prev, low = key
        said[key] = check_target(t, v, quarter=int(q), polarity=pol or None,
                                 profile=prof or Profile.SNAPSHOT,
                                 tolerance=float("nan") if tol is None else tol,
                                 previous=prev if prev not in (None, "") else None,
                                 low_target=low).reason
    return [said[key] for key in keys]
