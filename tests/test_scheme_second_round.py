"""Schemes, second round: percentages without trailing zeros, the numbers-as-words threshold,
the period in headline wording, summary.json in the scheme's own statuses, text for plans
without milestones, and unknown keys listed with the known ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from perfkit.load import load_dataset
from perfkit.scheme import SchemeError, load_scheme, parse_scheme
from perfkit.summary import summarise

OFFICER = Path(__file__).resolve().parent / "data" / "native" / "officer"


def _officer(tmp_path: Path, **changes) -> tuple:
    """The officer-rated test council, with its scheme changed."""
    values = yaml.safe_load((OFFICER / "scheme.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "headline":
            values["headlines"][0].update(value)
        else:
            values[key] = value
    scheme = parse_scheme(values, "test.yaml")
    dataset = load_dataset(OFFICER, scheme, OFFICER / "layout.yaml")
    return summarise(dataset, "2023/24", 2, scheme), scheme


def test_a_percentage_may_drop_its_trailing_zeros(tmp_path):
    summary, _ = _officer(tmp_path, percent={"decimals": 1, "trim_zeros": True})
    # 3 of 5 is 60%, not 60.0%; Waste's 1 of 2 is 50%.
    assert summary.rollup.overall.headlines[0].text == "60%"
    assert "three (60%) are on track" in summary.paragraphs[0]
    summary, _ = _officer(tmp_path, percent={"decimals": 1})
    assert summary.rollup.overall.headlines[0].text == "60.0%"


@pytest.mark.parametrize("below, expected", [
    (10, "Of the five measures rated this quarter, three (60%) are on track"),
    (0, "Of the 5 measures rated this quarter, 3 (60%) are on track"),
    (4, "Of the 5 measures rated this quarter, three (60%) are on track"),
])
def test_the_numbers_as_words_threshold_is_the_schemes(tmp_path, below, expected):
    summary, _ = _officer(tmp_path, words_below=below)
    assert expected in summary.paragraphs[0]


def test_headline_wording_can_name_the_quarter_and_year(tmp_path):
    summary, _ = _officer(tmp_path, headline={
        "says": "{have} achieved their quarter {quarter} ({year}) targets"})
    assert "three (60%) have achieved their quarter 2 (2023/24) targets" in summary.paragraphs[0]
    # A priority's paragraph too, agreeing with one.
    assert "The one measure rated this quarter has achieved its" not in summary.paragraphs[3]
    assert "has achieved their quarter 2 (2023/24) targets" in summary.paragraphs[3]


def test_summary_json_carries_the_schemes_own_statuses_only(tmp_path):
    summary, scheme = _officer(tmp_path)
    data = summary.rollup.to_summary()
    assert set(data["milestones"]) == {"total", "missing", "statuses"}
    assert set(data["measures"]["statuses"]) >= {"on_track", "some_slippage", "off_track"}
    # The default scheme's users keep every field they had.
    default = summarise(load_dataset("data/chesterfield"), "2022/23", 2).rollup.to_summary()
    assert list(default["milestones"]) == ["total", "green", "amber", "red", "complete",
                                           "missing", "pct", "statuses"]
    assert default["milestones"]["pct"] == {"green": 86, "amber": 11, "red": 3, "complete": 0}


def test_text_for_a_plan_without_milestones_reads_naturally(tmp_path):
    from perfkit.sections import open_report

    report = open_report(".", "2023/24", 2, scheme=str(OFFICER / "scheme.yaml"),
                         layout=str(OFFICER / "layout.yaml"), base=OFFICER)
    exceptions = report.exceptions().html
    assert "Every measure rated some slippage or off track at quarter 2" in exceptions
    assert "milestone" not in re.search(r"<p>(.*?)</p>", exceptions)[1]
    dashboard = re.search(r"<p>(.*?)</p>", report.dashboard().html)[1]
    assert "each quarterly measure&#x27;s status" in dashboard
    assert "milestone" not in dashboard and "RAG" not in dashboard


def test_a_scheme_without_exceptions_says_so(tmp_path):
    from perfkit.sections import open_report

    values = yaml.safe_load((OFFICER / "scheme.yaml").read_text(encoding="utf-8"))
    for status in values["measure_statuses"]:
        status.pop("exception", None)
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    report = open_report(".", "2023/24", 2, scheme=str(path),
                         layout=str(OFFICER / "layout.yaml"), base=OFFICER)
    assert "The scheme marks no status as an exception, so nothing is listed here." in \
        report.exceptions().html
    assert "rated nothing" not in report.exceptions().html


@pytest.mark.parametrize("values, expected", [
    ({"name": "x", "colour": "red"}, "colour: unknown key (known keys: name, council, nouns, "
                                     "percent, measure_source, words_below"),
    ({"name": "x", "percent": {"places": 1}},
     "percent.places: unknown key (known keys: decimals, rounding, below_one, none, trim_zeros)"),
    ({"name": "x", "measure_statuses": [{"key": "a", "label": "A", "colour": "#000000",
                                         "color": "#000000"}]},
     "measure_statuses.0.color: unknown key (known keys: key, label, words, short, aliases, "
     "colour, text, rank, exception, says, check)"),
    ({"name": "x", "words_below": 11}, "words_below: 11 is not allowed"),
])
def test_an_unknown_key_lists_the_known_ones(values, expected):
    with pytest.raises(SchemeError) as caught:
        parse_scheme(values, "x.yaml")
    assert expected in str(caught.value)


def test_the_builtin_schemes_still_load():
    for name in ("chesterfield", "bracknell-forest", "rotherham", "medway", "flintshire",
                 "lincoln"):
        assert load_scheme(name).words_below == 10
