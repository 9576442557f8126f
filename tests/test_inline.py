"""perfkit/inline.py: what JupyterLab shows. The Markdown fields script runs in Chromium on a
page laid out as JupyterLab lays out a notebook (its class names), with hostile values."""

from __future__ import annotations

import re

import pytest

from browser import browser  # noqa: F401  (the fixture)
from perfkit.inline import fields_script, unwrap, vegalite_bundle, wrap

HOSTILE = '</script><img src=x onerror="window.hacked=1">{{ quarter }} & <b>'
CONTEXT = {"quarter": 2, "organisation": HOSTILE, "risk_table": "(the risk table)",
           "priorities": {"TB": {"name": "A thriving borough"}},
           "milestones": {"total": "36", "pct_progressing_well": "86%"}}

NOTEBOOK = """<div class="jp-Notebook">
 <div class="jp-Cell jp-MarkdownCell"><div class="jp-RenderedMarkdown">
  <p id="p1">{{ organisation }} in Q{{quarter}}: {{ milestones.total }} ({{ milestones.pct_progressing_well }}){# a note #}</p>
  <p id="p2">{{ priorities['TB'].name }}, {{ nothing.here }}, [{{ risk_table }}]</p>
 </div><div class="cm-content" id="editor">{{ milestones.total }}</div></div>
 <div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-output" id="out"></div></div>
</div>"""


def _run(page, script: str) -> None:
    # As JupyterLab's renderHTML does for a trusted output: set innerHTML, then put a fresh
    # copy of each script in place so that it runs.
    page.evaluate("""html => { const out = document.getElementById('out'); out.innerHTML = html;
        for (const old of out.querySelectorAll('script')) { const s = document.createElement('script');
          for (const a of old.attributes) s.setAttribute(a.name, a.value);
          s.textContent = old.textContent; old.replaceWith(s); } }""", script)


def test_fields_are_filled_as_text_and_follow_re_renders(browser):  # noqa: F811
    page = browser.new_page()
    page.set_content(f"<!doctype html><html><body>{NOTEBOOK}</body></html>")
    _run(page, wrap("<h1>Report</h1>", styled=False, script=fields_script(CONTEXT)))
    text = page.evaluate("id => document.getElementById(id).textContent", "p1")
    assert text == f"{HOSTILE} in Q2: 36 (86%)"  # the value's own "{{ quarter }}" kept as text
    assert page.evaluate("window.hacked") is None
    assert page.evaluate("document.querySelectorAll('#p1 img, #p1 b').length") == 0
    # Bracketed keys are read; an unknown field stays as typed; a block field is empty, as on
    # a notebook's page; the editor is never touched.
    assert (page.evaluate("document.getElementById('p2').textContent")
            == "A thriving borough, {{ nothing.here }}, []")
    assert page.evaluate("document.getElementById('editor').textContent") == "{{ milestones.total }}"
    # JupyterLab renders an edited cell anew: filled again.
    page.evaluate("""() => { document.querySelector('.jp-RenderedMarkdown').innerHTML =
        '<p id="p3">Now {{ milestones.total }}</p>'; }""")
    page.wait_for_function("document.getElementById('p3').textContent === 'Now 36'")
    # The report run for another quarter: every filled field takes the new value.
    _run(page, wrap("<h1>Report</h1>", script=fields_script({**CONTEXT, "milestones": {
        "total": "40", "pct_progressing_well": "90%"}})))
    page.wait_for_function("document.getElementById('p3').textContent === 'Now 40'")
    page.close()


def test_the_page_never_gets_the_script():
    script = fields_script(CONTEXT)
    assert unwrap(wrap("<p>x</p>", styled=True, before=3, script=script)) == "<p>x</p>"
    assert script.count("</script>") == 1 and "<img" not in script


def test_a_chart_is_perfkits_figure_inline_and_its_spec_for_the_page():
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"team": ["A", "B"], "done": [3, 5]})).mark_bar().encode(
        x="done:Q", y="team:N").properties(title="Done by team")
    bundle, _ = vegalite_bundle(chart.to_dict())
    html = unwrap(bundle["text/html"])
    assert html.startswith('<figure class="chart" id="inline-figure-')
    assert "<title id=" in html and "Done by team" in html and "<details><summary>" in html
    assert "team: A" in html  # the description states the figures
    spec = bundle["application/vnd.vegalite.v5+json"]
    assert spec["encoding"]["y"]["field"] == "team"  # the spec itself, for the page
    assert bundle["image/svg+xml"].startswith("<svg")


def test_jupyterlab_prefers_html_to_vega_lite():
    """The renderer relies on it: read from the installed JupyterLab's own bundle."""
    import re
    import sys
    from pathlib import Path

    pytest.importorskip("jupyterlab")
    static = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"
    if not static.exists():
        pytest.skip("JupyterLab's built static files are not installed")
    core = "".join(p.read_text(errors="ignore") for p in static.glob("jlab_core*.js"))
    html = re.search(r'mimeTypes:\["text/html"\],defaultRank:(\d+)', core)
    vega = re.search(r'vnd\.vegalite\.v5\+json".{0,1500}?rank:(\d+)', core, re.S)
    assert html and vega
    assert int(html[1]) < int(vega[1]), (html[1], vega[1])


def test_an_untitled_chart_has_the_same_name_inline_and_on_the_page():
    import altair as alt
    import pandas as pd

    from perfkit.cells import output_html

    chart = alt.Chart(pd.DataFrame({"team": ["A", "B"], "done": [3, 5]})).mark_bar().encode(
        x="done:Q", y="team:N")
    # Shown three times in the kernel (a cell run again and again): the name does not count.
    inline = [unwrap(vegalite_bundle(chart.to_dict())[0]["text/html"]) for _ in range(3)]
    page = output_html({"output_type": "display_data",
                        "data": {"application/vnd.vegalite.v5+json": chart.to_dict()}})
    for html in [*inline, page]:
        assert re.search(r'<title id="[^"]+">Chart of done and team</title>', html), html[:300]
