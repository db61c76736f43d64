"""ELU: exponential linear unit (`keras.layers.ELU`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    return [] if params["alpha"] == 1.0 else [short_value(params["alpha"])]


def caption(params: Params, shape: Shape) -> str:
    return f"ELU · alpha {short_value(params['alpha'])}"


LAYER = LayerType(
    "ELU",
    "Exponential linear unit: keeps positive values, bends negative ones smoothly towards -alpha.",
    same_shape,
    params=(
        Param(
            "alpha",
            FloatRange(None, None),
            1.0,
            "The value negative inputs approach (scale of the negative part).",
            keras_default=1.0,
        ),
    ),
    drawing="stage",
    marker=Marker("t2", "#f6e08f"),
    brief=brief,
    caption=caption,
    order=113,
    samples=(Sample({}, ((5,),)), Sample({"alpha": 0.5}, ((None, 3),)), Sample({"alpha": -2.0}, ((2, 3, 4),))),
)
