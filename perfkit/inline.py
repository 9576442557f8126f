"""The report inside Jupyter: the page's stylesheet scoped to the report, and offline charts.

JupyterLab does not apply the nbconvert template's ``<style>``, so the first section carries
the report's stylesheet with every selector put under ``.perfkit-report``: the report looks
as it does in ``report.html`` and JupyterLab's own interface is left alone. The exported page
is unchanged: :func:`unwrap` takes the wrapper off again before nbconvert writes it.

A chart an analyst displays is shown as the page shows it: perfkit's accessible figure
(title, description, SVG, its figures as a table), as ``text/html``, which JupyterLab ranks
above the Vega-Lite mimetype (50 against 57; lower wins). The bundle keeps the chart's spec
too, which is what the page is made from (:func:`perfkit.cells.output_html` reads it first),
so the published figure is exactly what it was. Altair's default renderer would fetch Vega
from a CDN.

JupyterLab renders Markdown cells in the browser, without the kernel, so their
``{{ field }}`` references are filled there: the report's header carries the quarter's fields
(as JSON, every ``<`` escaped) and a small script that fills them into the rendered Markdown
of its own notebook, and again whenever a cell is rendered anew (:func:`fields_script`). Each
value goes in as text, never HTML. JupyterLab runs an output's script only when the output is
trusted (it was made in this session); the page never has it: :func:`unwrap` takes it off,
and the page fills fields itself (:mod:`perfkit.cells`).
"""

from __future__ import annotations

import itertools
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
                      r"(?:<script data-perfkit-fields>.*?</script>)?"
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


def wrap(html: str, styled: bool = False, before: int = 0, script: str = "") -> str:
    """A fragment as Jupyter shows it: inside the scope, the first one with the stylesheet.

    ``before`` sections come before it in the report: its sections are numbered on from
    there, as in ``report.html``, although each output counts from zero on its own.
    ``script`` is :func:`fields_script`'s, for JupyterLab only (:func:`unwrap` drops it).
    """
    style = f"<style>{_stylesheet()}</style>" if styled else ""
    count = f' style="counter-reset: section {int(before)}"' if before else ""
    return f'<div class="{SCOPE}" data-perfkit-inline{count}>{style}{script}{html}</div>'


def unwrap(html: str) -> str:
    """The fragment as the page holds it: :func:`wrap` undone, anything else as it is.

    >>> unwrap(wrap("<p>Hi</p>", styled=True)), unwrap(wrap("<p>3</p>", before=2))
    ('<p>Hi</p>', '<p>3</p>')
    >>> unwrap(wrap("<h1>Q2</h1>", styled=True, script=fields_script({"quarter": 2})))
    '<h1>Q2</h1>'
    """
    match = _WRAPPED.match(html)
    return match[1] if match else html


def vegalite_bundle(spec: dict, **_) -> tuple[dict, dict]:
    """Altair's renderer inside Jupyter, offline: perfkit's accessible figure as HTML (what
    JupyterLab shows), the chart's spec (what the page is made from), the static SVG for
    viewers that show neither."""
    from perfkit import vega
    from perfkit.cells import chart_figure
    from perfkit.charts import spec as styled

    drawn = styled(spec)  # perfkit's look, under whatever the chart sets itself
    figure = chart_figure(spec, f"inline-figure-{next(_FIGURES)}")
    return ({"application/vnd.vegalite.v5+json": drawn,
             "text/html": wrap(figure),
             "image/svg+xml": vega.to_svg(drawn),
             "text/plain": "<perfkit chart: run the notebook in JupyterLab to see it>"}, {})


#: Inline figures are numbered as the kernel shows them (ids stay unique on the page).
_FIGURES = itertools.count(1)


def use_offline_charts() -> None:
    """Make Altair show charts as perfkit's accessible figures, with no CDN."""
    import altair as alt

    alt.renderers.register("perfkit", vegalite_bundle)
    alt.renderers.enable("perfkit")


def plain_fields(context: dict) -> dict:
    """The fields as the page prints them, each value plain text (a block field is empty on
    a notebook's page, as :mod:`perfkit.cells` renders it with no blocks)."""
    from perfkit.covering import BLOCK_FIELDS
    from perfkit.html import plain

    return {key: plain_fields(value) if isinstance(value, dict)
            else "" if key in BLOCK_FIELDS else plain(value)
            for key, value in context.items()}


_FILL_JS = (Path(__file__).resolve().parent / "templates" / "jupyterlab" / "fill_fields.js")


def fields_script(context: dict) -> str:
    """A script that fills ``{{ field }}`` in the notebook's rendered Markdown cells, for
    JupyterLab (which renders Markdown itself). The values are JSON with ``<``, ``>`` and
    ``&`` escaped, so nothing in them can end the script; the script puts them in as text.

    >>> s = fields_script({"organisation": "</script><b>"})
    >>> "</script><b>" in s, s.count("</script>")
    (False, 1)
    """
    import json

    data = json.dumps(plain_fields(context), ensure_ascii=True, sort_keys=True)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    code = _FILL_JS.read_text(encoding="utf-8").replace("/*FIELDS*/null", data)
    return f"<script data-perfkit-fields>{code}</script>"


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
