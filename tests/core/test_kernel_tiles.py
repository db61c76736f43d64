"""Tile sums of convolutions (core.kernel_tiles): which layers have them, and what travels with arrays."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from nnstudio.core import array_notes, kernel_tiles
from nnstudio.core.shapes import infer_all
from nnstudio.core.spec import ModelSpec
from tests.ui.test_feature_maps import stack


def named_weights(spec: ModelSpec, seed: int = 0) -> tuple[dict[str, list[np.ndarray]], dict[str, dict]]:
    """Random weights in Keras's order (the registry's inference), and the same by variable name."""
    rng = np.random.default_rng(seed)
    weights, named, shape = {}, {}, tuple(spec.layers[0].get("shape"))
    for layer in spec.layers[1:]:
        outputs, variables = infer_all(layer, [shape])
        if variables:
            weights[layer.name] = [rng.normal(size=v.shape).astype(np.float32) for v in variables]
            named[layer.name] = {v.name: a for v, a in zip(variables, weights[layer.name], strict=True)}
        shape = outputs[0]
    return weights, named


SPEC = stack(
    ("Conv2D", {"filters": 6, "kernel_size": [3, 3]}),
    ("SeparableConv2D", {"filters": 5, "kernel_size": [3, 3], "depth_multiplier": 2}),
    ("DepthwiseConv2D", {"kernel_size": [3, 3], "depth_multiplier": 2}),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": [2, 2]}),
    ("SeparableConv2D", {"filters": 4, "kernel_size": [3, 3]}),
    ("Flatten", {}),
    ("Dense", {"units": 2}),
    shape=(12, 12, 4),
)


def test_the_convolutions_of_a_model_are_found_with_the_drawing_the_canvas_gives_them():
    drawings = kernel_tiles.convolution_drawings(SPEC.layers)
    by_class = {layer.class_name: drawings.get(layer.name) for layer in SPEC.layers}
    assert by_class == {
        "Input": None,
        "Conv2D": "conv",
        "SeparableConv2D": "separable_conv",
        "DepthwiseConv2D": "depthwise_conv",
        "Conv2DTranspose": "conv_transpose",
        "Flatten": None,
        "Dense": None,
    }
    assert len(drawings) == 5


def test_sums_by_layer_read_the_first_arrays_as_the_kernels_their_names_say():
    """The engine has arrays in Keras's order, not names: its sums equal those made from the
    variables by name (the way the canvas reads them), for every variant."""
    from nnstudio.ui.canvas.feature_maps import READERS

    weights, named = named_weights(SPEC)
    drawings = kernel_tiles.convolution_drawings(SPEC.layers)
    found = kernel_tiles.sums_by_layer(drawings, weights)
    assert set(found) == set(drawings)
    for name, drawing in drawings.items():
        read = READERS[drawing].tiles(named[name])
        np.testing.assert_allclose(found[name].signed, read.signed, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(found[name].absolute, read.absolute, rtol=1e-5)


def test_layers_without_their_kernels_get_no_sums():
    weights, _ = named_weights(SPEC)
    drawings = kernel_tiles.convolution_drawings(SPEC.layers)
    conv, separable = SPEC.layers[1].name, SPEC.layers[2].name
    weights[conv] = []  # a layer an edit kept: its arrays are the window's own
    weights[separable] = weights[separable][:1]  # the pointwise kernel missing
    weights.pop(SPEC.layers[3].name)  # not sent at all
    found = kernel_tiles.sums_by_layer(drawings, weights)
    assert conv not in found and separable not in found and SPEC.layers[3].name not in found
    assert SPEC.layers[4].name in found


def test_tile_sums_are_recalled_for_that_kernel_object_only_and_forgotten_with_it():
    kernel = np.ones((3, 3, 2, 4), np.float32)
    sums = kernel_tiles.tile_sums("conv", [kernel])
    assert sums.signed.shape == (4, 3, 3) and float(sums.absolute[0, 0, 0]) == 2.0
    kernel_tiles.remember(kernel, sums)
    assert kernel_tiles.recall(kernel) is sums
    assert kernel_tiles.recall(kernel.copy()) is None
    before = len(array_notes._notes)
    del kernel
    gc.collect()
    assert len(array_notes._notes) == before - 1


@pytest.mark.parametrize("dtype", [np.int32, np.float16])
def test_kernels_of_other_dtypes_are_summed_as_floats(dtype):
    kernel = np.arange(3 * 3 * 2 * 4).reshape(3, 3, 2, 4).astype(dtype)
    sums = kernel_tiles.tile_sums("conv", [kernel])
    assert sums.signed.dtype.kind == "f"
    np.testing.assert_allclose(sums.signed, np.moveaxis(kernel.astype(np.float64).sum(axis=-2), -1, 0), rtol=1e-3)
