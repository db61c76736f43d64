"""GaussianDropout: multiplies values by random normal noise around 1 while training (`keras.layers.GaussianDropout`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.config_values import is_seed
from nnstudio.core.layers.regularization._noise import rate_param


def brief(params: Params) -> list[str]:
    return [short_value(params["rate"])]


def caption(params: Params, shape: Shape) -> str:
    return f"GaussianDropout · rate {short_value(params['rate'])}"


LAYER = LayerType(
    "GaussianDropout",
    "During training, multiplies every value by random noise around 1 (a smooth dropout).",
    same_shape,
    training_default=False,  # Keras's call(inputs, training=False)
    params=(rate_param(0.1, "Drop probability, in [0, 1): the noise's spread is sqrt(rate / (1 - rate))."),),
    extra_config={"seed": is_seed},
    drawing="stage",
    marker=Marker("d", "#d6cde8"),
    brief=brief,
    caption=caption,
    order=120,
    samples=(
        Sample({"rate": 0.1}, ((5,),)),
        Sample({"rate": 0.5}, ((2, None),)),
        Sample({"rate": -0.5}, ((5,),), refused_at="rate"),
    ),
)
