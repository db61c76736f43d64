"""Normalization: shifts and scales values by a mean and variance, `(x - mean) / sqrt(variance)`
(`keras.layers.Normalization`).

The statistics are either given (`mean`, `variance`: a number or one per kept value, written into
the config; the layer then has no weights) or left None, and then they are the layer's weights:
`mean` and `variance` (non-trainable, one per value of the kept axes) and `count` (an int64
scalar), which Keras counts as parameters (EfficientNet's: 3 + 3 + 1 = 7) and saves in
model.weights.h5; `adapt()` or a saved file fills them. `axis` names the axes kept (counting the
batch axis as 0; -1 the last), statistics are shared along the others. `invert` undoes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnstudio.core.layers.base import LayerError, LayerType, Marker, Params, Sample, Shape, Variable, single_input
from nnstudio.core.layers.params import Axis, Flag, OptionalFloats, Param


def _axes(value: Any) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else tuple(value)


def _kept(params: Params, shape: Shape) -> tuple[int, ...]:
    """Keras's `build`: the kept axes (0 is the batch), each in range and of known size, sorted."""
    full = (None, *shape)
    ndim = len(full)
    axes = _axes(params["axis"])
    if any(a < -ndim or a >= ndim for a in axes):
        raise LayerError(
            "axis",
            f"All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim={ndim}, while axis={axes}",
        )
    kept = tuple(sorted(a if a >= 0 else a + ndim for a in axes))
    for d in kept:
        if full[d] is None:
            raise LayerError(
                "axis",
                f"All `axis` values to be kept must have a known shape. Received axis={axes}, "
                f"inputs.shape={tuple(full)}, with unknown axis at index {d}",
            )
    return kept


def _statistics_shape(value: Any) -> tuple[int, ...]:
    return (len(value),) if isinstance(value, (list, tuple)) else ()


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = single_input(inputs)
    kept = _kept(params, shape)
    mean = params["mean"]
    if isinstance(mean, (list, tuple)):  # Keras reshapes the statistics onto the last kept axis, then broadcasts
        size = (None, *shape)[kept[-1]]
        if len(mean) not in (1, size):
            raise LayerError(
                "mean",
                f"`mean` and `variance` must hold one value, or one per value of the kept axis {kept[-1]} "
                f"(size {size}). Received: {len(mean)} values",
            )
    return [shape]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    shape = single_input(inputs)
    kept = _kept(params, shape)
    if params["mean"] is not None:
        return []  # given statistics are constants of the config, not weights
    sizes = tuple((None, *shape)[d] or 0 for d in kept)
    return [
        Variable("mean", sizes, trainable=False),
        Variable("variance", sizes, trainable=False),
        Variable("count", (), trainable=False, dtype="int64"),
    ]


def validate(params: Params) -> list[tuple[str | None, str]]:
    mean, variance = params["mean"], params["variance"]
    if (mean is None) != (variance is None):
        field = "variance" if variance is None else "mean"
        return [
            (
                field,
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}",
            )
        ]
    if mean is not None and _statistics_shape(mean) != _statistics_shape(variance):
        return [
            (
                "variance",
                "When setting values directly, `mean` and `variance` must have the same shape. Received: "
                f"mean shape {_statistics_shape(mean)} and variance shape {_statistics_shape(variance)}",
            )
        ]
    if mean is not None and len(_statistics_shape(mean)) > len(_axes(params["axis"])):
        return [("mean", "The rank of `mean` must be less than or equal to the number of axes")]
    return []


def config_values(values: Params) -> dict[str, Any]:
    """Keras keeps `axis` as a tuple: one axis is written as a list of one."""
    axis = values["axis"]
    return {**values, "axis": [axis] if isinstance(axis, int) else list(axis)}


def read_config(values: Params) -> dict[str, Any]:
    axis = values["axis"]
    return {**values, "axis": axis[0] if isinstance(axis, list) and len(axis) == 1 else axis}


def brief(params: Params) -> list[str]:
    args = [] if params["mean"] is None else ["given mean, variance"]
    if params["axis"] != -1:
        args.append(f"axis {params['axis']}")
    if params["invert"]:
        args.append("invert")
    return args


def caption(params: Params, shape: Shape) -> str:
    return "x·√var + mean" if params["invert"] else "(x − mean)/√var"


LAYER = LayerType(
    "Normalization",
    "Shifts and scales values by a mean and variance (given, or learned from data by adapt() and saved as weights).",
    output_shapes,
    params=(
        Param(
            "axis",
            Axis(),
            -1,
            "The axes that keep their own statistics (-1: the last, e.g. one mean per colour channel).",
            keras_default=-1,
        ),
        Param(
            "mean",
            OptionalFloats(),
            None,
            "The mean to subtract: a number or one per channel; None: weights that adapt() or a file fills.",
            keras_default=None,
        ),
        Param(
            "variance",
            OptionalFloats(),
            None,
            "The variance to divide by (its square root): a number or one per channel; None with the mean.",
            keras_default=None,
        ),
        Param("invert", Flag(), False, "Undo the normalisation: x·√variance + mean.", keras_default=False),
    ),
    variables=variables,
    validate=validate,
    config_values=config_values,
    read_config=read_config,
    drawing="stage",
    marker=Marker("d", "#c7e3b5"),
    brief=brief,
    caption=caption,
    order=90,
    samples=(
        Sample({}, ((5,),)),
        Sample({}, ((None, 8, 3),)),
        Sample({"axis": 3}, ((6, 6, 3),)),
        Sample({"axis": [1, -1]}, ((4, None, 3),)),
        Sample({"mean": [123.675, 116.28, 103.53], "variance": [3409.98, 3262.69, 3291.89]}, ((8, 8, 3),)),
        Sample({"mean": 0.5, "variance": 0.25, "invert": True}, ((None, 4),)),
        Sample({"mean": [0.5], "variance": [2.0]}, ((4, 3),)),
        Sample({"axis": 3}, ((None, 3),), refused_at="axis"),
        Sample({"axis": -4}, ((None, 3),), refused_at="axis"),
        Sample({"axis": 1}, ((None, 3),), refused_at="axis"),
        Sample({"mean": [0.5, 0.5]}, ((4,),), refused_at="variance"),
        Sample({"mean": [0.5, 0.5], "variance": [1.0, 1.0]}, ((3,),), refused_at="mean"),
    ),
)
