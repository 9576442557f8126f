"""perfkit.vega: charts drawn by a helper process are the charts drawn here."""

from __future__ import annotations

import os
import signal

import pytest
import vl_convert

from perfkit import vega

BAR = {"data": {"values": [{"a": 3, "b": "x <b>"}, {"a": 5, "b": "y"}]}, "mark": "bar",
       "encoding": {"x": {"field": "a", "type": "quantitative"},
                    "y": {"field": "b", "type": "nominal"}}}


@pytest.fixture
def helper():
    vega.start()
    child = vega._helper.get("child")
    yield child and child.pid
    vega.stop()


def test_the_helper_draws_what_vl_convert_draws_here(helper):
    if helper is None:
        pytest.skip("one core: charts are drawn in this process")
    assert vega.to_svg(BAR) == vl_convert.vegalite_to_svg(BAR)


def test_a_bad_spec_fails_as_it_would_here(helper):
    with pytest.raises(ValueError) as there:
        vega.to_svg({"mark": {"type": "no-such-mark"}})
    with pytest.raises(ValueError) as here:
        vl_convert.vegalite_to_svg({"mark": {"type": "no-such-mark"}})
    assert str(there.value) == str(here.value)


def test_a_helper_ended_by_a_signal_leaves_drawing_to_this_process(helper):
    if helper is None:
        pytest.skip("one core: charts are drawn in this process")
    os.kill(helper, signal.SIGTERM)
    assert vega.to_svg(BAR) == vl_convert.vegalite_to_svg(BAR)
    assert "child" not in vega._helper  # and it is not asked again


def test_stop_ends_and_reaps_the_helper(helper):
    if helper is None:
        pytest.skip("one core: charts are drawn in this process")
    vega.stop()
    assert not os.path.exists(f"/proc/{helper}")


FORKED = """
import multiprocessing, sys
from perfkit import vega
BAR = {bar!r}
vega.to_svg(BAR)  # no helper here: this process's own engine starts

def worker():
    vega.draw_here()  # as a batch's worker does when it starts
    return vega.to_svg(BAR)

with multiprocessing.get_context("fork").Pool(1) as pool:
    print(pool.apply_async(worker).get(timeout=30)[:4])
"""


def test_a_worker_forked_after_the_engine_started_still_draws(tmp_path):
    # A batch forked from a process that had drawn a chart itself (a test process, an
    # analyst's session) once waited for ever: the engine's thread does not survive a fork.
    import subprocess
    import sys

    script = tmp_path / "forked.py"
    script.write_text(FORKED.format(bar=BAR))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "<svg"
