"""What Resizing and CenterCrop share: images (height, width, channels) made `height` × `width`,
as Keras's `compute_output_shape` does for a batch of channels-last images."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, Params, Shape, format_shape, single_input, size_text
from nnstudio.core.layers.params import MAX_DIM, REQUIRED, Param, PositiveInt

SIZE_PARAMS = (
    Param(
        "height", PositiveInt(MAX_DIM), 224, "The height of the images out.", keras_default=REQUIRED, positional=True
    ),
    Param("width", PositiveInt(MAX_DIM), 224, "The width of the images out.", keras_default=REQUIRED, positional=True),
)


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras builds other ranks too, reading a batch of 2-D values as one image whose height is the
    batch (its output's batch is then `height`): refused here."""
    shape = single_input(inputs)
    if len(shape) != 3:
        raise LayerError(
            None,
            f"takes a batch of images (height, width, channels). Received: input_shape={format_shape(shape)}",
        )
    return [(params["height"], params["width"], shape[2])]


def caption(verb: str):
    def make(params: Params, shape: Shape) -> str:
        return f"{verb} → {size_text(shape[:2]) if len(shape) >= 2 else '?'}"

    return make


def brief(params: Params) -> list[str]:
    return [f"{params['height']}×{params['width']}"]
