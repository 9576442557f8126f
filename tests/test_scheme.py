"""Any council's scheme: each built-in renders a dataset in its council's own words, and its
headline figures come out as that council prints them.

The datasets are built here from the facts the councils publish about their schemes (their
own data are not provided): the counts are chosen so that each headline has the form the
council's report shows, such as Lincoln's 44 of 64 printed "68.7%" (cut, not rounded) and
Bracknell Forest's share below 1% printed "less than 1%".
"""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfkit import load_dataset
from perfkit.cli import main
from perfkit.scheme import BUILT_INS, Part, PercentFormat, SchemeError, builtin, load_scheme
from perfkit.report import summary_json
from perfkit.summary import summarise

from conftest import PARAMS, SAMPLE


# --- building a council's dataset -----------------------------------------------------------

@dataclass
class Plan:
    """A plan in a council's own words: priorities, milestones (word, count) and measures."""

    year: str
    priorities: list[tuple[str, str]]
    milestones: list[tuple[str, str, int]] = field(default_factory=list)  # pid, word, n
    # pid, target, value, officer's word, tolerance, frequency, n; a tolerance written
    # "low 80" is instead a low target of 80 (the target is then the high one).
    measures: list[tuple[str, str, str, str, str, str, int]] = field(default_factory=list)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True)
        pri = pd.DataFrame([{"year": self.year, "priority_id": p, "name": n}
                            for p, n in self.priorities])
        ms, mu = [], []
        for pid, word, n in self.milestones:
            for _ in range(n):
                mid = f"{pid}-A{len(ms) + 1:03d}"
                ms.append({"year": self.year, "milestone_id": mid, "priority_id": pid,
                           "title": f"Action {len(ms) + 1}", "objective": f"Objective of {pid}",
                           "lead": "Service lead"})
                mu.append({"year": self.year, "quarter": "2", "milestone_id": mid, "rag": word,
                           "progress": ""})
        me, eu = [], []
        for pid, target, value, officer, tolerance, frequency, n in self.measures:
            for _ in range(n):
                kid = f"{pid}-M{len(me) + 1:03d}"
                low = tolerance.removeprefix("low ") if tolerance.startswith("low ") else ""
                me.append({"year": self.year, "measure_id": kid, "priority_id": pid,
                           "name": f"Measure {len(me) + 1}", "target": target,
                           "frequency": frequency, "tolerance": "" if low else tolerance,
                           "low_target": low})
                eu.append({"year": self.year, "quarter": "2", "measure_id": kid, "value": value,
                           "rag": officer, "comment": ""})
        tables = {
            "priorities": (pri, ["year", "priority_id", "name"]),
            "milestones": (ms, ["year", "milestone_id", "priority_id", "title", "objective",
                                "lead"]),
            "milestone_updates": (mu, ["year", "quarter", "milestone_id", "rag", "progress"]),
            "measures": (me, ["year", "measure_id", "priority_id", "name", "target", "frequency",
                              "tolerance", "low_target"]),
            "measure_updates": (eu, ["year", "quarter", "measure_id", "value", "rag", "comment"]),
        }
        for name, (rows, columns) in tables.items():
            pd.DataFrame(rows, columns=columns).to_csv(folder / f"{name}.csv", index=False)
        return folder


Q = "quarterly"

