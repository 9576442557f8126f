from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "chesterfield"
PARAMS = ROOT / "params" / "2022-23-Q2.yaml"


@pytest.fixture(scope="session")
def sample():
    from perfkit import load_dataset

    return load_dataset(SAMPLE)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample dataset, for tests that break it."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLE, target)
    return target


def write_two_quarters(target: Path) -> Path:
    """The sample plus a made-up quarter 1, so trends and direction of travel have data.

    Quarter 1 repeats quarter 2 with a few RAGs and values changed; it is test data, not a
    claim about what Chesterfield reported.
    """
    import pandas as pd

    shutil.copytree(SAMPLE, target)
    read = lambda name: pd.read_csv(target / f"{name}.csv", dtype=str, keep_default_na=False)
    ms = read("milestone_updates")
    q1 = ms.assign(quarter="1", progress="Quarter 1 progress note.")
    q1.loc[q1["milestone_id"].isin(["VFM1", "VFM2"]), "rag"] = "Green"   # declined by Q2
    q1.loc[q1["milestone_id"].isin(["TB3", "QL5"]), "rag"] = "Amber"     # improved by Q2
    pd.concat([q1, ms]).to_csv(target / "milestone_updates.csv", index=False)
    me = read("measure_updates")
    q1 = me.assign(quarter="1", comment="")
    q1.loc[q1["measure_id"] == "TB-M04", "value"] = "68%"        # missed -> met
    q1.loc[q1["measure_id"] == "QL-M08", "value"] = "5900"
    q1.loc[q1["measure_id"] == "VFM-M07", "value"] = "4.10"      # slower in Q1
    q1.loc[q1["measure_id"] == "VFM-M04", "value"] = "29%"
    pd.concat([q1, me]).to_csv(target / "measure_updates.csv", index=False)
    return target


def write_params(path: Path, data: Path, quarter: int, **extra: str) -> Path:
    lines = [f"data: {data}", 'year: "2022/23"', f"quarter: {quarter}",
             "organisation: Test Borough Council", *(f"{k}: {v}" for k, v in extra.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def two_quarters(tmp_path_factory) -> Path:
    return write_two_quarters(tmp_path_factory.mktemp("two") / "data")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Path:
    """The sample quarter rendered once through the CLI (PDFs too), shared by the report tests."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("out")
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(PARAMS),
                           "--out", str(out), "--pdf"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return out / "2022-23-Q2"
