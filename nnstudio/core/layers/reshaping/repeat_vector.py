"""RepeatVector: repeats a vector n times, making a sequence (`keras.layers.RepeatVector`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, single_input, size_text
from nnstudio.core.layers.params import MAX_DIM, Param, PositiveInt
from nnstudio.core.layers.spatial import expect_ndim


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = single_input(inputs)
    expect_ndim(shape, 2)
    return [(params["n"], shape[0])]


def brief(params: Params) -> list[str]:
    return [str(params["n"])]


def caption(params: Params, shape: Shape) -> str:
    return f"repeat ×{params['n']} → {size_text(shape)}"


LAYER = LayerType(
    "RepeatVector",
    "Repeats each sample's vector n times, turning it into a sequence of n steps.",
    output_shapes,
    params=(Param("n", PositiveInt(MAX_DIM), 3, "How many times the vector is repeated.", positional=True),),
    drawing="regroup",
    marker=Marker("o", "#dde3ea"),
    brief=brief,
    caption=caption,
    order=111,
    samples=(
        Sample({"n": 3}, ((5,),)),
        Sample({"n": 1}, ((None,),)),
        Sample({"n": 4}, ((2, 3),), refused_at=""),
        Sample({"n": 0}, ((5,),), refused_at="n"),
    ),
)
