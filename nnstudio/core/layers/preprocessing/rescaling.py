"""Rescaling: multiplies every value by a scale and adds an offset (`keras.layers.Rescaling`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    args = [f"{params['scale']:.6g}"]
    if params["offset"]:
        args.append(f"{params['offset']:+.6g}")
    return args


def caption(params: Params, shape: Shape) -> str:
    offset = f" {params['offset']:+.6g}" if params["offset"] else ""
    return f"x · {params['scale']:.6g}{offset}"


LAYER = LayerType(
    "Rescaling",
    "Multiplies every value by a scale and adds an offset, e.g. pixels 0..255 to 0..1 with scale 1/255.",
    same_shape,
    params=(
        Param(
            "scale",
            FloatRange(None, None),
            1 / 255,
            "The factor each value is multiplied by (1/255 = 0.00392157 maps 0..255 to 0..1).",
            positional=True,
        ),
        Param("offset", FloatRange(None, None), 0.0, "Added after scaling (e.g. -1 for -1..1).", keras_default=0.0),
    ),
    drawing="stage",
    marker=Marker("h", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=100,
    samples=(
        Sample({}, ((5,),)),
        Sample({"scale": 2.0, "offset": -1.0}, ((None, 3),)),
        Sample({"scale": 0.5}, ((2, 3, 4),)),
    ),
)
