"""A papermill engine that runs the notebook in the calling process, in an IPython shell.

``papermill --engine perfkit in.ipynb out.ipynb`` (and ``perfkit report`` by default) runs
every cell in this process's main thread, in a fresh :class:`IPython.core.interactiveshell.
InteractiveShell` per notebook. Display outputs, results, printed text and errors become the
same nbformat outputs a kernel would give, so papermill's error-cell marking and the exported
page are unchanged. Each notebook starts from the process state the one before it found:
what a notebook can change (pandas options, Altair's theme and renderer, warning filters,
environment variables, ``sys.path``, logging, signal handlers, modules imported from its
folder) is put back when it ends (:func:`isolated`). The notebook's folder is importable,
output written straight to file descriptors (``os.system``, subprocesses) is captured, and
nbclient's ``skip-execution`` and ``raises-exception`` tags are honoured, as a kernel does.
A cell that signals or ends its own process (``os.kill(os.getpid(), SIGTERM)``,
``signal.raise_signal``, ``os.killpg``, ``os._exit``), which would stop a kernel, fails with
:class:`OwnProcessError` naming what it did, so the notebook fails as a kernel's death fails it
under papermill and perfkit (or a batch worker) carries on (:func:`_own_process`).
What is given up against a real kernel: a crash in C code, or a signal sent from outside
Python code (``os.system("kill ...")``), is a crash of the caller, as a scheduler's SIGTERM
must be. ``get_ipython().kernel`` is the part of ipykernel's kernel a cell uses: its
``session`` and an ``iopub_socket`` whose messages become the cell's outputs (``Kernel``).

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

__all__ = ["InProcessEngine", "OwnProcessError", "engine_class"]


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
    with isolated(), _shell() as shell, _own_process():
        nb.metadata["language_info"] = _LANGUAGE_INFO | {"version": platform.python_version()}
        for index, cell in enumerate(nb.cells):
            try:
                nb_man.cell_start(cell, index)
                tags = cell.get("metadata", {}).get("tags", [])
                if (cell.cell_type != "code" or not cell.source.strip()
                        or SKIP_TAG in tags):
                    continue
                failure = shell.run_notebook_cell(cell, execution_timeout)
                _echo(cell, log_output, {"stdout": stdout_file, "stderr": stderr_file})
                if isinstance(failure, CellTimeout):
                    # As nbclient under a kernel: no error output in the cell, and its
                    # CellTimeoutError raised out of the run.
                    from nbclient.exceptions import CellTimeoutError

                    cell.outputs = [o for o in cell.outputs if o.get("ename") != "CellTimeout"]
                    nb_man.cell_exception(cell, cell_index=index, exception=failure)
                    raise CellTimeoutError.error_from_timeout_and_cell(
                        "Cell execution timed out", execution_timeout, cell) from None
                if failure is not None:
                    if not isinstance(failure, (Exception, SystemExit)):
                        nb_man.cell_exception(cell, cell_index=index, exception=failure)
                        raise failure
                    if RAISES_TAG in tags:
                        continue  # an error the author expects: the run goes on, as nbclient's
                    nb_man.cell_exception(cell, cell_index=index, exception=failure)
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


#: nbclient's tags: a cell not to run, and a cell whose error does not stop the run.
SKIP_TAG = "skip-execution"
RAISES_TAG = "raises-exception"


@contextmanager
def isolated() -> Iterator[None]:
    """Run a notebook with its folder importable, and put back what it changed when it ends.

    Batch workers render one quarter after another in one process, so a notebook that sets a
    pandas option, Altair's theme, a warning filter, an environment variable, ``sys.path``, a
    logging handler or a signal handler must not change the next quarter's report. Each is
    saved and put back (a few milliseconds; forking a child per notebook would isolate
    everything, but vl-convert's engine, running in a thread, does not survive a fork).
    Modules imported from the notebook's folder are forgotten, so the next notebook imports
    its own.
    """
    import logging
    import os
    import warnings

    folder = os.getcwd()
    environ, path, modules = dict(os.environ), list(sys.path), set(sys.modules)
    filters, showwarning = list(warnings.filters), warnings.showwarning
    loggers = [logging.getLogger(), *(logger for logger in
                                      logging.Logger.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    logged = {id(lg): (lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled)
              for lg in loggers}
    disabled = logging.root.manager.disable
    handlers = _signal_handlers()
    libraries = _library_state()
    sys.path.insert(0, folder)  # as a kernel started in the notebook's folder has it
    # As in a fresh kernel: the root logger has no handler (records reach the cell's stderr
    # through logging's last resort, or a handler the notebook adds), and a warning shown
    # once in this process is shown again.
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    show = warnings._showwarnmsg_impl
    warnings.filters[:] = _FRESH_FILTERS
    warnings.showwarning = warnings._showwarning_orig
    warnings._showwarnmsg_impl = _show_warning
    warnings.onceregistry.clear()
    warnings._filters_mutated()
    try:
        yield
    finally:
        if os.environ != environ:
            os.environ.clear()
            os.environ.update(environ)
        sys.path[:] = path
        _forget_modules(folder, set(sys.modules) - modules, path)
        warnings.filters[:] = filters
        warnings.showwarning, warnings._showwarnmsg_impl = showwarning, show
        warnings._filters_mutated()
        for lg, level, kept, propagate, off in logged.values():
            lg.level, lg.handlers[:], lg.propagate, lg.disabled = level, kept, propagate, off
        for lg in logging.Logger.manager.loggerDict.values():
            if isinstance(lg, logging.Logger) and id(lg) not in logged:
                lg.handlers.clear()  # a logger the notebook made: it logs nowhere now
        logging.disable(disabled)
        for number, handler in handlers.items():
            try:
                if handler is not None and signal.getsignal(number) is not handler:
                    signal.signal(number, handler)
            except (OSError, ValueError, TypeError):
                pass
        _restore_libraries(libraries)


#: The warning filters a fresh Python process starts with (the defaults of a release build),
#: as a kernel's notebook finds them; whatever this process has set (a test runner's
#: recording, a CLI's -W) is not the notebook's.
_FRESH_FILTERS = [("default", None, DeprecationWarning, "__main__", 0),
                  ("ignore", None, DeprecationWarning, None, 0),
                  ("ignore", None, PendingDeprecationWarning, None, 0),
                  ("ignore", None, ImportWarning, None, 0),
                  ("ignore", None, ResourceWarning, None, 0)]


def _show_warning(message) -> None:
    """Python's own way of showing a warning: its text on ``sys.stderr`` (the cell's)."""
    import warnings

    sys.stderr.write(warnings._formatwarnmsg(message))


def _forget_modules(folder: str, new: set[str], path: list[str]) -> None:
    """Forget the modules a notebook imported from its own folder (``import helper``), so
    the next notebook imports its own. A folder that was already importable is left alone:
    its modules (perfkit itself, run from a source tree) were there for everyone."""
    import os

    if os.path.realpath(folder) in {os.path.realpath(p or os.getcwd()) for p in path}:
        return
    for name in new:
        where = getattr(sys.modules.get(name), "__file__", None) or ""
        top = name.split(".")[0]
        if where.startswith(folder + os.sep):
            first = os.path.relpath(where, folder).split(os.sep)[0]
            if first == top or first.split(".")[0] == top:
                del sys.modules[name]


def _signal_handlers() -> dict[int, object]:
    """Each signal's handler as it stands, where Python can read it."""
    handlers = {}
    for number in signal.valid_signals():
        try:
            handlers[number] = signal.getsignal(number)
        except (OSError, ValueError):
            pass
    return handlers


