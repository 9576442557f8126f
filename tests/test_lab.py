"""The notebook in a real JupyterLab and Chromium, offline: styled like report.html, charts draw.

One test, as it is slow (JupyterLab, a kernel and a browser): it starts JupyterLab on a free
localhost port with a token, blocks every request that is not to that server, runs the
notebook (with the acceptance test's analyst's edits) with Run All, checks that the edits show
as report.html publishes them (Markdown fields filled, the analyst's chart an accessible
figure), and adds one cell showing a report chart through Altair.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser import ARGS, chromium_path
from conftest import ROOT
from test_analyst_notebook import NEW_COLOURS, edit_as_an_analyst


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a copy of notebooks/, with data/ and params/ beside it as in the repo."""
    for name in ("data", "params"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "quarterly_report.ipynb", tmp_path / "notebooks")
    # The analyst's edits of the acceptance test (test_analyst_notebook.py), made here too.
    edit_as_an_analyst(tmp_path / "notebooks" / "quarterly_report.ipynb")
    # Never offer to fetch news (the browser could not reach it anyway).
    settings = {"apputils-extension/notification": '{"fetchNews": "false"}'}
    for name, text in settings.items():
        path = tmp_path / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={tmp_path / 'notebooks'}",
               f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
               f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()}")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.slow(30)
