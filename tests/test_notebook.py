"""The report notebook as an analyst uses it: one kernel, Run All again and again, edits between."""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import PARAMS, ROOT, SAMPLE, write_params
from perfkit.report import NOTEBOOK

LAB_COPY = ROOT / "notebooks" / "quarterly_report.ipynb"


def parameters_cell(nb) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))


def run_all(client, nb) -> str:
    """Run every code cell in order, as JupyterLab's Run All does; the report's HTML."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            client.execute_cell(cell, index)
    html = "".join(o.get("data", {}).get("text/html", "")
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # The "Rendered" time is the one thing that may differ between two runs.
    return re.sub(r"(Rendered</th><td>)[^<]*", r"\1", html)


def test_run_all_twice_then_change_the_quarter_in_one_kernel(two_quarters):
    from nbclient import NotebookClient

    nb = nbformat.read(LAB_COPY, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(LAB_COPY.parent)}})
    with client.setup_kernel():
        first = run_all(client, nb)
        second = run_all(client, nb)
        cell = parameters_cell(nb)
        defaults = cell.source
        # An analyst's edits: an import in the parameters cell, another dataset and quarter.
        cell.source = ("import pandas as pd\n" + defaults
                       .replace('data = "data/chesterfield"', f'data = r"{two_quarters}"')
                       .replace("quarter = 2", "quarter = 1"))
        changed = run_all(client, nb)
        cell.source = defaults
        back = run_all(client, nb)
    assert "At quarter 2 of 2022/23 the delivery plan has 36 milestones" in first
    assert first == second == back
    assert "At quarter 1 of 2022/23" in changed and "At quarter 2 of" not in changed
    assert changed.count('class="chart"') == 2  # quarter 1 has no earlier quarter to trend


def strip_command() -> list[str]:
    """The project's strip command: nbstripout with the arguments the Makefile gives git's
    filter (``make lab`` sets the filter up; ``make strip`` runs it in place)."""
    args = re.search(r"^NBSTRIP_ARGS := (.*)$", (ROOT / "Makefile").read_text(), re.M)[1]
    return [str(Path(sys.executable).parent / "nbstripout"), *shlex.split(args)]


def as_stored(path: Path) -> bytes:
    """The notebook as git stores it: through the project's strip filter."""
    return subprocess.run([*strip_command(), "-t"], input=path.read_bytes(),
                          capture_output=True, check=True, timeout=60).stdout


def test_committed_notebooks_are_stripped_and_identical():
    """Outputs are never committed, and the JupyterLab copy is the notebook that ships.

    The JupyterLab copy is read as git stores it: the analyst's working copy may hold the
    outputs JupyterLab saved (the filter strips them on commit) without failing this test.
    """
    command = " ".join(strip_command()[1:])
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{NOTEBOOK}: outputs are committed; strip them with `make strip` "
                f"(nbstripout {command} {NOTEBOOK})")
        assert set(cell.metadata) <= {"tags"}, f"{NOTEBOOK}: cell metadata {dict(cell.metadata)}"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    assert set(nb.metadata.get("language_info", {})) <= {"name"}
    assert as_stored(NOTEBOOK) == NOTEBOOK.read_bytes(), (
        f"{NOTEBOOK} is not as the strip filter leaves it; run `make strip`")
    assert as_stored(LAB_COPY) == NOTEBOOK.read_bytes(), (
        f"{LAB_COPY}, stripped (`make strip`, or nbstripout {command}), and {NOTEBOOK} "
        "differ; the one in perfkit/ ships in the wheel: copy the edited one over the other")


def test_a_notebook_saved_with_outputs_is_committed_stripped(tmp_path):
    """JupyterLab saves outputs into the notebook; `make lab`'s git filter stores it without."""
    from nbclient import NotebookClient

    nb = nbformat.read(LAB_COPY, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300, record_timing=True,
                   resources={"metadata": {"path": str(LAB_COPY.parent)}}).execute()
    repo = tmp_path / "council"
    (repo / "notebooks").mkdir(parents=True)
    saved = repo / "notebooks" / "quarterly_report.ipynb"
    nbformat.write(nb, saved)
    assert '"output_type"' in saved.read_text()  # saved with its outputs
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                                       check=True, timeout=60).stdout
    git("init", "-q")
    done = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"),
                           f"BIN={Path(sys.executable).parent}", "strip-filter"], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    git("add", "notebooks/quarterly_report.ipynb")
    assert git("show", ":notebooks/quarterly_report.ipynb").encode() == NOTEBOOK.read_bytes()
    assert '"output_type"' in saved.read_text()  # the analyst's copy keeps its outputs


