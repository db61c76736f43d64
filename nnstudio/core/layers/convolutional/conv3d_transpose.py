"""Conv3DTranspose: a 3-D convolution run backwards, enlarging volumes (`keras.layers.Conv3DTranspose`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import TRANSPOSE, conv_type

LAYER = conv_type(
    "Conv3DTranspose",
    3,
    TRANSPOSE,
    "Runs a 3-D convolution backwards: each input value spreads over a window, so the volume grows.",
    order=6,
    samples=(
        Sample({"filters": 2, "kernel_size": [2, 2, 2]}, ((3, 3, 3, 1),)),
        Sample({"filters": 2, "kernel_size": [3, 3, 3], "strides": [2, 1, 2], "padding": "same"}, ((2, 3, 2, 2),)),
        Sample({"filters": 2, "kernel_size": [3, 2, 2], "strides": 2, "output_padding": [1, 0, 1]}, ((2, 2, 2, 1),)),
        Sample({"filters": 3, "data_format": "channels_first", "kernel_size": 2}, ((2, 2, 3, 3),)),
        Sample({"filters": 2, "kernel_size": [1, 1, 1]}, ((None, 2, 2, 2),)),
        Sample({"strides": 2, "output_padding": 2}, ((2, 2, 2, 1),), refused_at="output_padding"),
        Sample({}, ((3, 3, 1),), refused_at=""),
    ),
)
