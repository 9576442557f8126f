"""Render a quarter: run the notebook with papermill, export one offline HTML file.

Every file of a quarter is written into a staging folder and published as one set
(:mod:`perfkit.publish`), so a failed or killed run never replaces the last good report.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from perfkit.errors import (
    Interrupted, OutOfTime, ParamsError, PerfkitError, RenderError, Stopped,
)
from perfkit.publish import keep_failed, publishing

PACKAGE = Path(__file__).resolve().parent
# The notebook ships in the wheel, the default for a params file that names none
# (perfkit.notebook); the project's notebooks/ holds the copy its params file names.
NOTEBOOK = PACKAGE / "notebooks" / "quarterly_report.ipynb"
TEMPLATES = PACKAGE / "templates"
TEMPLATE = "perfkit_report"


@dataclass(frozen=True)
class Rendered:
    """The files one run wrote, and what the officer should look at again."""

    folder: Path
    html: Path
    notebook: Path
    summary: Path
    cabinet: Path | None = None
    warnings: tuple[str, ...] = ()
    pdfs: tuple[Path, ...] = ()
    docs: tuple[Path, ...] = ()  # cabinet.docx and report.docx, with --docx
    changes: tuple[str, ...] = ()  # what the run added, replaced and removed, for the log
    seconds: float = 0.0  # how long the render took


def output_folder(out_root: Path, slug: str) -> Path:
    """The run's folder under the output root; a slug cannot climb out of it."""
    root = out_root.resolve()
    folder = (root / slug).resolve()
    if folder.parent != root:
        raise ParamsError(f"output folder {folder} is outside the output root {root}")
    return folder


def export_html(notebook, title: str, context: dict | None = None) -> str:
    """The executed notebook as one self-contained page: its outputs, no inputs, no CDN.

    Markdown cells are prose with ``context``'s fields filled in (:mod:`perfkit.cells`);
    charts and DataFrames the analyst shows become figures and tables like perfkit's own.

    Written straight from perfkit's Jinja template rather than through nbconvert: the page
    needs none of nbconvert's cell markup, and its exporter (import, template compile and a
    BeautifulSoup pass over the page) was the largest cost of a report after the notebook.
    """
    from markupsafe import Markup

    from perfkit.cells import page_parts

    parts = [Markup(html) for html in page_parts(notebook, context)]
    return _page_template().render(title=title, css=Markup(_css()), outputs=parts)


def _output_html(output) -> str:
    """One cell output as HTML (:func:`perfkit.cells.output_html`)."""
    from perfkit.cells import output_html

    return output_html(output)


_TEMPLATES: dict = {}


def _page_template():
    if "page" not in _TEMPLATES:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(loader=FileSystemLoader(TEMPLATES / TEMPLATE),
                          autoescape=select_autoescape(["j2"]))
        _TEMPLATES["page"] = env.get_template("report.html.j2")
    return _TEMPLATES["page"]


def _css() -> str:
    return (TEMPLATES / TEMPLATE / "report.css").read_text(encoding="utf-8")


DEFAULT_TIMEOUT = 300  # seconds; the sample renders in a few, so this only stops a hang
ENGINE = "perfkit"  # perfkit's in-process papermill engine (perfkit.engine)


