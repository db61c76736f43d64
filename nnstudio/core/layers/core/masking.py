"""Masking: marks the time steps whose values all equal a mask value, so that the recurrent layers
after it skip them (`keras.layers.Masking`): padded sequences of measurements."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    return [short_value(params["mask_value"])]


def caption(params: Params, shape: Shape) -> str:
    return f"mask · steps = {short_value(params['mask_value'])}"


LAYER = LayerType(
    "Masking",
    "Skips the time steps whose values all equal the mask value (padding) in the recurrent layers after it.",
    same_shape,
    params=(
        Param(
            "mask_value",
            FloatRange(None, None),
            0.0,
            "A time step whose every value equals this is padding: later layers skip it.",
            keras_default=0.0,
        ),
    ),
    drawing="stage",
    marker=Marker("s", "#dbeafe"),
    brief=brief,
    caption=caption,
    order=3,
    samples=(
        Sample({}, ((None, 8),)),
        Sample({"mask_value": -1.0}, ((10, 3),)),
        Sample({}, ((4, 4, 2),)),
    ),
)
