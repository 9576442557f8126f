"""perfkit's in-process papermill engine: a kernel's outputs, without the kernel."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import PARAMS, ROOT, SAMPLE, write_params

NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"


def run_in_process(cells: list[str], tmp_path, name="nb"):
    import papermill as pm

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return pm.execute_notebook(nb, str(tmp_path / f"{name}.ipynb"), engine_name="perfkit",
                               progress_bar=False, request_save_on_cell_execute=False)


def test_papermill_finds_the_engine_without_importing_pandas():
    done = subprocess.run([sys.executable, "-c",
                           "import sys, papermill.engines as e; "
                           "print(e.papermill_engines.get_engine('perfkit').__name__, "
                           "'pandas' in sys.modules)"], capture_output=True, text=True,
                          timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["InProcessEngine", "False"]


def test_outputs_are_what_a_kernel_would_send(tmp_path):
    nb = run_in_process([
        "print('one')\nprint('two')",
        "import sys\nfrom IPython.display import HTML, display\n"
        "print('careful', file=sys.stderr)\nprint('before')\ndisplay(HTML('<b>shown</b>'))\n'last'",
        "quiet = 1\nquiet;",
    ], tmp_path)
    first, second, third = (c.outputs for c in nb.cells)
    assert [dict(o) for o in first] == [{"output_type": "stream", "name": "stdout", "text": "one\ntwo\n"}]
    assert [o.output_type for o in second] == ["stream", "stream", "display_data", "execute_result"]
    assert (second[0].name, second[0].text) == ("stderr", "careful\n")
    assert second[1].text == "before\n"  # flushed before the display, as ipykernel does
    assert second[2].data["text/html"] == "<b>shown</b>"
    assert second[3].data == {"text/plain": "'last'"} and second[3].execution_count == 2
    assert third == [] and [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert nb.metadata.language_info["name"] == "python"


def test_a_failing_cell_is_marked_as_papermill_marks_a_kernel_error(tmp_path):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as err:
        run_in_process(["x = 1", "raise ValueError('bad value')", "never = 1"], tmp_path)
    assert (err.value.ename, err.value.evalue, err.value.exec_count) == ("ValueError", "bad value", 2)
    saved = nbformat.read(tmp_path / "nb.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in saved.cells[0].metadata.tags
    failing = next(c for c in saved.cells if c.cell_type == "code" and c.source.startswith("raise"))
    assert failing.outputs[0].output_type == "error" and failing.metadata.papermill.exception
    assert saved.cells[-1].execution_count is None  # nothing ran after the failure


def test_each_notebook_gets_a_fresh_namespace(tmp_path):
    run_in_process(["leak = 'from the first report'"], tmp_path, "first")
    nb = run_in_process(["print('leak' in dir())"], tmp_path, "second")
    assert nb.cells[0].outputs[0].text == "False\n"
    main = sys.modules["__main__"]
    assert not hasattr(main, "leak")  # and the caller's __main__ is its own again


def normalised(page: str) -> str:
    """The page with what differs between any two runs taken out: when it ran, and the
    random id papermill gives the injected parameters cell."""
    page = re.sub(r"\d{2} \w+ \d{4} at \d{2}:\d{2}(?: \w+)?", "(when)", page)
    return re.sub(r'id="cell-id=[^"]*"', "", page)


def test_the_same_report_from_the_engine_a_kernel_and_the_papermill_cli(tmp_path):
    from perfkit.report import export_notebook

    # The data path as an absolute path, which every route passes to the notebook as is.
    # Every key given: papermill leaves a key the file omits at the notebook's default (the
    # sample quarter's), where perfkit report takes the params model's default.
    params = write_params(tmp_path / "q2.yaml", SAMPLE, 2, title='"Quarter 2"',
                          covering="null", plan_span="null")
    pages, summaries = {}, {}
    for route, extra in (("in-process", []), ("kernel", ["--kernel"])):
        out = tmp_path / route
        done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params),
                               "--out", str(out), *extra], cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        pages[route] = (out / "2022-23-Q2" / "report.html").read_text()
        summaries[route] = json.loads((out / "2022-23-Q2" / "summary.json").read_text())
    executed = tmp_path / "papermill.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", str(NOTEBOOK), str(executed),
                           "-f", str(params), "--no-progress-bar"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    files = export_notebook(nbformat.read(executed, as_version=4))
    pages["papermill"], summaries["papermill"] = files["report.html"], json.loads(files["summary.json"])

    assert "36 milestones" in pages["in-process"] and pages["in-process"].count("<svg") == 4  # each chart drawn for a page and a phone
    assert normalised(pages["kernel"]) == normalised(pages["in-process"])
    assert normalised(pages["papermill"]) == normalised(pages["in-process"])
    assert summaries["kernel"] == summaries["in-process"] == summaries["papermill"]


def test_papermill_cli_can_run_the_report_with_the_engine(tmp_path):
    out = tmp_path / "out.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", "--engine", "perfkit",
                           str(NOTEBOOK), str(out), "-f", str(PARAMS), "--no-progress-bar"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    html = "".join("".join(o.get("data", {}).get("text/html", ""))
                   for c in json.loads(out.read_text())["cells"] for o in c.get("outputs", []))
    assert "36 milestones" in html and "<svg" in html


def test_papermills_execution_timeout_holds_in_process(tmp_path):
    import time

    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(60)")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    started = time.monotonic()
    # As under a kernel: nbclient's own error, raised out of the run.
    with pytest.raises(CellTimeoutError, match="timed out"):
        pm.execute_notebook(nb, str(tmp_path / "out.ipynb"), engine_name="perfkit",
                            progress_bar=False, execution_timeout=1)
    assert time.monotonic() - started < 30
