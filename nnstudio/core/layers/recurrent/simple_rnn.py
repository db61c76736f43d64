"""SimpleRNN: a fully connected recurrent layer, the output fed back as the next step's state
(`keras.layers.SimpleRNN`)."""

from __future__ import annotations

from nnstudio.core.layers.recurrent._rnn import common_samples, rnn_type, state_samples

LAYER = rnn_type(
    "SimpleRNN",
    "A recurrent layer: at each time step, new state = activation(input · kernel + previous state · recurrent kernel + bias).",
    recurrent_activation=False,
    seed=False,
    order=1,
    samples=common_samples({}) + state_samples("SimpleRNN"),
)
