"""Permute: reorders the axes of a sample (`keras.layers.Permute`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, short_value, single_input, size_text
from nnstudio.core.layers.params import Param, Permutation
from nnstudio.core.layers.spatial import expect_ndim


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = single_input(inputs)
    dims = params["dims"]
    expect_ndim(shape, len(dims) + 1)
    return [tuple(shape[d - 1] for d in dims)]


def brief(params: Params) -> list[str]:
    return [short_value(params["dims"])]


def caption(params: Params, shape: Shape) -> str:
    return f"Permute {short_value(params['dims'])} → {size_text(shape)}"


LAYER = LayerType(
    "Permute",
    "Reorders the axes of each sample (a transpose that leaves the batch axis first).",
    output_shapes,
    params=(
        Param(
            "dims",
            Permutation(),
            [2, 1],
            "The input's axes in their new order, counted from 1 (the first axis after the batch).",
            positional=True,
        ),
    ),
    drawing="regroup",
    marker=Marker("o", "#dde3ea"),
    brief=brief,
    caption=caption,
    order=110,
    samples=(
        Sample({"dims": [2, 1]}, ((5, 3),)),
        Sample({"dims": [3, 1, 2]}, ((2, None, 4),)),
        Sample({"dims": [1]}, ((6,),)),
        Sample({"dims": [2, 1]}, ((5,),), refused_at=""),
        Sample({"dims": [1, 3]}, ((5, 3),), refused_at="dims"),
    ),
)
