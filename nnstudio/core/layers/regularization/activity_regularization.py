"""ActivityRegularization: adds a penalty on the values passing through to the loss (`keras.layers.ActivityRegularization`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape, short_value
from nnstudio.core.layers.params import FloatRange, Param


def brief(params: Params) -> list[str]:
    return [f"{key} {short_value(params[key])}" for key in ("l1", "l2") if params[key]]


def caption(params: Params, shape: Shape) -> str:
    return " · ".join(["ActivityRegularization", *brief(params)])


LAYER = LayerType(
    "ActivityRegularization",
    "Passes values through unchanged and adds l1·sum|x| + l2·sum x² of them to the loss.",
    same_shape,
    params=(
        Param("l1", FloatRange(0.0, None), 0.0, "Weight of the sum of absolute values.", keras_default=0.0),
        Param("l2", FloatRange(0.0, None), 0.0, "Weight of the sum of squares.", keras_default=0.0),
    ),
    drawing="stage",
    marker=Marker("p", "#e2e2e2"),
    brief=brief,
    caption=caption,
    order=130,
    samples=(
        Sample({}, ((5,),)),
        Sample({"l1": 0.01, "l2": 0.001}, ((None, 3),)),
        Sample({"l1": -1.0}, ((5,),), refused_at="l1"),
        Sample({"l2": -0.5}, ((5,),), refused_at="l2"),
    ),
)
