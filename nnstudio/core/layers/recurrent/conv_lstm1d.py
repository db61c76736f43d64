"""ConvLSTM1D: an LSTM whose gates are 1-D convolutions, over a sequence of signals
(`keras.layers.ConvLSTM1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.recurrent._conv_lstm import common_samples, conv_lstm_type

LAYER = conv_lstm_type(
    1,
    "An LSTM whose gates are 1-D convolutions: steps through a sequence of signals (steps, length, channels).",
    common_samples(1) + (Sample({"filters": 4, "kernel_size": 3, "padding": "same"}, ((None, 10, 2),)),),
)
