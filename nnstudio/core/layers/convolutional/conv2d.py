"""Conv2D: filters slid over the rows and columns of an image (`keras.layers.Conv2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import CONV, conv_type

LAYER = conv_type(
    "Conv2D",
    2,
    CONV,
    "Slides small filters over an image's rows and columns: each filter makes one feature map.",
    order=2,
    samples=(
        Sample({"filters": 4, "kernel_size": [3, 3]}, ((8, 8, 1),)),
        Sample({"filters": 2, "kernel_size": [3, 2], "strides": [2, 1], "padding": "same"}, ((7, 6, 3),)),
        Sample({"filters": 3, "kernel_size": 3, "strides": 2}, ((9, 8, 2),)),
        Sample({"filters": 2, "dilation_rate": [2, 2], "activation": "relu"}, ((9, 9, 2),)),
        Sample({"filters": 4, "data_format": "channels_first", "padding": "same", "strides": [2, 2]}, ((3, 8, 7),)),
        Sample({"filters": 6, "groups": 3, "use_bias": False}, ((6, 6, 3),)),
        Sample({"filters": 2, "kernel_size": [1, 1]}, ((None, None, 3),)),
        Sample(
            {"filters": 2, "bias_initializer": "ones", "bias_regularizer": "l2", "kernel_constraint": "unit_norm"},
            ((5, 5, 2),),
        ),
        Sample({"kernel_size": [0, 3]}, ((8, 8, 1),), refused_at="kernel_size"),
        Sample({"filters": 0}, ((8, 8, 1),), refused_at="filters"),
        Sample({"kernel_size": [3, 9]}, ((8, 8, 1),), refused_at="kernel_size"),
        Sample({"strides": [2, 1], "dilation_rate": [1, 2]}, ((9, 9, 2),), refused_at="dilation_rate"),
        Sample({"padding": "causal"}, ((9, 9, 2),), refused_at="padding"),
        Sample({"filters": 4, "groups": 2}, ((6, 6, 3),), refused_at="groups"),
        Sample({}, ((28, 28),), refused_at=""),
        Sample({"data_format": "channels_first"}, ((None, 8, 8),), refused_at=""),
    ),
)
