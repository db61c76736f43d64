"""Dense: every input joined to every neuron by a weight (`keras.layers.Dense`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import (
    LayerType,
    Params,
    Sample,
    Shape,
    Variable,
    format_shape,
    known_last_axis,
    single_input,
)
from nnstudio.core.layers.config_values import is_null
from nnstudio.core.layers.names import INITIALIZERS
from nnstudio.core.layers.params import MAX_UNITS, ActivationName, Flag, InitializerName, Param, PositiveInt


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = single_input(inputs)
    return [shape[:-1] + (params["units"],)]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    features = known_last_axis(single_input(inputs))
    units = params["units"]
    kernel = [Variable("kernel", (features, units))]
    return kernel + ([Variable("bias", (units,))] if params["use_bias"] else [])


def brief(params: Params) -> list[str]:
    args = [str(params["units"])]
    if params["activation"] != "linear":
        args.append(str(params["activation"]))
    if not params["use_bias"]:
        args.append("no bias")
    return args


def caption(params: Params, shape: Shape) -> str:
    """`64 units · relu`; on several axes the output shape as the summary prints it, `64 units · (None, 4, 64) · relu`."""
    if len(shape) > 1:
        return f"{params['units']:,} units · {format_shape(shape)} · {params['activation']}"
    return f"{params['units']:,} units · {params['activation']}"


LAYER = LayerType(
    "Dense",
    "Fully connected: every input is joined to every neuron by a weight; each neuron has a bias.",
    output_shapes,
    params=(
        Param("units", PositiveInt(MAX_UNITS), 32, "Number of neurons (outputs) of the layer.", positional=True),
        Param(
            "activation",
            ActivationName(),
            "linear",
            "Function applied to each neuron's output.",
            keras_default="linear",
        ),
        Param("use_bias", Flag(), True, "Give each neuron a bias that shifts its threshold.", keras_default=True),
        Param(
            "kernel_initializer",
            InitializerName(),
            "glorot_uniform",
            "How the weights are initialised.",
            keras_default="glorot_uniform",
        ),
        Param(
            "bias_initializer",
            InitializerName(tuple(i for i in INITIALIZERS if i != "orthogonal")),  # Keras: needs 2-D or more
            "zeros",
            "How the biases are initialised.",
            keras_default="zeros",
        ),
    ),
    variables=variables,
    extra_config={
        "kernel_regularizer": is_null,
        "bias_regularizer": is_null,
        "activity_regularizer": is_null,
        "kernel_constraint": is_null,
        "bias_constraint": is_null,
        "quantization_config": is_null,
        "lora_rank": is_null,
        "lora_alpha": is_null,
    },
    drawing="dense",
    brief=brief,
    caption=caption,
    size_param="units",
    order=1,
    samples=(
        Sample({"units": 3}, ((5,),)),
        Sample({"units": 4, "use_bias": False, "activation": "relu"}, ((2, 6),)),
        Sample({"units": 64}, ((None, 8),)),
        Sample({"units": 2}, ((3, None, 4),)),
        Sample({"units": 2}, ((8, None),), refused_at=""),
        Sample({"units": 0}, ((5,),), refused_at="units"),
    ),
)
