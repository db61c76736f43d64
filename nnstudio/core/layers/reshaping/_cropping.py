"""Cropping1D/2D/3D share everything but the number of spatial axes (and Keras's words)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import IntPairs, Param
from nnstudio.core.layers.reshaping._sizes import change_caption, cropped, pairs, spatial_sizes, undo
from nnstudio.core.layers.spatial import data_format_param

AXES = {1: "the sequence", 2: "the image", 3: "the volume"}
SMALLER_1D = "`cropping` parameter of `Cropping1D` layer must be smaller than the input length."
SMALLER = "Values in `cropping` argument should be smaller than the corresponding spatial dimension of the input."


def cropping(rank: int, default: list, samples: tuple[Sample, ...], order: int) -> LayerType:
    """The type `Cropping{rank}D`: values cut off before and after each spatial axis."""
    kind = IntPairs(rank)

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        return [cropped(params, inputs, rank, SMALLER_1D if rank == 1 else SMALLER)]

    def brief(params: Params) -> list[str]:
        return [kind.format_text(params["cropping"])]

    def caption(params: Params, shape: Shape) -> str:
        crops = pairs(params, "cropping", rank)
        after = spatial_sizes(params, shape, rank)
        return change_caption("crop", undo(after, lambda size, n: size + sum(crops[n])), after)

    return LayerType(
        f"Cropping{rank}D",
        f"Cuts values off the ends of each axis of {AXES[rank]}; the channels stay.",
        output_shapes,
        params=(
            Param(
                "cropping",
                kind,
                default,
                "Values to cut off: one number for every side, or (before, after) for each axis.",
                keras_default=default,
                positional=True,
            ),
            *((data_format_param(),) if rank > 1 else ()),
        ),
        drawing="regroup",
        marker=Marker("o", "#dde3ea"),
        brief=brief,
        caption=caption,
        order=order,
        samples=samples,
    )
