"""Maximum: keeps the largest of its inputs' values, element by element (`keras.layers.Maximum`)."""

from __future__ import annotations

from nnstudio.core.layers.merging._elementwise import elementwise

LAYER = elementwise(
    "Maximum",
    "Keeps the largest of its inputs' values, element by element.",
    "max",
    order=5,
)
