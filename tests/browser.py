"""Headless Debian Chromium driven by playwright, with every request off this machine blocked."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Flags that keep Chromium quiet on a closed network (see TOOLCHAIN-NOTES.md).
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Chromium under playwright, started once for a test module (import it to use it)."""
    path = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=ARGS)
        yield chromium
        chromium.close()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> str:
    """The browser, or a skip on a developer machine; CI must have it, so there it fails."""
    path = chromium_path()
    missing = [what for what, ok in (("Debian's chromium", path), ("npm's axe-core", AXE.exists())) if not ok]
    if missing:
        message = f"{' and '.join(missing)} not installed (make test installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Visit:
    """What a page did while it loaded: outside requests, console errors, dialogs."""

    page: object
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def visit(browser, path: Path, width: int | None = None) -> Visit:
    """Open the page; ``width`` sets a phone-sized viewport (CSS pixels)."""
    context = browser.new_context(**({"viewport": {"width": width, "height": 812}} if width else {}))
    page = context.new_page()
    seen = Visit(page)

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:", "about:")):
            r.continue_()
        else:
            seen.outside.append(url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))

    def dialog(d):
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # let any late script or image error surface
    return seen


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result["violations"] if v["impact"] in impacts]
