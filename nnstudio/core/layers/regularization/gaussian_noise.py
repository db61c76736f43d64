"""GaussianNoise: adds random normal noise while training (`keras.layers.GaussianNoise`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.config_values import is_seed
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    return [short_value(params["stddev"])]


def caption(params: Params, shape: Shape) -> str:
    return f"GaussianNoise · σ {short_value(params['stddev'])}"


LAYER = LayerType(
    "GaussianNoise",
    "During training, adds random noise (normal, mean 0) to every value; does nothing at inference.",
    same_shape,
    training_default=False,  # Keras's call(inputs, training=False)
    params=(
        Param("stddev", FloatRange(0.0, 1.0), 0.1, "Standard deviation of the noise, in [0, 1].", positional=True),
    ),
    extra_config={"seed": is_seed},
    drawing="stage",
    marker=Marker("d", "#c4d3e3"),
    brief=brief,
    caption=caption,
    order=122,
    samples=(
        Sample({"stddev": 0.1}, ((5,),)),
        Sample({"stddev": 1.0}, ((None, 3),)),
        Sample({"stddev": 1.5}, ((5,),), refused_at="stddev"),
    ),
)
