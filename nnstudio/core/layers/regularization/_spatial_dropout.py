"""SpatialDropout1D/2D/3D share everything but the number of spatial axes."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, short_value, single_input
from nnstudio.core.layers.config_values import is_seed
from nnstudio.core.layers.regularization._noise import rate_param
from nnstudio.core.layers.spatial import data_format_param, expect_ndim

WHAT = {1: "channel of a sequence", 2: "feature map of an image", 3: "feature volume"}


def spatial_dropout(rank: int, samples: tuple[Sample, ...], order: int) -> LayerType:
    """The type `SpatialDropout{rank}D`."""

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        shape = single_input(inputs)
        expect_ndim(shape, rank + 2)
        return [shape]

    def brief(params: Params) -> list[str]:
        return [short_value(params["rate"])]

    def caption(params: Params, shape: Shape) -> str:
        return f"SpatialDropout · rate {short_value(params['rate'])}"

    return LayerType(
        f"SpatialDropout{rank}D",
        f"During training, sets a random fraction of whole channels to 0 (each {WHAT[rank]} at once).",
        output_shapes,
        training_default=False,  # Keras's call(inputs, training=False)
        params=(
            rate_param(0.5, "Fraction of the channels to drop, in [0, 1)."),
            *((data_format_param(),) if rank > 1 else ()),
        ),
        extra_config={"seed": is_seed},
        drawing="stage",
        marker=Marker("d", "#c8c8c8"),
        brief=brief,
        caption=caption,
        order=order,
        samples=samples,
    )
