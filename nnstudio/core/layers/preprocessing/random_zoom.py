"""RandomZoom: zooms images in or out at random while training (`keras.layers.RandomZoom`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape
from nnstudio.core.layers.params import Factor, Param
from nnstudio.core.layers.preprocessing._augmentation import EXTRA_CONFIG, FILL_PARAMS, factor_text, image_shape


def brief(params: Params) -> list[str]:
    width = params["width_factor"]
    return [factor_text(params["height_factor"])] + ([factor_text(width)] if width is not None else [])


def caption(params: Params, shape: Shape) -> str:
    return "zoom · " + " × ".join(brief(params))


LAYER = LayerType(
    "RandomZoom",
    "While training, zooms each image in or out by a random amount; does nothing at inference.",
    image_shape,
    training_default=True,  # Keras's call(inputs, training=True)
    params=(
        Param(
            "height_factor",
            Factor(-1.0, 1.0, min_open=True),
            0.1,
            "How far to zoom, a fraction of the height: 0.1 zooms out up to 10% or in up to 10%; "
            "or low, high (negative zooms in).",
            positional=True,
        ),
        Param(
            "width_factor",
            Factor(-1.0, 1.0, min_open=True, allow_none=True),
            None,
            "The same for the width; None keeps the aspect ratio (zooms as the height).",
            keras_default=None,
        ),
        *FILL_PARAMS,
    ),
    extra_config=EXTRA_CONFIG,
    drawing="stage",
    marker=Marker("t", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=220,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"height_factor": [-0.2, 0.3], "width_factor": 0.2, "fill_mode": "nearest"}, ((None, None, 3),)),
        Sample({"height_factor": -0.5}, ((6, 5),)),
        Sample({"height_factor": 1.5}, ((8, 8, 3),), refused_at="height_factor"),
    ),
)
