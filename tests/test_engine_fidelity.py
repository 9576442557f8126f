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
    # os.kill(os.getpid(), SIGTERM): a kernel dies of it (no output); in-process the cell
    # fails with OwnProcessError instead, which test_a_cell_cannot_stop_its_own_process runs.
    "Autokill.ipynb": "signals its own process",
}
#: Not run here at all: they need a second notebook running at the same time.
SKIPPED = {"Parallel Execute A.ipynb", "Parallel Execute B.ipynb"}
#: The per-cell limit each way. Two notebooks never end on their own (Interrupt.ipynb loops
#: for ever, keyboard_interrupt.ipynb sleeps a minute): both ways stop them at a short limit
#: (a loop's 10 s limit was 10 s of CPU twice over); the rest have room on a busy machine.
TIMEOUT = 10
NEVER_END = {"Interrupt.ipynb": 2, "keyboard_interrupt.ipynb": 2}


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
                                   execution_timeout=NEVER_END.get(path.name, TIMEOUT),
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


#: A notebook that runs a cell, then the cell given, then one that must not run.
RUNNER = """\
import signal
import sys
import nbformat, papermill
from papermill.engines import papermill_engines
from papermill.exceptions import PapermillExecutionError
from perfkit.engine import InProcessEngine

papermill_engines.register("perfkit", InProcessEngine)
# As a process started from a terminal has them (a job started in the background with "&"
# inherits SIGINT ignored, and an ignored signal is let through as harmless).
signal.signal(signal.SIGINT, signal.default_int_handler)
for number in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(number, signal.SIG_DFL)
for name in sys.argv[1:]:
    try:
        papermill.execute_notebook(name, name + ".out", engine_name="perfkit",
                                   kernel_name="python3", progress_bar=False)
        print(name, "ran")
    except PapermillExecutionError as err:
        print(name, "failed in cell", err.exec_count, err.ename, err.evalue)
print("perfkit carried on")
"""

SELF_SIGNALS = [
    "os.kill(os.getpid(), signal.SIGTERM)",
    "os.kill(os.getpid(), signal.SIGINT)",
    "os.kill(0, signal.SIGTERM)",
    "signal.raise_signal(signal.SIGTERM)",
    "signal.raise_signal(signal.SIGHUP)",
    "os.killpg(os.getpgid(0), signal.SIGTERM)",
    "signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)",
    "os._exit(3)",
    "os.abort()",
]


def _notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in (
        "import os, signal, threading\nprint('before')", source, "print('after')")]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("source", SELF_SIGNALS)
def test_a_cell_cannot_stop_its_own_process(source, tmp_path):
    """The cell fails, naming what it did; the notebook stops there, as a kernel's death
    stops it under papermill; the process (perfkit, a batch worker) runs the next notebook.
    Run in a child process in a session of its own, so a failure cannot reach the tests."""
    import subprocess
    import sys

    first = _notebook(tmp_path / "signals.ipynb", source)
    second = _notebook(tmp_path / "next.ipynb", "print('the next quarter')")
    done = subprocess.run([sys.executable, "-c", RUNNER, str(first), str(second)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          start_new_session=True)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    lines = done.stdout.splitlines()
    assert lines[-3].startswith(f"{first} failed in cell 2 OwnProcessError this cell "), lines
    assert "its own process" in lines[-3] and "DeadKernelError" in lines[-3]
    assert lines[-2:] == [f"{second} ran", "perfkit carried on"]
    outputs = [c for c in nbformat.read(f"{first}.out", as_version=4).cells
               if c.cell_type == "code"]
    assert [o.get("text") for o in outputs[0].outputs] == ["before\n"]
    assert outputs[2].outputs == []  # the run stopped at the failing cell


def test_autokill_fails_the_notebook_both_ways(tmp_path):
    """nbclient's own Autokill.ipynb: a kernel dies; in-process the cell fails. Either way
    papermill fails the notebook, and only the kernel's process is gone."""
    kernel, kernel_failed = run(NBCLIENT / "Autokill.ipynb", tmp_path, None)
    in_process, failed = run(NBCLIENT / "Autokill.ipynb", tmp_path, "perfkit")
    assert kernel_failed == "DeadKernelError"
    assert failed == "PapermillExecutionError"
    assert in_process[0][-1][:2] == ("error", "OwnProcessError")


@pytest.mark.parametrize("source, shown", [
    # The notebook's own handler runs, in a kernel and in-process alike.
    ("signal.signal(signal.SIGUSR1, lambda n, f: print('handled', n))\n"
     "os.kill(os.getpid(), signal.SIGUSR1)", f"handled {int(__import__('signal').SIGUSR1)}\n"),
    # A forked child still ends itself as it means to.
    ("pid = os.fork()\nif pid == 0:\n    os._exit(7)\nprint(os.waitstatus_to_exitcode("
     "os.waitpid(pid, 0)[1]))", "7\n"),
    # Harmless signals, and signal 0 (does the process exist?), go through.
    ("os.kill(os.getpid(), 0); signal.raise_signal(signal.SIGWINCH); print('fine')", "fine\n"),
])
def test_signals_a_kernel_would_survive_still_go_through(source, shown, tmp_path):
    path = _notebook(tmp_path / "ok.ipynb", source)
    kernel, kernel_failed = run(path, tmp_path, None)
    in_process, failed = run(path, tmp_path, "perfkit")
    assert (failed, kernel_failed) == (None, None)
    assert in_process == kernel
    assert in_process[1] == [("stream", "stdout", shown)]
