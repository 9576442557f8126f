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
