"""`--kernel` runs leave no connection file (it holds the kernel's HMAC key) however they end."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

from conftest import ROOT, write_params
from test_report_signals import processes_tagged, slow_notebook, tagged_env, wait_for


def start(tmp_path, two_quarters, env):
    params = write_params(tmp_path / "q2.yaml", two_quarters, 2)
    return subprocess.Popen([sys.executable, "-m", "perfkit.cli", "report", str(params),
                             "--out", str(tmp_path / "out"), "--kernel", "--quiet",
                             "--notebook", str(slow_notebook(tmp_path / "s.ipynb"))],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def kernel_env(tmp_path):
    env, tag, marks = tagged_env(tmp_path)
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env, tag, marks, tmp_path / "state" / "perfkit" / "kernels"


def test_a_sigkilled_run_leaves_its_file_only_until_the_next_run_sweeps_it(tmp_path,
                                                                            two_quarters):
    env, tag, marks, kernels = kernel_env(tmp_path)
    run = start(tmp_path, two_quarters, env)
    try:
        assert wait_for(lambda: list(marks.iterdir()), 120), "the slow cell never started"
        files = list(kernels.iterdir())
        # The file is perfkit's, named for the run, in a folder only this user can read.
        assert [f.name.split("-")[1] for f in files] == [str(run.pid)]
        assert "key" in json.loads(files[0].read_text())
        assert stat.S_IMODE(kernels.stat().st_mode) & 0o077 == 0
        run.send_signal(signal.SIGKILL)
        run.wait(30)
    finally:
        run.kill()
        run.communicate()
    assert wait_for(lambda: not processes_tagged(tag), 10), "the kernel outlived its run"
    assert [f.exists() for f in files] == [True]  # SIGKILL leaves it: nothing can run then
    # The next --kernel run sweeps it (its process is gone) and leaves nothing of its own.
    params = write_params(tmp_path / "again.yaml", two_quarters, 2)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params),
                           "--out", str(tmp_path / "out"), "--kernel", "--quiet"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert list(kernels.iterdir()) == []


def test_a_run_stopped_by_sigterm_removes_its_file(tmp_path, two_quarters):
    env, tag, marks, kernels = kernel_env(tmp_path)
    run = start(tmp_path, two_quarters, env)
    try:
        assert wait_for(lambda: list(marks.iterdir()), 120), "the slow cell never started"
        assert len(list(kernels.iterdir())) == 1
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 128 + signal.SIGTERM, err
    assert list(kernels.iterdir()) == []
    assert wait_for(lambda: not processes_tagged(tag), 10)


def test_a_live_runs_file_is_not_swept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    from perfkit.kernel_files import kernel_folder, sweep

    live = kernel_folder() / f"kernel-{os.getppid()}-ab12.json"
    dead = kernel_folder() / "kernel-999999999-cd34.json"  # above any pid_max
    other = kernel_folder() / "notes.json"
    for path in (live, dead, other):
        path.write_text("{}")
    assert sweep() == [dead]
    assert live.exists() and other.exists() and not dead.exists()
