"""Reshape: regroups a sample's values into a new shape (`keras.layers.Reshape`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nnstudio.core.layers.base import (
    LayerError,
    LayerType,
    Marker,
    Params,
    Sample,
    Shape,
    format_shape,
    short_value,
    single_input,
    size_text,
)
from nnstudio.core.layers.params import MAX_DIM, Param, ShapeKind


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras's `compute_reshape_output_shape`: the -1 is resolved from the input's element count;
    with a varying input size nothing can be checked and the -1 stays unknown (None)."""
    shape = single_input(inputs)
    target = list(params["target_shape"])
    if any(d is None for d in shape):
        return [tuple(None if d == -1 else d for d in target)]
    count = math.prod(d for d in shape if d is not None)
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        if known == 0 or count % known:
            raise LayerError("target_shape", _message(target, shape, count))
        return [tuple(count // known if d == -1 else d for d in target)]
    if known != count:
        raise LayerError("target_shape", _message(target, shape, count))
    return [tuple(target)]


def _message(target: list[int], shape: Shape, count: int) -> str:
    return (
        f"target_shape must hold the input's {count:,} elements "
        f"(input shape {format_shape(shape)}). Received: target_shape={tuple(target)}"
    )


def brief(params: Params) -> list[str]:
    return [short_value(params["target_shape"])]


def caption(params: Params, shape: Shape) -> str:
    return f"Reshape → {size_text(shape)}"


LAYER = LayerType(
    "Reshape",
    "Regroups the values of a sample into a new shape with the same number of elements.",
    output_shapes,
    params=(
        Param(
            "target_shape",
            ShapeKind(wildcard=True, maximum=MAX_DIM),
            [4, 5],
            "New shape without the batch axis; one entry may be -1.",
            positional=True,
        ),
    ),
    drawing="regroup",
    marker=Marker("o", "#dde3ea"),
    brief=brief,
    caption=caption,
    samples=(
        Sample({"target_shape": [4, 5]}, ((20,),)),
        Sample({"target_shape": [-1, 2]}, ((3, 4),)),
        Sample({"target_shape": [2, -1]}, ((None, 4),)),
        Sample({"target_shape": [3, 5]}, ((None, 4),)),
        Sample({"target_shape": [7, 9]}, ((20,),), refused_at="target_shape"),
    ),
)