def _library_state() -> dict:
    """Settings of the libraries a report notebook uses, when they are loaded."""
    state: dict = {}
    if "pandas" in sys.modules:
        import pandas as pd

        keys = pd._config.config._registered_options
        state["pandas"] = {key: pd.get_option(key) for key in keys
                           if key not in pd._config.config._deprecated_options}
    if "altair" in sys.modules:
        import altair as alt

        state["altair"] = (alt.theme.active, alt.renderers.active,
                           alt.data_transformers.active)
    if "numpy" in sys.modules:
        import numpy as np

        state["numpy"] = (np.get_printoptions(), np.geterr())
    return state


def _restore_libraries(state: dict) -> None:
    import contextlib

    if "pandas" in sys.modules:
        import pandas as pd

        registered = pd._config.config._registered_options
        # Loaded by the notebook itself: its defaults are what the next notebook would find.
        saved = state.get("pandas") or {key: option.defval for key, option in
                                        registered.items()}
        for key, value in saved.items():
            with contextlib.suppress(Exception):
                if pd.get_option(key) is not value and pd.get_option(key) != value:
                    pd.set_option(key, value)
    if "altair" in sys.modules:
        import altair as alt

        theme, renderer, transformer = state.get("altair", ("default", "default", "default"))
        with contextlib.suppress(Exception):
            if alt.theme.active != theme:
                alt.theme.enable(theme)
            if alt.renderers.active != renderer:
                alt.renderers.enable(renderer)
            if alt.data_transformers.active != transformer:
                alt.data_transformers.enable(transformer)
    if "numpy" in sys.modules and "numpy" in state:
        import numpy as np

        options, errors = state["numpy"]
        np.set_printoptions(**options)
        np.seterr(**errors)


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
    # ipykernel's compiler names each cell's code as a kernel does ("3573913704.py" in a
    # traceback or a SyntaxError), so the messages match the kernel's.
    from ipykernel.compiler import XCachingCompiler

    shell = klass.instance(config=config, compiler_class=XCachingCompiler)
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

    class IOPub:
        """The kernel's IOPub channel, in this process: a message a cell sends on it (through
        the kernel's Session, as ipykernel's own code does) becomes the output a frontend
        records from it. Messages a notebook never records (status, comms) are dropped."""

        def __init__(self, shell):
            self.shell = shell

        def send_multipart(self, parts, copy=True, track=False, **kwargs):
            session = self.shell.kernel.session
            _, frames = session.feed_identities([bytes(part) for part in parts], copy=True)
            msg = session.deserialize(frames, content=True, copy=True)
            kind, content, capture = msg["msg_type"], msg["content"], self.shell.capture
            if capture is None:
                return None
            if kind in ("display_data", "update_display_data"):
                capture.display(content.get("data", {}), content.get("metadata", {}),
                                content.get("transient", {}), kind == "update_display_data")
            elif kind == "execute_result":
                capture.result(content.get("data", {}), content.get("metadata", {}),
                               content.get("execution_count"),
                               content.get("transient", {}).get("display_id"))
            elif kind == "stream":
                capture.flush()
                capture.stream(content.get("name", "stdout"), content.get("text", ""))
            elif kind == "clear_output":
                capture.clear(bool(content.get("wait")))
            elif kind == "error":
                capture.error(content.get("ename", ""), content.get("evalue", ""),
                              list(content.get("traceback", [])))
            return None

        send = send_multipart

    class Kernel:
        """``get_ipython().kernel`` in-process: the parts of ipykernel's kernel a cell
        reaches for, made of the same pieces: a jupyter_client ``Session`` that signs and
        serialises messages, an ``iopub_socket`` they are sent on (:class:`IOPub`), and
        the ``shell``. There are no sockets to a frontend, as there is no frontend."""

        def __init__(self, shell):
            from jupyter_client.session import Session

            self.shell = shell
            self.session = Session(key=b"", username="perfkit")
            self.iopub_socket = IOPub(shell)
            self.execution_count = 0

    class Shell(InteractiveShell):
        displayhook_class = Hook
        display_pub_class = Publisher

        capture: _Capture | None = None
        #: Outputs by display id, across cells: a later cell's update_display reaches them.
        display_ids: dict | None = None
        streams: tuple | None = None
        _kernel: Kernel | None = None
        #: The request a kernel's messages answer; papermill's notebook records none of it.
        parent_header: dict = {}

        @property
        def kernel(self) -> Kernel:
            # Made on first use: most notebooks never ask (jupyter_client's Session is 0.1 s
            # to import where nothing has imported it).
            if self._kernel is None:
                self._kernel = Kernel(self)
            return self._kernel

        def _showtraceback(self, etype, evalue, stb):
            self.capture.error(etype.__name__, str(evalue), list(stb))

        def run_notebook_cell(self, cell, timeout: float | None) -> BaseException | None:
            """Run one cell into ``cell.outputs``; return what it raised, if anything."""
            if self.display_ids is None:
                self.display_ids = {}
            self.capture = _Capture(cell, self.display_ids)
            cell.outputs = []
            streams = sys.stdout, sys.stderr
            # One stdout and one stderr for the whole notebook, as a kernel has, each writing
            # into the running cell: a logging handler made in one cell writes into the next.
            if self.streams is None:
                self.streams = _Router(self, "stdout"), _Router(self, "stderr")
            sys.stdout, sys.stderr = self.streams
            try:
                with _no_stdin(), _descriptors(self.capture), _alarm(timeout):
                    result = self.run_cell(cell.source, store_history=True)
            finally:
                sys.stdout, sys.stderr = streams
                self.capture.flush()
            cell.execution_count = result.execution_count
            return result.error_before_exec or result.error_in_exec

    _SHELL_CLASS = Shell
    return Shell


