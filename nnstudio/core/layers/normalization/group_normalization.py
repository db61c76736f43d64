"""GroupNormalization: normalises groups of channels within each sample (`keras.layers.GroupNormalization`)."""

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
from nnstudio.core.layers.config_values import is_null
from nnstudio.core.layers.names import INITIALIZERS
from nnstudio.core.layers.params import MAX_DIM, Axis, Flag, FloatRange, InitializerName, Param, PositiveInt

# The weights are vectors: Keras's orthogonal initializer needs two axes or more.
VECTOR_INITIALIZERS = tuple(i for i in INITIALIZERS if i != "orthogonal")


def channels(params: Params, shape: Shape) -> int:
    """The size of the normalised axis, checked against `groups` in Keras's words."""
    axis, groups = params["axis"], params["groups"]
    ndim = len(shape) + 1
    if axis >= ndim or axis < -ndim:
        raise LayerError(
            "axis", f"Axis {axis} is out of bounds for input shape {format_shape(shape)}. Received: axis={axis}"
        )
    dim = (None, *shape)[axis]
    if dim is None:
        raise LayerError(
            None,
            f"Axis {axis} of input tensor should have a defined dimension but the layer received an input "
            f"with shape {format_shape(shape)}.",
        )
    if dim < groups:
        raise LayerError("groups", f"Number of groups ({groups}) cannot be more than the number of channels ({dim}).")
    if dim % groups:
        raise LayerError("groups", f"Number of groups ({groups}) must be a multiple of the number of channels ({dim}).")
    return dim


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    channels(params, single_input(inputs))
    return same_shape(params, inputs)


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    dim = channels(params, single_input(inputs))
    learned = [name for name, on in (("gamma", params["scale"]), ("beta", params["center"])) if on]
    return [Variable(name, (dim,)) for name in learned]


def brief(params: Params) -> list[str]:
    return [f"{params['groups']} groups"]


def caption(params: Params, shape: Shape) -> str:
    return f"GroupNorm · {params['groups']} groups"


LAYER = LayerType(
    "GroupNormalization",
    "Normalises each sample within groups of channels, with a learned scale and offset per channel.",
    output_shapes,
    params=(
        Param(
            "groups",
            PositiveInt(MAX_DIM),
            32,
            "Number of groups the channels are split into; it must divide the number of channels.",
            keras_default=32,
        ),
        Param("axis", Axis(single=True), -1, "The channels axis; -1 is the last.", keras_default=-1),
        Param(
            "epsilon",
            FloatRange(0.0, 1.0),
            0.001,
            "Small number added to the variance to avoid dividing by zero.",
            keras_default=0.001,
        ),
        Param("center", Flag(), True, "Learn an offset (beta).", keras_default=True),
        Param("scale", Flag(), True, "Learn a scale (gamma).", keras_default=True),
        Param(
            "beta_initializer",
            InitializerName(VECTOR_INITIALIZERS),
            "zeros",
            "How the offsets are initialised.",
            keras_default="zeros",
        ),
        Param(
            "gamma_initializer",
            InitializerName(VECTOR_INITIALIZERS),
            "ones",
            "How the scales are initialised.",
            keras_default="ones",
        ),
    ),
    variables=variables,
    extra_config={
        "beta_regularizer": is_null,
        "gamma_regularizer": is_null,
        "beta_constraint": is_null,
        "gamma_constraint": is_null,
    },
    drawing="stage",
    marker=Marker("s", "#d9c2e9"),
    brief=brief,
    caption=caption,
    order=111,
    samples=(
        Sample({}, ((4, 64),)),
        Sample({"groups": 2, "center": False}, ((None, 8),)),
        Sample({"groups": 4, "axis": 1, "epsilon": 0.01, "gamma_initializer": "he_normal"}, ((8, 3),)),
        Sample({"groups": 3, "scale": False, "beta_initializer": "random_normal"}, ((2, 2, 6),)),
        Sample({"groups": 2, "axis": 1}, ((4, None),)),
        Sample({"groups": 3}, ((8,),), refused_at="groups"),
        Sample({"groups": 16}, ((8,),), refused_at="groups"),
        Sample({"groups": 2}, ((4, None),), refused_at=""),
        Sample({"groups": 2, "axis": 3}, ((4, 6),), refused_at="axis"),
    ),
)
