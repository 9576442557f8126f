"""Several quarters in one run: worker processes, signals and the outcome of each report.

The parent checks every params file and dataset once, then forks workers (at most one per
core) that inherit what it imported and validated; each renders quarters in turn with
:func:`perfkit.render.render`. SIGINT and SIGTERM stop the whole batch at once, and no
report is left half-written.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from perfkit.errors import Interrupted, OutOfTime, ParamsError, PerfkitError, RenderError
from perfkit.render import DEFAULT_TIMEOUT, Rendered, render, time_limit


@dataclass(frozen=True)
class Outcome:
    params: Path
    rendered: Rendered | None
    error: str | None
    bad_input: bool = False


@dataclass(frozen=True)
class Job:
    """One params file to render, and how."""

    params: Path
    out_root: Path
    notebook: Path | None = None  # None: the params file's notebook, else perfkit's
    kernel: bool = False
    timeout: float | None = DEFAULT_TIMEOUT
    named: bool = False  # in a batch, every message leads with its params file
    pdf: bool = False
    allow_empty: bool = False
    docx: bool = False


def _render_one(job: Job) -> Outcome:
    global _busy
    if _stopping:  # a worker told to stop takes on nothing new
        raise Interrupted(_stopping)
    try:
        _busy = True
        return Outcome(job.params, render(job.params, job.out_root, job.notebook, job.pdf,
                                          kernel=job.kernel, timeout=job.timeout,
                                          allow_empty=job.allow_empty, docx=job.docx), None)
    except RenderError as err:
        return Outcome(job.params, None, _naming(job, err))
    except PerfkitError as err:
        return Outcome(job.params, None, _naming(job, err), bad_input=True)
    except Exception as err:  # a worker must report, not vanish, so the others finish
        return Outcome(job.params, None, f"{job.params}: {type(err).__name__}: {err}")
    finally:
        _busy = False


def _naming(job: Job, err: Exception) -> str:
    """The error's message; in a batch, led by the params file it came from."""
    text = str(err)
    if not job.named or text.startswith(str(job.params)):
        return text
    return f"{job.params}: {text}"


def render_many(params_paths: Iterable[Path], out_root: Path, jobs: int | None = None,
                on_done: Callable[[Outcome], None] | None = None,
                notebook: Path | None = None, pdf: bool = False, *, kernel: bool = False,
                timeout: float | None = DEFAULT_TIMEOUT,
                allow_empty: bool = False, docx: bool = False) -> list[Outcome]:
    """Render several params files in worker processes, at most one per core.

    Each worker imports the toolchain once and renders several quarters in turn. A signal
    (:class:`~perfkit.errors.Interrupted`, raised by :func:`stop_on_signals`) stops every
    worker at once: no report is started after it, and none is half-written.
    """
    paths = list(params_paths)
    todo = [Job(Path(p), Path(out_root), notebook, kernel, timeout, len(paths) > 1, pdf,
                allow_empty, docx) for p in paths]
    if len(todo) == 1:
        outcome = _render_one(todo[0])
        if on_done:
            on_done(outcome)
        return [outcome]
    outcomes = []
    for outcome in _prepare(todo):
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    failed = {o.params for o in outcomes}
    todo = [job for job in todo if job.params not in failed]
    workers = max(1, min(len(todo), jobs or os.cpu_count() or 1))
    if todo:
        # Here, not at the top: a single report needs no pool.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        _warm_up()
        # fork: the workers start with what this process has imported and validated.
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_start,
                                   mp_context=multiprocessing.get_context("fork"))
        try:
            for future in as_completed([pool.submit(_render_one, job) for job in todo]):
                outcome = future.result()
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown()
    order = {job.params: i for i, job in enumerate(todo)}
    return sorted(outcomes, key=lambda o: order.get(o.params, -1))


def _prepare(todo: list[Job]) -> Iterator[Outcome]:
    """Validate every params file and dataset here, once, before the workers fork.

    The workers inherit the validated data (:mod:`perfkit.cache`), and a file with bad
    input is reported now, by name, without a worker's time. Each quarter's figures are
    left to the worker that renders it, so they are worked out in parallel.
    """
    from perfkit import cache
    from perfkit.notebook import choose_notebook
    from perfkit.params import layout_path, load_params
    from perfkit.scheme import load_scheme

    for job in todo:
        try:
            with time_limit(job.timeout):
                params, data = load_params(job.params)
                choose_notebook(params, job.params, job.notebook)
                base = job.params.resolve().parent
                cache.load(data, load_scheme(params.scheme, base), layout_path(params, base))
        except PerfkitError as err:
            yield Outcome(job.params, None, _naming(job, err), bad_input=True)
        except OutOfTime:
            yield Outcome(job.params, None, _naming(job, ParamsError(
                f"checking the data took longer than the limit of {job.timeout:g} s "
                "(perfkit report --timeout)")), bad_input=True)


def _warm_up() -> None:
    """Import the toolchain once, before forking, so no worker imports it again."""
    import IPython.core.interactiveshell  # noqa: F401
    import papermill  # noqa: F401

    import perfkit.sections  # noqa: F401  (pandas, altair, nh3)


# -- signals ---------------------------------------------------------------------------------

_stopping = 0  # the signal that told this process to stop, once one has
_busy = False  # a worker is rendering (so a signal must unwind it, not end it)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`~perfkit.errors.Interrupted` in the main thread.

    Only the first: a second Ctrl-C while the run cleans up must not cut the clean-up short.
    """
    def stop(signum, frame):
        global _stopping
        if _stopping:
            return
        _stopping = signum
        _quiet_from_now()
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _quiet_from_now() -> None:
    """A stopped process logs nothing more: the stop's one line says what happened.

    Libraries log as the render unwinds: nbclient's "Kernel died while waiting for execute
    reply." and asyncio's "Task exception was never retrieved" with a traceback, when the
    kernel has gone before its client noticed (a race a loaded machine wins).
    """
    import logging

    logging.disable(logging.CRITICAL)


def _worker_start() -> None:
    """In a worker: a signal unwinds the render in hand (removing what it had begun to
    write) and then ends the worker; an idle worker simply ends."""
    global _stopping, _busy
    _stopping, _busy = 0, False
    from perfkit import vega

    vega.draw_here()

    def stop(signum, frame):
        global _stopping
        if _stopping:
            return
        _stopping = signum
        _quiet_from_now()
        if _busy:
            raise Interrupted(signum)
        os._exit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, stop)


def _stop_workers(pool: ProcessPoolExecutor, grace: float = 5.0) -> None:
    """Tell every worker to stop, cancel what has not started, and wait a little."""
    import multiprocessing

    workers = multiprocessing.active_children()
    for worker in workers:
        if worker.pid:
            try:
                os.kill(worker.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.kill()
            worker.join(1)
