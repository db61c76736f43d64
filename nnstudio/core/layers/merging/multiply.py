"""Multiply: multiplies its inputs element by element (a gate, when one input is a sigmoid) (`keras.layers.Multiply`)."""

from __future__ import annotations

from nnstudio.core.layers.merging._elementwise import elementwise

LAYER = elementwise(
    "Multiply",
    "Multiplies its inputs element by element (a gate, when one input is a sigmoid).",
    "×",
    order=3,
)
