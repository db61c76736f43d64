"""Softmax: turns values into probabilities along an axis (`keras.layers.Softmax`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.axes import distinct_axes
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
)
from nnstudio.core.layers.params import Axis, Param


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = single_input(inputs)
    axis = params["axis"]
    ndim = len(shape) + 1
    for a in [axis] if isinstance(axis, int) else axis:
        if not -ndim <= a < ndim:
            raise LayerError(
                "axis",
                f"axis {a} is out of bounds for an input of rank {ndim} (shape {format_shape(shape)}). "
                f"Received: axis={short_value(axis)}",
            )
    distinct_axes(axis, ndim)
    return [shape]


def brief(params: Params) -> list[str]:
    return [] if params["axis"] == -1 else [f"axis {short_value(params['axis'])}"]


def caption(params: Params, shape: Shape) -> str:
    return f"Softmax · axis {short_value(params['axis'])}"


LAYER = LayerType(
    "Softmax",
    "Turns the values along an axis into probabilities that add up to 1.",
    output_shapes,
    params=(
        Param(
            "axis",
            Axis(),
            -1,
            "The axis (or axes) that add up to 1, counted with the batch axis as 0; -1 is the last.",
            keras_default=-1,
        ),
    ),
    drawing="stage",
    marker=Marker("t2", "#f4a259"),
    brief=brief,
    caption=caption,
    order=114,
    samples=(
        Sample({}, ((5,),)),
        Sample({"axis": 1}, ((4, 3),)),
        Sample({"axis": [1, 2]}, ((None, 3, 2),)),
        Sample({"axis": -2}, ((2, 3, 4),)),
    ),
)