COUNCILS = {
    # Actions: complete, in progress (green, amber, red) and not started, of all 120; one not
    # started is 0.8%, "less than 1%". Indicators by the officer's own RAG: one just under its
    # target is Green, as Bracknell Forest allows.
    "bracknell-forest": Plan("2019/20", [("P1", "People"), ("P2", "Place")], milestones=[
        ("P1", "Complete", 30), ("P1", "green", 40), ("P2", "G", 30), ("P2", "Amber", 15),
        ("P2", "RED", 4), ("P2", "Not started", 1)], measures=[
        ("P1", "100", "99", "Green", "", Q, 1), ("P1", "100", "120", "Green", "", Q, 14),
        ("P2", "100", "95", "Amber", "", Q, 3), ("P2", "100", "50", "Red", "", Q, 2)]),
    # Actions each as a share of all 50; measures "on or above target" of all 25, including
    # the six that cannot be assessed (annual, or awaiting data).
    "rotherham": Plan("2020/21", [("R1", "Every neighbourhood thriving")], milestones=[
        ("R1", "Complete", 10), ("R1", "On track", 30), ("R1", "Delayed", 7),
        ("R1", "Will not be met", 3)], measures=[
        ("R1", "60%", "65%", "", "", Q, 12), ("R1", "60%", "55%", "Confident", "", Q, 3),
        ("R1", "60%", "20%", "", "", Q, 4), ("R1", "60%", "Annual update", "", "", "annual", 3),
        ("R1", "60%", "Awaiting data", "", "", Q, 3)]),
    # Measures only: shares of the 26 reported, leaving out data-only and not-yet-available.
    "medway": Plan("2021/22", [("M1", "People")], measures=[
        ("M1", "100", "104", "", "0.05", Q, 18), ("M1", "100", "97", "", "0.05", Q, 5),
        ("M1", "100", "90", "", "0.05", Q, 3), ("M1", "Data only", "312", "", "", Q, 2),
        ("M1", "100", "Not available until later in the year", "", "0.05", Q, 2)]),
    # Green (completed counts as green) or amber, of all 40 actions; met or narrowly missed of
    # the 30 measures with a target this quarter.
    "flintshire": Plan("2018/19", [("F1", "Poverty")], milestones=[
        ("F1", "Green", 20), ("F1", "Completed", 5), ("F1", "Amber", 9), ("F1", "Red", 6)],
        measures=[("F1", "80%", "85%", "", "", Q, 20), ("F1", "80%", "76%", "", "", Q, 4),
                  ("F1", "80%", "50%", "", "", Q, 6),
                  ("F1", "80%", "Annual update", "", "", "annual", 2)]),
    # Measures only: 44 of the 64 with targets within or exceeding them ("Data not available"
    # counts in the base; "Volumetric" has no target): 68.75%, printed cut as "68.7%". Each
    # measure has a low target of 80 and a high target of 100: 85 is within the boundaries
    # (and would be red under the default 10% tolerance, so the low target is what counts).
    "lincoln": Plan("2023/24", [("L1", "Lets reduce inequality")], measures=[
        ("L1", "100", "105", "", "low 80", Q, 30), ("L1", "100", "85", "", "low 80", Q, 14),
        ("L1", "100", "70", "", "low 80", Q, 15),
        ("L1", "100", "Data not available", "", "low 80", Q, 5),
        ("L1", "Volumetric", "1,250", "", "", Q, 6)]),
}

#: Each council's headline figures: name -> (count, base, text as printed).
PUBLISHED = {
    "chesterfield": {"progressing_well": (31, 36, "86%"), "met": (16, 20, "80%")},
    "bracknell-forest": {"complete": (30, 120, "25%"), "in_progress": (89, 120, "74%"),
                         "not_started": (1, 120, "less than 1%"),
                         "in_progress_green": (70, 89, "79%"),
                         "in_progress_amber": (15, 89, "17%"), "in_progress_red": (4, 89, "4%"),
                         "indicators_green": (15, 20, "75%"),
                         "indicators_amber": (3, 20, "15%"), "indicators_red": (2, 20, "10%")},
    "rotherham": {"complete": (10, 50, "20%"), "on_track": (30, 50, "60%"),
                  "delayed": (7, 50, "14%"), "will_not_be_met": (3, 50, "6%"),
                  "on_or_above_target": (12, 25, "48%")},
    "medway": {"met_or_exceeded": (18, 26, "69%"), "slightly_below": (5, 26, "19%"),
               "significantly_below": (3, 26, "12%")},
    "flintshire": {"green_or_amber": (34, 40, "85%"),
                   "on_target_or_within_tolerance": (24, 30, "80%")},
    "lincoln": {"within_or_exceeding": (44, 64, "68.7%")},
}

