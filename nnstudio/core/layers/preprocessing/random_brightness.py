"""RandomBrightness: brightens or darkens images at random while training (`keras.layers.RandomBrightness`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import Factor, Param
from nnstudio.core.layers.preprocessing._augmentation import EXTRA_CONFIG, VALUE_RANGE, factor_text, image_shape


def brief(params: Params) -> list[str]:
    return [factor_text(params["factor"])]


def caption(params: Params, shape: Shape) -> str:
    return f"brightness · {factor_text(params['factor'])}"


LAYER = LayerType(
    "RandomBrightness",
    "While training, brightens or darkens each image by a random amount; does nothing at inference.",
    image_shape,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        Param(
            "factor",
            Factor(-1.0, 1.0, single="symmetric", sorted_pair=True),
            0.2,
            "How much, a fraction of the value range: 0.2 shifts values by up to ±20%; or low, high.",
            positional=True,
        ),
        VALUE_RANGE,
    ),
    extra_config=EXTRA_CONFIG,
    drawing="stage",
    marker=Marker("t", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=250,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"factor": [0.3, -0.1], "value_range": [0, 1]}, ((None, None, 3),)),
        Sample({"factor": 1.5}, ((8, 8, 3),), refused_at="factor"),
    ),
)
