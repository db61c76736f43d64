"""Conv1DTranspose: a convolution run backwards, lengthening a sequence (`keras.layers.Conv1DTranspose`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.convolutional._conv import TRANSPOSE, conv_type, dilated_transpose_runs

LAYER = conv_type(
    "Conv1DTranspose",
    1,
    TRANSPOSE,
    "Runs a 1-D convolution backwards: each input step spreads over a window, so the sequence grows.",
    order=4,
    samples=(
        Sample({"filters": 3, "kernel_size": [3]}, ((5, 2),)),
        Sample({"filters": 2, "kernel_size": [3], "strides": [2]}, ((5, 2),)),
        Sample({"filters": 2, "kernel_size": [2], "strides": [3]}, ((4, 1),)),
        Sample({"filters": 2, "kernel_size": [3], "strides": [2], "padding": "same"}, ((5, 2),)),
        Sample({"filters": 2, "kernel_size": [4], "strides": [3], "output_padding": [2]}, ((4, 2),)),
        Sample({"filters": 2, "kernel_size": [3], "strides": 2, "padding": "same", "output_padding": 1}, ((4, 2),)),
        Sample(
            {"filters": 2, "dilation_rate": [2], "data_format": "channels_first"},
            ((3, 4),),
            refused_at=None if dilated_transpose_runs() else "dilation_rate",
        ),
        Sample({"filters": 2, "use_bias": False, "activation": "tanh"}, ((None, 2),)),
        Sample({"kernel_size": [3], "strides": [2], "output_padding": [2]}, ((4, 2),), refused_at="output_padding"),
        Sample({"strides": [2], "dilation_rate": [2]}, ((4, 2),), refused_at="dilation_rate"),
        Sample({"padding": "causal"}, ((4, 2),), refused_at="padding"),
        Sample({}, ((4,),), refused_at=""),
    ),
)
