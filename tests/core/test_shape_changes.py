"""Layers that change a tensor's shape say so: output shapes with varying sizes kept as None, the
canvas caption with the sizes before and after, and Keras's words for what they cannot take."""

from __future__ import annotations

import pytest

from nnstudio.core.layers import LayerError, layer_type
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze


def _infer(class_name: str, shape: tuple, **params):
    kind = layer_type(class_name)
    return kind.infer({**kind.defaults(), **params}, [shape])[0][0]


@pytest.mark.parametrize(
    ("class_name", "params", "shape", "out", "caption"),
    [
        ("ZeroPadding2D", {}, (28, 28, 1), (30, 30, 1), "pad 28×28 → 30×30"),
        ("ZeroPadding2D", {"padding": [[0, 2], [1, 1]]}, (4, None, 3), (6, None, 3), "pad 4×None → 6×None"),
        ("ZeroPadding1D", {"padding": [2, 0], "data_format": "channels_first"}, (3, 5), (3, 7), "pad 5 → 7"),
        ("ZeroPadding3D", {}, (2, 3, 4, 1), (4, 5, 6, 1), "pad 2×3×4 → 4×5×6"),
        ("Cropping1D", {"cropping": [1, 2]}, (6, 3), (3, 3), "crop 6 → 3"),
        ("Cropping2D", {"cropping": [[1, 1], [2, 0]]}, (28, 28, 1), (26, 26, 1), "crop 28×28 → 26×26"),
        ("Cropping3D", {"data_format": "channels_first"}, (5, 4, 4, 4), (5, 2, 2, 2), "crop 4×4×4 → 2×2×2"),
        ("UpSampling1D", {"size": 3}, (None, 2), (None, 2), "upsample None → None"),
        ("UpSampling2D", {"size": [2, 3]}, (4, 5, 3), (8, 15, 3), "upsample 4×5 → 8×15"),
        ("UpSampling3D", {}, (1, 2, 3, 4), (2, 4, 6, 4), "upsample 1×2×3 → 2×4×6"),
    ],
)
def test_spatial_resizes_keep_channels_and_caption_the_change(class_name, params, shape, out, caption):
    assert _infer(class_name, shape, **params) == out
    assert layer_type(class_name).caption_for(params, out) == caption


@pytest.mark.parametrize(
    ("class_name", "params", "shape", "out"),
    [
        ("Permute", {"dims": [3, 1, 2]}, (2, None, 4), (4, 2, None)),
        ("RepeatVector", {"n": 3}, (None,), (3, None)),
        ("PReLU", {"shared_axes": [1]}, (None, 4), (None, 4)),
        ("GroupNormalization", {"groups": 2, "axis": 1}, (4, None), (4, None)),
        ("SpatialDropout1D", {"rate": 0.2}, (None, 4), (None, 4)),
    ],
)
def test_varying_sizes_pass_where_keras_lets_them(class_name, params, shape, out):
    assert _infer(class_name, shape, **params) == out


@pytest.mark.parametrize(
    ("class_name", "params", "shape", "field", "message"),
    [
        (
            "Cropping2D",
            {"cropping": [[2, 2], [0, 0]]},
            (4, 5, 3),
            "cropping",
            "Values in `cropping` argument should be smaller than the corresponding spatial dimension of the input. "
            "Received: input_shape=(None, 4, 5, 3), cropping=((2, 2), (0, 0))",
        ),
        (
            "Cropping1D",
            {"cropping": [1, 1]},
            (2, 3),
            "cropping",
            "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
            "Received: input_shape=(None, 2, 3), cropping=(1, 1)",
        ),
        (
            "GroupNormalization",
            {"groups": 3},
            (8,),
            "groups",
            "Number of groups (3) must be a multiple of the number of channels (8).",
        ),
        (
            "GroupNormalization",
            {"groups": 16},
            (8,),
            "groups",
            "Number of groups (16) cannot be more than the number of channels (8).",
        ),
        ("ZeroPadding2D", {}, (4, 5), None, "expected ndim=4, found ndim=3. Full shape received: (None, 4, 5)"),
        ("Permute", {"dims": [2, 1]}, (5,), None, "expected ndim=3, found ndim=2. Full shape received: (None, 5)"),
        ("UnitNormalization", {"axis": 3}, (5,), "axis", "Axis 3 is out of bounds for input shape (None, 5)."),
        ("Softmax", {"axis": 2}, (5,), "axis", "axis 2 is out of bounds for an input of rank 2 (shape (None, 5))."),
        (
            "Softmax",
            {"axis": [1, -1]},
            (5,),
            "axis",
            "axis 1 and -1 are the same axis of an input of rank 2; name each axis once. Received: axis=1, -1",
        ),
        ("UnitNormalization", {"axis": [-1, 2]}, (4, 3), "axis", "axis -1 and 2 are the same axis"),
    ],
)
def test_what_a_layer_cannot_take_is_said_in_keras_s_words_at_the_field(class_name, params, shape, field, message):
    with pytest.raises(LayerError) as info:
        _infer(class_name, shape, **params)
    assert info.value.field == field
    assert str(info.value).startswith(message)


def test_the_analysis_marks_the_layer_and_field_that_cannot_work():
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[8]))
    spec = spec.inserted(1, spec.new_layer("GroupNormalization", groups=3))
    issue = analyze(spec).issues[0]
    assert issue.layer_index == 1 and issue.field == "groups"
    assert (
        issue.message == "group_normalization: Number of groups (3) must be a multiple of the number of channels (8)."
    )
