"""SeparableConv2D: a depthwise convolution then a pointwise one, over an image (`keras.layers.SeparableConv2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import SEPARABLE, conv_type

LAYER = conv_type(
    "SeparableConv2D",
    2,
    SEPARABLE,
    "Filters each channel of an image on its own, then mixes the channels with 1×1 filters.",
    order=10,
    samples=(
        Sample({"filters": 4, "kernel_size": [3, 3]}, ((6, 6, 2),)),
        Sample(
            {"filters": 2, "kernel_size": [3, 3], "depth_multiplier": 2, "strides": [2, 2], "padding": "same"},
            ((7, 7, 3),),
        ),
        Sample({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, ((9, 9, 2),)),
        Sample(
            {"filters": 3, "kernel_size": [2, 2], "data_format": "channels_first", "activation": "relu"}, ((2, 5, 4),)
        ),
        Sample(
            {"filters": 2, "kernel_size": [3, 3], "depthwise_regularizer": "l1", "depthwise_constraint": "max_norm"},
            ((None, None, 2),),
        ),
        Sample({"filters": 2, "kernel_size": [3, 3]}, ((2, 6, 2),), refused_at="kernel_size"),
        Sample({"filters": 2, "kernel_size": [3, 3], "padding": "causal"}, ((6, 6, 2),), refused_at="padding"),
        Sample({"filters": 2, "kernel_size": [3, 3]}, ((6, 6, None),), refused_at=""),
    ),
)
