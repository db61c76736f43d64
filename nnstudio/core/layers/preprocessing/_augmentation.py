"""What Keras's random image augmentation layers share (keras/src/layers/preprocessing/image_preprocessing):
images in, the same shape out, no weights; how they fill and interpolate; the config keys they
write besides their parameters. Active only while training; at inference they pass images on."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, Params, Shape, short_value, single_input
from nnstudio.core.layers.config_values import is_channels_last, is_seed
from nnstudio.core.layers.params import Choice, FloatRange, NumberPair, Param

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")

EXTRA_CONFIG = {"seed": is_seed, "data_format": is_channels_last}
VALUE_RANGE = Param(
    "value_range",
    NumberPair(),
    [0, 255],
    "The inputs' range: 0, 255 for pixels, 0, 1 after Rescaling(1/255).",
    keras_default=[0, 255],
)
FILL_PARAMS = (
    Param(
        "fill_mode",
        Choice(FILL_MODES),
        "reflect",
        "How points outside the image are filled: reflect, wrap, constant (fill_value) or nearest.",
        keras_default="reflect",
    ),
    Param(
        "interpolation",
        Choice(INTERPOLATIONS),
        "bilinear",
        "How pixels are read between points.",
        keras_default="bilinear",
    ),
    Param(
        "fill_value",
        FloatRange(None, None),
        0.0,
        "The value outside the image with fill_mode constant.",
        keras_default=0.0,
    ),
)


def image_shape(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """The input's shape: an image (height, width, channels), or (height, width) for one channel."""
    shape = single_input(inputs)
    if len(shape) not in (2, 3):
        batched = ", ".join("None" if d is None else str(d) for d in (None, *shape))
        raise LayerError(
            None,
            "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: images.shape=({batched})",
        )
    return [shape]


def factor_text(value: object) -> str:
    return "±" + short_value(value) if isinstance(value, (int, float)) else short_value(value)
