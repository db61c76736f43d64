"""BatchNormalization: normalises each feature over the batch (`keras.layers.BatchNormalization`)."""

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
from nnstudio.core.layers.config_values import is_false, is_initializer, is_last_axis, is_null, is_number
from nnstudio.core.layers.params import Flag, FloatRange, Param


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    features = known_last_axis(single_input(inputs))
    learned = [name for name, on in (("gamma", params["scale"]), ("beta", params["center"])) if on]
    return [Variable(name, (features,)) for name in learned] + [
        Variable("moving_mean", (features,), trainable=False),
        Variable("moving_variance", (features,), trainable=False),
    ]


def caption(params: Params, shape: Shape) -> str:
    return "BatchNorm"


LAYER = LayerType(
    "BatchNormalization",
    "Normalises each feature over the batch, with a learned scale and offset.",
    same_shape,
    params=(
        Param("center", Flag(), True, "Learn an offset (beta).", keras_default=True),
        Param("scale", Flag(), True, "Learn a scale (gamma).", keras_default=True),
        Param("momentum", FloatRange(0.0, 1.0), 0.99, "Momentum of the moving mean and variance.", keras_default=0.99),
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
        "beta_initializer": is_initializer,
        "gamma_initializer": is_initializer,
        "moving_mean_initializer": is_initializer,
        "moving_variance_initializer": is_initializer,
        "beta_regularizer": is_null,
        "gamma_regularizer": is_null,
        "beta_constraint": is_null,
        "gamma_constraint": is_null,
        "synchronized": is_false,
        "renorm": is_false,
        "renorm_clipping": is_null,
        "renorm_momentum": is_number,
    },
    drawing="stage",
    marker=Marker("s", "#cdb8e8"),
    caption=caption,
    samples=(
        Sample({}, ((5,),)),
        Sample({"center": False}, ((2, 3),)),
        Sample({"scale": False, "center": False, "momentum": 0.9}, ((None, 4),)),
        Sample({}, ((4, None),), refused_at=""),
    ),
)
