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
