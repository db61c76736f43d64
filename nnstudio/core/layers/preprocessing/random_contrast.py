"""RandomContrast: changes images' contrast by a random factor while training (`keras.layers.RandomContrast`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, short_value
from nnstudio.core.layers.params import Factor, Param
from nnstudio.core.layers.preprocessing._augmentation import EXTRA_CONFIG, VALUE_RANGE, image_shape


def brief(params: Params) -> list[str]:
    return [short_value(params["factor"])]


def caption(params: Params, shape: Shape) -> str:
    return f"contrast · {short_value(params['factor'])}"


LAYER = LayerType(
    "RandomContrast",
    "While training, strengthens or weakens each image's contrast by a random factor; does nothing at inference.",
    image_shape,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        Param(
            "factor",
            Factor(0.0, 1.0, single="from_zero"),
            0.2,
            "How much the contrast may change: 0.2 scales it by 0.8 to 1.2; or low, high.",
            positional=True,
        ),
        VALUE_RANGE,
    ),
    extra_config=EXTRA_CONFIG,
    drawing="stage",
    marker=Marker("t", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=240,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"factor": [0.1, 0.3], "value_range": [0, 1]}, ((None, None, 3),)),
        Sample({"factor": 1.5}, ((8, 8, 3),), refused_at="factor"),
    ),
)