def render(params_path: str | Path, out_root: str | Path = "outputs",
           notebook: Path | None = None, pdf: bool = False, *, kernel: bool = False,
           timeout: float | None = DEFAULT_TIMEOUT, allow_empty: bool = False,
           docx: bool = False) -> Rendered:
    """Render one params file into ``out_root/<year>-<yy>-Q<n>/``.

    With ``pdf``, ``report.pdf`` (and ``cabinet.pdf``) are drawn from the same pages; with
    ``docx``, ``report.docx`` (and ``cabinet.docx``) for committee systems.

    The data are validated before the notebook runs, so bad input fails fast with every
    problem listed (a :class:`~perfkit.errors.DataError`). By default the notebook runs in
    this process (perfkit's papermill engine), reusing the data validated here; with
    ``kernel=True`` it runs in a real Jupyter kernel, as JupyterLab would. ``timeout`` is
    the wall-clock limit on the render, in seconds (``None`` for none); past it the render
    stops with a :class:`~perfkit.errors.RenderError` and nothing is published.

    The notebook run is ``notebook`` when given, else the one the params file names
    (``notebook:``), else the one perfkit ships.
    """
    from perfkit.notebook import choose_notebook
    from perfkit.params import load_params

    params_path = Path(params_path)
    params, data = load_params(params_path)
    notebook = choose_notebook(params, params_path, notebook)
    if allow_empty:  # a quarter with no updates is refused unless asked for
        params = params.model_copy(update={"allow_empty": True})
    if pdf:  # a missing renderer fails before the notebook runs
        from perfkit.pdf import require_renderer

        require_renderer()
    if docx:
        from perfkit.word import require_writer

        require_writer()
    folder = output_folder(Path(out_root), params.slug)
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    try:
        # Bad input is found before anything is written, the output folder included.
        with time_limit(timeout):
            inputs = _inputs(params_path, params, data)
        # The run then holds the quarter's lock and writes into a staging folder; the set
        # is published in one swap when the block ends, or not at all.
        with publishing(folder.parent, params.slug) as staging:
            with time_limit(deadline and max(0.001, deadline - time.monotonic())):
                files, rendered = _make(inputs, folder, notebook, staging.path / "report.ipynb",
                                        kernel, timeout, pdf, docx)
            for name, content in files.items():
                staging.write(name, content)
            # Under the lock, the published folder still holds the last set.
            from perfkit.changes import compare, describe

            changes = describe(compare(folder, staging.path, pdf=pdf, docx=docx))
        _write_index(folder.parent, params.organisation)
    except OutOfTime:
        raise RenderError(f"{params_path}: rendering took longer than the limit of "
                          f"{timeout:g} s (perfkit report --timeout); nothing was "
                          "published and the last good report is unchanged") from None
    return replace(rendered, changes=tuple(changes), seconds=time.monotonic() - started)


def _write_index(out_root: Path, organisation: str) -> None:
    """``index.html`` at the output root, rewritten now that this quarter is published."""
    from perfkit.index import index_page, read_quarters
    from perfkit.publish import publish_index

    publish_index(out_root, lambda root: index_page(read_quarters(root), organisation, _css()))


@dataclass(frozen=True)
class _Inputs:
    """One quarter's checked inputs: everything the notebook and the pages are made from."""

    params_path: Path
    params: object
    data: Path
    scheme: object
    dataset: object
    summary: object
    covering: object | None
    covering_path: Path | None


def _inputs(params_path: Path, params, data: Path) -> _Inputs:
    """Validate the scheme, the data and the covering report, and work out the quarter."""
    from perfkit import cache
    from perfkit.params import layout_path, resolve_beside
    from perfkit.scheme import load_scheme

    scheme = load_scheme(params.scheme, params_path.resolve().parent)
    dataset, summary = cache.summarise(data, params.year, params.quarter, scheme,
                                       allow_empty=params.allow_empty,
                                       layout=layout_path(params, params_path.resolve().parent))
    covering = covering_path = None
    if params.covering:
        # Checked before the notebook runs: an unknown field fails fast, naming its line.
        from perfkit.covering import build_covering

        covering_path = resolve_beside(params_path, params.covering)
        covering = build_covering(covering_path, summary, dataset.risks,
                                  organisation=params.organisation,
                                  plan_span=params.plan_span,
                                  title=f"Covering report – {params.heading}")
    return _Inputs(params_path, params, data, scheme, dataset, summary, covering, covering_path)


