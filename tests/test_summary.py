"""One quarter's summary: the same whether its earlier quarters were assessed for it or lent
by an earlier summary of the same data (as a batch worker's are)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfkit.load import load_dataset
from perfkit.scheme import load_scheme
from perfkit.summary import Assessments, summarise

ROOT = Path(__file__).resolve().parents[1]
# The example's quarters, in the order a batch worker might take them (and not).
ORDERS = [[("2022/23", 4), ("2023/24", 1), ("2023/24", 2)],
          [("2023/24", 2), ("2022/23", 4), ("2023/24", 1)]]


@pytest.fixture(scope="module")
def example():
    return load_dataset(ROOT / "data" / "example")


def _said(summary) -> tuple:
    return (summary.to_summary(), summary.paragraphs,
            [(r.year, r.quarter) for r in summary.history],
            [(q.year, q.quarter) for q, _ in summary.timeline],
            summary.quarter.measures.to_dict("records"))


@pytest.mark.parametrize("order", ORDERS)
def test_lent_assessments_give_the_same_summary(example, order):
    shared = Assessments(example, load_scheme())
    for year, quarter in order:
        lent = summarise(example, year, quarter, assessments=shared)
        assert _said(lent) == _said(summarise(example, year, quarter)), (year, quarter)
    # Each quarter was assessed once: the timeline's earlier quarters came from the store.
    assert shared.quarter("2022/23", 4) is summarise(
        example, "2023/24", 2, assessments=shared).timeline[-3][0]


def test_assessments_of_other_data_are_refused(example, tmp_path):
    other = load_dataset(ROOT / "data" / "chesterfield")
    with pytest.raises(ValueError, match="another dataset"):
        summarise(other, "2022/23", 2, assessments=Assessments(example, load_scheme()))
