"""LSTM: long short-term memory, a recurrent layer with a memory cell and input, forget and output
gates (`keras.layers.LSTM`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.recurrent._rnn import common_samples, rnn_type, state_samples

LAYER = rnn_type(
    "LSTM",
    "Long short-term memory: a memory cell per unit, written, kept and read through input (i), forget (f) and output (o) gates.",
    recurrent_activation=True,
    unit_forget_bias=True,
    order=2,
    samples=common_samples({"unit_forget_bias": False, "recurrent_activation": "hard_sigmoid"})
    + (Sample({"units": 64, "return_sequences": True}, ((None, 128),)),)
    + state_samples("LSTM"),
)
