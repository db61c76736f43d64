"""RandomFlip: flips images horizontally and/or vertically while training (`keras.layers.RandomFlip`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import Choice, Param
from nnstudio.core.layers.preprocessing._augmentation import EXTRA_CONFIG, image_shape

MODES = ("horizontal_and_vertical", "horizontal", "vertical")


def brief(params: Params) -> list[str]:
    return [params["mode"]]


def caption(params: Params, shape: Shape) -> str:
    return f"flip · {params['mode'].replace('_and_', ' & ')}"


LAYER = LayerType(
    "RandomFlip",
    "While training, flips each image at random (left-right, up-down or both); does nothing at inference.",
    image_shape,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        Param(
            "mode",
            Choice(MODES),
            "horizontal",
            "Which flips: horizontal (left-right), vertical (up-down) or both.",
            keras_default="horizontal_and_vertical",
            positional=True,
        ),
    ),
    extra_config=EXTRA_CONFIG,
    drawing="stage",
    marker=Marker("t", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=200,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"mode": "vertical"}, ((None, None, 1),)),
        Sample({"mode": "horizontal_and_vertical"}, ((6, 5),)),
    ),
)