class OwnProcessError(RuntimeError):
    """A cell signalled or ended the process it runs in: under a kernel, the kernel's."""


#: Signals whose default action is to do nothing: sending them harms no one.
_HARMLESS = {getattr(signal, name) for name in ("SIGCHLD", "SIGURG", "SIGWINCH", "SIGCONT")
             if hasattr(signal, name)}


@contextmanager
def _own_process() -> Iterator[None]:
    """A cell cannot signal or end this process (perfkit's, or a batch worker's): each way
    of doing it through Python raises :class:`OwnProcessError` in the cell instead, whose
    message says what a kernel would have done.

    A signal the notebook has set its own handler for still goes through (the handler runs,
    as in a kernel), and so does one whose default is to do nothing. Processes the cell
    starts or forks are not affected: only calls made in this process, about this process.
    """
    import os

    me, group = os.getpid(), os.getpgid(0)
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep

    def from_cell() -> bool:
        # The caller of the guard. perfkit's own code passes: its stop handlers end the
        # process on purpose (os._exit after a scheduler's SIGTERM).
        return not sys._getframe(2).f_code.co_filename.startswith(package)
    handlers = _signal_handlers()

    def reaches_us(signum) -> bool:
        number = int(signum)
        if number == 0 or number in _HARMLESS:
            return False  # 0 asks whether a process exists
        try:
            now = signal.getsignal(number)
        except (OSError, ValueError):
            return True
        # The notebook's own handler: it runs, as in a kernel. Otherwise the signal would
        # meet perfkit's handler or the default action (for most, the end of the process).
        return now is handlers.get(number) and now is not signal.SIG_IGN

    def refuse(what: str, signum=None):
        name = ""
        if signum is not None:
            try:
                name = f" {signal.Signals(int(signum)).name}"
            except ValueError:
                name = f" {int(signum)}"
        raise OwnProcessError(
            f"this cell {what}{name}: under a kernel that stops the kernel and papermill "
            "fails the notebook (DeadKernelError); perfkit runs notebooks in its own "
            "process, so it stops the cell instead")

    real = {"kill": os.kill, "killpg": os.killpg, "_exit": os._exit, "abort": os.abort,
            "raise_signal": signal.raise_signal, "pthread_kill": signal.pthread_kill}

    def kill(pid, signum):
        if (os.getpid() == me and pid in (me, 0, -1, -group) and reaches_us(signum)
                and from_cell()):
            refuse("sent its own process the signal", signum)
        return real["kill"](pid, signum)

    def killpg(pgid, signum):
        if os.getpid() == me and pgid in (group, 0) and reaches_us(signum) and from_cell():
            refuse("sent its own process group the signal", signum)
        return real["killpg"](pgid, signum)

    def raise_signal(signum):
        if os.getpid() == me and reaches_us(signum) and from_cell():
            refuse("raised the signal", signum)
        return real["raise_signal"](signum)

    def pthread_kill(thread_id, signum):
        if os.getpid() == me and reaches_us(signum) and from_cell():
            refuse("sent one of its own process's threads the signal", signum)
        return real["pthread_kill"](thread_id, signum)

    def _exit(status):
        if os.getpid() == me and from_cell():  # a forked child ends as it means to
            refuse(f"ended its own process (os._exit({status!r}))")
        return real["_exit"](status)

    def abort():
        if os.getpid() == me and from_cell():
            refuse("aborted its own process (os.abort())")
        return real["abort"]()

    guards = {os: {"kill": kill, "killpg": killpg, "_exit": _exit, "abort": abort},
              signal: {"raise_signal": raise_signal, "pthread_kill": pthread_kill}}
    for module, names in guards.items():
        for name, guard in names.items():
            setattr(module, name, guard)
    try:
        yield
    finally:
        for module, names in guards.items():
            for name in names:
                setattr(module, name, real[name])


