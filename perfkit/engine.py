"""A papermill engine that runs the notebook in the calling process, in an IPython shell.

``papermill --engine perfkit in.ipynb out.ipynb`` (and ``perfkit report`` by default) runs
every cell in this process's main thread, in a fresh :class:`IPython.core.interactiveshell.
InteractiveShell` per notebook. Display outputs, results, printed text and errors become the
same nbformat outputs a kernel would give, so papermill's error-cell marking and the exported
page are unchanged. What is given up against a real kernel: isolation (a crash in a cell is
a crash of the caller), and output written straight to file descriptors is not captured.

papermill imports every registered engine when it is itself imported, so this module must
import cheaply and never fail: it imports nothing heavy at module level, and the papermill
``Engine`` subclass is built on first use (:func:`engine_class`).
"""

from __future__ import annotations

import io
import platform
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["InProcessEngine", "engine_class"]


class InProcessEngine:
    """The object the ``papermill.engine`` entry point names; papermill calls its class methods.

    It forwards to the real :class:`papermill.engines.Engine` subclass, which cannot be
    defined here without importing papermill (a circular import when papermill loads us).
    """

    @classmethod
    def execute_notebook(cls, nb, kernel_name, **kwargs):
        return engine_class().execute_notebook(nb, kernel_name, **kwargs)

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        return engine_class().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    @classmethod
    def nb_kernel_name(cls, nb, name=None):
        return engine_class().nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb, language=None):
        return engine_class().nb_language(nb, language)


_ENGINE = None


def engine_class():
    """papermill's ``Engine`` subclass that runs cells in-process (built once, on first use)."""
    global _ENGINE
    if _ENGINE is None:
        from papermill.engines import Engine

        class _InProcess(Engine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, execution_timeout=None,
                                         log_output=False, stdout_file=None,
                                         stderr_file=None, **kwargs):
                run_cells(nb_man, execution_timeout=execution_timeout, log_output=log_output,
                          stdout_file=stdout_file, stderr_file=stderr_file)
                return nb_man.nb

        _ENGINE = _InProcess
    return _ENGINE


class CellTimeout(TimeoutError):
    """A cell ran longer than papermill's ``execution_timeout``."""


# -- running the cells ----------------------------------------------------------------------

def run_cells(nb_man, execution_timeout: float | None = None, log_output: bool = False,
              stdout_file=None, stderr_file=None) -> None:
    """Run each code cell of ``nb_man.nb`` in a fresh shell, recording outputs as a kernel would.

    A cell that raises an ``Exception`` stops the run with a kernel-shaped error output, which
    papermill then reports. Anything else raised in a cell (KeyboardInterrupt, or perfkit's
    own stop signals) is recorded the same way and then raised again, so the caller stops.
    """
    if execution_timeout and threading.current_thread() is not threading.main_thread():
        raise RuntimeError("the in-process engine enforces execution_timeout with SIGALRM, "
                           "which works only in the main thread")
    nb = nb_man.nb
    with _shell() as shell:
        nb.metadata["language_info"] = _LANGUAGE_INFO | {"version": platform.python_version()}
        for index, cell in enumerate(nb.cells):
            try:
                nb_man.cell_start(cell, index)
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                failure = shell.run_notebook_cell(cell, execution_timeout)
                _echo(cell, log_output, {"stdout": stdout_file, "stderr": stderr_file})
                if failure is not None:
                    nb_man.cell_exception(cell, cell_index=index, exception=failure)
                    if not isinstance(failure, (Exception, SystemExit)):
                        raise failure
                    break
            finally:
                nb_man.cell_complete(cell, cell_index=index)


def _echo(cell, log_output: bool, files: dict) -> None:
    """What papermill's kernel client does with a cell's printed text: log it, and copy it
    to ``--stdout-file``/``--stderr-file`` when given."""
    if not log_output and not any(files.values()):
        return
    from papermill.log import logger

    for output in cell.outputs:
        if output.output_type == "stream":
            if log_output:
                (logger.info if output.name == "stdout" else logger.warning)(output.text)
            if files.get(output.name):
                files[output.name].write(output.text)
                files[output.name].flush()
        elif log_output and "text/plain" in output.get("data", {}):
            logger.info(output.data["text/plain"])


_LANGUAGE_INFO = {
    "name": "python", "mimetype": "text/x-python", "file_extension": ".py",
    "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
    "nbconvert_exporter": "python",
}