#: A sentence of each report's summary that carries a headline in the council's words.
SENTENCES = {
    "chesterfield": "Of the 36 milestones rated this quarter, 31 (86%) are progressing well, "
                    "green or complete",
    "bracknell-forest": "Of the 120 actions, one (less than 1%) has not started.",
    "rotherham": "Of the 25 measures, 12 (48%) are on or above target; three (12%) are below "
                 "the expected level but confident, four (16%) are at high risk and six (24%) "
                 "cannot be assessed.",
    "medway": "Of the 26 measures reported, 18 (69%) met or exceeded their target; five (19%) "
              "were slightly below it and three (12%) were significantly below it.",
    "flintshire": "Of the 30 measures with a target this quarter, 24 (80%) are on target or "
                  "within tolerance",
    "lincoln": "Of the 64 measures with targets, 44 (68.7%) are within or exceeding their "
               "targets; 15 (23.4%) are below the low target and five (7.8%) have no data "
               "available.",
}


def _text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[dict, str]]:
    """Every built-in scheme's dataset rendered with ``perfkit report``, in one run."""
    root = tmp_path_factory.mktemp("schemes")
    params = {}
    for name, plan in COUNCILS.items():
        data = plan.write(root / "data" / name)
        path = root / f"{name}.yaml"
        path.write_text(f"data: {data}\nyear: '{plan.year}'\nquarter: 2\n"
                        f"organisation: {builtin(name).council}\nscheme: {name}\n")
        params[name] = (path, plan.year)
    chesterfield = root / "chesterfield.yaml"
    chesterfield.write_text(PARAMS.read_text().replace("data: data/chesterfield", f"data: {SAMPLE}")
                            .replace("covering: params/", f"covering: {PARAMS.parent}/")
                            .replace("notebook: notebooks/quarterly_report.ipynb\n", "")
                            + "scheme: chesterfield\n")
    params["chesterfield"] = (chesterfield, "2022/23")
    # A plan of milestones only, in Flintshire's words, must render too.
    only = COUNCILS["flintshire"]
    plan = Plan("2024/25", only.priorities, milestones=only.milestones)
    path = root / "milestones-only.yaml"
    path.write_text(f"data: {plan.write(root / 'data' / 'milestones-only')}\n"
                    "year: '2024/25'\nquarter: 2\nscheme: flintshire\n")
    params["milestones-only"] = (path, "2024/25")
    out = root / "out"
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", "--quiet",
                           "--out", str(out), *(str(p) for p, _ in params.values())],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = {}
    for name, (_, year) in params.items():
        folder = out / f"{year.replace('/', '-')}-Q2"
        results[name] = (json.loads((folder / "summary.json").read_text()),
                         _text((folder / "report.html").read_text()))
    return results


@pytest.mark.parametrize("council", list(PUBLISHED))
def test_published_headlines_in_summary_json_and_report(rendered, council):
    summary, text = rendered[council]
    assert summary["scheme"] == council
    got = {h["name"]: (h["count"], h["base"], h["text"]) for h in summary["headlines"]}
    assert got == PUBLISHED[council]
    for h in summary["headlines"]:
        assert h["pct"] == pytest.approx(100 * h["count"] / h["base"])
        assert set(h) == {"name", "label", "count", "base", "pct", "text"}
        # The dashboard's headline table prints each figure with its count and base.
        assert f"{h['text']} ({h['count']:,} of {h['base']:,})" in text
    assert SENTENCES[council] in text
    # Every priority carries its own headlines too.
    for priority in summary["priorities"]:
        assert [h["name"] for h in priority["headlines"]] == list(PUBLISHED[council])


@pytest.mark.parametrize(("council", "words"), [
    ("bracknell-forest", ["Not started", "Complete", "In progress and green", "Indicators"]),
    ("rotherham", ["Will not be met", "Cannot be assessed", "Confident", "High risk"]),
    ("medway", ["Met or exceeded", "Significantly below target", "Data only"]),
    ("flintshire", ["Narrowly missed", "Actions by RAG status"]),
    ("lincoln", ["Within target boundaries", "Data not available", "Volumetric"]),
])
def test_reports_speak_the_councils_words(rendered, council, words):
    _, text = rendered[council]
    for word in words:
        assert word in text, word


def test_measures_only_plans_say_nothing_of_milestones(rendered):
    for council in ("medway", "lincoln"):
        summary, text = rendered[council]
        assert summary["milestones"]["total"] == 0
        assert "milestone" not in text.split("About this report")[0].lower()


