"""DepthwiseConv1D: one filter per input channel, along one axis (`keras.layers.DepthwiseConv1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import DEPTHWISE, conv_type

LAYER = conv_type(
    "DepthwiseConv1D",
    1,
    DEPTHWISE,
    "Convolves each input channel along one axis with its own filters (depth_multiplier per channel).",
    order=7,
    samples=(
        Sample({"kernel_size": [3]}, ((8, 2),)),
        Sample({"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, ((9, 3),)),
        Sample({"kernel_size": [3], "strides": [2], "dilation_rate": [2]}, ((11, 2),)),
        Sample({"kernel_size": [2], "data_format": "channels_first", "use_bias": False}, ((3, 6),)),
        Sample(
            {"kernel_size": [3], "depthwise_initializer": "he_uniform", "depthwise_regularizer": "l1"}, ((None, 2),)
        ),
        Sample({"kernel_size": [3], "depthwise_constraint": "non_neg", "activation": "relu"}, ((5, 1),)),
        Sample({"kernel_size": [9]}, ((8, 2),), refused_at="kernel_size"),
        Sample({"kernel_size": [3], "depth_multiplier": 0}, ((8, 2),), refused_at="depth_multiplier"),
        Sample({"kernel_size": [3], "padding": "causal"}, ((8, 2),), refused_at="padding"),
        Sample({"kernel_size": [3]}, ((8, None),), refused_at=""),
        Sample({"kernel_size": [3]}, ((8, 2, 2),), refused_at=""),
    ),
)
