"""perfkit.deferred: rfc3987_syntax's grammars are compiled only when an IRI is checked."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

CHECK = """
import sys, time
import perfkit, altair, nbformat
loaded = type(sys.modules["rfc3987_syntax"]).__name__
from jsonschema import Draft7Validator
checker = Draft7Validator.FORMAT_CHECKER
answers = [checker.conforms(v, f) for v in ("http://example.com/ü", "http://a/b c", "#frag")
           for f in ("iri", "iri-reference")]
print(loaded, type(sys.modules["rfc3987_syntax"]).__name__, answers)
"""

REAL = """
import sys
from jsonschema import Draft7Validator
checker = Draft7Validator.FORMAT_CHECKER
print([checker.conforms(v, f) for v in ("http://example.com/ü", "http://a/b c", "#frag")
       for f in ("iri", "iri-reference")])
"""


@pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                    reason="installed without JupyterLab's jsonschema extras: nothing to defer")
def test_the_iri_grammar_waits_for_an_iri_and_checks_as_before():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=120, check=True)
    before, after, answers = done.stdout.split(" ", 2)
    # importing perfkit, altair and nbformat left the grammars uncompiled ...
    assert (before, after) == ("_Deferred", "module")
    # ... and jsonschema's checks answer as they do without perfkit
    real = subprocess.run([sys.executable, "-c", REAL], capture_output=True, text=True,
                          timeout=120, check=True)
    assert answers.strip() == real.stdout.strip()
    assert answers.strip() == "[True, True, False, False, False, True]"
