"""Conv3D: filters slid over a volume's depth, rows and columns (`keras.layers.Conv3D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import CONV, conv_type

LAYER = conv_type(
    "Conv3D",
    3,
    CONV,
    "Slides filters over a volume (video frames, scans): depth, rows and columns.",
    order=3,
    samples=(
        Sample({"filters": 2, "kernel_size": [2, 2, 2]}, ((4, 5, 6, 1),)),
        Sample({"filters": 3, "kernel_size": [3, 1, 2], "strides": [1, 2, 2], "padding": "same"}, ((4, 6, 5, 2),)),
        Sample({"filters": 2, "dilation_rate": 2, "kernel_size": 2}, ((5, 5, 5, 1),)),
        Sample({"filters": 4, "data_format": "channels_first", "kernel_size": [1, 2, 2], "groups": 2}, ((2, 3, 4, 4),)),
        Sample({"filters": 2, "kernel_size": [1, 1, 1], "use_bias": False}, ((None, 4, 4, 3),)),
        Sample({"kernel_size": [2, 2, 2]}, ((1, 4, 4, 1),), refused_at="kernel_size"),
        Sample({"kernel_size": [2, 2]}, ((4, 4, 4, 1),), refused_at="kernel_size"),
        Sample({}, ((8, 8, 1),), refused_at=""),
    ),
)