def test_notebook_defaults_are_the_sample_params_file():
    tree = ast.parse(parameters_cell(nbformat.read(NOTEBOOK, as_version=4)).source)
    defaults = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign)}
    from perfkit.params import NOTEBOOK_KEYS, ReportParams

    assert list(defaults) == list(NOTEBOOK_KEYS)
    expected = ReportParams.model_validate(yaml.safe_load(PARAMS.read_text())).model_dump()
    # Which notebook to run is the params file's business, not the notebook's.
    assert expected.pop("notebook") == "notebooks/quarterly_report.ipynb"
    assert defaults == expected


def test_unknown_injected_parameter_is_named_but_analyst_names_are_not():
    from perfkit.errors import ParamsError
    from perfkit.sections import open_report

    history = ["", "import pandas as pd\nreport = None\ndata = 'x'", "report.header()"]
    assert open_report(str(SAMPLE), "2022/23", 2, history=history).summary.rollup.year == "2022/23"
    history.append('# Parameters\nquarter = 2\ncolour = "red"\n')
    with pytest.raises(ParamsError, match="unknown parameter 'colour'"):
        open_report(str(SAMPLE), "2022/23", 2, history=history)


def test_keys_a_papermill_run_leaves_out_take_the_documented_defaults():
    """Not the sample's title and covering report that the notebook's cell holds."""
    from perfkit.sections import open_report

    sample = dict(organisation="Chesterfield Borough Council", title="Sample title",
                  covering="params/2022-23-Q2-cabinet.md", plan_span="2019 – 2023")
    analyst = open_report(str(SAMPLE), "2022/23", 2, history=["report = 1"], **sample)
    assert analyst.params.title == "Sample title" and analyst.params.covering
    injected = f"# Parameters\ndata = {str(SAMPLE)!r}\nyear = '2022/23'\norganisation = 'X'\n"
    # In the kernel, an injected name holds the injected value; the rest hold the cell's.
    run = open_report(str(SAMPLE), "2022/23", 2, history=[injected], **{**sample, "organisation": "X"})
    assert run.params.organisation == "X"
    assert (run.params.title, run.params.covering, run.params.plan_span) == (None, None, None)
    assert run.params.heading == "Council Plan delivery: quarter 2 of 2022/23"


@pytest.mark.parametrize("notebook", [LAB_COPY, NOTEBOOK], ids=["notebooks", "package"])
def test_papermill_cli_from_another_folder(tmp_path, notebook):
    """Relative paths in the params file are found beside the notebook (--inject-paths)."""
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS.read_text().replace("data: data/chesterfield", f"data: {SAMPLE}")
                      .replace("covering: params/", f"covering: {PARAMS.parent}/"))
    if notebook == LAB_COPY:
        params = PARAMS  # data/chesterfield and params/...cabinet.md, relative
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(notebook), "out.ipynb", "-f", str(params),
         "--inject-paths", "--no-progress-bar"],
        cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    nb = nbformat.read(elsewhere / "out.ipynb", as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells
                   for o in c.get("outputs", []))
    assert "At quarter 2 of 2022/23 the delivery plan has 36 milestones" in html


def test_papermill_from_another_folder_without_paths_says_how(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(LAB_COPY), "out.ipynb", "-f", str(PARAMS),
         "--no-progress-bar"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "data 'data/chesterfield' is not in" in done.stderr and "--inject-paths" in done.stderr


def test_empty_quarter_is_refused_then_rendered_on_request(tmp_path):
    params = write_params(tmp_path / "q3.yaml", SAMPLE, 3)
    run = lambda *extra: subprocess.run(
        [sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
         str(tmp_path / "out"), "--quiet", *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    refused = run()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert ("no updates for 2022/23 quarter 3: the data holds updates for 2022/23 quarter 2 "
            "only") in refused.stderr
    assert not (tmp_path / "out" / "2022-23-Q3" / "report.html").exists()
    done = run("--allow-empty")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "out" / "2022-23-Q3" / "report.html").read_text()
    assert "No updates were received for quarter 3 of 2022/23." in page
    assert "0 of 0" not in page and "(0%)" not in page and "to 0%" not in page
