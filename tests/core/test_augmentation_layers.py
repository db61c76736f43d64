"""The random image augmentation layers' settings: a factor is one number or a (low, high) pair,
written into Keras's config as Keras writes it, checked in Keras's words, typed as text; the
layers take images (rank 3 with the batch axis, or 4) and refuse anything else as Keras does when
it runs them."""

from __future__ import annotations

import pytest

from nnstudio.core.layers.base import LayerError
from nnstudio.core.layers.params import Factor, NumberPair
from nnstudio.core.layers.registry import layer_type

ROTATION = layer_type("RandomRotation").param("factor").kind
CONTRAST = layer_type("RandomContrast").param("factor").kind
ZOOM_WIDTH = layer_type("RandomZoom").param("width_factor").kind


@pytest.mark.parametrize(
    ("kind", "value", "config"),
    [
        (ROTATION, 0.1, [-0.1, 0.1]),
        (ROTATION, -0.25, [-0.25, 0.25]),
        (ROTATION, [0.2, -0.1], [-0.1, 0.2]),
        (CONTRAST, 0.2, [0, 0.2]),
        (CONTRAST, [0.1, 0.3], [0.1, 0.3]),
        (ZOOM_WIDTH, None, None),
        (ZOOM_WIDTH, [0.3, -0.2], [0.3, -0.2]),
    ],
)
def test_a_factor_is_written_as_keras_writes_it(kind: Factor, value, config) -> None:
    assert kind.check("factor", value) is None
    assert kind.as_config(value) == config
    assert kind.from_config("factor", config) == config


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        (ROTATION, 2.0, "in the range [-1, 1]. Received: factor=2.0"),
        (CONTRAST, -0.1, "in the range [0, 1]"),
        (ROTATION, [0.1, 0.2, 0.3], "a number (or a list of two numbers)"),
        (layer_type("RandomZoom").param("height_factor").kind, -1.0, "in the range (-1, 1]"),
        (ROTATION, None, "a number (or a list of two numbers)"),
    ],
)
def test_a_factor_out_of_range_is_refused_in_keras_s_words(kind: Factor, value, words: str) -> None:
    assert words in kind.check("factor", value)


def test_factors_and_value_ranges_are_typed_as_text() -> None:
    assert ROTATION.parse_text("0.15") == 0.15
    assert ROTATION.parse_text("(-0.1, 0.2)") == [-0.1, 0.2]
    assert ZOOM_WIDTH.parse_text("None") is None
    assert ROTATION.format_text([-0.1, 0.2]) == "-0.1, 0.2"
    with pytest.raises(ValueError, match="one number, or two"):
        ROTATION.parse_text("0.1, 0.2, 0.3")
    with pytest.raises(ValueError, match="'abc' is not a number"):
        ROTATION.parse_text("abc")
    pair = NumberPair()
    assert pair.parse_text("0, 255") == [0, 255] and pair.parse_text("-1 1") == [-1, 1]
    assert "low then high" in pair.check("value_range", [1, 0])
    with pytest.raises(ValueError, match="two numbers"):
        pair.parse_text("255")


@pytest.mark.parametrize("class_name", ["RandomFlip", "RandomRotation", "RandomContrast"])
def test_augmentation_takes_images_only(class_name: str) -> None:
    kind = layer_type(class_name)
    settings = kind.defaults()
    assert kind.infer(settings, [(32, 32, 3)])[0] == [(32, 32, 3)]
    assert kind.infer(settings, [(28, 28)])[0] == [(28, 28)]
    for shape in [(5,), (4, 8, 8, 3)]:
        with pytest.raises(LayerError, match="Expected image tensor to have rank 3"):
            kind.infer(settings, [shape])
