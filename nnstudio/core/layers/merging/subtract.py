"""Subtract: subtracts the second input from the first, element by element (`keras.layers.Subtract`)."""

from __future__ import annotations

from nnstudio.core.layers.merging._elementwise import elementwise

LAYER = elementwise(
    "Subtract",
    "Subtracts the second input from the first, element by element.",
    "−",
    order=2,
    inputs=(2, 2),
)
