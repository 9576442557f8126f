"""Hostile text in the data goes through the whole pipeline and runs nothing in a browser."""

from __future__ import annotations

import subprocess
import sys

from html.parser import HTMLParser

import pandas as pd
import pytest

from browser import ARGS, require_browser, visit
from conftest import ROOT, write_params

# Each payload would, if it survived, set window.pwned, open a dialog or fetch from off-site.
CORPUS = [
    "<script>window.pwned=1;alert('script')</script>",
    "<img src=x onerror=\"window.pwned=1;alert('img')\">",
    "<svg onload=\"window.pwned=1;alert('svg')\"><circle r=5 /></svg>",
    "<a href=\"javascript:window.pwned=1;alert('js')\">click</a>",
    "<a href=\"data:text/html,<script>alert('data')</script>\">data link</a>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<iframe srcdoc=\"<script>parent.pwned=1</script>\"></iframe>",
    "<p style=\"background:url('https://evil.example/x.png')\">styled</p>",
    "<style>body{background:url(https://evil.example/bg.png)}</style>",
    "<link rel=stylesheet href=https://evil.example/s.css>",
    "<body onload=\"window.pwned=1\">",
    "<details open ontoggle=\"window.pwned=1;alert('toggle')\">x</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')>",
    "<ul><li>unclosed <b>bold <i>and<script>alert('nested')</script>",
    "\"><script>alert('attr')</script>",
    "<object data=\"javascript:alert('object')\"></object>",
    "<embed src=\"https://evil.example/e.swf\">",
    "<form action=\"https://evil.example\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, sample):
    root = tmp_path_factory.mktemp("xss")
    import shutil

    from conftest import SAMPLE

    data = root / "data"
    shutil.copytree(SAMPLE, data)
    read = lambda n: pd.read_csv(data / f"{n}.csv", dtype=str, keep_default_na=False)
    ms = read("milestone_updates")
    ms["progress"] = [CORPUS[i % len(CORPUS)] + " " + p for i, p in enumerate(ms["progress"])]
    ms.to_csv(data / "milestone_updates.csv", index=False)
    me = read("measure_updates")
    me["comment"] = [CORPUS[(i + 7) % len(CORPUS)] for i in range(len(me))]
    me.to_csv(data / "measure_updates.csv", index=False)
    plan = read("milestones")
    plan.loc[0, "title"] = "<script>alert('title')</script>Title"
    plan.to_csv(data / "milestones.csv", index=False)
    measures = read("measures")
    measures.loc[0, "name"] = "<img src=x onerror=alert('name')>Homes"
    measures.to_csv(data / "measures.csv", index=False)
    params = write_params(root / "p.yaml", data, 2, organisation="\"<script>alert('org')</script>\"")
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params), "--out",
                           str(root / "out"), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return root / "out" / "2022-23-Q2" / "report.html"


class Elements(HTMLParser):
    """Every element and attribute the browser would build from the page."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_no_active_markup_reaches_the_page(hostile):
    page = hostile.read_text()
    parser = Elements()
    parser.feed(page)
    tags = [tag for tag, _ in parser.found]
    for banned in ("script", "iframe", "object", "embed", "form", "base", "link", "button"):
        assert banned not in tags, banned
    assert tags.count("style") == 1 and tags.count("meta") == 3  # perfkit's own, in <head>
    for tag, attrs in parser.found:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:")), value
            if name == "style":
                assert "url(" not in value, value
    # The text a reader needs survives, escaped where it was markup.
    assert "&lt;script&gt;alert('title')&lt;/script&gt;Title" in page.replace("&#x27;", "'")


def test_nothing_from_the_data_runs_in_a_browser(hostile):
    path = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        seen = visit(browser, hostile)
        for summary in seen.page.query_selector_all("details"):
            summary.evaluate("d => d.open = true")  # a toggle handler would fire now
        seen.page.wait_for_timeout(200)
        assert seen.dialogs == []
        assert seen.page.evaluate("window.pwned === undefined")
        assert seen.outside == []
        assert seen.errors == []
        browser.close()