def _make(inputs: _Inputs, folder: Path, notebook: Path, executed: Path, kernel: bool,
          timeout: float | None, pdf: bool,
          docx: bool = False) -> tuple[dict[str, str | bytes], Rendered]:
    """Run the notebook (papermill writes it to ``executed``) and make the other files."""
    from perfkit.params import layout_path, resolve_data
    from perfkit.scheme import scheme_reference

    params, covering, summary = inputs.params, inputs.covering, inputs.summary
    # The page names the data as the params file does when the notebook's folder finds the
    # same data by that name; an absolute path is the server's business, not the public's.
    named = (params.data if not Path(params.data).is_absolute()
             and resolve_data(params.data, notebook.parent) == inputs.data else inputs.data)
    layout = layout_path(params, inputs.params_path.resolve().parent)
    parameters = {"data": str(named), "year": params.year, "quarter": params.quarter,
                  "organisation": params.organisation, "title": params.title,
                  "covering": str(inputs.covering_path) if covering else None,
                  "plan_span": params.plan_span,
                  "scheme": scheme_reference(params.scheme,
                                             inputs.params_path.resolve().parent),
                  "allow_empty": params.allow_empty,
                  # Only when set, so a notebook of the council's own from before layouts runs.
                  **({"layout": str(layout)} if layout else {})}
    try:
        nb = execute(notebook, parameters, executed, kernel=kernel, timeout=timeout)
    except NotebookFailed as err:
        failed = keep_failed(folder.parent, params.slug, "report.failed.ipynb",
                             executed.read_bytes())
        raise RenderError(f"{inputs.params_path}: {err} The executed notebook, with the "
                          f"failing cell marked, is {failed}") from None
    from perfkit.covering import fields
    from perfkit.figures import figures_csv

    page = export_html(nb, params.heading, fields(summary, params.organisation))
    files: dict[str, str | bytes] = {
        "report.html": page,
        "summary.json": summary_json(summary, covering.warnings if covering else ()),
        "figures.csv": figures_csv(summary)}
    if covering:
        files["cabinet.html"] = cabinet_page(covering, params, "report.html")
    if pdf:
        files.update(_pdfs(page, inputs.covering_path if covering else None, summary,
                           inputs.dataset, params))
    if docx:
        from perfkit.word import to_docx

        files["report.docx"] = to_docx(page)
        if covering:
            files["cabinet.docx"] = to_docx(files["cabinet.html"])
    rendered = Rendered(folder, folder / "report.html", folder / "report.ipynb",
                        folder / "summary.json",
                        folder / "cabinet.html" if covering else None,
                        tuple(str(w) for w in covering.warnings) if covering else (),
                        tuple(folder / name for name in files if name.endswith(".pdf")),
                        tuple(folder / name for name in files if name.endswith(".docx")))
    return files, rendered


def _pdfs(page: str, covering_path: Path | None, summary, dataset,
          params) -> dict[str, bytes]:
    """report.pdf from the appendix's page; cabinet.pdf from a covering page that links to it."""
    from perfkit.covering import build_covering
    from perfkit.pdf import to_pdf

    pdfs = {"report.pdf": to_pdf(page)}
    if covering_path:
        # In print the covering report travels with the PDF appendix, so it links to that.
        covering = build_covering(covering_path, summary, dataset.risks,
                                  organisation=params.organisation, plan_span=params.plan_span,
                                  title=f"Covering report – {params.heading}",
                                  appendix="report.pdf")
        pdfs["cabinet.pdf"] = to_pdf(cabinet_page(covering, params, "report.pdf"))
    return pdfs


def summary_json(summary, warnings=()) -> str:
    """``summary.json``: the quarter's rollup, its travel and persistent exceptions, and the
    officer's checks (``warnings``: figures typed by hand in the covering report), which stay
    off the page."""
    shape = summary.to_summary()
    shape["warnings"] = [str(w) for w in warnings]
    return json.dumps(shape, indent=2) + "\n"


def export_notebook(notebook, base: str | Path | None = None) -> dict[str, str]:
    """``report.html`` and ``summary.json`` from a notebook the papermill CLI executed.

    The parameters papermill injected say which data and quarter; a relative ``data`` path
    is resolved from ``base`` (default: the current folder), as the notebook resolved it.
    These are the files ``perfkit report`` writes for the same parameters.
    """
    from perfkit import cache
    from perfkit.params import check_params, layout_path, resolve_data

    from perfkit.scheme import load_scheme

    values = dict(notebook.metadata.get("papermill", {}).get("parameters", {}))
    params = check_params(values, "the notebook's parameters")
    folder = Path(base) if base else Path.cwd()
    data = resolve_data(params.data, folder)
    scheme = load_scheme(params.scheme, folder)
    _, summary = cache.summarise(data, params.year, params.quarter, scheme,
                                 allow_empty=params.allow_empty,
                                 layout=layout_path(params, folder))
    warnings = []
    if params.covering:
        from perfkit.covering import hand_typed, read_source

        source = resolve_data(params.covering, folder)
        warnings = hand_typed(read_source(source), params.year, params.plan_span, source.name)
    from perfkit.covering import fields

    return {"report.html": export_html(notebook, params.heading,
                                       fields(summary, params.organisation)),
            "summary.json": summary_json(summary, warnings)}


