"""ZeroPadding1D/2D/3D share everything but the number of spatial axes."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import IntPairs, Param
from nnstudio.core.layers.reshaping._sizes import change_caption, pairs, resized, spatial_sizes, undo
from nnstudio.core.layers.spatial import data_format_param

AXES = {1: "the sequence", 2: "the image", 3: "the volume"}


def zero_padding(rank: int, samples: tuple[Sample, ...], order: int) -> LayerType:
    """The type `ZeroPadding{rank}D`: zeros added before and after each spatial axis."""
    kind = IntPairs(rank)
    default = [1, 1] if rank == 1 else [[1, 1] for _ in range(rank)]

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        pads = pairs(params, "padding", rank)
        return [resized(params, inputs, rank, lambda size, n: size + sum(pads[n]))]

    def brief(params: Params) -> list[str]:
        return [kind.format_text(params["padding"])]

    def caption(params: Params, shape: Shape) -> str:
        pads = pairs(params, "padding", rank)
        after = spatial_sizes(params, shape, rank)
        return change_caption("pad", undo(after, lambda size, n: size - sum(pads[n])), after)

    return LayerType(
        f"ZeroPadding{rank}D",
        f"Adds rows of zeros before and after each axis of {AXES[rank]}; the channels stay.",
        output_shapes,
        params=(
            Param(
                "padding",
                kind,
                default,
                "Zeros to add: one number for every side, or (before, after) for each axis.",
                keras_default=default,
                positional=True,
            ),
            data_format_param(),
        ),
        drawing="regroup",
        marker=Marker("o", "#dde3ea"),
        brief=brief,
        caption=caption,
        order=order,
        samples=samples,
    )
