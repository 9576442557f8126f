"""environment.yml (conda) lists the same dependencies as pyproject.toml (pip)."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].lower()


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # every extra: the environment is for development, which uses them all
    wanted = {_name(r): r for r in project["dependencies"]
              + sum(project["optional-dependencies"].values(), [])}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {_name(d): d for d in env["dependencies"] if isinstance(d, str)} 
    listed.pop("python"), listed.pop("pip")
    assert listed == {k: v.replace(" ", "") for k, v in wanted.items()} or \
        {k: v.replace(" ", "") for k, v in listed.items()} == {k: v.replace(" ", "") for k, v in wanted.items()}
