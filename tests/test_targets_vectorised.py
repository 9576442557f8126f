"""check_many() gives check_target()'s status and bar, row for row, for every listed form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfkit import Rag, check_target
from perfkit.synthetic import FORMS
from perfkit.targets import (
    _DURATIONS, _reading_table, _readings, check_many, parse_value, read_values,
)

from test_targets import CASES

# The forms the core issue lists, those the reference report prints, and variants.
TARGETS = sorted({t for t, *_ in CASES} | {
    "240", "60%", "Under 10%", "Over £500k", "70% C", "Over 300", "Yes", "Gold",
    "96.4% for year", "1 minute", "Above 13,000", "At least 95%", "≥ 95%",
    "No more than 5 days", "Less than 3%", "£1.2m", "5 days", "3 mins 26 secs", "00:03:26",
    "Maintain 9% or above", "N/A", "Data only", "TBC", "Top quartile", "Increase", "Decrease",
    "Annual update", "Baseline year", "", "Platinum", "Good", "Over 0", "0%", "100%",
    "Under 5 mins", "Within 2 hours", "≤ 3 weeks", "Fewer than 12", "£0.5m", "3:26",
} | {f.template.format(n) for f in FORMS for n in f.numbers})
VALUES = sorted({v for _, v, *_ in CASES} | {
    "72% C", "3.26", "31,000", "Annual update", "", "TBC", "N/A", "Gold", "Silver", "Yes",
    "No", "Outstanding", "£512,000", "£1.1m", "£300k", "0", "0%", "100%", "4 days", "4",
    "3 mins 40 secs", "00:03:20", "1.05", "60.0%", "95%", "9%", "lots", "-", "  ", "n/a",
    "12,345", ".5", "1 hour", "2 weeks", "3:30", "£0", "99.99%",
})
numbers = st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2))
written = st.one_of(
    st.sampled_from(VALUES),
    numbers.map(lambda x: f"{x:g}"), numbers.map(lambda x: f"{x:,.2f}"),
    numbers.map(lambda x: f"{x % 100:.1f}%"), numbers.map(lambda x: f"£{x:,.0f}"),
    numbers.map(lambda x: f"{x % 60:.0f} days"),
    st.integers(0, 3599).map(lambda s: f"00:{s // 60:02d}:{s % 60:02d}"),
)
dressed = st.tuples(st.sampled_from(["", " ", "  "]), st.booleans())


def _dress(text: str, how: tuple[str, bool]) -> str:
    pad, upper = how
    return pad + (text.upper() if upper else text) + pad


row = st.tuples(
    st.tuples(st.sampled_from(TARGETS), dressed).map(lambda t: _dress(*t)),
    st.tuples(written, dressed).map(lambda v: _dress(*v)),
    st.integers(1, 4),
    st.sampled_from([None, "", "higher", "lower", "Higher", " LOWER "]),
    st.sampled_from([None, "", "snapshot", "cumulative", "Cumulative"]),
    st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.05, 0.1, 0.11, 1.0, math.nan]),
              st.sampled_from(["", "0.2", "5 points", "5 pts", "5pp", "0.5 points",
                               "12 Percentage Points"])),
    st.one_of(st.none(), st.just(""), written),
    # A low target: none, blank, a figure like the value's, or one in other units or words.
    st.one_of(st.none(), st.just(""), written),
)


def _same(bar: float, expected: float | None) -> bool:
    return (expected is None and math.isnan(bar)) or bar == expected


def _assert_agrees(rows: list[tuple]) -> None:
    rows = [row if len(row) == 8 else (*row, None) for row in rows]
    frame = pd.DataFrame(rows, columns=["target", "value", "quarter", "polarity", "profile",
                                        "tolerance", "previous", "low_target"])
    many = check_many(frame["target"], frame["value"], quarter=frame["quarter"],
                      polarity=frame["polarity"], profile=frame["profile"],
                      tolerance=frame["tolerance"], previous=frame["previous"],
                      low_target=frame["low_target"])
    for (t, v, q, pol, prof, tol, prev, low), status, rag, bar in zip(
            rows, many["status"], many["rag"], many["bar"]):
        one = check_target(t, v, quarter=q, polarity=pol, profile=prof or "snapshot",
                           tolerance=tol, previous=prev, low_target=low)
        where = f"check_target({t!r}, {v!r}, quarter={q}, polarity={pol!r}, " \
                f"profile={prof!r}, tolerance={tol!r}, previous={prev!r}, low_target={low!r})"
        assert status is one.status, where
        assert (rag if isinstance(rag, Rag) else None) is one.rag, where  # NaN in a frame
        assert _same(bar, one.bar), (where, bar, one.bar)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=40))
def test_many_agrees_with_check_target(rows):
    _assert_agrees(rows)


percent = st.floats(0, 100, allow_nan=False).map(lambda x: f"{x:.1f}%")
# Target, value and low target near one another, so every band is reached.
banded = st.tuples(percent, percent, st.integers(1, 4), st.sampled_from([None, "higher", "lower"]),
                   st.sampled_from(["snapshot", "cumulative"]),
                   st.sampled_from([0.1, "5 points", "0.5pp"]), st.none(), percent)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(banded, min_size=1, max_size=40))
def test_many_agrees_with_check_target_on_low_targets(rows):
    _assert_agrees(rows)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12), st.integers(1, 4),
                               st.none(), st.just("snapshot"), st.floats(0, 1),
                               st.none() | st.text(max_size=6)), min_size=1, max_size=20))
def test_many_agrees_on_any_text(rows):
    _assert_agrees(rows)


@pytest.mark.parametrize(("target", "value", "kwargs", "status", "bar"), CASES,
                         ids=[f"{t}|{v}|{k}" for t, v, k, *_ in CASES])
def test_every_listed_case(target, value, kwargs, status, bar):
    checks = check_many([target], [value], reasons=True, **kwargs)
    assert checks["status"][0] is status
    assert checks["reason"][0] == check_target(target, value, **kwargs).reason


def test_missing_entries_read_as_none():
    checks = check_many(pd.Series(["60%", None, np.nan, "Increase"]),
                        pd.Series([None, "12", "12", np.nan]), previous=[None, None, None, "3"])
    assert [s.value for s in checks["status"]] == ["not_due", "no_target", "no_target",
                                                  "not_due"]


def test_columns_must_be_one_length():
    with pytest.raises(ValueError, match="one entry per row"):
        check_many(["60%", "70%"], ["50%"])


def test_keeps_the_index_of_a_series():
    checks = check_many(pd.Series(["60%"], index=[7]), pd.Series(["61%"], index=[7]))
    assert list(checks.index) == [7]


# --- read_values: the common figures read column-wise, the rest by parse_value ---------------

# Every listed form, and the edges of the plain figures read column-wise: padding, case,
# commas, signs, other digits and letters that look like ASCII ones, and line breaks.
EDGE_VALUES = [
    *VALUES, "3 mins 26 secs", "3 Mins 26 Secs", "Over £500k", "70% C", "70% c", "70%C",
    "70 % C", "70 %", "70% H", "70 C", "70 H", "70% C D", "", " ", "\t", None, math.nan, 5,
    3.5, "1,234", "1,234.50", "1,2,3", ",5", "5,", "1.2.3", ".5", "5.", "0.92", "-5", "−5",
    "+5", "-5%", "£-5", "5%", "5 %", "5%%", "%5", "£5", "£ 5", "£  5", "£5k", "£5K", "£5 k",
    "£5 M", "£5bn", "£5 BN", "£5 million", "£5 MILLION", "£5thousand", "£5 billion", "£5kk",
    "£5%", "£5 C", "5k", "5m", "$5", "€5", "£", "%", "£.5m", "£1,200,000", "£ 1.2m",
    "٣", "３", "5٣", "²", "£5\u212a", "5 \u212a", "5\u00a0%", "£\u00a05", "5\u2009%",
    "5\n", "\n5", "5\n6", "5\r", "\r\n", "5 \n %", "1e5", "1E5", "inf", "nan", "NaN",
    "9" * 15, "9" * 16, "9" * 15 + "." + "9" * 15, "9" * 400, "9" * 600, "1" + "," * 14,
    "1" + "," * 15, "0", "00", "007", "0.0001", "00:03:26", "3:26", "12-minute", "5 days",
    "1 hour", "2 weeks", "Yes", "GOLD", "Data not available", "Annual update", "n/a", "-",
    "  72% C  ", "72%  C", "72% C ", " £1.2m", "£5 mıllion", "£5 bİllion", "5 ſecs",
]


def _one_by_one(texts: list) -> dict[str, np.ndarray]:
    return _reading_table([parse_value(text) for text in texts])


def _assert_reads_as_parse_value(texts: list) -> None:
    got, expected = read_values(texts), _one_by_one(texts)
    assert set(got) == set(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=f"{name}: {texts!r}")


@pytest.mark.parametrize("text", EDGE_VALUES, ids=[repr(t)[:40] for t in EDGE_VALUES])
def test_read_values_is_parse_value_for_each_form(text):
    _assert_reads_as_parse_value([text])


def test_read_values_is_parse_value_for_all_forms_at_once():
    # In one column, as the bulk path reads them: a text with a line break in it among them.
    _assert_reads_as_parse_value(EDGE_VALUES)
    _assert_reads_as_parse_value([t for t in EDGE_VALUES if not isinstance(t, str) or
                                  "\n" not in t])
    _assert_reads_as_parse_value([])


digits = st.one_of(
    st.integers(0, 10 ** 18).map(str), st.integers(0, 10 ** 18).map(lambda x: f"{x:,}"),
    st.floats(0, 1e16, allow_nan=False).map(lambda x: f"{x:,.2f}"),
    st.floats(0, 1e6, allow_nan=False).map(repr),
    st.from_regex(r"[0-9,.]{1,20}", fullmatch=True),
)
figure = st.tuples(
    st.sampled_from(["", "", "£", "£ ", "£  ", "-", " "]), digits,
    st.sampled_from(["", "", "%", " %", "% C", "% c", " C", " h", "k", " K", "m", " bn",
                     " million", " Thousand", " billion", " mins", " days", "x", "\n"]),
    st.sampled_from(["", "", " ", "  ", "\t"]),
).map(lambda t: t[0] + t[1] + t[2] + t[3])


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(figure, st.sampled_from(EDGE_VALUES), st.text(max_size=12)),
                      max_size=30))
def test_read_values_is_parse_value_for_any_figures(texts):
    _assert_reads_as_parse_value(texts)


@pytest.mark.parametrize("unit", [u for u in _DURATIONS if u])
def test_bare_numbers_are_read_in_a_duration_unit_as_parse_value_reads_them(unit):
    texts = [t for t in EDGE_VALUES if t is None or isinstance(t, str)]
    codes = np.arange(len(texts))
    rows = _readings([*texts, None], codes, np.full(len(texts), _DURATIONS.index(unit)))
    expected = _reading_table([parse_value(text, unit) for text in texts])
    for name in expected:
        np.testing.assert_array_equal(rows[name], expected[name], err_msg=name)