class NotebookFailed(RenderError):
    """A cell of the notebook raised; papermill has written the notebook with it marked."""


def execute(notebook: Path, parameters: dict, output: Path, *, kernel: bool = False,
            timeout: float | None = None):
    """Run the notebook with papermill, which writes it to ``output`` once, at the end.

    A failing cell raises :class:`NotebookFailed`; ``output`` then holds the executed
    notebook with papermill's marker on that cell.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    options: dict = dict(progress_bar=False, log_output=False, cwd=str(notebook.parent),
                         kernel_name="python3",
                         # Saves after every cell are for watching a long run; a report
                         # is written once, when it is whole.
                         request_save_on_cell_execute=False)
    cleanup = ExitStack()
    if kernel:
        from perfkit.kernel_files import kernel_files

        # The kernel talks to this process over loopback only; its warning that TCP is
        # unencrypted would be noise in every scheduled run's log.
        options.update(extra_arguments=["--IPKernelApp.log_level=ERROR"],
                       execution_timeout=timeout, shutdown_kernel="immediate")
        # Its connection file is perfkit's, removed however the run ends.
        options.update(cleanup.enter_context(kernel_files()))
    else:
        from papermill.engines import papermill_engines

        from perfkit.engine import InProcessEngine

        # The entry point registers it too; this covers a source tree never pip-installed.
        papermill_engines.register(ENGINE, InProcessEngine)
        options.update(engine_name=ENGINE)
    try:
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters,
                                   **options)
    except PapermillExecutionError as err:
        raise NotebookFailed(f"the report notebook failed at cell {err.exec_count} "
                             f"({err.ename}: {err.evalue}).") from None
    except Exception as err:
        if type(err).__name__ == "CellTimeoutError":  # nbclient's, under --kernel
            raise OutOfTime(timeout or 0) from None
        raise
    except Stopped:
        if kernel:
            _settle_kernel_client()
        raise
    finally:
        cleanup.close()


def _settle_kernel_client() -> None:
    """After a stop mid-cell, end the kernel client's waiting tasks and take their errors.

    A signal leaves nbclient's coroutines for the cell suspended; once the kernel is gone
    they fail with DeadKernelError, which asyncio would print as a traceback at exit.
    Logging is off meanwhile (see :func:`_quiet_from_now`), and as it was afterwards.
    """
    import asyncio
    import logging

    from jupyter_core.utils import ensure_event_loop

    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        loop = ensure_event_loop()

        def quiet(loop, context):
            if type(context.get("exception")).__name__ != "DeadKernelError":
                loop.default_exception_handler(context)

        loop.set_exception_handler(quiet)
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    except Exception:  # best effort: the run is stopping either way
        pass
    finally:
        logging.disable(before)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`~perfkit.errors.OutOfTime` in the main thread after ``seconds``.

    SIGALRM interrupts whatever the main thread runs, a notebook cell included. Elsewhere
    (a thread) no limit is set.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise OutOfTime(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cabinet_page(covering, params, appendix: str) -> str:
    """The covering report as one self-contained page, styled like the appendix."""
    import datetime as dt

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from perfkit import __version__

    env = Environment(loader=FileSystemLoader(TEMPLATES / TEMPLATE),
                      autoescape=select_autoescape(["j2"]))
    from markupsafe import Markup  # the body was sanitised by nh3; the CSS is ours

    css = (TEMPLATES / TEMPLATE / "report.css").read_text(encoding="utf-8")
    return env.get_template("cabinet.html.j2").render(
        title=covering.title, organisation=params.organisation, appendix=appendix,
        body=Markup(covering.body), css=Markup(css), year=params.year,
        quarter=params.quarter, version=__version__,
        rendered=dt.datetime.now().astimezone().strftime("%d %B %Y at %H:%M %Z").strip())


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