@contextmanager
def _shell() -> Iterator[Any]:
    """A fresh shell, installed as IPython's singleton for the run, then taken down.

    ``display()`` finds the shell through the singleton, so it must be ours while cells run;
    any shell that was there before (perfkit called from a Jupyter kernel) is put back.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    klass = _shell_class()
    chain = [k for k in klass.mro() if "_instance" in vars(k) or k is klass]
    saved = {k: vars(k).get("_instance") for k in chain}
    main = sys.modules.get("__main__")
    for k in chain:
        k._instance = None
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # no history database, no saving thread
    config.InteractiveShell.colors = "neutral"
    config.InteractiveShell.autocall = 0
    shell = klass.instance(config=config)
    try:
        yield shell
    finally:
        import atexit

        # The shell registers an exit hook that would keep it, and the report's data, alive
        # for the life of the process. Its own teardown (reset) runs a full garbage
        # collection, 0.2-0.7 s: dropping the namespace and the history is enough.
        atexit.unregister(shell.atexit_operations)
        try:
            shell.user_ns.clear()
            shell.user_ns_hidden.clear()
            shell.history_manager.end_session()
            shell.history_manager.close()
        finally:
            shell.cleanup()
            klass.clear_instance()
            for k, instance in saved.items():
                k._instance = instance
            if main is not None:
                sys.modules["__main__"] = main


_SHELL_CLASS = None


def _shell_class():
    global _SHELL_CLASS
    if _SHELL_CLASS is not None:
        return _SHELL_CLASS
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Hook(DisplayHook):
        """A cell's last value becomes an ``execute_result``, as ipykernel sends it."""

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.shell.capture.result(format_dict, md_dict or {}, self.prompt_count)

        def finish_displayhook(self):
            self._is_active = False

    class Publisher(DisplayPublisher):
        """``display()`` becomes ``display_data``; ``clear_output`` clears the cell."""

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                    **kwargs):
            self.shell.capture.display(data, metadata or {}, transient or {}, update)

        def clear_output(self, wait=False):
            self.shell.capture.clear(wait)

    class Shell(InteractiveShell):
        displayhook_class = Hook
        display_pub_class = Publisher

        capture: _Capture | None = None

        def _showtraceback(self, etype, evalue, stb):
            self.capture.error(etype.__name__, str(evalue), list(stb))

        def run_notebook_cell(self, cell, timeout: float | None) -> BaseException | None:
            """Run one cell into ``cell.outputs``; return what it raised, if anything."""
            self.capture = _Capture(cell)
            cell.outputs = []
            streams = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = self.capture.stdout, self.capture.stderr
            try:
                with _alarm(timeout):
                    result = self.run_cell(cell.source, store_history=True)
            finally:
                sys.stdout, sys.stderr = streams
                self.capture.flush()
            cell.execution_count = result.execution_count
            return result.error_before_exec or result.error_in_exec

    _SHELL_CLASS = Shell
    return Shell


@contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    if not seconds:
        yield
        return

    def expired(signum, frame):
        raise CellTimeout(f"Cell execution timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    remaining = signal.setitimer(signal.ITIMER_REAL, seconds)[0]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining:  # an outer limit (perfkit's wall clock) keeps running
            signal.setitimer(signal.ITIMER_REAL, remaining)


class _Stream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while a cell runs: text kept for a stream output."""

    def __init__(self, capture: _Capture, name: str):
        self._capture, self.name, self._parts = capture, name, []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._capture.writing(self)
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        if self._parts:
            text, self._parts = "".join(self._parts), []
            self._capture.stream(self.name, text)

    @property
    def encoding(self) -> str:
        return "utf-8"

    def isatty(self) -> bool:
        return False


class _Capture:
    """The outputs of one cell, in the order a kernel would send them."""

    def __init__(self, cell):
        from nbformat import v4

        self._v4 = v4
        self.cell = cell
        self.stdout, self.stderr = _Stream(self, "stdout"), _Stream(self, "stderr")
        self._clear_pending = False
        self._display_ids: dict[str, list] = {}

    def flush(self) -> None:
        self.stdout.flush()
        self.stderr.flush()

    def writing(self, stream: _Stream) -> None:
        """Keep printed text in the order it was written across the two streams."""
        (self.stderr if stream is self.stdout else self.stdout).flush()

    def _append(self, output) -> None:
        if self._clear_pending:
            self.cell.outputs.clear()
            self._clear_pending = False
        outputs = self.cell.outputs
        # A kernel's consecutive writes to one stream arrive as one output in the notebook.
        if (output.output_type == "stream" and outputs and outputs[-1].output_type == "stream"
                and outputs[-1].name == output.name):
            outputs[-1].text += output.text
        else:
            outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        self._append(self._v4.new_output("stream", name=name, text=text))

    def result(self, data: dict, metadata: dict, count: int) -> None:
        self.flush()
        self._append(self._v4.new_output("execute_result", data=data, metadata=metadata,
                                         execution_count=count))

    def display(self, data: dict, metadata: dict, transient: dict, update: bool) -> None:
        self.flush()
        display_id = transient.get("display_id")
        if update:
            for output in self._display_ids.get(display_id, []):
                output.data, output.metadata = data, metadata
            return
        output = self._v4.new_output("display_data", data=data, metadata=metadata)
        if display_id:
            self._display_ids.setdefault(display_id, []).append(output)
        self._append(output)

    def clear(self, wait: bool) -> None:
        self.flush()
        if wait:
            self._clear_pending = True
        else:
            self.cell.outputs.clear()

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self.flush()
        self._append(self._v4.new_output("error", ename=ename, evalue=evalue,
                                         traceback=traceback))
