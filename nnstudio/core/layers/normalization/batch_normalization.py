"""BatchNormalization: normalises each feature over the batch (`keras.layers.BatchNormalization`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import (
    LayerError,
    LayerType,
    Marker,
    Params,
    Sample,
    Shape,
    Variable,
    format_shape,
    same_shape,
    single_input,
)
from nnstudio.core.layers.config_values import is_false, is_initializer, is_null, is_number
from nnstudio.core.layers.params import Axis, Flag, FloatRange, Param


def _features(params: Params, shape: Shape) -> int:
    """The size of the normalised axis (counted with the batch axis as 0, -1 the last), as Keras's
    `build` takes it: in range and known."""
    full = (None, *shape)
    axis = params["axis"]
    if not -len(full) <= axis < len(full):
        raise LayerError(
            "axis",
            f"Invalid axis: {axis}. Received: input_shape={format_shape(shape)} ({len(full)} axes, the batch's counted)",
        )
    size = full[axis]
    if size is None:
        raise LayerError(
            "axis",
            f"Axis {axis} of input tensor should have a defined dimension but the layer received an input with "
            f"shape {format_shape(shape)}.",
        )
    return size


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    features = _features(params, single_input(inputs))
    learned = [name for name, on in (("gamma", params["scale"]), ("beta", params["center"])) if on]
    return [Variable(name, (features,)) for name in learned] + [
        Variable("moving_mean", (features,), trainable=False),
        Variable("moving_variance", (features,), trainable=False),
    ]


def caption(params: Params, shape: Shape) -> str:
    return "BatchNorm"


LAYER = LayerType(
    "BatchNormalization",
    "Normalises each feature over the batch, with a learned scale and offset.",
    same_shape,
    params=(
        Param("center", Flag(), True, "Learn an offset (beta).", keras_default=True),
        Param("scale", Flag(), True, "Learn a scale (gamma).", keras_default=True),
        Param("momentum", FloatRange(0.0, 1.0), 0.99, "Momentum of the moving mean and variance.", keras_default=0.99),
        Param(
            "epsilon",
            FloatRange(0.0, 1.0),
            0.001,
            "Small number added to the variance to avoid dividing by zero.",
            keras_default=0.001,
        ),
        Param(
            "axis",
            Axis(single=True),
            -1,
            "The axis of the features normalised one by one (-1: the last; 3 for images in DenseNet).",
            keras_default=-1,
        ),
    ),
    variables=variables,
    extra_config={
        "beta_initializer": is_initializer,
        "gamma_initializer": is_initializer,
        "moving_mean_initializer": is_initializer,
        "moving_variance_initializer": is_initializer,
        "beta_regularizer": is_null,
        "gamma_regularizer": is_null,
        "beta_constraint": is_null,
        "gamma_constraint": is_null,
        "synchronized": is_false,
        "renorm": is_false,
        "renorm_clipping": is_null,
        "renorm_momentum": is_number,
    },
    drawing="stage",
    marker=Marker("s", "#cdb8e8"),
    caption=caption,
    samples=(
        Sample({}, ((5,),)),
        Sample({"center": False}, ((2, 3),)),
        Sample({"scale": False, "center": False, "momentum": 0.9}, ((None, 4),)),
        Sample({}, ((4, None),), refused_at="axis"),
        Sample({"axis": 3}, ((4, 4, 3),)),
        Sample({"axis": 1}, ((4, 5),)),
        Sample({"axis": -2}, ((None, 6, 2),)),
        Sample({"axis": 3}, ((4, 3),), refused_at="axis"),
        Sample({"axis": 1}, ((None, 3),), refused_at="axis"),
    ),
)
