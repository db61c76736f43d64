"""Conv1D: filters slid along one axis, such as time steps (`keras.layers.Conv1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import CONV, conv_type

LAYER = conv_type(
    "Conv1D",
    1,
    CONV,
    "Slides filters along one axis (time steps, a signal): each filter makes one output channel.",
    order=1,
    causal=True,
    samples=(
        Sample({"filters": 4, "kernel_size": [3]}, ((10, 2),)),
        Sample({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, ((9, 3),)),
        Sample({"filters": 2, "padding": "causal", "dilation_rate": [2]}, ((8, 2),)),
        Sample({"filters": 3, "kernel_size": [2], "data_format": "channels_first"}, ((2, 7),)),
        Sample({"filters": 3, "padding": "causal", "data_format": "channels_first"}, ((2, 5),)),
        Sample({"filters": 4, "groups": 2, "use_bias": False, "activation": "relu"}, ((6, 4),)),
        Sample({"filters": 2, "kernel_initializer": "he_normal", "kernel_regularizer": "l2"}, ((None, 3),)),
        Sample(
            {"filters": 2, "activity_regularizer": "l1", "kernel_constraint": "max_norm", "bias_constraint": "non_neg"},
            ((5, 1),),
        ),
        Sample({"kernel_size": [0]}, ((8, 2),), refused_at="kernel_size"),
        Sample({"kernel_size": [5]}, ((3, 2),), refused_at="kernel_size"),
        Sample({"filters": 3, "groups": 2}, ((6, 4),), refused_at="groups"),
        Sample({"filters": 4, "groups": 4}, ((6, 2),), refused_at="groups"),
        Sample({"strides": [2], "dilation_rate": [2]}, ((9, 2),), refused_at="dilation_rate"),
        Sample({"padding": "full"}, ((9, 2),), refused_at="padding"),
        Sample({}, ((8,),), refused_at=""),
        Sample({}, ((8, 8, 2),), refused_at=""),
        Sample({}, ((8, None),), refused_at=""),
    ),
)
