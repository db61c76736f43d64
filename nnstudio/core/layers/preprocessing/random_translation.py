"""RandomTranslation: shifts images by a random offset while training (`keras.layers.RandomTranslation`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import Factor, Param
from nnstudio.core.layers.preprocessing._augmentation import EXTRA_CONFIG, FILL_PARAMS, factor_text, image_shape


def brief(params: Params) -> list[str]:
    return [factor_text(params["height_factor"]), factor_text(params["width_factor"])]


def caption(params: Params, shape: Shape) -> str:
    return "shift · " + " × ".join(brief(params))


LAYER = LayerType(
    "RandomTranslation",
    "While training, shifts each image up/down and left/right by a random offset; does nothing at inference.",
    image_shape,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        Param(
            "height_factor",
            Factor(-1.0, 1.0),
            0.1,
            "How far up or down, a fraction of the height: 0.1 shifts by up to 10%; or low, high.",
            positional=True,
        ),
        Param(
            "width_factor",
            Factor(-1.0, 1.0),
            0.1,
            "How far left or right, a fraction of the width; or low, high.",
            positional=True,
        ),
        *FILL_PARAMS,
    ),
    extra_config=EXTRA_CONFIG,
    drawing="stage",
    marker=Marker("t", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=230,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"height_factor": -0.2, "width_factor": [0.1, 0.2], "fill_mode": "wrap"}, ((None, None, 3),)),
        Sample({"height_factor": 1.5}, ((8, 8, 3),), refused_at="height_factor"),
    ),
)
