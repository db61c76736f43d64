"""Minimum: keeps the smallest of its inputs' values, element by element (`keras.layers.Minimum`)."""

from __future__ import annotations

from nnstudio.core.layers.merging._elementwise import elementwise

LAYER = elementwise(
    "Minimum",
    "Keeps the smallest of its inputs' values, element by element.",
    "min",
    order=6,
)
