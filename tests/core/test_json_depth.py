"""The JSON nesting pre-check: small texts are counted without numpy, big ones with it, alike."""

from __future__ import annotations

import pytest

from nnstudio.core import json_depth
from nnstudio.core.json_depth import exceeds_depth, json_shape

TEXTS = [
    ("", (0, 0)),
    ('{"a": [1, 2, {"b": "[[[{{{"}]}', (3, 3)),  # brackets inside strings do not count
    ('[[], [[]], {"x": {}}]', (3, 6)),
    ("]]][", (-1, 1)),  # not JSON: the parser refuses it, the depth says nothing more
    ('[{"unterminated: [[[[', (2, 2)),
]


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_both_ways_of_counting_agree(monkeypatch, text, expected):
    assert json_shape(text) == expected
    monkeypatch.setattr(json_depth, "_SMALL", -1)  # numpy's way for every text
    assert json_shape(text) == expected


def test_a_deep_text_beyond_the_small_limit():
    depth = json_depth._SMALL  # 2 x depth brackets: counted by numpy
    text = "[" * depth + "]" * depth
    assert json_shape(text) == (depth, depth)
    assert exceeds_depth(text, depth - 1) and not exceeds_depth(text, depth)
