"""Axes counted as Keras counts them: with the batch axis as 0, and -1 for the last."""

from __future__ import annotations

from typing import Any

from nnstudio.core.layers.base import LayerError, short_value


def distinct_axes(axis: Any, ndim: int) -> list[int]:
    """`axis` (an int or a list of ints within an input of `ndim` axes, batch included) as axes from
    0; LayerError when two entries are the same axis (1 and -1 of a rank-2 input): Keras's reductions
    fail on that when the model runs."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    seen: dict[int, int] = {}
    for a in axes:
        plain = a % ndim
        if plain in seen:
            raise LayerError(
                "axis",
                f"axis {seen[plain]} and {a} are the same axis of an input of rank {ndim}; name each axis once. "
                f"Received: axis={short_value(axis)}",
            )
        seen[plain] = a
    return list(seen)
