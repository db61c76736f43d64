"""Dropout: zeroes a random fraction of values while training (`keras.layers.Dropout`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, LayerType, Marker, Params, Sample, Shape, short_value, single_input
from nnstudio.core.layers.config_values import is_seed
from nnstudio.core.layers.params import FloatRange, NoiseShape, Param


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """The input's shape; a noise shape must fit it (Keras broadcasts the mask over the input when
    it trains: each entry None, 1, or the input's size there)."""
    shape = single_input(inputs)
    noise = params["noise_shape"]
    if noise is not None:
        full = (None, *shape)
        fits = len(noise) == len(full) and all(n is None or n == 1 or n == d for n, d in zip(noise, full, strict=False))
        if not fits:
            raise LayerError(
                "noise_shape",
                f"noise_shape must have the input's rank with the batch axis, each entry None, 1 or the input's size. "
                f"Received: noise_shape={tuple(noise)} for input shape {tuple(full)}",
            )
    return [shape]


def brief(params: Params) -> list[str]:
    return [short_value(params["rate"])]


def caption(params: Params, shape: Shape) -> str:
    return f"Dropout · rate {params['rate']}"


LAYER = LayerType(
    "Dropout",
    "During training, sets a random fraction of values to 0; does nothing at inference.",
    output_shapes,
    training_default=False,  # Keras's call(inputs, training=False)
    params=(
        Param(
            "rate",
            FloatRange(0.0, 1.0, max_open=True),
            0.5,
            "Fraction of the inputs to drop, in [0, 1).",
            positional=True,
        ),
        Param(
            "noise_shape",
            NoiseShape(),
            None,
            "The mask's shape, batch axis first: 1 shares a mask value along an axis (None, 1, 1, 1 drops whole samples).",
            keras_default=None,
        ),
    ),
    extra_config={"seed": is_seed},
    drawing="stage",
    marker=Marker("d", "#d9d9d9"),
    brief=brief,
    caption=caption,
    samples=(
        Sample({"rate": 0.25}, ((5,),)),
        Sample({"rate": 0.0}, ((None, 2, 3),)),
        Sample({"rate": 1.5}, ((5,),), refused_at="rate"),
        Sample({"rate": 0.2, "noise_shape": [None, 1, 1, 1]}, ((4, 4, 3),)),
        Sample({"noise_shape": [None, 1, 3]}, ((5, 3),)),
        Sample({"noise_shape": [1, None, 1]}, ((None, 3),)),
    ),
)
