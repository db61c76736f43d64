"""What padding, cropping and up-sampling layers share: each changes the sizes of the spatial axes
of a sequence, an image or a volume and keeps the channels; the canvas caption shows the change."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nnstudio.core.layers.base import LayerError, Params, Shape, format_shape, single_input, size_text
from nnstudio.core.layers.spatial import expect_ndim, spatial_axes

# (the input's size of one spatial axis, that axis's number) -> the output's size
Resize = Callable[[int, int], int]


def pairs(params: Params, key: str, rank: int) -> list[tuple[int, int]]:
    """The (before, after) pairs of a padding or cropping parameter, one per spatial axis."""
    value = params[key]
    return [(value[0], value[1])] if rank == 1 else [(pair[0], pair[1]) for pair in value]


def factors(params: Params, rank: int) -> list[int]:
    """An up-sampling's `size` as one factor per spatial axis (one number stands for all)."""
    size = params["size"]
    return [size] * rank if isinstance(size, int) else list(size)


def resized(params: Params, inputs: Sequence[Shape], rank: int, resize: Resize) -> Shape:
    """The input's shape with each known spatial size resized (a size that varies stays None)."""
    shape = single_input(inputs)
    expect_ndim(shape, rank + 2)
    out = list(shape)
    for number, axis in enumerate(spatial_axes(params, rank)):
        if out[axis] is not None:
            out[axis] = resize(out[axis], number)  # type: ignore[arg-type]
    return tuple(out)


def cropped(params: Params, inputs: Sequence[Shape], rank: int, message: str) -> Shape:
    """The input's shape cropped by `params["cropping"]`; LayerError (Keras's `message`, which
    ends with the input shape and cropping) when nothing of an axis would be left."""
    crops = pairs(params, "cropping", rank)

    def crop(size: int, number: int) -> int:
        left = size - sum(crops[number])
        if left <= 0:
            shape = single_input(inputs)
            as_tuple = crops[0] if rank == 1 else tuple(crops)
            raise LayerError("cropping", f"{message} Received: input_shape={format_shape(shape)}, cropping={as_tuple}")
        return left

    return resized(params, inputs, rank, crop)


def spatial_sizes(params: Params, shape: Shape, rank: int) -> list[int | None]:
    """The spatial sizes of an output `shape`."""
    return [shape[axis] if axis < len(shape) else None for axis in spatial_axes(params, rank)]


def change_caption(verb: str, before: Sequence[int | None], after: Sequence[int | None]) -> str:
    """`pad 28×28 → 30×30`: the canvas line of a layer that resizes the spatial axes."""
    return f"{verb} {size_text(tuple(before))} → {size_text(tuple(after))}"


def undo(after: Sequence[int | None], change: Callable[[int, int], int]) -> list[int | None]:
    """The sizes before a resize, from the sizes after it (None stays None)."""
    return [None if size is None else change(size, number) for number, size in enumerate(after)]