@contextmanager
def _no_stdin() -> Iterator[None]:
    """``input()`` and ``getpass()`` fail as they do in a kernel run by papermill (which
    allows no input), rather than wait on this process's stdin: a scheduled run has no one
    to answer."""
    import builtins
    import getpass

    from IPython.core.error import StdinNotImplementedError

    def refuse(*args, **kwargs):
        raise StdinNotImplementedError(
            "raw_input was called, but this frontend does not support input requests.")

    saved = builtins.input, getpass.getpass
    builtins.input = getpass.getpass = refuse
    try:
        yield
    finally:
        builtins.input, getpass.getpass = saved


#: Output a cell writes straight to file descriptors, kept for its outputs (as a kernel does).
MAX_FD_OUTPUT = 8 * 1024 * 1024


@contextmanager
def _descriptors(capture: _Capture) -> Iterator[None]:
    """File descriptors 1 and 2 into scratch files while a cell runs, so that ``os.system``,
    subprocesses and C code print into the notebook, as under ipykernel."""
    import os
    import tempfile

    saved: dict[int, int] = {}
    files = {}
    try:
        for fd in (1, 2):
            files[fd] = tempfile.TemporaryFile()
            saved[fd] = os.dup(fd)
            os.dup2(files[fd].fileno(), fd)
    except OSError:  # no such descriptor (a daemon): Python-level capture only
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        for handle in files.values():
            handle.close()
        yield
        return
    read = {1: 0, 2: 0}

    def drain() -> list[tuple[str, str]]:
        """What was written to the descriptors since the last look, by stream."""
        found = []
        for fd, handle in files.items():
            if read[fd] >= MAX_FD_OUTPUT:
                continue
            handle.seek(read[fd])
            data = handle.read(MAX_FD_OUTPUT - read[fd])
            read[fd] += len(data)
            if data:
                found.append(("stdout" if fd == 1 else "stderr",
                              data.decode("utf-8", errors="replace")))
        return found

    capture.drain = drain
    try:
        yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        capture.flush()
        capture.drain = None
        for handle in files.values():
            handle.close()


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