def test_milestones_only_plan_renders(rendered):
    summary, text = rendered["milestones-only"]
    assert summary["measures"]["total"] == 0 and summary["milestones"]["total"] == 40
    assert "Of the 40 actions, 34 (85%) are green or amber" in text
    # The objective and the lead of each action are printed beside it.
    assert "Objective of F1" in text and "Service lead" in text


def test_sample_is_the_same_with_and_without_the_scheme_key(rendered):
    summary, text = rendered["chesterfield"]
    plain = summarise(load_dataset(SAMPLE), "2022/23", 2)
    # As perfkit report writes it: the rollup, travel, persistent and the officer's warnings
    # (none without a covering report).
    assert summary == json.loads(summary_json(plain))
    assert summary["warnings"] == []
    assert all(p in text for p in plain.paragraphs)


def test_officer_rating_outranks_the_check_where_the_scheme_says(tmp_path):
    data = COUNCILS["bracknell-forest"].write(tmp_path / "bf")
    scheme = builtin("bracknell-forest")
    q = summarise(load_dataset(data, scheme), "2019/20", 2, scheme).quarter
    close = q.measures[q.measures["value"] == "99"].iloc[0]
    assert close["status"] == "near" and close["state"] == "green"


def test_same_names_stay_separate_groups(tmp_path):
    from perfkit import charts

    plan = COUNCILS["flintshire"]
    twins = Plan(plan.year, [("F1", "Poverty"), ("F2", "Poverty")],
                 milestones=[*plan.milestones, ("F2", "Red", 3)])
    data = twins.write(tmp_path / "twins")
    scheme = builtin("flintshire")
    rollup = summarise(load_dataset(data, scheme), plan.year, 2, scheme).rollup
    fig = charts.milestones_by_rag(rollup)
    assert list(dict.fromkeys(fig.data["group"])) == ["All priorities", "Poverty (F1)",
                                                      "Poverty (F2)"]
    red = fig.data.set_index(["priority_id", "status"])["count"]
    assert (red["F1", "Red"], red["F2", "Red"]) == (6, 3)


