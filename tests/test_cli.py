from __future__ import annotations

import subprocess
import sys

from conftest import PARAMS, ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfkit.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_summary_prints_figures_and_narrative():
    done = run("summary", str(PARAMS))
    assert done.returncode == 0, done.stderr
    assert "Providing value for money services: milestones 4 of 8 progressing well (50%)" in done.stdout
    assert "At quarter 2 of 2022/23 the delivery plan has 36 milestones" in done.stdout


def test_bad_data_exits_2_without_traceback(sample_copy, tmp_path):
    rows = (sample_copy / "milestone_updates.csv").read_text().replace(",TB5,Green,", ",TB5,Bright,")
    (sample_copy / "milestone_updates.csv").write_text(rows)
    params = tmp_path / "p.yaml"
    params.write_text(f"data: {sample_copy}\nyear: '2022/23'\nquarter: 2\n")
    done = run("summary", str(params))
    assert done.returncode == 2
    assert "milestone_updates.csv, row 6, column 'rag': 'Bright' is not allowed" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_params_key_lists_the_known_ones(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("data: data/chesterfield\nyear: '2022/23'\nquarter: 2\ncolour: red\n")
    done = run("summary", str(params))
    assert done.returncode == 2
    assert "unknown key 'colour' (known keys: data, year, quarter, organisation, title, covering, plan_span, allow_empty)" in done.stderr
