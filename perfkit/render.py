"""Render a quarter: run the notebook with papermill, then make the set's files.

Every file of a quarter is written into a staging folder and published as one set
(:mod:`perfkit.publish`), so a failed or killed run never replaces the last good report.
The pages themselves are made in :mod:`perfkit.pages`; several quarters at once, in
:mod:`perfkit.batch`.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from perfkit.errors import OutOfTime, ParamsError, RenderError, Stopped
from perfkit.pages import PACKAGE, _css, export_html
from perfkit.publish import keep_failed, publishing

# The notebook ships in the wheel, the default for a params file that names none
# (perfkit.notebook); the project's notebooks/ holds the copy its params file names.
NOTEBOOK = PACKAGE / "notebooks" / "quarterly_report.ipynb"

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
    indexed: int = 0  # the quarters index.html at the output root listed after this run


def output_folder(out_root: Path, slug: str) -> Path:
    """The run's folder under the output root; a slug cannot climb out of it."""
    root = out_root.resolve()
    folder = (root / slug).resolve()
    if folder.parent != root:
        raise ParamsError(f"output folder {folder} is outside the output root {root}")
    return folder


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
    if params.covering or not kernel:  # charts will be drawn in this process
        from perfkit import vega

        vega.start()  # vl-convert's engine starts on another core while the data is checked
    notebook = choose_notebook(params, params_path, notebook)
    if allow_empty:  # a quarter with no updates is refused unless asked for
        params = params.model_copy(update={"allow_empty": True})
    if pdf:  # a missing renderer fails before the notebook runs
        from perfkit import vega
        from perfkit.pdf import PdfHelper, require_renderer

        # With a second core, a helper draws the PDFs and this process never imports
        # WeasyPrint; the helper says whether its system libraries load before the notebook.
        require_renderer(here=not vega.helpers_wanted())
    if docx:
        from perfkit.word import require_writer

        require_writer()
    folder = output_folder(Path(out_root), params.slug)
    started = time.monotonic()
    deadline = started + timeout if timeout else None
    pdf_helper = PdfHelper() if pdf and vega.helpers_wanted() else None
    try:
        # Bad input is found before anything is written, the output folder included.
        with time_limit(timeout):
            inputs = _inputs(params_path, params, data, pdf)
            if pdf_helper:  # WeasyPrint loaded there meanwhile, or this says what to install
                pdf_helper.check()
        # The run then holds the quarter's lock and writes into a staging folder; the set
        # is published in one swap when the block ends, or not at all.
        with publishing(folder.parent, params.slug) as staging:
            with time_limit(deadline and max(0.001, deadline - time.monotonic())):
                files, rendered = _make(inputs, folder, notebook, staging.path / "report.ipynb",
                                        kernel, timeout, pdf, docx, pdf_helper)
            for name, content in files.items():
                staging.write(name, content)
            # Under the lock, the published folder still holds the last set.
            from perfkit.changes import compare, describe

            changes = describe(compare(folder, staging.path, pdf=pdf, docx=docx))
        indexed = _write_index(folder.parent, params.organisation)
    except OutOfTime:
        raise RenderError(f"{params_path}: rendering took longer than the limit of "
                          f"{timeout:g} s (perfkit report --timeout); nothing was "
                          "published and the last good report is unchanged") from None
    finally:
        if pdf_helper:
            pdf_helper.close()
    return replace(rendered, changes=tuple(changes), seconds=time.monotonic() - started,
                   indexed=indexed)


def _write_index(out_root: Path, organisation: str) -> int:
    """``index.html`` at the output root, rewritten now that this quarter is published;
    returns how many quarters it lists."""
    from perfkit.index import index_page, read_quarters
    from perfkit.publish import publish_index

    listed = []

    def build(root: Path) -> str:
        listed[:] = read_quarters(root)
        return index_page(listed, organisation, _css())

    publish_index(out_root, build)
    return len(listed)


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


def _inputs(params_path: Path, params, data: Path, pdf: bool = False) -> _Inputs:
    """Validate the scheme, the data and the covering report, and work out the quarter.

    The covering report is built here, once: checked before the notebook runs, and with
    ``pdf`` rendered also as the print copy that links to ``report.pdf``.
    """
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
                                  title=f"Covering report – {params.heading}",
                                  print_appendix="report.pdf" if pdf else None)
    return _Inputs(params_path, params, data, scheme, dataset, summary, covering, covering_path)


def _make(inputs: _Inputs, folder: Path, notebook: Path, executed: Path, kernel: bool,
          timeout: float | None, pdf: bool, docx: bool = False,
          pdf_helper=None) -> tuple[dict[str, str | bytes], Rendered]:
    """Run the notebook (papermill writes it to ``executed``) and make the other files.

    ``pdf_helper`` (a :class:`~perfkit.pdf.PdfHelper`) draws the PDFs when given."""
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
    from perfkit import pages

    # cabinet.pdf needs nothing of the notebook: on a second core it is drawn meanwhile.
    cabinet_pdf = pages.start_cabinet_pdf(covering, params, pdf_helper) if pdf else None
    try:
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
            files["cabinet.html"] = pages.cabinet_page(covering, params, "report.html")
        if pdf:
            files.update(pages.pdfs(page, covering, params, cabinet_pdf, pdf_helper))
        if docx:
            files.update(pages.docx(files))
    finally:
        if cabinet_pdf:
            cabinet_pdf.cancel()  # nothing, once its PDF is taken; else a failed run's helper
    rendered = Rendered(folder, folder / "report.html", folder / "report.ipynb",
                        folder / "summary.json",
                        folder / "cabinet.html" if covering else None,
                        tuple(str(w) for w in covering.warnings) if covering else (),
                        tuple(folder / name for name in files if name.endswith(".pdf")),
                        tuple(folder / name for name in files if name.endswith(".docx")))
    return files, rendered


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
    Logging is off meanwhile (see :func:`perfkit.batch._quiet_from_now`), and as it was
    afterwards.
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


