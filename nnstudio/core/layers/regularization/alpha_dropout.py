"""AlphaDropout: dropout that keeps a SELU network's mean and variance (`keras.layers.AlphaDropout`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.config_values import is_null, is_seed
from nnstudio.core.layers.regularization._noise import rate_param


def brief(params: Params) -> list[str]:
    return [short_value(params["rate"])]


def caption(params: Params, shape: Shape) -> str:
    return f"AlphaDropout · rate {short_value(params['rate'])}"


LAYER = LayerType(
    "AlphaDropout",
    "During training, drops values to SELU's resting value and rescales, keeping the mean and variance (for selu).",
    same_shape,
    training_default=False,  # Keras's call(inputs, training=False)
    params=(rate_param(0.1, "Fraction of the values to drop, in [0, 1)."),),
    extra_config={"seed": is_seed, "noise_shape": is_null},
    drawing="stage",
    marker=Marker("d", "#e3d3c1"),
    brief=brief,
    caption=caption,
    order=121,
    samples=(
        Sample({"rate": 0.1}, ((5,),)),
        Sample({"rate": 0.0}, ((None, 2, 3),)),
        Sample({"rate": 2.0}, ((5,),), refused_at="rate"),
    ),
)
