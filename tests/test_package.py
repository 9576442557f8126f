"""perfkit as a real package: a wheel, installed in a fresh virtual environment, renders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import PARAMS, ROOT


@pytest.mark.slow(60)  # a minute with a cold pip cache
def test_wheel_in_a_fresh_venv_renders_from_another_folder(tmp_path):
    """Slow (about a minute): pip builds and installs, from its cache when it can."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run = lambda *args, cwd=tmp_path, timeout=900: subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout)
    # Built from a copy: setuptools writes build/ beside the sources it builds.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "node_modules", "outputs", "build", "dist", ".git", "*.egg-info",
        ".pytest_cache", ".hypothesis", "__pycache__"))
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                tmp_path / "dist", source)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("perfkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "perfkit/notebooks/quarterly_report.ipynb" in names
    assert "perfkit/templates/perfkit_report/report.css" in names

    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    # --no-compile: byte-compiling every dependency (pandas, numpy, altair...) was a third of
    # this test's CPU (36 s to 25 s); the modules a run imports compile as they are imported.
    installed = run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
                    wheel)
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(venv / "bin" / "python", "-c", "import perfkit; print(perfkit.__file__)",
                cwd=elsewhere)
    assert where.stdout.startswith(str(venv)), where.stdout  # not the source tree
    version = run(venv / "bin" / "perfkit", "--version", cwd=elsewhere)
    assert version.stdout.strip() == "perfkit 0.1.0"
    done = run(venv / "bin" / "perfkit", "report", PARAMS, "--out", "out", "--quiet",
               cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    folder = elsewhere / "out" / "2022-23-Q2"
    assert "36 milestones" in (folder / "report.html").read_text()
    assert json.loads((folder / "summary.json").read_text())["milestones"]["green"] == 31
