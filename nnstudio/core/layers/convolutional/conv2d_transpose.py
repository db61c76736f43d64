"""Conv2DTranspose: a convolution run backwards, enlarging feature maps (`keras.layers.Conv2DTranspose`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import TRANSPOSE, conv_type, dilated_transpose_runs

LAYER = conv_type(
    "Conv2DTranspose",
    2,
    TRANSPOSE,
    "Runs a 2-D convolution backwards: each input value spreads over a window, so the maps grow.",
    order=5,
    samples=(
        Sample({"filters": 3, "kernel_size": [3, 3]}, ((4, 5, 2),)),
        Sample({"filters": 2, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}, ((4, 4, 3),)),
        Sample(
            {"filters": 2, "kernel_size": [4, 4], "strides": [2, 2], "padding": "same", "output_padding": [1, 1]},
            ((5, 5, 2),),
        ),
        Sample({"filters": 2, "kernel_size": [2, 3], "strides": [2, 3], "output_padding": [1, 0]}, ((3, 3, 1),)),
        Sample(
            {"filters": 2, "dilation_rate": [2, 2], "activation": "relu"},
            ((4, 4, 1),),
            refused_at=None if dilated_transpose_runs() else "dilation_rate",
        ),
        Sample({"filters": 4, "data_format": "channels_first", "strides": 2}, ((3, 4, 4),)),
        Sample({"filters": 2, "kernel_size": [1, 1], "use_bias": False}, ((None, None, 3),)),
        Sample(
            {"kernel_size": [3, 3], "strides": [2, 2], "output_padding": [2, 0]},
            ((4, 4, 2),),
            refused_at="output_padding",
        ),
        Sample({"filters": -1}, ((4, 4, 2),), refused_at="filters"),
        Sample({"kernel_size": [3, 0]}, ((4, 4, 2),), refused_at="kernel_size"),
        Sample({}, ((4, 4),), refused_at=""),
    ),
)
