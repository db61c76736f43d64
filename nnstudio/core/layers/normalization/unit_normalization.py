"""UnitNormalization: scales each sample to length 1 along an axis (`keras.layers.UnitNormalization`)."""

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
        if a >= ndim or a < -ndim:
            raise LayerError(
                "axis", f"Axis {short_value(axis)} is out of bounds for input shape {format_shape(shape)}."
            )
    distinct_axes(axis, ndim)
    return [shape]


def brief(params: Params) -> list[str]:
    return [] if params["axis"] == -1 else [f"axis {short_value(params['axis'])}"]


def caption(params: Params, shape: Shape) -> str:
    return f"UnitNorm · axis {short_value(params['axis'])}"


LAYER = LayerType(
    "UnitNormalization",
    "Divides each sample by its length (L2 norm) along an axis, so that it has length 1.",
    output_shapes,
    params=(
        Param(
            "axis",
            Axis(),
            -1,
            "The axis (or axes) along which each sample gets length 1; -1 is the last.",
            keras_default=-1,
        ),
    ),
    drawing="stage",
    marker=Marker("s", "#b9d7ee"),
    brief=brief,
    caption=caption,
    order=110,
    samples=(
        Sample({}, ((5,),)),
        Sample({"axis": [1, 2]}, ((None, 3, 4),)),
        Sample({"axis": 1}, ((4, 3),)),
        Sample({"axis": 3}, ((5,),), refused_at="axis"),
        Sample({"axis": -4}, ((2, 3),), refused_at="axis"),
    ),
)
