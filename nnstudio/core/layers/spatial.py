"""What layers over images, volumes and sequences share: the channels axis (`data_format`), the
input's rank, and which axes are the spatial ones.

Shapes exclude the batch axis, as everywhere in the registry; Keras's messages count it, and so do
the messages here.
"""

from __future__ import annotations

from nnstudio.core.layers.base import LayerError, Params, Shape, format_shape
from nnstudio.core.layers.params import Choice, Param

DATA_FORMATS = ("channels_last", "channels_first")


def data_format_param() -> Param:
    """Keras's `data_format` argument (its default, None, means the backend's: channels_last)."""
    return Param(
        "data_format",
        Choice(DATA_FORMATS),
        "channels_last",
        "Where the channels axis is: last (height, width, channels) or first (channels, height, width).",
        keras_default="channels_last",
    )


def expect_ndim(shape: Shape, ndim: int) -> None:
    """LayerError unless `shape` (without the batch axis) has `ndim` axes with the batch axis."""
    if len(shape) + 1 != ndim:
        raise LayerError(
            None,
            f"expected ndim={ndim}, found ndim={len(shape) + 1}. Full shape received: {format_shape(shape)}",
        )


def spatial_axes(params: Params, rank: int) -> list[int]:
    """Indices (into a shape without the batch axis) of the `rank` spatial axes."""
    first = 1 if params.get("data_format") == "channels_first" else 0
    return list(range(first, first + rank))
