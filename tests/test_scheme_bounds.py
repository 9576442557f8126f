"""A scheme file is input like any other: bounded in size and time, and its phrases' fields
closed. Each case is a small file written here, run through the CLI under a memory cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import SAMPLE, write_params
from perfkit.limits import MAX_SCHEME_BYTES, MAX_STATUSES
from perfkit.scheme import SchemeError, load_scheme
from test_bounded import perfkit, refused

CHESTERFIELD = (Path(__file__).resolve().parent.parent / "perfkit" / "schemes"
                / "chesterfield.yaml").read_text(encoding="utf-8")
GREEN = 'says: "{are} green"'  # line 14 of the built-in


def scheme_params(tmp_path: Path, text: str | None = None, name: str = "mine.yaml") -> Path:
    if text is not None:
        (tmp_path / name).write_text(text, encoding="utf-8")
    return write_params(tmp_path / "p.yaml", SAMPLE, 2, scheme=name)


@pytest.mark.parametrize("says", [
    "{are:>1000000000}", "{are.__init__}", "{are.__class__.__mro__}", "{are[0]}", "{are!r}",
    "{0}", "{}", "{colour}", "{quarter}", "{are", "are}",
], ids=["huge width", "attribute", "attribute chain", "index", "conversion", "position",
        "empty", "unknown name", "headline-only field", "open brace", "close brace"])
def test_a_status_phrase_takes_only_its_fields(tmp_path, says):
    params = scheme_params(tmp_path, CHESTERFIELD.replace(GREEN, f'says: "{says}"'))
    done = perfkit("report", params, "--out", tmp_path / "out", "--quiet")
    refused(done, "mine.yaml", "line 14, milestone_statuses.0.says:",
            "a phrase whose only fields are {are}, {were}, {was}, {have}")
    assert "0x" not in done.stderr  # no heap address, in any message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("says", "{are} on track in quarter {quarter} of {year}"),
    ("empty", "None of the {total} {nouns} had a status in {year}."),
])
def test_headline_wording_takes_quarter_and_year(tmp_path, field, value):
    old = ('says: "{are} progressing well, green or complete"' if field == "says" else
           'empty: "None of the {total} {nouns} has a status this quarter."')
    (tmp_path / "mine.yaml").write_text(CHESTERFIELD.replace(old, f'{field}: "{value}"'))
    scheme = load_scheme("mine.yaml", tmp_path)
    assert getattr(scheme.headlines[0], field) == value


def test_a_headline_phrase_refuses_other_fields_naming_its_line(tmp_path):
    old = 'says: "{are} progressing well, green or complete"'
    (tmp_path / "mine.yaml").write_text(CHESTERFIELD.replace(old, 'says: "{are.upper}"'))
    with pytest.raises(SchemeError, match=r"line 35, headlines\.0\.says: '\{are\.upper\}'"):
        load_scheme("mine.yaml", tmp_path)


def test_braces_in_a_label_stay_text(tmp_path):
    text = CHESTERFIELD.replace('{key: red, label: Red,', '{key: red, label: "{colour} {0}",')
    text = text.replace('''exception: true,
     says: "{are} red"}''', "exception: true}")
    params = scheme_params(tmp_path, text)
    done = perfkit("summary", params)
    assert done.returncode == 0, done.stderr
    assert "{colour} {0}" in done.stdout


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    return "pipe.yaml", "is not a regular file"


def _device(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # judged by where it leads
    return "zero.yaml", "/dev/zero: a scheme file must end in .yaml"


def _device_by_name(tmp_path):
    return "/dev/zero", "a scheme file must end in .yaml"


def _folder(tmp_path):
    (tmp_path / "folder.yaml").mkdir()
    return "folder.yaml", "is not a regular file"


def _big(tmp_path):
    (tmp_path / "big.yaml").write_text("name: big\n" + "# padding\n" * (3 * 1024 * 1024))
    return "big.yaml", f"larger than the {MAX_SCHEME_BYTES // 1024} KB a scheme file may be"


def _aliases(tmp_path):
    lines = ["name: laughs", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]"
              for i in range(9)]
    (tmp_path / "laughs.yaml").write_text("\n".join(lines) + "\n")
    return "laughs.yaml", "line 3: a YAML alias (*name) is not allowed in a scheme file"


def _many_statuses(tmp_path):
    rows = "".join(f'  - {{key: s{i}, label: S{i}, colour: "#00703c"}}\n'
                   for i in range(MAX_STATUSES + 1))
    (tmp_path / "many.yaml").write_text(f"name: many\nmilestone_statuses:\n{rows}")
    return "many.yaml", f"line 3, milestone_statuses: {MAX_STATUSES + 1} statuses; at most " \
                        f"{MAX_STATUSES} (MAX_STATUSES)"


def _deep(tmp_path):
    (tmp_path / "deep.yaml").write_text("name: " + "[" * 50_000 + "\n")
    return "deep.yaml", "deep.yaml: not"


def _not_utf8(tmp_path):
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    return "latin.yaml", "byte 9 (0xE9) is not UTF-8"


def _python_tag(tmp_path):
    (tmp_path / "tag.yaml").write_text("name: !!python/object/apply:os.system ['echo pwned']\n")
    return "tag.yaml", "not valid YAML"


@pytest.mark.parametrize("make", [_fifo, _device, _device_by_name, _folder, _big, _aliases,
                                  _many_statuses, _deep, _not_utf8, _python_tag])
def test_a_scheme_file_is_bounded_input(tmp_path, make):
    name, message = make(tmp_path)
    params = scheme_params(tmp_path, name=name)
    done = perfkit("report", params, "--out", tmp_path / "out", "--quiet", "--timeout", "5")
    refused(done, message)
    assert "pwned" not in done.stdout + done.stderr
    assert not (tmp_path / "out").exists()
