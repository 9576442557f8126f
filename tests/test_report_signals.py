"""`perfkit report` under schedulers and people: signals, time limits, batches that refuse."""

from __future__ import annotations

import json
import os
import shutil
import signal
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, build_once, write_params, write_two_quarters

NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"


def slow_notebook(target: Path) -> Path:
    """The real notebook with a cell, after the dashboard, that says it has started and
    then waits: a render caught in the middle, whichever way it runs."""
    nb = json.loads(NOTEBOOK.read_text())
    at = next(i for i, c in enumerate(nb["cells"]) if "report.dashboard()" in "".join(c["source"]))
    source = ("import os, pathlib, time\n"
              "pathlib.Path(os.environ['PERFKIT_TEST_MARKS'], f'q{quarter}').touch()\n"
              "time.sleep(120)\n")
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "id": "slow",
                                "metadata": {}, "outputs": [], "source": source})
    target.write_text(json.dumps(nb))
    return target


def tagged_env(tmp_path: Path) -> tuple[dict, str, Path]:
    """An environment whose tag every process of the run inherits (workers and kernels)."""
    tag = uuid.uuid4().hex
    marks = tmp_path / "marks"
    marks.mkdir()
    return {**os.environ, "PERFKIT_TEST_TAG": tag, "PERFKIT_TEST_MARKS": str(marks)}, tag, marks


def processes_tagged(tag: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"PERFKIT_TEST_TAG={tag}".encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass  # gone, or not ours to read
    return found


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            and not p.name.startswith(".")}


def published(out: Path) -> list[str]:
    """Every name in the quarters' folders, hidden ones included."""
    return sorted(str(p.relative_to(out)) for folder in out.iterdir() if folder.is_dir()
                  and not folder.name.startswith(".") for p in folder.iterdir())


@pytest.fixture
def batch(tmp_path, shared_dir):
    """Two quarters, already rendered once: the last good reports a signal must not touch.

    Rendered once for the run; each test signals a run over its own copy of the output.
    """
    def render(folder: Path) -> None:
        data = write_two_quarters(folder / "data")
        q1, q2 = (write_params(folder / f"q{q}.yaml", data, q) for q in (1, 2))
        done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(q1), str(q2),
                               "--out", str(folder / "out")], cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr

    shared = build_once(shared_dir, "two-quarters-rendered", render)
    out = tmp_path / "out"
    shutil.copytree(shared / "out", out)
    return shared / "q1.yaml", shared / "q2.yaml", out


@pytest.mark.slow(20)
@pytest.mark.parametrize("signum, how, mode", [
    (signal.SIGINT, "Ctrl-C: the terminal signals the whole process group", []),
    (signal.SIGTERM, "a scheduler stops the perfkit process alone", []),
    (signal.SIGINT, "Ctrl-C, with each notebook in a real kernel", ["--kernel"]),
])
def test_a_signal_stops_a_running_batch_at_once_and_cleanly(batch, tmp_path, signum, how, mode):
    q1, q2, out = batch
    before, names = snapshot(out), published(out)
    env, tag, marks = tagged_env(tmp_path)
    run = subprocess.Popen([sys.executable, "-m", "perfkit.cli", "report", str(q1), str(q2),
                            "--out", str(out), "--notebook", str(slow_notebook(tmp_path / "s.ipynb")),
                            *mode], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # Both reports are mid-notebook.
        assert wait_for(lambda: len(list(marks.iterdir())) == 2, 240), run.stderr
        sent = time.monotonic()
        if signum == signal.SIGINT:
            os.killpg(run.pid, signum)
        else:
            run.send_signal(signum)
        stdout, stderr = run.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 128 + signum, stderr
    assert took < 15, f"{how}: stopped {took:.1f} s after the signal"
    assert "Traceback" not in stderr and "Error" not in stderr
    assert stderr.strip().splitlines() == [
        f"perfkit: stopped by {signal.Signals(signum).name}; no report was published after it"]
    assert snapshot(out) == before and published(out) == names  # nothing new, nothing stray
    assert wait_for(lambda: not processes_tagged(tag), 5), "a worker or kernel is still running"


@pytest.mark.slow(25)
def test_the_wall_clock_limit_stops_a_render_that_hangs(tmp_path, two_quarters):
    env, tag, marks = tagged_env(tmp_path)
    params = write_params(tmp_path / "q2.yaml", two_quarters, 2)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params),
                           "--out", str(tmp_path / "out"), "--timeout", "20",
                           "--notebook", str(slow_notebook(tmp_path / "s.ipynb"))],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    took = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert (f"perfkit: {params}: rendering took longer than the limit of 20 s (perfkit report "
            "--timeout); nothing was published and the last good report is unchanged"
            in done.stderr)
    assert "Traceback" not in done.stderr and took < 100
    assert list(marks.iterdir()) and not list((tmp_path / "out").glob("*/report.html"))


@pytest.mark.slow(35)
def test_the_wall_clock_limit_holds_in_a_real_kernel_too(tmp_path, two_quarters):
    env, tag, marks = tagged_env(tmp_path)
    params = write_params(tmp_path / "q2.yaml", two_quarters, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params),
                           "--out", str(tmp_path / "out"), "--timeout", "30", "--kernel",
                           "--notebook", str(slow_notebook(tmp_path / "s.ipynb"))],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "rendering took longer than the limit of 30 s" in done.stderr
    assert "Traceback" not in done.stderr
    assert wait_for(lambda: not processes_tagged(tag), 5), "the kernel is still running"


def test_two_params_files_for_one_quarter_are_refused_before_any_work(tmp_path, two_quarters):
    a = write_params(tmp_path / "a.yaml", two_quarters, 2)
    b = write_params(tmp_path / "b.yaml", two_quarters, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(a), str(b),
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert (f"perfkit: {a} and {b} are both for quarter 2 of 2022/23 (output folder "
            f"{(tmp_path / 'out' / '2022-23-Q2').resolve()}); give each quarter once"
            in done.stderr)
    assert not (tmp_path / "out").exists()


def test_a_data_error_in_a_batch_names_its_params_file(tmp_path, two_quarters, sample_copy):
    rows = (sample_copy / "milestone_updates.csv").read_text().replace(",TB5,Green,", ",TB5,Bright,")
    (sample_copy / "milestone_updates.csv").write_text(rows)
    good = write_params(tmp_path / "good.yaml", two_quarters, 1)
    bad = write_params(tmp_path / "bad.yaml", sample_copy, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(good), str(bad),
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 2  # every failure was bad input
    # a batch's error line says when, as its other lines do
    assert re.search(rf"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ perfkit: {re.escape(str(bad))}: 1 "
                     "problem in the data:$", done.stderr, re.M), done.stderr
    assert "  - milestone_updates.csv, row 6, column 'rag': 'Bright' is not allowed" in done.stderr
    assert re.fullmatch(r"\S+Z perfkit: 1 rendered, 1 failed in \d+\.\d s",
                        done.stderr.splitlines()[-1]), done.stderr
    assert (tmp_path / "out" / "2022-23-Q1" / "report.html").exists()
