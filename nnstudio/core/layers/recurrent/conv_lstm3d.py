"""ConvLSTM3D: an LSTM whose gates are 3-D convolutions, over a sequence of volumes
(`keras.layers.ConvLSTM3D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.recurrent._conv_lstm import common_samples, conv_lstm_type

LAYER = conv_lstm_type(
    3,
    "An LSTM whose gates are 3-D convolutions: steps through a sequence of volumes (steps, depth, rows, cols, channels).",
    common_samples(3) + (Sample({"filters": 2, "kernel_size": [1, 2, 3], "padding": "same"}, ((2, 4, 5, 6, 1),)),),
)
