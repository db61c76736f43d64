"""PReLU: a leaky ReLU whose negative slopes are learned, one per value (`keras.layers.PReLU`)."""

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
    short_value,
    single_input,
)
from nnstudio.core.layers.names import INITIALIZERS
from nnstudio.core.layers.params import AxisList, ConstraintName, InitializerName, Param, RegularizerName


def alpha_shape(params: Params, shape: Shape) -> tuple[int, ...]:
    """The shape of the learned slopes: the input's, with each shared axis 1; LayerError in Keras's
    words when a shared axis is not an axis of the input or an axis that is not shared varies."""
    sizes = list(shape)
    shared = params["shared_axes"] or []
    for axis in shared:
        if axis > len(sizes):
            raise LayerError(
                "shared_axes",
                f"shared_axes must name axes of the input, 1 to {len(sizes)} (input shape {format_shape(shape)}). "
                f"Received: shared_axes={short_value(shared)}",
            )
        sizes[axis - 1] = 1
    if any(size is None for size in sizes):
        raise LayerError(
            None,
            "Shapes used to initialize variables must be fully-defined (no `None` dimensions). "
            f"Received: shape={tuple(sizes)} for variable alpha: share the axes that vary (shared_axes)",
        )
    return tuple(sizes)  # type: ignore[arg-type]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    shape = alpha_shape(params, single_input(inputs))
    if params["alpha_initializer"] == "orthogonal" and len(shape) < 2:
        raise LayerError(
            "alpha_initializer",
            f"The tensor to initialize must be at least two-dimensional. Received: shape={shape} of rank {len(shape)}.",
        )
    if params["alpha_regularizer"] == "orthogonal_regularizer" and len(shape) != 2:
        raise LayerError(
            "alpha_regularizer",
            f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={shape}",
        )
    return [Variable("alpha", shape)]


def outputs(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    alpha_shape(params, single_input(inputs))
    return same_shape(params, inputs)


def brief(params: Params) -> list[str]:
    shared = params["shared_axes"]
    return [] if not shared else [f"shared {short_value(shared)}"]


def caption(params: Params, shape: Shape) -> str:
    return "PReLU · learned slopes" + (
        f" · shared axes {short_value(params['shared_axes'])}" if params["shared_axes"] else ""
    )


LAYER = LayerType(
    "PReLU",
    "A leaky ReLU that learns the slope for negative values (alpha), one per value or shared along axes.",
    outputs,
    params=(
        Param(
            "alpha_initializer",
            InitializerName(tuple(INITIALIZERS)),
            "zeros",
            "How the slopes are initialised (zeros: a plain ReLU at first).",
            keras_default="zeros",
        ),
        Param(
            "alpha_regularizer", RegularizerName(), None, "Penalty on the slopes added to the loss.", keras_default=None
        ),
        Param(
            "alpha_constraint",
            ConstraintName(),
            None,
            "Limit applied to the slopes after each step.",
            keras_default=None,
        ),
        Param(
            "shared_axes",
            AxisList(),
            None,
            "Axes along which one slope is shared (e.g. 1, 2 for an image's height and width); None: one per value.",
            keras_default=None,
        ),
    ),
    variables=variables,
    drawing="stage",
    marker=Marker("t2", "#e9a23b"),
    brief=brief,
    caption=caption,
    order=112,
    samples=(
        Sample({}, ((5,),)),
        Sample({"shared_axes": [1]}, ((None, 4),)),
        Sample({"shared_axes": [1, 2], "alpha_initializer": "ones"}, ((4, 5, 3),)),
        Sample({"alpha_initializer": "orthogonal", "alpha_regularizer": "orthogonal_regularizer"}, ((4, 5),)),
        Sample({"alpha_constraint": "non_neg", "alpha_regularizer": "l2"}, ((3, 2),)),
        Sample({}, ((None, 4),), refused_at=""),
        Sample({"shared_axes": [3]}, ((4, 5),), refused_at="shared_axes"),
        Sample({"alpha_initializer": "orthogonal"}, ((5,),), refused_at="alpha_initializer"),
    ),
)
