"""What layers over images, volumes and sequences share (convolution, pooling, padding, and the
like): the channels axis (`data_format`), the input's rank, which axes are spatial, Keras's
standard tuples, and window texts.

Shapes exclude the batch axis, as everywhere in the registry; Keras's messages count it, and so do
the messages here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def as_tuple(value: Any, rank: int) -> tuple[int, ...]:
    """Keras's `standardize_tuple` for a checked value: one number for all axes."""
    return (value,) * rank if isinstance(value, int) else tuple(value)


def keras_tuple(value: int, rank: int) -> int | tuple[int, ...]:
    """Keras's own default for a tuple argument: a number in the 1-D layers, a tuple in the others."""
    return value if rank == 1 else (value,) * rank


def split_input(shape: Shape, rank: int, data_format: str, what: str = "min_ndim") -> tuple[Shape, int | None]:
    """The spatial sizes and the channel count of a `rank`-D convolution's (or pooling's) input;
    LayerError in Keras's words for an input of another rank."""
    ndim = len(shape) + 1
    if ndim != rank + 2:
        raise LayerError(
            None,
            f"Input 0 is incompatible with the layer: expected {what}={rank + 2}, found ndim={ndim}. "
            f"Full shape received: {format_shape(shape)}",
        )
    if data_format == "channels_first":
        return tuple(shape[1:]), shape[0]
    return tuple(shape[:-1]), shape[-1]


def join_output(spatial: Sequence[int | None], channels: int | None, data_format: str) -> Shape:
    """The output shape from its spatial sizes and channel count, in the layer's data format."""
    if data_format == "channels_first":
        return (channels, *spatial)
    return (*spatial, channels)


def window_text(value: Any, rank: int) -> str:
    """`3×3` for a kernel or pool size."""
    return "×".join(str(v) for v in as_tuple(value, rank))
