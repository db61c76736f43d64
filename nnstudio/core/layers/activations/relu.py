"""ReLU: max(x, 0), with an optional cap, slope below the threshold and threshold (`keras.layers.ReLU`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.params import FloatRange, OptionalFloat, Param


def brief(params: Params) -> list[str]:
    args = []
    if params["max_value"] is not None:
        args.append(f"max {short_value(params['max_value'])}")
    if params["negative_slope"]:
        args.append(f"slope {short_value(params['negative_slope'])}")
    if params["threshold"]:
        args.append(f"threshold {short_value(params['threshold'])}")
    return args


def caption(params: Params, shape: Shape) -> str:
    return " · ".join(["ReLU", *brief(params)])


LAYER = LayerType(
    "ReLU",
    "Rectified linear unit: keeps positive values, sets the others to 0 (or scales them), with an optional cap.",
    same_shape,
    params=(
        Param(
            "max_value",
            OptionalFloat(0.0, None),
            None,
            "The largest output (6 gives ReLU6); None for no cap.",
            keras_default=None,
        ),
        Param(
            "negative_slope",
            FloatRange(0.0, None),
            0.0,
            "Slope for values below the threshold (0: they become 0).",
            keras_default=0.0,
        ),
        Param(
            "threshold",
            FloatRange(0.0, None),
            0.0,
            "Values below this count as negative.",
            keras_default=0.0,
        ),
    ),
    drawing="stage",
    marker=Marker("t2", "#f6d776"),
    brief=brief,
    caption=caption,
    order=110,
    samples=(
        Sample({}, ((5,),)),
        Sample({"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}, ((None, 3),)),
        Sample({"max_value": 0.0}, ((2, 3, 4),)),
        Sample({"max_value": -1.0}, ((5,),), refused_at="max_value"),
        Sample({"negative_slope": -0.2}, ((5,),), refused_at="negative_slope"),
        Sample({"threshold": -1.0}, ((5,),), refused_at="threshold"),
    ),
)
