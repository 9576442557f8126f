"""The benchmark keeps working (a smoke run, no timing asserted), and the bulk checking it
times agrees with a quarter's assessment, row for row and count for count."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT

from perfkit.assess import assess_quarter, check_measures, count_statuses
from perfkit.rollup import count_measures
from perfkit.synthetic import synthetic_dataset


def test_smoke_run_prints_the_four_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--smoke",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    for figure in ("1. Report vs floor", "2. Batch", "3. Scale", "peak memory", "4. Weight"):
        assert figure in done.stdout
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["smoke"] and results["batch"]["checked_quarters"] == 8
    scale = results["scale"]
    assert scale["rows"] == sum(scale["statuses"].values())
    # Each distinct target is read once (and the empty target, which stands for a gap).
    assert scale["target_parses"] <= scale["distinct_targets"] + 2
    assert "GOAL" not in done.stdout  # a smoke run gives no verdicts


def test_bulk_counts_match_each_quarters_rollup():
    dataset = synthetic_dataset(measures=120, milestones=6, years=2, seed=3)
    counts = count_statuses(check_measures(dataset))
    assert len(counts) == 2 * 4 * 3  # years, quarters, priorities
    for (year, quarter, priority), row in counts.iterrows():
        measures = assess_quarter(dataset, year, quarter).measures
        expected = count_measures(measures[measures["priority_id"] == priority])
        got = {k: (None if pd.isna(v) else int(v)) for k, v in row.items()}
        assert got == {k: getattr(expected, k) for k in got}, (year, quarter, priority)


def test_bulk_rows_match_each_quarters_assessment():
    dataset = synthetic_dataset(measures=150, milestones=6, years=3, seed=5)
    bulk = check_measures(dataset)
    for (year, quarter), rows in bulk.groupby(["year", "quarter"], observed=True):
        one = assess_quarter(dataset, year, quarter).measures
        for column in ("measure_id", "bar_text", "value", "previous_value", "status", "rag"):
            got = [None if pd.isna(v) else str(v) for v in rows[column]]
            assert got == [None if pd.isna(v) else str(v) for v in one[column]], column
        assert np.array_equal(rows["bar"].to_numpy(), one["bar"].to_numpy(), equal_nan=True)


def test_synthetic_data_is_valid_and_repeatable(tmp_path):
    from perfkit.load import load_dataset
    from perfkit.synthetic import write_dataset

    dataset = synthetic_dataset(measures=60, milestones=8, years=2)
    loaded = load_dataset(write_dataset(dataset, tmp_path / "data"))
    assert len(loaded.measure_updates) == 60 * 2 * 4
    again = synthetic_dataset(measures=60, milestones=8, years=2)
    assert dataset.measure_updates.equals(again.measure_updates)


def test_a_repeated_update_counts_once_the_first_time():
    # load_dataset reports repeats; the bulk path must still check, taking the first.
    import dataclasses

    dataset = synthetic_dataset(measures=30, milestones=4, years=2, seed=2)
    updates = dataset.measure_updates
    again = updates.iloc[[3, 4, 5]].assign(value="Annual update")
    dataset = dataclasses.replace(dataset, measure_updates=pd.concat(
        [updates, again], ignore_index=True))
    rows = check_measures(dataset)
    for _, update in updates.iloc[[3, 4, 5]].iterrows():
        row = rows[(rows["year"] == update["year"]) & (rows["quarter"] == int(update["quarter"]))
                   & (rows["measure_id"] == update["measure_id"])]
        assert row["value"].tolist() == [update["value"]]


@pytest.mark.parametrize("values", [
    ["2022/23"] * 40 + ["2023/24"] * 40 + ["2022/23"] * 40,  # in runs: hashed once a run
    ["1", "2", "3", "4"] * 30,  # no runs: hashed as a whole
    ["2022/23"] * 30 + [None] * 30 + [float("nan")] * 2 + [""] * 30,
    [1, 1.0, True] * 40 + ["1"] * 40, [], ["x"],
])
def test_runs_are_factorised_as_pandas_factorises(values):
    from perfkit.assess import _runs_factorized

    array = np.array(values, dtype=object)
    codes, names = _runs_factorized(array)
    expected_codes, expected_names = pd.factorize(array)
    assert codes.tolist() == expected_codes.tolist()
    assert list(names) == list(expected_names)
