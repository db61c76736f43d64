"""Dropout: zeroes a random fraction of values while training (`keras.layers.Dropout`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.config_values import is_null, is_seed
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    return [short_value(params["rate"])]


def caption(params: Params, shape: Shape) -> str:
    return f"Dropout · rate {params['rate']}"


LAYER = LayerType(
    "Dropout",
    "During training, sets a random fraction of values to 0; does nothing at inference.",
    same_shape,
    params=(
        Param(
            "rate",
            FloatRange(0.0, 1.0, max_open=True),
            0.5,
            "Fraction of the inputs to drop, in [0, 1).",
            positional=True,
        ),
    ),
    extra_config={"seed": is_seed, "noise_shape": is_null},
    drawing="stage",
    marker=Marker("d", "#d9d9d9"),
    brief=brief,
    caption=caption,
    samples=(
        Sample({"rate": 0.25}, ((5,),)),
        Sample({"rate": 0.0}, ((None, 2, 3),)),
        Sample({"rate": 1.5}, ((5,),), refused_at="rate"),
    ),
)
