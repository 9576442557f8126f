"""The report inside Jupyter: the page's stylesheet scoped to the report, and offline charts.

JupyterLab does not apply the nbconvert template's ``<style>``, so the first section carries
the report's stylesheet with every selector put under ``.perfkit-report``: the report looks
as it does in ``report.html`` and JupyterLab's own interface is left alone. The exported page
is unchanged: :func:`unwrap` takes the wrapper off again before nbconvert writes it.

Charts an analyst displays are drawn by JupyterLab's built-in Vega-Lite renderer (the
``application/vnd.vegalite.v5+json`` mimetype), which ships with JupyterLab and needs no
network; Altair's default renderer would fetch Vega from a CDN.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SCOPE = "perfkit-report"
# JupyterLab styles HTML outputs with selectors such as ":not(.jp-RenderedMarkdown)
# .jp-RenderedHTMLCommon td" (right-aligned cells); the scope must outweigh them.
SCOPE_SELECTOR = f"div.{SCOPE}[data-perfkit-inline]"
# What JupyterLab adds to every HTML output and report.css does not set: undone, so the
# inline report looks as the page does (report.css, read after this, still has its way).
_JUPYTER_RESET = """
table { table-layout: auto; margin-left: 0; margin-right: 0; }
tbody tr, tbody tr:nth-child(odd), tbody tr:nth-child(even), tbody tr:hover { background: none; }
th, td { line-height: inherit; }
p { margin: 1em 0; }
"""
STYLESHEET = Path(__file__).resolve().parent / "templates" / "perfkit_report" / "report.css"
# Selectors for the page itself: inside a notebook, the report's wrapper stands in for them.
_PAGE = {":root", "html", "body"}
_WRAPPED = re.compile(rf'\A<div class="{SCOPE}" data-perfkit-inline'
                      r'(?: style="counter-reset: section \d+")?>(?:<style>.*?</style>)?'
                      r"(.*)</div>\Z", re.S)


def scoped_css(css: str, scope: str = SCOPE_SELECTOR) -> str:
    """Every rule of ``css`` limited to elements under ``scope``; ``@page`` is dropped.

    >>> scoped_css(":root { --a: 1 } h2, .x > p { color: red } @media print { body { margin: 0 } }",
    ...            ".r")
    '.r{--a: 1}.r h2,.r .x > p{color: red}@media print{.r{margin: 0}}'
    """
    import tinycss2

    def rules(nodes) -> str:
        out = []
        for node in nodes:
            if node.type == "qualified-rule":
                selectors = [s.strip() for s in tinycss2.serialize(node.prelude).split(",")]
                scoped = [scope if s in _PAGE else f"{scope} {s}" for s in selectors]
                out.append(f"{','.join(scoped)}{{{tinycss2.serialize(node.content).strip()}}}")
            elif node.type == "at-rule" and node.lower_at_keyword in {"media", "supports"}:
                inner = tinycss2.parse_rule_list(node.content, skip_comments=True,
                                                 skip_whitespace=True)
                head = tinycss2.serialize(node.prelude).strip()
                out.append(f"@{node.at_keyword} {head}{{{rules(inner)}}}")
            # @page and other page-level at-rules mean nothing inside a notebook.
        return "".join(out)

    return rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


@lru_cache(maxsize=1)
def _stylesheet() -> str:
    return scoped_css(_JUPYTER_RESET + STYLESHEET.read_text(encoding="utf-8"))


def wrap(html: str, styled: bool = False, before: int = 0) -> str:
    """A fragment as Jupyter shows it: inside the scope, the first one with the stylesheet.

    ``before`` sections come before it in the report: its sections are numbered on from
    there, as in ``report.html``, although each output counts from zero on its own.
    """
    style = f"<style>{_stylesheet()}</style>" if styled else ""
    count = f' style="counter-reset: section {int(before)}"' if before else ""
    return f'<div class="{SCOPE}" data-perfkit-inline{count}>{style}{html}</div>'


def unwrap(html: str) -> str:
    """The fragment as the page holds it: :func:`wrap` undone, anything else as it is.

    >>> unwrap(wrap("<p>Hi</p>", styled=True)), unwrap(wrap("<p>3</p>", before=2))
    ('<p>Hi</p>', '<p>3</p>')
    """
    match = _WRAPPED.match(html)
    return match[1] if match else html


def vegalite_bundle(spec: dict, **_) -> tuple[dict, dict]:
    """Altair's renderer for JupyterLab offline: its built-in Vega-Lite mimetype, with the
    static SVG for viewers that lack it (nbconvert, GitHub)."""
    import vl_convert

    from perfkit.charts import spec as styled

    spec = styled(spec)  # perfkit's look, under whatever the chart sets itself
    return ({"application/vnd.vegalite.v5+json": spec,
             "image/svg+xml": vl_convert.vegalite_to_svg(spec),
             "text/plain": "<perfkit chart: run the notebook in JupyterLab to see it>"}, {})


def use_offline_charts() -> None:
    """Make Altair draw charts with JupyterLab's own Vega-Lite renderer (no CDN)."""
    import altair as alt

    alt.renderers.register("perfkit", vegalite_bundle)
    alt.renderers.enable("perfkit")


def notebook_message(err: BaseException) -> str:
    """A perfkit error as a notebook user reads it: the parameter to change, not the CLI
    flag, and each distinct data problem once, with the rows it is on.

    >>> from perfkit.errors import EmptyQuarterError, ALLOW_EMPTY_HINT
    >>> notebook_message(EmptyQuarterError(f"no updates; {ALLOW_EMPTY_HINT} renders one"))
    'perfkit: no updates; allow_empty = True in the parameters cell renders one'
    """
    from perfkit.errors import ALLOW_EMPTY_HINT, ALLOW_EMPTY_NOTEBOOK, DataError, counted

    if isinstance(err, DataError):
        lines = counted(err.problems)
        text = "\n".join([f"{len(err.problems):,} problem{'s' if len(err.problems) != 1 else ''} "
                          f"in the data:", *(f"  - {line}" for line in lines)])
    else:
        text = str(err)
    return "perfkit: " + text.replace(ALLOW_EMPTY_HINT, ALLOW_EMPTY_NOTEBOOK)


def show_errors_briefly(shell=None) -> None:
    """In a notebook, a perfkit error is its message alone: no frames of perfkit's code,
    which tell an analyst nothing they can change. Any other error keeps its traceback."""
    from perfkit.errors import PerfkitError

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return

    def brief(shell, etype, value, tb, tb_offset=None):
        shell._showtraceback(etype, value, [notebook_message(value)])
        return []

    shell.set_custom_exc((PerfkitError,), brief)
