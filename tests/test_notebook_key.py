"""`notebook:` in a params file: the notebook the analyst edits is the one published; and
titles that follow the parameters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import PARAMS, ROOT, SAMPLE
from perfkit.notebook import PACKAGED, resolve_notebook, write_notebook
from perfkit.errors import ParamsError


def perfkit(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfkit.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A council's project: params/, data/ and its own notebooks/, as the repository has."""
    root = tmp_path / "council"
    for name in ("params", "data", "notebooks"):
        shutil.copytree(ROOT / name, root / name)
    return root


def test_the_params_file_names_the_notebook_that_is_published(project):
    notebook = project / "notebooks" / "quarterly_report.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        'from IPython.display import HTML\nHTML("<p>Our own cell, from our own notebook.</p>")'))
    nbformat.write(nb, notebook)
    done = perfkit("report", "params/2022-23-Q2.yaml", "--quiet", cwd=project)
    assert done.returncode == 0, done.stderr
    page = (project / "outputs" / "2022-23-Q2" / "report.html").read_text()
    assert "Our own cell, from our own notebook." in page
    # Without the key, perfkit's own notebook: the cell is not there.
    params = project / "params" / "2022-23-Q2.yaml"
    params.write_text(params.read_text().replace("notebook: notebooks/quarterly_report.ipynb\n",
                                                 ""))
    done = perfkit("report", "params/2022-23-Q2.yaml", "--quiet", cwd=project)
    assert done.returncode == 0, done.stderr
    page = (project / "outputs" / "2022-23-Q2" / "report.html").read_text()
    assert "36 milestones" in page and "Our own cell" not in page


def _link_out(root: Path) -> str:
    (root / "notebooks" / "out.ipynb").symlink_to(PACKAGED)
    return "notebooks/out.ipynb"


def _fifo(root: Path) -> str:
    os.mkfifo(root / "notebooks" / "pipe.ipynb")
    return "notebooks/pipe.ipynb"


def _folder(root: Path) -> str:
    (root / "notebooks" / "folder.ipynb").mkdir()
    return "notebooks/folder.ipynb"


def _device(root: Path) -> str:
    (root / "notebooks" / "zero.ipynb").symlink_to("/dev/zero")
    return "notebooks/zero.ipynb"


def _text_named_ipynb(root: Path) -> str:
    (root / "notebooks" / "passwd.ipynb").symlink_to(root / "params" / "2022-23-Q2.yaml")
    return "notebooks/passwd.ipynb"


@pytest.mark.parametrize("make, says", [
    (lambda root: "/etc/passwd", "no absolute path"),
    (lambda root: "../../../etc/hosts.ipynb", "no '..'"),
    (lambda root: "notebooks/../notebooks/quarterly_report.ipynb", "no '..'"),
    (lambda root: "~/report.ipynb", "no absolute path"),
    (lambda root: "params/2022-23-Q2.yaml", "a regular .ipynb file"),
    (lambda root: "notebooks/missing.ipynb", "is not in"),
    (_link_out, "leads outside"),
    (_device, "leads outside"),
    (_fifo, "not a regular .ipynb file"),
    (_folder, "not a regular .ipynb file"),
], ids=["absolute", "climbing", "climbing-inside", "home", "not-ipynb", "missing", "link-out",
        "device", "fifo", "folder"])
def test_notebook_key_takes_only_a_regular_ipynb_in_the_project(project, make, says):
    value = make(project)
    params = project / "params" / "2022-23-Q2.yaml"
    params.write_text(params.read_text().replace("notebook: notebooks/quarterly_report.ipynb",
                                                 f"notebook: {value!r}"))
    done = perfkit("report", "params/2022-23-Q2.yaml", "--quiet", cwd=project)
    assert done.returncode == 2, done.stderr
    assert "key 'notebook'" in done.stderr and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "outputs" / "2022-23-Q2").exists()


def test_a_link_inside_the_project_is_followed(project):
    (project / "notebooks" / "ours.ipynb").symlink_to(project / "notebooks" /
                                                       "quarterly_report.ipynb")
    found = resolve_notebook("notebooks/ours.ipynb", project / "params" / "2022-23-Q2.yaml")
    assert found == (project / "notebooks" / "quarterly_report.ipynb").resolve()


def test_perfkit_notebook_writes_a_copy_and_never_replaces_one(tmp_path):
    done = perfkit("notebook", "notebooks", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "notebooks" / "quarterly_report.ipynb"
    assert written.read_bytes() == PACKAGED.read_bytes()
    written.write_text("{}")  # the council's own edits
    again = perfkit("notebook", "notebooks", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert written.read_text() == "{}"
    assert perfkit("notebook", "notebooks", "--force", cwd=tmp_path).returncode == 0
    assert written.read_bytes() == PACKAGED.read_bytes()
    with pytest.raises(ParamsError, match="already exists"):
        write_notebook(tmp_path / "notebooks")


# -- titles follow the parameters ---------------------------------------------------------

def test_changing_the_quarter_changes_the_title(tmp_path):
    from perfkit.sections import open_report

    from conftest import write_two_quarters

    data = write_two_quarters(tmp_path / "data")
    title = "Council Plan Delivery Plan {year}: quarter {quarter} performance report"
    for quarter in (1, 2):
        report = open_report(str(data), "2022/23", quarter, title=title)
        assert (f"<h1>Council Plan Delivery Plan 2022/23: quarter {quarter} performance "
                "report</h1>") in report.header().html


@pytest.mark.parametrize("title, says", [
    ("Council Plan Delivery Plan 2022/23: quarter 1 performance report",
     "it names quarter 1, but quarter is 2"),
    ("Q3 performance report {year}", "it names quarter 3 ('Q3'), but quarter is 2"),
    ("Second quarter report", None),
    ("Fourth quarter report {year}", "it names quarter 4 ('Fourth quarter'), but quarter is 2"),
    ("Council Plan Delivery Plan 2021/22: quarter {quarter}",
     "it names the year 2021/22, but year is 2022/23"),
    ("Council Plan 2019-2023, quarter {quarter} of {year}", None),
    ("Report for {council}", "{council} is not one"),
    ("Report {quarter:>5}", "{quarter:>5} is not one"),
    ("Report {", "write {{ and }} for a brace"),
], ids=["quarter", "q3", "ordinal-ok", "ordinal", "year", "span-ok", "field", "spec", "brace"])
def test_a_title_naming_another_quarter_or_year_is_refused(tmp_path, title, says):
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS.read_text().replace("data: data/chesterfield", f"data: {SAMPLE}")
                      .replace("covering: params/", f"covering: {PARAMS.parent}/")
                      .replace("notebook: notebooks/quarterly_report.ipynb\n", "")
                      .replace('title: "Council Plan Delivery Plan {year}: quarter {quarter} '
                               'performance report"', f"title: {title!r}"))
    done = perfkit("summary", params, cwd=tmp_path)
    if says is None:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stdout
    assert "key 'title'" in done.stderr and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_report_refuses_a_title_for_another_quarter_with_exit_2(project):
    params = project / "params" / "2022-23-Q2.yaml"
    params.write_text(params.read_text().replace("quarter {quarter} performance",
                                                 "quarter 2 performance")
                      .replace("quarter: 2", "quarter: 3"))
    done = perfkit("report", "params/2022-23-Q2.yaml", "--quiet", "--allow-empty", cwd=project)
    assert done.returncode == 2
    assert "it names quarter 2, but quarter is 3" in done.stderr, done.stderr
