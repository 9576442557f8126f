"""The cache is keyed on what the files hold: an edit that keeps the length and puts the
modification time back is still seen, in one process and in a batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT, write_params
from perfkit import cache

OLD, NEW = "2022/23,2,VFM1,Amber,", "2022/23,2,VFM1,Green,"  # same length


def edit_keeping_size_and_time(path) -> None:
    info = path.stat()
    raw = path.read_bytes()
    assert OLD.encode() in raw
    path.write_bytes(raw.replace(OLD.encode(), NEW.encode(), 1))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (info.st_size, info.st_mtime_ns)


def green(summary) -> int:
    return summary.rollup.to_summary()["milestones"]["green"]


def test_one_process_sees_an_edit_with_its_time_restored(sample_copy):
    _, before = cache.summarise(sample_copy, "2022/23", 2)
    edit_keeping_size_and_time(sample_copy / "milestone_updates.csv")
    _, after = cache.summarise(sample_copy, "2022/23", 2)
    assert green(after) == green(before) + 1


def test_an_unchanged_dataset_is_still_served_from_the_cache(sample_copy):
    first = cache.load(sample_copy)
    os.utime(sample_copy / "priorities.csv")  # touched, not changed
    assert cache.load(sample_copy) is first


# A batch: the parent validates and caches every dataset, then forks the workers. The data
# is edited (same size, time restored) after the parent has cached it and before the
# workers render; the published figures must be the new ones.
BATCH = r"""
import os, sys
from pathlib import Path
from perfkit import batch

data, out, *params = sys.argv[1:]
prepare = batch._prepare

def edit_after_prepare(todo):
    yield from prepare(todo)
    path = Path(data) / "milestone_updates.csv"
    info = path.stat()
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"2022/23,2,VFM1,Amber,", b"2022/23,2,VFM1,Green,", 1))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))

batch._prepare = edit_after_prepare
outcomes = batch.render_many([Path(p) for p in params], Path(out), jobs=2)
sys.exit(1 if any(o.error for o in outcomes) else 0)
"""


def test_a_batch_publishes_the_edited_figures(tmp_path, sample_copy):
    q1 = write_params(tmp_path / "q1.yaml", sample_copy, 1, allow_empty="true")
    q2 = write_params(tmp_path / "q2.yaml", sample_copy, 2)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", BATCH, str(sample_copy), str(out), str(q1),
                           str(q2)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "2022-23-Q2" / "summary.json").read_text())
    assert summary["milestones"]["green"] == 32, summary["milestones"]  # 31 before the edit
