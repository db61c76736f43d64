"""RandomRotation: turns images by a random angle while training (`keras.layers.RandomRotation`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import Factor, Param
from nnstudio.core.layers.preprocessing._augmentation import EXTRA_CONFIG, FILL_PARAMS, factor_text, image_shape


def brief(params: Params) -> list[str]:
    return [factor_text(params["factor"])]


def caption(params: Params, shape: Shape) -> str:
    return f"rotate · {factor_text(params['factor'])} turn"


LAYER = LayerType(
    "RandomRotation",
    "While training, turns each image by a random angle (a fraction of a full turn); does nothing at inference.",
    image_shape,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        Param(
            "factor",
            Factor(-1.0, 1.0, single="symmetric", sorted_pair=True),
            0.1,
            "The angle as a fraction of a full turn: 0.1 turns by up to ±36°; or low, high.",
            positional=True,
        ),
        *FILL_PARAMS,
    ),
    extra_config=EXTRA_CONFIG,
    drawing="stage",
    marker=Marker("t", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=210,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"factor": [0.2, -0.1], "fill_mode": "constant", "interpolation": "nearest"}, ((None, None, 3),)),
        Sample({"factor": -0.25, "fill_value": 1.0}, ((6, 5),)),
        Sample({"factor": 2.0}, ((8, 8, 3),), refused_at="factor"),
    ),
)
