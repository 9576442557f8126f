"""`perfkit report`, papermill with a real kernel, and the files a run leaves behind."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd

from conftest import PARAMS, ROOT, SAMPLE, write_params


def test_run_writes_the_quarter_folder(rendered):
    assert sorted(p.name for p in rendered.iterdir()) == [
        "cabinet.html", "cabinet.pdf", "figures.csv", "report.html", "report.ipynb",
        "report.pdf", "summary.json"]  # the shared render asks for --pdf; without it no PDF is written (below)


def test_summary_json_holds_the_reference_figures(rendered):
    summary = json.loads((rendered / "summary.json").read_text())
    assert (summary["year"], summary["quarter"]) == ("2022/23", 2)
    assert summary["milestones"]["total"] == 36
    assert summary["milestones"]["pct"] == {"green": 86, "amber": 11, "red": 3, "complete": 0}
    assert summary["measures"]["tracked"] == 20 and summary["measures"]["pct_met"] == 80
    by = {p["priority_id"]: p for p in summary["priorities"]}
    assert by["TB"]["milestones"]["green"] == 14 and by["TB"]["measures"]["met"] == 7
    assert by["QL"]["milestones"]["pct"]["green"] == 93 and by["QL"]["measures"]["met"] == 5
    assert by["VFM"]["milestones"]["pct"] == {"green": 50, "amber": 50, "red": 0, "complete": 0}
    assert (by["VFM"]["measures"]["met"], by["VFM"]["measures"]["tracked"]) == (4, 8)
    for block in [summary, *summary["priorities"]]:
        for key, value in block["milestones"].items():
            assert isinstance(value, dict) or type(value) is int, key


def test_html_is_offline_and_hides_code(rendered):
    page = (rendered / "report.html").read_text()
    assert not re.findall(r'(?:src|href)="https?://[^"]*"', page)
    assert "<script" not in page and "@import" not in page
    assert "open_report(" not in page and "quarter = 2" not in page  # no code, no parameters
    assert '<html lang="en-GB">' in page
    assert "<title>Council Plan Delivery Plan 2022/23: quarter 2 performance report</title>" in page


def test_html_shows_every_milestone_and_measure(rendered):
    page = (rendered / "report.html").read_text()
    for ident in pd.read_csv(SAMPLE / "milestones.csv")["milestone_id"]:
        assert f">{ident} – " in page, ident
    for name in pd.read_csv(SAMPLE / "measures.csv")["name"]:
        assert f"<th scope=\"row\">{name.replace('&', '&amp;')}</th>" in page, name


def test_summary_sentences_and_figures_in_the_page(rendered):
    page = (rendered / "report.html").read_text()
    assert "the delivery plan has 36 milestones and 46 measures across three priorities" in page
    assert "Of the 14 milestones rated this quarter, 13 (93%)" in page
    assert page.count('class="chart"') == 2  # the sample holds one quarter: no trend charts
    assert "no trend charts this time" in page


def test_papermill_cli_runs_the_notebook_with_a_real_kernel(tmp_path):
    out = tmp_path / "out.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", "notebooks/quarterly_report.ipynb",
                           str(out), "-f", str(PARAMS), "--no-progress-bar"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    nb = json.loads(out.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and 'quarter = 2' in "".join(injected[0]["source"])
    html = "".join("".join(o.get("data", {}).get("text/html", ""))
                   for c in nb["cells"] for o in c.get("outputs", []))
    assert "36 milestones" in html and "<svg" in html


def test_papermill_rejects_an_unknown_parameter(tmp_path):
    params = write_params(tmp_path / "p.yaml", SAMPLE, 2, colour="red")
    done = subprocess.run([sys.executable, "-m", "papermill", "notebooks/quarterly_report.ipynb",
                           str(tmp_path / "out.ipynb"), "-f", str(params), "--no-progress-bar"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "unknown parameter 'colour' (known keys: data, year, quarter, organisation, title, covering, plan_span, scheme, allow_empty, layout, notebook)" in done.stderr


def test_two_params_files_render_in_parallel_with_a_line_each_in_a_log(tmp_path, two_quarters):
    q1 = write_params(tmp_path / "q1.yaml", two_quarters, 1)
    q2 = write_params(tmp_path / "q2.yaml", two_quarters, 2)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(q1), str(q2),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    # Not a terminal (a scheduler's log): no progress bar, one line per report, then a tally.
    assert "\r" not in done.stderr and "Rendering" not in done.stderr
    # the tally, like every line of the log, says when; and how long the batch took
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ perfkit: 2 rendered, 0 failed "
                        r"in \d+\.\d s", done.stderr.splitlines()[-1]), done.stderr
    # each line says when it was written; the report's line says how long it took
    lines = [re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", "", line)
             for line in done.stdout.splitlines()]
    assert len(lines) == len(done.stdout.splitlines())
    wrote = sorted(re.sub(r" in \d+\.\d s$", "", line) for line in lines
                   if line.startswith("wrote "))
    assert wrote == [f"wrote {out.resolve() / s / 'report.html'}"
                     for s in ("2022-23-Q1", "2022-23-Q2")]
    assert sorted(line for line in lines if not line.startswith("wrote ")) == [
        f"{s}: added figures.csv, report.html, report.ipynb, summary.json"
        for s in ("2022-23-Q1", "2022-23-Q2")] + ["index.html: rewritten, listing 2 quarters"]
    # the index's line comes after the reports' (the operator reads what the run ended with)
    assert lines[-1] == "index.html: rewritten, listing 2 quarters"
    for slug in ("2022-23-Q1", "2022-23-Q2"):
        assert sorted(p.name for p in (out / slug).iterdir()) == [
            "figures.csv", "report.html", "report.ipynb", "summary.json"]
    q2_page = (out / "2022-23-Q2" / "report.html").read_text()
    # the dashboard's two, the RAG trend, and the measures priority by priority
    ids = re.findall(r'<figure class="chart" id="([^"]+)"', q2_page)
    assert ids[:3] == ["chart-milestones", "chart-measures", "chart-rag-trend"]
    assert len(ids) > 3 and all(i.startswith("chart-measure-history-") for i in ids[3:])
    assert "Since last quarter" in q2_page and "Declined" in q2_page and "Improved" in q2_page
    assert json.loads((out / "2022-23-Q1" / "summary.json").read_text())["quarter"] == 1


def test_bad_params_fail_before_any_kernel_starts(tmp_path):
    params = write_params(tmp_path / "p.yaml", SAMPLE, 5)
    done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(params),
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "key 'quarter' has 5; expected" in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*/report.html"))


def test_notebook_defaults_render_the_sample_from_its_own_folder(tmp_path):
    """As an analyst's "run all" in JupyterLab: no injected parameters, cwd notebooks/."""
    import papermill as pm

    nb = pm.execute_notebook(str(ROOT / "notebooks" / "quarterly_report.ipynb"),
                             str(tmp_path / "out.ipynb"), cwd=str(ROOT / "notebooks"),
                             progress_bar=False, kernel_name="python3")
    html = "".join("".join(o.get("data", {}).get("text/html", ""))
                   for c in nb.cells for o in c.get("outputs", []))
    assert "At quarter 2 of 2022/23 the delivery plan has 36 milestones" in html


def test_progress_bar_only_on_a_terminal(tmp_path, two_quarters):
    import fcntl
    import os
    import pty
    import struct
    import termios

    q1 = write_params(tmp_path / "q1.yaml", two_quarters, 1)
    q2 = write_params(tmp_path / "q2.yaml", two_quarters, 2)
    leader, follower = pty.openpty()
    # A terminal of 0 columns would get an empty bar: give it a size, as a real one has.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = subprocess.run([sys.executable, "-m", "perfkit.cli", "report", str(q1), str(q2),
                               "--out", str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=follower, text=True, timeout=600)
        os.close(follower)
        terminal = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end has closed: all read
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = terminal.decode()
    assert "Rendering: 100%" in text and "2/2" in text
    assert "perfkit: 2 rendered, 0 failed in " in text
