"""Resizing: resizes images to a height and width (`keras.layers.Resizing`), as Keras's examples
do before a model made for one size (the ViT example: `layers.Resizing(72, 72)`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample
from nnstudio.core.layers.config_values import is_channels_last
from nnstudio.core.layers.params import Choice, Flag, FloatRange, Param
from nnstudio.core.layers.preprocessing._image_size import SIZE_PARAMS, brief, caption, output_shapes

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")


def validate(params: Params) -> list[tuple[str | None, str]]:
    if params["crop_to_aspect_ratio"] and params["pad_to_aspect_ratio"]:
        return [
            (
                "pad_to_aspect_ratio",
                "Only one of `crop_to_aspect_ratio` or `pad_to_aspect_ratio` can be True. Received: both",
            )
        ]
    return []


LAYER = LayerType(
    "Resizing",
    "Resizes images to a height and width (stretching, or cropping or padding to keep their aspect ratio).",
    output_shapes,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        *SIZE_PARAMS,
        Param(
            "interpolation",
            Choice(INTERPOLATIONS),
            "bilinear",
            "How new pixels are computed.",
            keras_default="bilinear",
        ),
        Param(
            "crop_to_aspect_ratio",
            Flag(),
            False,
            "Crop the largest centred window of the target's aspect ratio first, so images are not stretched.",
            keras_default=False,
        ),
        Param(
            "pad_to_aspect_ratio",
            Flag(),
            False,
            "Pad the images to the target's aspect ratio first, so they are not stretched.",
            keras_default=False,
        ),
        Param(
            "fill_value",
            FloatRange(None, None),
            0.0,
            "The value of the padding (with pad_to_aspect_ratio).",
            keras_default=0.0,
        ),
        Param("antialias", Flag(), False, "Filter with an anti-aliasing kernel when shrinking.", keras_default=False),
    ),
    validate=validate,
    extra_config={"data_format": is_channels_last, "fill_mode": lambda value: value == "constant"},
    drawing="pool",
    marker=Marker("s", "#c7e3b5"),
    brief=brief,
    caption=caption("resize"),
    order=110,
    samples=(
        Sample({"height": 4, "width": 6}, ((8, 8, 3),)),
        Sample({"height": 3, "width": 3, "interpolation": "nearest", "crop_to_aspect_ratio": True}, ((None, None, 2),)),
        Sample(
            {"height": 5, "width": 2, "pad_to_aspect_ratio": True, "fill_value": 1.0, "antialias": True}, ((4, 4, 1),)
        ),
    ),
)
