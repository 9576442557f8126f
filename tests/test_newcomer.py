"""What a newcomer reads first: the README's way to run the CLI, and the notebook's figure ids."""

from __future__ import annotations

import json
import re

from conftest import ROOT


def test_every_figure_id_the_notebook_names_exists_on_the_sample():
    from perfkit.sections import open_report

    notebook = json.loads((ROOT / "notebooks" / "quarterly_report.ipynb").read_text())
    text = "\n".join("".join(cell["source"]) for cell in notebook["cells"])
    named = set(re.findall(r"\bchart-[a-z-]*[a-z]", text))
    assert named  # the notebook shows how to take a figure further
    report = open_report(str(ROOT / "data" / "chesterfield"), "2022/23", 2)
    assert named <= set(report.figures()), named - set(report.figures())


def test_readme_says_how_to_run_the_cli_and_cites_the_reference_by_address():
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/perfkit report params/2022-23-Q2.yaml" in readme
    assert ". .venv/bin/activate" in readme
    assert "https://chesterfield.moderngov.co.uk/" in readme
