"""Every params value is checked before use: NUL, lone surrogates, length and paths the file
system cannot be asked about are exit 2 naming the key, never a traceback."""

from __future__ import annotations

import pytest

from conftest import SAMPLE
from perfkit.limits import MAX_PARAM_CHARS
from test_bounded import perfkit, refused

GOOD = {"data": str(SAMPLE), "year": '"2022/23"', "quarter": "2"}


def params_with(tmp_path, key: str, value: str):
    values = {**GOOD, key: value}
    path = tmp_path / "p.yaml"
    path.write_text("".join(f"{k}: {v}\n" for k, v in values.items()), encoding="utf-8")
    return path


VALUES = {
    "NUL": ('"a\\0b"', "found U+0000 at character 2"),
    "lone surrogate": ('"\\ud800"', "found U+D800 at character 1"),
    "escape character": ('"a\\e[31mb"', "found U+001B"),
    "too long": ("x" * (MAX_PARAM_CHARS + 904), f"text of at most {MAX_PARAM_CHARS:,} characters"),
}
PATHS = {
    "unknown ~user": ("~nosuchuser/data", "~user names a user of this machine "
                                          "(~nosuchuser is not one)"),
    "300-character name": ("d" * 300, "every name is at most 255 bytes (one is 300)"),
    "300-byte name in few characters": ("é" * 150, "every name is at most 255 bytes (one is 300)"),
    "path too long": ("/".join(["é" * 100] * 25), "a path of at most 4,096 bytes"),
}


@pytest.mark.parametrize("key", ["data", "covering", "scheme", "title", "organisation",
                                 "plan_span"])
@pytest.mark.parametrize("case", VALUES)
def test_a_bad_text_value_is_exit_2_naming_the_key(tmp_path, key, case):
    value, message = VALUES[case]
    done = perfkit("report", params_with(tmp_path, key, value), "--out", tmp_path / "out",
                   "--quiet")
    refused(done, f"key '{key}' has", message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key", ["data", "covering", "scheme"])
@pytest.mark.parametrize("case", PATHS)
def test_a_path_the_file_system_cannot_take_is_exit_2_naming_the_key(tmp_path, key, case):
    value, message = PATHS[case]
    done = perfkit("report", params_with(tmp_path, key, value), "--out", tmp_path / "out",
                   "--quiet")
    refused(done, f"key '{key}' has", message)


def test_a_known_users_home_is_still_allowed(tmp_path):
    done = perfkit("summary", params_with(tmp_path, "covering", "~root/nothing-here.md"))
    assert "~user" not in done.stderr and "Traceback" not in done.stderr
