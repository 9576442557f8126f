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
    assert "unknown key 'colour' (known keys: data, year, quarter, organisation, title, covering, plan_span, scheme, allow_empty, layout, notebook)" in done.stderr


def test_version_and_every_command_s_help_has_an_example_and_exit_codes():
    from perfkit import __version__

    assert run("--version").stdout.strip() == f"perfkit {__version__}"
    for command in ("report", "summary", "check"):
        done = run(command, "--help")
        assert done.returncode == 0
        assert f"example:\n  perfkit {command} " in done.stdout
        assert "exit codes:\n  0  success" in done.stdout and "\n  2  bad input" in done.stdout


def test_summary_of_an_empty_quarter_is_refused_then_plain(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text(f"data: {ROOT / 'data' / 'chesterfield'}\nyear: '2024/25'\nquarter: 1\n")
    refused = run("summary", str(params))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert ("no updates for 2024/25 quarter 1: the data holds updates for 2022/23 quarter 2 "
            "only") in refused.stderr
    done = run("summary", str(params), "--allow-empty")
    assert done.returncode == 0, done.stderr
    assert "No updates were received for quarter 1 of 2024/25." in done.stdout
    assert "The data holds no delivery plan for 2024/25." in done.stdout
    assert "0 of 0" not in done.stdout and "%" not in done.stdout


def test_check_counts_one_plan_year_not_every_years_rows(capsys):
    # The example holds three plan years; their 32 milestone rows are 11 milestones a year.
    from perfkit.cli import main

    for target, year in ((ROOT / "params" / "example" / "2022-23-Q4.yaml", "2022/23"),
                         (ROOT / "data" / "example", "2023/24")):
        assert main(["check", str(target)]) == 0
        out = capsys.readouterr().out
        assert f": {year}: 11 milestones, " in out, out
        assert "(the data holds 3 plan years, 2021/22 to 2023/24); no problems found" in out
