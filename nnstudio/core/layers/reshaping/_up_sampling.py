"""UpSampling1D/2D/3D: each value repeated along the spatial axes (2D may interpolate instead)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, short_value
from nnstudio.core.layers.params import Choice, IntTuple, Param, PositiveInt
from nnstudio.core.layers.reshaping._sizes import change_caption, factors, resized, spatial_sizes, undo
from nnstudio.core.layers.spatial import data_format_param

AXES = {1: "the sequence", 2: "the image", 3: "the volume"}
# What TensorFlow's image resize takes (keras.ops.image.resize); Keras checks it only when run.
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5")
MAX_FACTOR = 1000


def up_sampling(rank: int, samples: tuple[Sample, ...], order: int) -> LayerType:
    """The type `UpSampling{rank}D`."""
    if rank == 1:
        size = Param(
            "size",
            PositiveInt(MAX_FACTOR),
            2,
            "How many times each step is repeated.",
            keras_default=2,
            positional=True,
        )
    else:
        default = [2] * rank
        size = Param(
            "size",
            IntTuple(rank, maximum=MAX_FACTOR),
            default,
            "How many times each value is repeated along each axis (one number: all axes).",
            keras_default=default,
            positional=True,
        )
    extra = []
    if rank > 1:
        extra.append(data_format_param())
    if rank == 2:
        extra.append(
            Param(
                "interpolation",
                Choice(INTERPOLATIONS),
                "nearest",
                "nearest repeats each value; the others interpolate between neighbours.",
                keras_default="nearest",
            )
        )

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        by = factors(params, rank)
        return [resized(params, inputs, rank, lambda size, n: size * by[n])]

    def brief(params: Params) -> list[str]:
        args = [short_value(params["size"])]
        if params.get("interpolation", "nearest") != "nearest":
            args.append(str(params["interpolation"]))
        return args

    def caption(params: Params, shape: Shape) -> str:
        by = factors(params, rank)
        after = spatial_sizes(params, shape, rank)
        return change_caption("upsample", undo(after, lambda size, n: size // by[n]), after)

    return LayerType(
        f"UpSampling{rank}D",
        f"Enlarges {AXES[rank]} by repeating each value along its axes; the channels stay.",
        output_shapes,
        params=(size, *extra),
        drawing="regroup",
        marker=Marker("o", "#dde3ea"),
        brief=brief,
        caption=caption,
        order=order,
        samples=samples,
    )
