"""Keras's class-name to snake-case rule, the one nnstudio uses everywhere.

It gives Keras's automatic layer names (`Conv2D` -> `conv2d`, `LSTM` -> `lstm`,
`BatchNormalization` -> `batch_normalization`), the icon stems and the names of Keras's loss and
metric classes. Reproduced from `keras.src.utils.naming.to_snake_case`; a test compares the two.
"""

from __future__ import annotations

import re


def to_snake_case(name: str) -> str:
    """`MeanSquaredError` -> `mean_squared_error`, `Conv2D` -> `conv2d`, `LSTM` -> `lstm`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
