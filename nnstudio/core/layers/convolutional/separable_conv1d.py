"""SeparableConv1D: a depthwise convolution then a pointwise one, along one axis (`keras.layers.SeparableConv1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import SEPARABLE, conv_type

LAYER = conv_type(
    "SeparableConv1D",
    1,
    SEPARABLE,
    "Filters each channel along one axis on its own, then mixes the channels with 1-wide filters.",
    order=9,
    samples=(
        Sample({"filters": 4, "kernel_size": [3]}, ((8, 2),)),
        Sample({"filters": 2, "kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, ((9, 3),)),
        Sample({"filters": 2, "kernel_size": [3], "strides": [2], "dilation_rate": [2]}, ((11, 2),)),
        Sample({"filters": 3, "kernel_size": [2], "data_format": "channels_first", "use_bias": False}, ((2, 6),)),
        Sample(
            {
                "filters": 2,
                "kernel_size": [3],
                "pointwise_initializer": "lecun_normal",
                "pointwise_regularizer": "l2",
                "pointwise_constraint": "unit_norm",
            },
            ((None, 2),),
        ),
        Sample({"filters": 2, "kernel_size": [5]}, ((4, 2),), refused_at="kernel_size"),
        Sample({"filters": 0, "kernel_size": [3]}, ((8, 2),), refused_at="filters"),
        Sample({"filters": 2, "kernel_size": [3]}, ((8,),), refused_at=""),
    ),
)
