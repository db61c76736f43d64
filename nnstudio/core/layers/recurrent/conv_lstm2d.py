"""ConvLSTM2D: an LSTM whose gates are 2-D convolutions, over a sequence of images such as video
frames (`keras.layers.ConvLSTM2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.recurrent._conv_lstm import common_samples, conv_lstm_type

LAYER = conv_lstm_type(
    2,
    "An LSTM whose gates are 2-D convolutions: steps through a sequence of images (video frames), keeping feature maps.",
    common_samples(2)
    + (
        # Keras's next-frame video prediction example, at a smaller size
        Sample(
            {"filters": 8, "kernel_size": [5, 5], "padding": "same", "return_sequences": True, "activation": "relu"},
            ((None, 16, 16, 1),),
        ),
        Sample({"filters": 2, "kernel_size": [3, 2], "strides": [2, 1]}, ((3, 7, 6, 2),)),
    ),
)
