"""perfkit's in-process engine runs a notebook as a kernel does: nbclient's and papermill's own
test notebooks give the same outputs both ways, and one notebook cannot change the next."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest

from conftest import ROOT

NBCLIENT = ROOT / "tests" / "data" / "nbclient"
PAPERMILL = Path(papermill.__file__).parent / "tests" / "notebooks"

#: Notebooks whose outputs only a kernel can give, and why; each is run with `--kernel`.
KERNEL_ONLY = {
    # os.kill(os.getpid(), SIGTERM): in-process, that is perfkit's own process (or a batch
    # worker's), which stops as a scheduler's SIGTERM stops it.
    "Autokill.ipynb": "signals its own process",
    # Sends messages on the kernel's own sockets through get_ipython().kernel.
    "update-display-id.ipynb": "uses the kernel's sockets",
}
#: Not run here at all: they need a second notebook running at the same time.
SKIPPED = {"Parallel Execute A.ipynb", "Parallel Execute B.ipynb"}
TIMEOUT = 10  # Interrupt.ipynb loops for ever: both ways stop it with this per-cell limit


def notebooks() -> list[Path]:
    found = sorted(NBCLIENT.glob("*.ipynb")) + sorted(PAPERMILL.glob("*.ipynb"))
    return [p for p in found if p.name not in KERNEL_ONLY and p.name not in SKIPPED]


def outputs(nb) -> list:
    """Each code cell's outputs, less what differs between any two runs: clock times, and
    where a kernel's timed flushes happened to split a stream (the page joins them)."""
    def one(o):
        if o.output_type == "stream":
            return (o.output_type, o.name, re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z?", "TIME", o.text))
        if o.output_type == "error":
            return (o.output_type, o.ename, o.evalue)
        data = o.get("data", {})
        return (o.output_type, sorted(data), data.get("text/plain"),
                data.get("text/markdown"), data.get("text/html"))
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        joined: list = []
        for o in map(one, cell.get("outputs", [])):
            if joined and o[0] == "stream" and joined[-1][:2] == o[:2]:
                joined[-1] = (*o[:2], joined[-1][2] + o[2])
            else:
                joined.append(o)
        cells.append(joined)
    return cells


def run(path: Path, folder: Path, engine: str | None):
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    from perfkit.engine import InProcessEngine

    papermill_engines.register("perfkit", InProcessEngine)
    out = folder / f"{engine or 'kernel'}.ipynb"
    try:
        papermill.execute_notebook(str(path), str(out), engine_name=engine,
                                   kernel_name="python3", progress_bar=False, cwd=str(folder),
                                   execution_timeout=TIMEOUT,
                                   request_save_on_cell_execute=False)
        failed = None
    except PapermillExecutionError as err:
        failed = "PapermillExecutionError"
    except Exception as err:  # nbclient's own errors (a cell timeout under a kernel)
        failed = type(err).__name__
    # A run stopped by nbclient's own error (a timeout) writes no notebook, either way.
    return (outputs(nbformat.read(out, as_version=4)) if out.exists() else None), failed


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_same_outputs_in_process_as_in_a_kernel(path, tmp_path):
    for extra in path.parent.glob("*.png"):  # Inline Image.ipynb reads one beside it
        shutil.copy(extra, tmp_path)
    kernel, kernel_failed = run(path, tmp_path, None)
    in_process, failed = run(path, tmp_path, "perfkit")
    assert in_process == kernel
    assert (failed is None) == (kernel_failed is None)
    if failed != "PapermillExecutionError":  # an error output above says which
        assert failed == kernel_failed


def test_one_notebook_cannot_change_the_next(tmp_path):
    """Settings a notebook changes are put back; modules beside it are importable, then
    forgotten; output of os.system and subprocesses is captured."""
    import os
    import sys
    import warnings

    import altair as alt
    import pandas as pd

    (tmp_path / "helper.py").write_text("ANSWER = 42\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import helper\nprint(helper.ANSWER)",
        "import os, subprocess, sys\nos.system('echo from-os-system')\n"
        "subprocess.run(['echo', 'from-a-subprocess'])",
        "import pandas as pd, altair as alt, warnings, logging, signal\n"
        "pd.set_option('display.max_rows', 3)\nalt.theme.enable('dark')\n"
        "warnings.simplefilter('ignore')\nos.environ['PERFKIT_LEAK'] = '1'\n"
        "sys.path.append('/leak')\nlogging.basicConfig()\n"
        "logging.getLogger().addHandler(logging.NullHandler())\n"
        "signal.signal(signal.SIGUSR1, signal.SIG_IGN)",
        "from IPython.display import display\nh = display('first', display_id=True)",
        "h.update('updated from a later cell')",
    )]
    source = tmp_path / "state.ipynb"
    nbformat.write(nb, source)
    import logging
    import signal

    before = (pd.get_option("display.max_rows"), alt.theme.active, list(warnings.filters),
              dict(os.environ), list(sys.path), list(logging.getLogger().handlers),
              signal.getsignal(signal.SIGUSR1))
    done, failed = run(source, tmp_path, "perfkit")
    assert failed is None
    assert done[0] == [("stream", "stdout", "42\n")]
    assert done[1][0] == ("stream", "stdout", "from-os-system\nfrom-a-subprocess\n")  # in order
    assert done[3][0][2] == "'updated from a later cell'"
    after = (pd.get_option("display.max_rows"), alt.theme.active, list(warnings.filters),
             dict(os.environ), list(sys.path), list(logging.getLogger().handlers),
             signal.getsignal(signal.SIGUSR1))
    assert after == before
    assert "helper" not in sys.modules
