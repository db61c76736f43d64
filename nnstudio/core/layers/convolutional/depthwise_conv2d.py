"""DepthwiseConv2D: one filter per input channel, over rows and columns (`keras.layers.DepthwiseConv2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import DEPTHWISE, conv_type

LAYER = conv_type(
    "DepthwiseConv2D",
    2,
    DEPTHWISE,
    "Convolves each input channel over rows and columns with its own filters (depth_multiplier per channel).",
    order=8,
    samples=(
        Sample({"kernel_size": [3, 3]}, ((6, 6, 3),)),
        Sample({"kernel_size": [3, 3], "depth_multiplier": 2, "strides": [2, 2], "padding": "same"}, ((7, 7, 2),)),
        Sample({"kernel_size": 3, "strides": 2, "dilation_rate": 2}, ((9, 9, 2),)),
        Sample({"kernel_size": [2, 3], "data_format": "channels_first", "depth_multiplier": 3}, ((2, 5, 5),)),
        Sample({"kernel_size": [3, 3], "use_bias": False, "activation": "relu6"}, ((None, None, 4),)),
        Sample({"kernel_size": [3, 3], "bias_regularizer": "l2", "bias_constraint": "max_norm"}, ((4, 4, 1),)),
        Sample({"kernel_size": [0, 3]}, ((6, 6, 3),), refused_at="kernel_size"),
        Sample({"kernel_size": [7, 3]}, ((6, 6, 3),), refused_at="kernel_size"),
        Sample({"kernel_size": [3, 3]}, ((6, 6),), refused_at=""),
    ),
)
