"""LayerScale: multiplies each channel by a learned scale, started at a small value; ConvNeXt's
blocks end with it (`keras.src.applications.convnext.LayerScale`, not exported by Keras).

Its one weight is `gamma`, shape (projection_dim,), which Keras names `variable` (the layer adds it
without a name; in a session with others, `variable_1`, `variable_2`, ...: a .keras file keeps it
by position, `vars/0`); the output is `x * gamma`, broadcast as Keras's operations do.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, Variable, short_value, single_input
from nnstudio.core.layers.broadcasting import broadcast_shapes
from nnstudio.core.layers.params import FloatRange, Param, PositiveInt

MODULE = "keras.src.applications.convnext"


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    return [broadcast_shapes((None, *single_input(inputs)), (params["projection_dim"],))[1:]]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    return [Variable("variable", (params["projection_dim"],))]


def caption(params: Params, shape: Shape) -> str:
    return f"x · γ (from {short_value(params['init_values'])})"


LAYER = LayerType(
    "LayerScale",
    "Multiplies each channel by a learned scale that starts small (ConvNeXt's blocks end with it).",
    output_shapes,
    params=(
        Param("init_values", FloatRange(None, None), 1e-6, "The scale each channel starts with (ConvNeXt: 1e-6)."),
        Param("projection_dim", PositiveInt(), 64, "How many channels: one scale each (the input's last size)."),
    ),
    variables=variables,
    drawing="stage",
    marker=Marker("star", "#f2c6a0"),
    brief=lambda params: [short_value(params["init_values"]), str(params["projection_dim"])],
    caption=caption,
    size_param="projection_dim",
    order=10,
    keras_module=MODULE,
    constructor=f"{MODULE}.LayerScale",
    samples=(
        Sample({"projection_dim": 8}, ((None, None, 8),)),
        Sample({"init_values": 0.5, "projection_dim": 3}, ((4, 4, 3),)),
        Sample({"projection_dim": 3}, ((4, 1),)),
        Sample({"projection_dim": 4}, ((5, 3),), refused_at=""),
    ),
)
