"""What the noise and dropout layers besides Dropout share: a rate or strength and a seed."""

from __future__ import annotations

from nnstudio.core.layers.params import FloatRange, Param

# A rate of 1 is accepted by Keras but divides by zero when training (1 / (1 - rate)).
RATE = FloatRange(0.0, 1.0, max_open=True)


def rate_param(default: float, what: str) -> Param:
    """The required `rate` argument."""
    return Param("rate", RATE, default, what, positional=True)
