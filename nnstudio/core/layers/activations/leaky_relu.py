"""LeakyReLU: keeps positive values and scales negative ones by a small slope (`keras.layers.LeakyReLU`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    return [short_value(params["negative_slope"])]


def caption(params: Params, shape: Shape) -> str:
    return f"LeakyReLU · slope {short_value(params['negative_slope'])}"


LAYER = LayerType(
    "LeakyReLU",
    "Keeps positive values and multiplies negative ones by a small slope, so they still pass a gradient.",
    same_shape,
    params=(
        Param(
            "negative_slope",
            FloatRange(0.0, None),
            0.3,
            "Slope for negative values.",
            keras_default=0.3,
        ),
    ),
    drawing="stage",
    marker=Marker("t2", "#f2c063"),
    brief=brief,
    caption=caption,
    order=111,
    samples=(
        Sample({}, ((5,),)),
        Sample({"negative_slope": 0.01}, ((None, 2, 3),)),
        Sample({"negative_slope": -0.1}, ((5,),), refused_at="negative_slope"),
    ),
)
