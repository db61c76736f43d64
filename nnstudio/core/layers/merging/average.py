"""Average: averages its inputs element by element (`keras.layers.Average`)."""

from __future__ import annotations

from nnstudio.core.layers.merging._elementwise import elementwise

LAYER = elementwise(
    "Average",
    "Averages its inputs element by element.",
    "mean",
    order=4,
)