class _Router(io.TextIOBase):
    """The notebook's ``sys.stdout`` or ``sys.stderr``: whatever is written goes to the cell
    running now, as ipykernel's streams do."""

    def __init__(self, shell, name: str):
        self._shell, self.name = shell, name

    def _target(self) -> _Stream:
        return getattr(self._shell.capture, self.name)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    @property
    def encoding(self) -> str:
        return "utf-8"

    def isatty(self) -> bool:
        return False


class _Capture:
    """The outputs of one cell, in the order a kernel would send them."""

    def __init__(self, cell, display_ids: dict | None = None):
        from nbformat import v4

        self._v4 = v4
        self.cell = cell
        self.stdout, self.stderr = _Stream(self, "stdout"), _Stream(self, "stderr")
        self._clear_pending = False
        self._display_ids: dict[str, list] = {} if display_ids is None else display_ids
        #: What the cell wrote straight to file descriptors since the last look (set while
        #: they are captured): taken in before each output, so the order holds.
        self.drain = None

    def flush(self) -> None:
        if self.drain is not None:
            for name, text in self.drain():
                stream = self.stdout if name == "stdout" else self.stderr
                stream.flush()
                (self.stderr if stream is self.stdout else self.stdout).flush()
                stream._parts.append(text)
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

    def result(self, data: dict, metadata: dict, count: int, display_id: str | None = None):
        self.flush()
        output = self._v4.new_output("execute_result", data=data, metadata=metadata,
                                     execution_count=count)
        if display_id:  # a result sent with a display id is updated by it, as a display is
            self._display_ids.setdefault(display_id, []).append(output)
        self._append(output)

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
