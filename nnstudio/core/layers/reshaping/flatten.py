"""Flatten: lays all values of a sample out in one row (`keras.layers.Flatten`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, single_input, size_text
from nnstudio.core.layers.config_values import is_channels_last


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = single_input(inputs)
    if any(d is None for d in shape):
        return [(None,)]
    return [(math.prod(d for d in shape if d is not None),)]


def caption(params: Params, shape: Shape) -> str:
    return f"Flatten → {size_text(shape)}"


LAYER = LayerType(
    "Flatten",
    "Lays all values of a sample out in one row.",
    output_shapes,
    extra_config={"data_format": is_channels_last},
    drawing="regroup",
    marker=Marker("o", "#dde3ea"),
    caption=caption,
    samples=(Sample({}, ((2, 3),)), Sample({}, ((5,),)), Sample({}, ((None, 4),)), Sample({}, ((2, 3, 4),))),
)