def test_notebook_in_jupyterlab_is_styled_and_charts_draw_offline(lab):
    chromium = chromium_path()
    if not chromium:  # as tests/browser.py: CI must have it, a developer may not
        (pytest.fail if os.environ.get("CI") else pytest.skip)("Debian's chromium not installed")
    from playwright.sync_api import sync_playwright

    base, token = lab
    # The notebook's kernel, started as JupyterLab would, so no dialog asks which one.
    session = json.dumps({"path": "quarterly_report.ipynb", "type": "notebook",
                          "name": "quarterly_report.ipynb", "kernel": {"name": "python3"}})
    urllib.request.urlopen(urllib.request.Request(
        f"{base}/api/sessions?token={token}", data=session.encode(), method="POST",
        headers={"Content-Type": "application/json"}), timeout=60)
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith((base + "/", "data:", "blob:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", route)
        page = context.new_page()
        page.goto(f"{base}/lab/tree/quarterly_report.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=120_000)
        # JupyterLab may still ask which kernel to use (a race with the session): its own.
        dialog = page.locator(".jp-Dialog button.jp-mod-accept")
        try:
            dialog.wait_for(timeout=15_000)
            dialog.click()
        except Exception:
            pass
        lab_font = page.evaluate("getComputedStyle(document.body).fontFamily")

        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        # JupyterLab lays out only the cells in view: wait for the last section to exist.
        try:
            page.wait_for_selector(".perfkit-report #about-h", state="attached", timeout=180_000)
        except Exception:
            page.screenshot(path=str(Path(os.environ.get("LAB_SHOT", "/tmp")) / "lab-fail.png"))
            raise
        badge = page.query_selector(".perfkit-report .badge.rag-green")
        badge.scroll_into_view_if_needed()

        # Styled as report.html: GOV.UK green badge, the caption hidden, JupyterLab untouched.
        assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 112, 60)"
        assert badge.evaluate("e => getComputedStyle(e).display") == "inline-block"
        caption = page.query_selector(".perfkit-report figcaption.visually-hidden")
        assert caption.evaluate("e => e.getBoundingClientRect().width") <= 1
        assert page.evaluate("getComputedStyle(document.body).fontFamily") == lab_font
        cell = page.query_selector(".perfkit-report table.measures td")
        assert cell.evaluate("e => getComputedStyle(e).textAlign") == "left"  # not JupyterLab's
        # The report's own chart: static SVG with its bars drawn.
        page.query_selector(".perfkit-report #chart-milestones").scroll_into_view_if_needed()
        bars = page.eval_on_selector_all(
            ".perfkit-report #chart-milestones svg path, .perfkit-report #chart-milestones svg rect",
            "nodes => nodes.filter(n => n.getBoundingClientRect().width > 0).length")
        assert bars > 5

        # The analyst's edits show inline as on the page: the chart recoloured, the table
        # perfkit's, and each section numbered on from the ones before it.
        recoloured = page.eval_on_selector_all(
            ".perfkit-report #chart-milestones svg path",
            "nodes => [...new Set(nodes.map(n => n.getAttribute('fill')))]")
        assert set(NEW_COLOURS[:3]) <= set(recoloured)
        frame = page.query_selector(".perfkit-report .table-wide table.frame caption")
        assert frame.text_content() == "Every measure this quarter, as the data holds it"
        counts = page.eval_on_selector_all(
            "div.perfkit-report[data-perfkit-inline]",
            "nodes => nodes.filter(n => n.querySelector('section'))"
            ".map(n => getComputedStyle(n).counterReset)")
        assert counts[:3] == ["section 0", "section 1", "section 2"], counts
        page.query_selector(".perfkit-report #dashboard-h").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(os.environ.get("LAB_SHOT", "/tmp")) / "lab-dashboard.png"))

        # The analyst's Markdown paragraph, its fields filled in as on the page; and again
        # after the analyst edits the cell and renders it anew.
        filled = "This quarter 36 milestones were rated, and 86% are progressing well."
        prose = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown p",
                             has_text="milestones were rated")
        prose.scroll_into_view_if_needed()
        page.wait_for_function("t => [...document.querySelectorAll("
                               "'.jp-MarkdownCell .jp-RenderedMarkdown p')]"
                               ".some(p => p.textContent === t)", arg=filled, timeout=30_000)
        prose.dblclick()  # the editor, showing the fields as typed
        page.click(".jp-MarkdownCell.jp-mod-active .cm-content")
        page.keyboard.press("Control+End")
        page.keyboard.type(" {{ measures.met }} met.")
        page.keyboard.press("Shift+Enter")
        page.wait_for_function("t => [...document.querySelectorAll("
                               "'.jp-MarkdownCell .jp-RenderedMarkdown p')]"
                               ".some(p => p.textContent === t)",
                               arg=filled + " 16 met.", timeout=30_000)
        # The values went in as text: no element but perfkit's spans inside the paragraph.
        assert prose.evaluate("p => [...p.children].every(c => c.matches("
                              "'span[data-perfkit-field]'))")

        # The analyst's own chart: perfkit's accessible figure, as on the page, not
        # JupyterLab's Vega drawing.
        own = page.locator(".jp-OutputArea-output .perfkit-report figure.chart",
                           has_text="Milestones in each priority")
        own.scroll_into_view_if_needed()
        assert own.locator("figcaption").text_content().startswith("Milestones in each priority. ")
        assert own.locator("svg title").first.text_content() == "Milestones in each priority"
        assert own.locator("details table tr").count() == 1 + 3  # header, three priorities
        drawn = own.locator(".chart-wide svg").evaluate("e => e.getBoundingClientRect().width")
        assert drawn > 100
        assert not page.query_selector(".jp-RenderedVegaCommon5")
        page.locator(".jp-MarkdownCell .jp-RenderedMarkdown p",
                     has_text="milestones were rated").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(os.environ.get("LAB_SHOT", "/tmp")) / "lab-analyst.png"))

        # A chart of the report's, shown from a new cell: an accessible figure too.
        page.click(".jp-Notebook .jp-Cell:last-child")
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        page.keyboard.press("Enter")
        page.keyboard.type('report.figures()["chart-measures"].chart')
        page.keyboard.press("Shift+Enter")
        inline = ".jp-OutputArea-output .perfkit-report figure.chart[id^='inline-figure-']"
        page.wait_for_function(f"document.querySelectorAll(\"{inline}\").length == 2",
                               timeout=60_000)
        shown = page.locator(inline).last
        assert shown.locator("svg title").first.text_content().startswith("Measures")
        shown.scroll_into_view_if_needed()
        assert shown.locator(".chart-wide svg").evaluate(
            "e => e.getBoundingClientRect().width") > 100
        assert not page.query_selector(".jp-RenderedVegaCommon5, "
                                       "[data-mime-type='application/vnd.jupyter.stderr']")
        browser.close()
    assert outside == []
