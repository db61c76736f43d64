"""Convolution and pooling against Keras beyond the per-type samples: what TensorFlow runs, and
what the canvas's kernel tiles mean.

- nnstudio refuses exactly the transposed convolutions that Keras builds but TensorFlow cannot
  run (padding="same", an even kernel and output_padding 0), over a grid of settings;
- every convolution variant's tiles (ui/canvas/feature_maps.py) hold, for each filter, input
  channel and tap, the weight Keras applies: read back from Keras's response to one-hot inputs.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

from nnstudio.core.layers.registry import layer_type
from nnstudio.core.shapes import LayerError
from nnstudio.ui.canvas.feature_maps import READERS

pytestmark = pytest.mark.engine
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")


def _nnstudio_accepts(class_name: str, params: dict, shape: tuple) -> bool:
    kind = layer_type(class_name)
    settings = {**kind.defaults(), **params}
    values = kind.values(settings)
    if any(p.check(values[p.name]) for p in kind.params) or kind.validate(values):
        return False
    try:
        kind.infer(settings, [shape])
    except LayerError:
        return False
    return True


def _tensorflow_runs(layer, shape: tuple) -> bool:
    try:
        out = layer(np.ones((1, *shape), "float32"))
    except Exception:  # noqa: BLE001 - TensorFlow fails with several error types
        return False
    return 0 not in tuple(out.shape)


def test_transposed_convolutions_are_refused_exactly_where_tensorflow_cannot_run_them():
    cases = 0
    for k, s, padding, n, d in itertools.product([1, 2, 3, 4], [1, 2, 3], ["valid", "same"], [1, 2, 3], [1, 2]):
        if s > 1 and d > 1:
            continue
        for op in [None, *range(s)]:
            params = {"filters": 1, "kernel_size": [k], "strides": [s], "padding": padding}
            params.update({"output_padding": None if op is None else [op], "dilation_rate": [d]})
            layer = keras.layers.Conv1DTranspose(1, k, strides=s, padding=padding, output_padding=op, dilation_rate=d)
            assert _nnstudio_accepts("Conv1DTranspose", params, (n, 1)) == _tensorflow_runs(layer, (n, 1)), params
            cases += 1
    assert cases > 200


def _impulses(window: tuple[int, ...], channels: int) -> np.ndarray:
    """One input per (tap, channel): a one-hot volume the size of the window."""
    count = int(np.prod(window)) * channels
    return np.eye(count, dtype="float32").reshape(count, *window, channels)


@pytest.mark.parametrize(
    ("class_name", "drawing", "make"),
    [
        ("Conv2D", "conv", lambda: keras.layers.Conv2D(4, (2, 3), use_bias=False)),
        ("Conv1D", "conv", lambda: keras.layers.Conv1D(4, 3, use_bias=False)),
        (
            "DepthwiseConv2D",
            "depthwise_conv",
            lambda: keras.layers.DepthwiseConv2D((2, 3), depth_multiplier=2, use_bias=False),
        ),
        (
            "SeparableConv2D",
            "separable_conv",
            lambda: keras.layers.SeparableConv2D(5, (3, 2), depth_multiplier=2, use_bias=False),
        ),
        ("Conv3D", "conv", lambda: keras.layers.Conv3D(2, (2, 2, 2), use_bias=False)),
    ],
)
def test_tiles_hold_the_weight_keras_applies_for_each_filter_channel_and_tap(class_name, drawing, make):
    """A valid convolution over an input exactly its window's size gives one output position:
    for a one-hot input at (tap, channel), output channel t is the weight of that tap and channel
    in tile t."""
    layer = make()
    channels = 3
    window = layer.kernel_size
    layer.build((None, *window, channels))
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])
    named = {w.name: np.asarray(w) for w in layer.weights}
    tiles = READERS[drawing].tiles(named)
    response = np.asarray(layer(_impulses(window, channels))).reshape(*window, channels, -1)
    if drawing == "depthwise_conv":  # output channel c·m + j reads input channel c only
        multiplier = layer.depth_multiplier
        expected = np.stack(
            [response[..., c, c * multiplier + j] for c in range(channels) for j in range(multiplier)], axis=-1
        )[..., None, :]
    else:
        expected = response
    assert tiles.per_channel.shape == expected.shape
    np.testing.assert_allclose(tiles.per_channel, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tiles.signed, np.moveaxis(expected.sum(axis=-2), -1, 0), rtol=1e-5, atol=1e-5)


def test_transposed_tiles_hold_the_weight_keras_spreads_from_each_input_channel():
    """A transposed convolution of a single input position spreads it over the window: for a
    one-hot input in channel c, output channel t at tap p is the weight of tile t, channel c, tap p."""
    layer = keras.layers.Conv2DTranspose(4, (2, 3), use_bias=False)
    channels = 3
    layer.build((None, 1, 1, channels))
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])
    tiles = READERS["conv_transpose"].tiles({w.name: np.asarray(w) for w in layer.weights})
    response = np.asarray(layer(np.eye(channels, dtype="float32").reshape(channels, 1, 1, channels)))
    expected = np.moveaxis(response, 0, -2)  # (rows, cols, channels, filters)
    np.testing.assert_allclose(tiles.per_channel, expected, rtol=1e-5, atol=1e-5)
