"""LayerNormalization: normalises each sample over its features (`keras.layers.LayerNormalization`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import (
    LayerType,
    Marker,
    Params,
    Sample,
    Shape,
    Variable,
    known_last_axis,
    same_shape,
    single_input,
)
from nnstudio.core.layers.config_values import is_false, is_initializer, is_last_axis, is_null
from nnstudio.core.layers.params import Flag, FloatRange, Param


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    features = known_last_axis(single_input(inputs))
    learned = [name for name, on in (("gamma", params["scale"]), ("beta", params["center"])) if on]
    return [Variable(name, (features,)) for name in learned]


def caption(params: Params, shape: Shape) -> str:
    return "LayerNorm"


LAYER = LayerType(
    "LayerNormalization",
    "Normalises each sample over its features, with a learned scale and offset.",
    same_shape,
    params=(
        Param("center", Flag(), True, "Learn an offset (beta).", keras_default=True),
        Param("scale", Flag(), True, "Learn a scale (gamma).", keras_default=True),
        Param(
            "epsilon",
            FloatRange(0.0, 1.0),
            0.001,
            "Small number added to the variance to avoid dividing by zero.",
            keras_default=0.001,
        ),
    ),
    variables=variables,
    extra_config={
        "axis": is_last_axis,
        "rms_scaling": is_false,
        "beta_initializer": is_initializer,
        "gamma_initializer": is_initializer,
        "beta_regularizer": is_null,
        "gamma_regularizer": is_null,
        "beta_constraint": is_null,
        "gamma_constraint": is_null,
    },
    drawing="stage",
    marker=Marker("s", "#a9dccf"),
    caption=caption,
    samples=(
        Sample({}, ((5,),)),
        Sample({"scale": False, "epsilon": 0.01}, ((None, 3),)),
        Sample({"center": False}, ((2, 3, 4),)),
    ),
)