def test_scheme_words_in_the_data_any_case(tmp_path):
    data = COUNCILS["rotherham"].write(tmp_path / "r")
    frame = pd.read_csv(data / "milestone_updates.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "rag"] = "WILL NOT BE MET"
    frame.loc[1, "rag"] = "Green"  # Chesterfield's word, not Rotherham's
    frame.to_csv(data / "milestone_updates.csv", index=False)
    from perfkit.errors import DataError

    with pytest.raises(DataError) as err:
        load_dataset(data, builtin("rotherham"))
    assert [str(p) for p in err.value.problems] == [
        "milestone_updates.csv, row 3, column 'rag': 'Green' is not allowed (allowed: "
        "complete, on track, delayed or will not be met (any case))"]


# --- bad scheme files --------------------------------------------------------------------------

BAD = """\
name: mine
percent: {decimals: 1, rounding: bankers}
milestone_statuses:
  - {key: done, label: Done, colour: "#ffdd00"}
  - {key: done, label: Finished, colour: "#00703c"}
headlines:
  - {name: done, label: Done, of: milestones, counts: [done, late], says: x,
     base_words: [a, b]}
"""


@pytest.mark.parametrize(("text", "messages"), [
    (BAD.replace("bankers", "half_up"), [
        "3 problems in the scheme mine.yaml:",
        "milestone_statuses.0: text #ffffff on #ffdd00 has contrast 1.",
        "milestone_statuses.1.key: 'done' is used by two statuses",
        "headlines.0.counts.1: 'late' is not a milestone status of this scheme "
        "(allowed: done, missing)"]),
    (BAD, ["1 problem in the scheme mine.yaml:",
           "percent.rounding: 'bankers' is not allowed (input should be 'half_up' or 'cut')"]),
    ("name: [\n", ["mine.yaml: not valid YAML"]),
    ("- a list\n", ["mine.yaml: expected a mapping of keys (name, council,"]),
])
def test_bad_scheme_file_lists_every_problem_and_exits_2(tmp_path, capsys, text, messages):
    (tmp_path / "mine.yaml").write_text(text)
    params = tmp_path / "p.yaml"
    params.write_text(f"data: {SAMPLE}\nyear: '2022/23'\nquarter: 2\nscheme: mine.yaml\n")
    code = main(["summary", str(params)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    for message in messages:
        assert message in err


def test_unknown_scheme_name_exits_2(tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text(f"data: {SAMPLE}\nyear: '2022/23'\nquarter: 2\nscheme: lincolnshire\n")
    assert main(["summary", str(params)]) == 2
    assert ("no such file" in capsys.readouterr().err)
    with pytest.raises(SchemeError):
        load_scheme("lincolnshire", tmp_path)


@pytest.mark.parametrize("name", BUILT_INS)
def test_built_ins_ship_and_are_sound(name):
    scheme = builtin(name)
    assert scheme.name == name and scheme.headlines
    # The README's scheme section names every built-in.
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"`{name}`" in readme


# --- honest percentages ------------------------------------------------------------------------

def _expected(count: int, base: int, fmt: PercentFormat) -> str:
    """A share as printed, worked out a second way: decimal division at 60 digits."""
    if base == 0:
        return fmt.none
    if fmt.below_one and 0 < count and 100 * count < base:
        return fmt.below_one
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(100 * count) / Decimal(base)
        mode = ROUND_HALF_UP if fmt.rounding.value == "half_up" else ROUND_DOWN
        return f"{exact.quantize(Decimal(1).scaleb(-fmt.decimals), rounding=mode)}%"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BUILT_INS), st.data())
def test_every_headline_text_follows_from_count_and_base(name, data):
    scheme = builtin(name)
    counts = {part.value: {k: data.draw(st.integers(0, 5000)) for k in scheme.keys(part)}
              for part in Part}
    figures = scheme.headlines_from(counts)
    for fig in figures:
        h = fig.headline
        assert fig.count == sum(counts[h.of.value][k] for k in h.counts)
        assert fig.base == sum(counts[h.of.value][k] for k in scheme.base_keys(h))
        assert fig.text == _expected(fig.count, fig.base, scheme.percent)
    # Equal counts print equal percentages, whichever headline they belong to.
    by_counts: dict[tuple[int, int], set[str]] = {}
    for fig in figures:
        by_counts.setdefault((fig.count, fig.base), set()).add(fig.text)
    assert all(len(texts) == 1 for texts in by_counts.values())


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(0, 3),
       st.sampled_from(["half_up", "cut"]), st.booleans())
def test_percent_format_is_exact(count, base, decimals, rounding, below):
    count = min(count, base)
    fmt = PercentFormat(decimals=decimals, rounding=rounding,
                        below_one="less than 1%" if below else None)
    assert fmt.text(count, base) == _expected(count, base, fmt)
    # The same share from other counts prints the same: 1 of 8 and 125 of 1000.
    assert fmt.text(count * 3, base * 3) == fmt.text(count, base)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["green", "amber", "red", "complete", None]), max_size=80),
       st.randoms())
def test_equal_counts_give_equal_milestone_percentages(rags, rnd):
    from perfkit.rollup import count_milestones

    shuffled = list(rags)
    rnd.shuffle(shuffled)
    a = count_milestones(pd.DataFrame({"rag": pd.Series(rags, dtype=object)}))
    b = count_milestones(pd.DataFrame({"rag": pd.Series(shuffled, dtype=object)}))
    assert a.pct == b.pct and a.pct_progressing_well == b.pct_progressing_well
    # Two statuses with the same count always show the same share.
    for k1, n1 in a.statuses.items():
        for k2, n2 in a.statuses.items():
            if n1 == n2 and k1 in a.pct and k2 in a.pct:
                assert a.pct[k1] == a.pct[k2]


def test_summary_command_prints_the_schemes_headlines(tmp_path, capsys):
    plan = COUNCILS["lincoln"]
    params = tmp_path / "p.yaml"
    params.write_text(f"data: {plan.write(tmp_path / 'l')}\nyear: '{plan.year}'\nquarter: 2\n"
                      "scheme: lincoln\n")
    assert main(["summary", str(params)]) == 0
    out = capsys.readouterr().out
    assert "All priorities: measures 44 of 64 within or exceeding targets (68.7%)" in out
    assert main(["summary", "--json", str(params)]) == 0
    figures = json.loads(capsys.readouterr().out)["headlines"]
    assert [(h["count"], h["base"], h["text"]) for h in figures] == [(44, 64, "68.7%")]
