"""GRU: gated recurrent unit, a recurrent layer with update and reset gates (`keras.layers.GRU`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.params import Flag, Param
from nnstudio.core.layers.recurrent._rnn import common_samples, rnn_type, state_samples

LAYER = rnn_type(
    "GRU",
    "Gated recurrent unit: an update gate (z) mixes the previous state with a candidate (h) that a reset gate (r) shapes.",
    recurrent_activation=True,
    more_params=(
        Param(
            "reset_after",
            Flag(),
            True,
            "Apply the reset gate after the recurrent weights (Keras's and cuDNN's way: two biases per gate).",
            keras_default=True,
        ),
    ),
    order=3,
    samples=common_samples({"reset_after": False, "recurrent_activation": "relu"})
    + (
        Sample({"units": 3, "reset_after": False, "return_sequences": True}, ((None, 2),)),
        Sample({"units": 3, "reset_after": False, "use_bias": False}, ((None, 2),)),
    )
    + state_samples("GRU"),
)
