"""CenterCrop: crops the centre of images to a height and width, resizing smaller ones first
(`keras.layers.CenterCrop`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Sample
from nnstudio.core.layers.config_values import is_channels_last
from nnstudio.core.layers.preprocessing._image_size import SIZE_PARAMS, brief, caption, output_shapes

LAYER = LayerType(
    "CenterCrop",
    "Crops the centre of each image to a height and width (an image smaller than that is resized first).",
    output_shapes,
    training_default=True,  # Keras's call(inputs, training=True)
    params=SIZE_PARAMS,
    extra_config={"data_format": is_channels_last},
    drawing="pool",
    marker=Marker("s", "#c7e3b5"),
    brief=brief,
    caption=caption("crop"),
    order=120,
    samples=(
        Sample({"height": 4, "width": 6}, ((8, 8, 3),)),
        Sample({"height": 3, "width": 3}, ((None, None, 2),)),
        Sample({"height": 10, "width": 2}, ((4, 4, 1),)),
    ),
)
