"""Officers' free text is sanitised: lists and emphasis kept, anything active dropped."""

from __future__ import annotations

import pytest

from perfkit.html import clean


@pytest.mark.parametrize(("text", "expected"), [
    ('<ul style="list-style-type: none"> • One • Two', "<ul><li>One</li><li>Two</li></ul>"),
    ("<p>Para</p><ul><li>kept</li></ul>", "<p>Para</p><ul><li>kept</li></ul>"),
    ("<strong>bold</strong> and <em>em</em>", "<strong>bold</strong> and <em>em</em>"),
    ('<a href="https://example.org/x">ok</a>',
     '<a href="https://example.org/x" rel="noopener noreferrer">ok</a>'),
    ('<a href="javascript:alert(1)">bad</a>', '<a rel="noopener noreferrer">bad</a>'),
    ('<img src=x onerror="alert(1)">', ""),
    ("<script>alert(1)</script>after", "after"),
    ('<svg onload="alert(1)"><circle/></svg>', ""),
    ('<p style="background:url(javascript:x)" onclick="x()">p</p>', "<p>p</p>"),
    ('<iframe src="data:text/html,<script>alert(1)</script>"></iframe>', ""),
    ("5 < 6 & 7 > 3", "5 &lt; 6 &amp; 7 &gt; 3"),
    ("", ""),
    (None, ""),
])
def test_clean(text, expected):
    assert clean(text) == expected


@pytest.mark.parametrize("description, caption", [
    # perfkit's own descriptions open with the title: said once, not twice
    ("Milestones by status. All priorities: 31 green.", "Milestones by status. All priorities: 31 green."),
    # an analyst's own description does not: the title comes first
    ("31 of 36 are green.", "Milestones by status. 31 of 36 are green."),
])
def test_a_figures_caption_names_it_once(description, caption):
    import re

    import pandas as pd

    from perfkit.html import spec_figure

    spec = {"data": {"values": [{"a": 1, "b": "x"}]}, "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "quantitative"},
                         "y": {"field": "b", "type": "nominal"}}}
    page = spec_figure(spec, "Milestones by status", description,
                       pd.DataFrame({"a": [1], "b": ["x"]}), "chart-x")
    assert re.search(r"<figcaption[^>]*>(.*?)</figcaption>", page)[1] == caption
