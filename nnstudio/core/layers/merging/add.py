"""Add: adds its inputs element by element, the residual connection of a ResNet (`keras.layers.Add`)."""

from __future__ import annotations

from nnstudio.core.layers.merging._elementwise import elementwise

LAYER = elementwise(
    "Add",
    "Adds its inputs element by element (shapes broadcast as in numpy); the residual connection of a ResNet.",
    "+",
    order=1,
)
