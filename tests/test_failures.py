"""A failed run never replaces the last good report, and leaves its evidence beside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import PARAMS, ROOT

NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"


def broken_notebook(target: Path) -> Path:
    """The real notebook with a cell that fails after the dashboard, as a bad edit would."""
    nb = json.loads(NOTEBOOK.read_text())
    at = next(i for i, c in enumerate(nb["cells"]) if "report.dashboard()" in "".join(c["source"]))
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "metadata": {},
                                "id": "injected-failure", "outputs": [],
                                "source": ["raise RuntimeError('injected failure')"]})
    target.write_text(json.dumps(nb))
    return target


def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfkit.cli", "report", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_failure_mid_notebook_keeps_the_last_good_report(tmp_path):
    out = tmp_path / "out"
    assert report(str(PARAMS), "--out", str(out), "--quiet").returncode == 0
    folder = out / "2022-23-Q2"
    before = {name: (folder / name).read_bytes() for name in ("report.html", "summary.json", "report.ipynb", "cabinet.html", "figures.csv")}

    done = report(str(PARAMS), "--out", str(out), "--quiet",
                  "--notebook", str(broken_notebook(tmp_path / "broken.ipynb")))
    assert done.returncode == 1
    failed = folder / "report.failed.ipynb"
    assert f"The executed notebook, with the failing cell marked, is {failed}" in done.stderr
    assert "RuntimeError: injected failure" in done.stderr and "Traceback" not in done.stderr
    for name, content in before.items():
        assert (folder / name).read_bytes() == content, name
    # papermill marks the failing cell, and no temporary file is left behind.
    executed = json.loads(failed.read_text())
    assert any("papermill-error-cell-tag" in c["metadata"].get("tags", []) for c in executed["cells"])
    assert sorted(p.name for p in folder.iterdir()) == [
        "cabinet.html", "figures.csv", "report.failed.ipynb", "report.html", "report.ipynb",
        "summary.json"]


def test_output_folder_cannot_escape_the_root(tmp_path):
    import pytest

    from perfkit.errors import ParamsError
    from perfkit.report import output_folder

    assert output_folder(tmp_path, "2022-23-Q2") == (tmp_path / "2022-23-Q2").resolve()
    for slug in ("../elsewhere", "a/b", "/etc", ".."):
        with pytest.raises(ParamsError):
            output_folder(tmp_path, slug)
