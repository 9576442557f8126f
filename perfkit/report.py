"""Render a quarter: run the notebook with papermill, export one offline HTML file.

Every file of a quarter is written into a staging folder and published as one set
(:mod:`perfkit.publish`), so a failed or killed run never replaces the last good report.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from perfkit.errors import ParamsError, PerfkitError, RenderError
from perfkit.publish import keep_failed, publishing

PACKAGE = Path(__file__).resolve().parent
# The notebook ships in the wheel; notebooks/ holds an identical copy for JupyterLab users
# (tests/test_notebook.py keeps the two the same).
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


def output_folder(out_root: Path, slug: str) -> Path:
    """The run's folder under the output root; a slug cannot climb out of it."""
    root = out_root.resolve()
    folder = (root / slug).resolve()
    if folder.parent != root:
        raise ParamsError(f"output folder {folder} is outside the output root {root}")
    return folder


def export_html(notebook, title: str) -> str:
    """The executed notebook as one self-contained page: no inputs, no prompts, no CDN."""
    from nbconvert import HTMLExporter

    from perfkit.inline import unwrap

    notebook.metadata["title"] = title
    for cell in notebook.cells:  # the page has its own stylesheet: no inline wrapper
        for output in cell.get("outputs", []):
            if "text/html" in output.get("data", {}):
                output["data"]["text/html"] = unwrap(output["data"]["text/html"])
    exporter = HTMLExporter(
        template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True, exclude_output_prompt=True, exclude_input_prompt=True,
        exclude_markdown=True, exclude_raw=True,
    )
    css = (TEMPLATES / TEMPLATE / "report.css").read_text(encoding="utf-8")
    body, _ = exporter.from_notebook_node(notebook, resources={"perfkit_css": css})
    return body


def render(params_path: str | Path, out_root: str | Path = "outputs",
           notebook: Path = NOTEBOOK, pdf: bool = False,
           allow_empty: bool = False) -> Rendered:
    """Render one params file into ``out_root/<year>-<yy>-Q<n>/``.

    With ``pdf``, ``report.pdf`` (and ``cabinet.pdf``) are drawn from the same pages.

    The data are validated before a kernel starts, so bad input fails fast with every
    problem listed (a :class:`~perfkit.errors.DataError`). A quarter with no updates is
    refused (:class:`~perfkit.errors.EmptyQuarterError`) unless ``allow_empty``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from perfkit.load import load_dataset
    from perfkit.params import load_params, resolve_beside
    from perfkit.scheme import load_scheme, scheme_reference
    from perfkit.summary import summarise

    params, data = load_params(params_path)
    if pdf:  # a missing renderer fails before the kernel starts
        from perfkit.pdf import require_renderer

        require_renderer()
    if allow_empty:
        params = params.model_copy(update={"allow_empty": True})
    here = Path(params_path).resolve().parent
    scheme = load_scheme(params.scheme, here)
    dataset = load_dataset(data, scheme)
    summary = summarise(dataset, params.year, params.quarter, scheme,
                        allow_empty=params.allow_empty)
    covering = None
    if params.covering:
        # Checked before the kernel starts: an unknown field fails fast, naming its line.
        from perfkit.covering import build_covering

        covering_path = resolve_beside(params_path, params.covering)
        covering = build_covering(covering_path, summary, dataset.risks,
                                  organisation=params.organisation,
                                  plan_span=params.plan_span,
                                  title=f"{params.heading}: covering report")
    folder = output_folder(Path(out_root), params.slug)
    # The whole run holds the quarter's lock and writes into a staging folder; the set is
    # published in one swap at the end, so the folder never mixes files of two runs.
    with publishing(folder.parent, params.slug) as staging:
        scratch = staging.path / "report.ipynb"
        try:
            nb = pm.execute_notebook(
                str(notebook), str(scratch),
                parameters={"data": str(data), "year": params.year, "quarter": params.quarter,
                            "organisation": params.organisation, "title": params.title,
                            "covering": str(covering_path) if covering else None,
                            "plan_span": params.plan_span,
                            "scheme": scheme_reference(params.scheme, here),
                            "allow_empty": params.allow_empty},
                progress_bar=False, log_output=False, cwd=str(notebook.parent),
                kernel_name="python3",
                # The kernel talks to this process over loopback only; its warning that TCP
                # is unencrypted would be noise in every scheduled run's log.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as err:
            failed = keep_failed(folder.parent, params.slug, "report.failed.ipynb",
                                 scratch.read_bytes())
            raise RenderError(f"{params_path}: the report notebook failed at cell "
                              f"{err.exec_count} ({err.ename}: {err.evalue}). The executed "
                              f"notebook, with the failing cell marked, is {failed}") from None
        page = export_html(nb, params.heading)
        staging.write("report.html", page)
        staging.write("summary.json", json.dumps(summary.rollup.to_summary(), indent=2) + "\n")
        if covering:
            staging.write("cabinet.html", cabinet_page(covering, params, "report.html"))
        pdfs = _write_pdfs(staging, page, covering_path if covering else None, summary,
                           dataset, params) if pdf else ()
    html, executed, summary_path = (folder / "report.html", folder / "report.ipynb",
                                    folder / "summary.json")
    cabinet = folder / "cabinet.html" if covering else None
    return Rendered(folder, html, executed, summary_path, cabinet,
                    tuple(str(w) for w in covering.warnings) if covering else (),
                    tuple(folder / name for name in pdfs))


def _write_pdfs(staging, page: str, covering_path: Path | None, summary, dataset,
                params) -> tuple[str, ...]:
    """report.pdf from the appendix's page; cabinet.pdf from a covering page that links to it."""
    from perfkit.covering import build_covering
    from perfkit.pdf import to_pdf

    staging.write("report.pdf", to_pdf(page))
    if covering_path:
        # In print the covering report travels with the PDF appendix, so it links to that.
        covering = build_covering(covering_path, summary, dataset.risks,
                                  organisation=params.organisation, plan_span=params.plan_span,
                                  title=f"{params.heading}: covering report",
                                  appendix="report.pdf")
        staging.write("cabinet.pdf", to_pdf(cabinet_page(covering, params, "report.pdf")))
        return ("report.pdf", "cabinet.pdf")
    return ("report.pdf",)


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


def _render_one(args: tuple[Path, Path, Path, bool, bool]) -> Outcome:
    params_path, out_root, notebook, pdf, allow_empty = args
    try:
        return Outcome(params_path, render(params_path, out_root, notebook, pdf, allow_empty),
                       None)
    except RenderError as err:
        return Outcome(params_path, None, str(err))
    except PerfkitError as err:
        return Outcome(params_path, None, str(err), bad_input=True)
    except Exception as err:  # a worker must report, not vanish, so the others finish
        return Outcome(params_path, None, f"{params_path}: {type(err).__name__}: {err}")


def render_many(params_paths: Iterable[Path], out_root: Path, jobs: int | None = None,
                on_done: Callable[[Outcome], None] | None = None,
                notebook: Path = NOTEBOOK, pdf: bool = False,
                allow_empty: bool = False) -> list[Outcome]:
    """Render several params files in parallel processes, at most one per core."""
    paths = list(params_paths)
    if len(paths) == 1:
        outcome = _render_one((paths[0], out_root, notebook, pdf, allow_empty))
        if on_done:
            on_done(outcome)
        return [outcome]
    workers = max(1, min(len(paths), jobs or os.cpu_count() or 1))
    outcomes = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_render_one, (p, out_root, notebook, pdf, allow_empty))
                   for p in paths]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    order = {p: i for i, p in enumerate(paths)}
    return sorted(outcomes, key=lambda o: order[o.params])
