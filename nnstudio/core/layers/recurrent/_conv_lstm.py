"""What ConvLSTM1D, ConvLSTM2D and ConvLSTM3D share, as Keras's `ConvLSTM` base class does
(keras/src/layers/rnn/conv_lstm.py).

An LSTM whose gates are convolutions: stepped along the time axis of a `(steps, *spatial,
channels)` input, each step's input is convolved with `kernel` (*kernel_size, channels,
4 * filters) and the previous output with `recurrent_kernel` (*kernel_size, filters,
4 * filters), the gate blocks i f c o side by side as in an LSTM, plus a bias (4 * filters,);
a `.keras` file keeps them in the layer's `cell` group. The output is the last step's feature
maps `(*spatial_out, filters)`, or every step's with `return_sequences`; `return_state` adds the
final h and c, each of the output's step shape (only the last layer of a Sequential may give
them). In a functional model it may be called with its starting states, `layer(sequences,
initial_state=[h, c])` (the "initial_state" call convention), each one step's output shape. The spatial sizes follow the input convolution's strides, padding and dilation; the
recurrent convolution keeps them ("same", stride 1). Keras needs every spatial size known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nnstudio.core.layers.base import (
    LayerError,
    LayerType,
    Params,
    Sample,
    Shape,
    Variable,
    format_shape,
    single_input,
    size_text,
)
from nnstudio.core.layers.config_values import ConfigCheck, is_false, is_null, is_seed
from nnstudio.core.layers.convolutional._conv import conv_length
from nnstudio.core.layers.params import (
    MAX_DIM,
    MAX_UNITS,
    REQUIRED,
    ActivationName,
    Choice,
    Flag,
    FloatRange,
    InitializerName,
    IntTuple,
    Param,
    PositiveInt,
)
from nnstudio.core.layers.recurrent._rnn import BIAS_INITIALIZERS, CELL
from nnstudio.core.layers.spatial import as_tuple, window_text

GATES = 4  # i f c o, as an LSTM's
STATE_NAMES = ("initial_state h", "initial_state c")
PADDINGS = ("valid", "same")
DATA_FORMATS = ("channels_last",)  # TensorFlow runs its convolutions on the CPU channels-last only


def _split(params: Params, rank: int, inputs: Sequence[Shape]) -> tuple[int | None, tuple[int, ...], int]:
    """(steps, spatial sizes, channels) of the input; LayerError in Keras's words for another rank,
    a spatial size that varies or unknown channels."""
    shape = single_input(inputs)
    if len(shape) != rank + 2:
        raise LayerError(
            None,
            f"Input 0 is incompatible with the layer: expected ndim={rank + 3}, found ndim={len(shape) + 1}. "
            f"Full shape received: {format_shape(shape)}",
        )
    steps, spatial, channels = shape[0], shape[1:-1], shape[-1]
    if None in spatial:
        raise LayerError(
            None,
            "ConvLSTM layers only support static input shapes for the spatial dimension. "
            f"Received invalid input shape: input_shape={format_shape(shape)}",
        )
    if channels is None:
        raise LayerError(
            None,
            "The channel dimension of the inputs (last axis) should be defined. Found None. "
            f"Full input shape received: input_shape={format_shape(shape)}",
        )
    return steps, tuple(d for d in spatial if d is not None), channels


def step_output(params: Params, rank: int, inputs: Sequence[Shape]) -> Shape:
    """One step's output (and each state's shape): the convolved spatial sizes and the filters."""
    shape = single_input(inputs)
    _steps, spatial, _channels = _split(params, rank, inputs)
    kernel, strides, dilation = (as_tuple(params[key], rank) for key in ("kernel_size", "strides", "dilation_rate"))
    sizes = [
        conv_length(n, k, s, d, params["padding"])
        for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)
    ]
    if any(size is not None and size <= 0 for size in sizes):
        raise LayerError(
            "kernel_size",
            f"Computed output size would be zero or negative. Received: inputs shape={format_shape(shape)}, "
            f"kernel_size={kernel}, dilation_rate={dilation}, strides={strides}, padding={params['padding']}",
        )
    return (*sizes, params["filters"])


def check_initial_states(step: Shape, states: Sequence[Shape]) -> None:
    """LayerError unless each initial state (h, c) has one step's output shape. Keras's symbolic
    call does not look at them; running the model fails inside the cell's convolutions."""
    for name, shape in zip(STATE_NAMES, states, strict=False):
        if tuple(shape) != tuple(step):
            raise LayerError(
                None,
                f"{name} must have one step's output shape {format_shape(step)}. "
                f"Received: {name} of shape {format_shape(tuple(shape))}",
            )


def make_output_shapes(rank: int) -> Callable[[Params, Sequence[Shape]], list[Shape]]:
    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        step = step_output(params, rank, inputs[:1])
        check_initial_states(step, inputs[1:])
        steps = single_input(inputs[:1])[0]
        main: Shape = (steps, *step) if params["return_sequences"] else step
        return [main, *([step, step] if params["return_state"] else [])]

    return output_shapes


def make_variables(rank: int) -> Callable[[Params, Sequence[Shape]], list[Variable]]:
    def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
        step_output(params, rank, inputs[:1])
        _steps, _spatial, channels = _split(params, rank, inputs[:1])
        kernel, filters = as_tuple(params["kernel_size"], rank), params["filters"]
        found = [
            Variable("kernel", (*kernel, channels, GATES * filters), store=CELL),
            Variable("recurrent_kernel", (*kernel, filters, GATES * filters), store=CELL),
        ]
        if params["use_bias"]:
            found.append(Variable("bias", (GATES * filters,), store=CELL))
        return found

    return variables


def make_validate(rank: int) -> Callable[[Params], list[tuple[str | None, str]]]:
    def validate(params: Params) -> list[tuple[str | None, str]]:
        strides, dilation = as_tuple(params["strides"], rank), as_tuple(params["dilation_rate"], rank)
        if max(strides) > 1 and max(dilation) > 1:
            return [
                (
                    "dilation_rate",
                    "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please provide "
                    f"`strides=1` or `dilation_rate=1`. Received: strides={strides} and dilation_rate={dilation}",
                )
            ]
        return []

    return validate


def make_brief(rank: int) -> Callable[[Params], list[str]]:
    def brief(params: Params) -> list[str]:
        args = [str(params["filters"]), window_text(params["kernel_size"], rank)]
        if as_tuple(params["strides"], rank) != (1,) * rank:
            args.append(f"stride {window_text(params['strides'], rank)}")
        if params["padding"] != "valid":
            args.append(str(params["padding"]))
        if params["activation"] != "tanh":
            args.append(str(params["activation"]))
        for flag, word in (
            ("return_sequences", "sequences"),
            ("return_state", "states"),
            ("go_backwards", "backwards"),
        ):
            if params[flag]:
                args.append(word)
        return args

    return brief


def make_caption(rank: int) -> Callable[[Params, Shape], str]:
    def caption(params: Params, shape: Shape) -> str:
        steps = "every step" if params["return_sequences"] else "last step"
        return f"{size_text(shape)} · {window_text(params['kernel_size'], rank)} filters · gates i f c o · {steps}"

    return caption


def _tuple(name: str, rank: int, default: int, help_text: str, positional: bool = False) -> Param:
    return Param(
        name,
        IntTuple(rank, maximum=MAX_DIM),
        [default] * rank,
        help_text,
        keras_default=REQUIRED if positional else default,  # ConvLSTM's signature says 1, not (1, 1)
        positional=positional,
    )


def conv_lstm_params(rank: int) -> tuple[Param, ...]:
    """The parameters of a `rank`-D ConvLSTM in Keras's constructor order (regularizers and
    constraints are not offered; stateful is always off)."""

    def flag(name: str, help_text: str, default: bool = False) -> Param:
        return Param(name, Flag(), default, help_text, keras_default=default)

    def initializer(name: str, default: str, help_text: str, names: tuple[str, ...] | None = None) -> Param:
        kind = InitializerName(names) if names is not None else InitializerName()
        return Param(name, kind, default, help_text, keras_default=default)

    return (
        Param(
            "filters",
            PositiveInt(MAX_UNITS),
            32,
            "Number of filters: the channels of the output and of each state.",
            positional=True,
        ),
        _tuple("kernel_size", rank, 3, "Size of the window each gate's filters slide over a step, e.g. 3.", True),
        _tuple("strides", rank, 1, "Step of the input convolution's window along each axis (1: every position)."),
        Param(
            "padding",
            Choice(PADDINGS),
            "valid",
            "valid: no padding, the feature maps shrink; same: zeros around each step so a stride of 1 keeps its size.",
            keras_default="valid",
        ),
        Param(
            "data_format",
            Choice(DATA_FORMATS),
            "channels_last",
            "Where the channels are: last, (steps, …, channels).",
            keras_default="channels_last",
        ),
        _tuple("dilation_rate", rank, 1, "Spacing between the kernel's taps (1: next to each other)."),
        Param(
            "activation",
            ActivationName(),
            "tanh",
            "Function that makes the new state (and output) from the gates' convolutions.",
            keras_default="tanh",
        ),
        Param(
            "recurrent_activation",
            ActivationName(),
            "sigmoid",
            "Function that opens and closes the gates (0: shut, 1: open).",
            keras_default="sigmoid",
        ),
        flag("use_bias", "Give every gate of every filter a bias.", True),
        initializer("kernel_initializer", "glorot_uniform", "How the input kernels are initialised."),
        initializer("recurrent_initializer", "orthogonal", "How the recurrent kernels are initialised."),
        initializer("bias_initializer", "zeros", "How the biases are initialised.", BIAS_INITIALIZERS),
        flag(
            "unit_forget_bias",
            "Add 1 to the forget gate's bias at initialisation, so the cell remembers at first.",
            True,
        ),
        Param(
            "dropout",
            FloatRange(0.0, 1.0),
            0.0,
            "While training, the fraction of the inputs dropped for the input convolution, in [0, 1].",
            keras_default=0.0,
        ),
        Param(
            "recurrent_dropout",
            FloatRange(0.0, 1.0),
            0.0,
            "While training, the fraction of the previous state dropped for the recurrent convolution, in [0, 1].",
            keras_default=0.0,
        ),
        flag("return_sequences", "Give the feature maps of every time step instead of the last one only."),
        flag(
            "return_state", "Also give the final states h and c: several outputs, so only the model's last layer may."
        ),
        flag("go_backwards", "Read the sequence from its end to its start (and give the outputs reversed)."),
    )


EXTRA_CONFIG: dict[str, ConfigCheck] = {
    **{
        key: is_null
        for key in (
            "kernel_regularizer",
            "recurrent_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "kernel_constraint",
            "recurrent_constraint",
            "bias_constraint",
        )
    },
    "stateful": is_false,
    "unroll": is_false,
    "zero_output_for_mask": is_false,
    "seed": is_seed,
}


def conv_lstm_type(rank: int, help_text: str, samples: Sequence[Sample]) -> LayerType:
    """The LayerType of ConvLSTM{rank}D (see the module docstring)."""
    return LayerType(
        f"ConvLSTM{rank}D",
        help_text,
        make_output_shapes(rank),
        training_default=False,  # Keras's call(inputs, training=False)
        params=conv_lstm_params(rank),
        variables=make_variables(rank),
        validate=make_validate(rank),
        extra_config=EXTRA_CONFIG,
        drawing="conv",
        brief=make_brief(rank),
        caption=make_caption(rank),
        size_param="filters",
        order=10 + rank,
        samples=tuple(samples),
        inputs=(1, 1 + len(STATE_NAMES)),
        call_convention="initial_state",
        input_names=("sequences", *STATE_NAMES),
    )


def common_samples(rank: int) -> tuple[Sample, ...]:
    """Cases every ConvLSTM passes or refuses as Keras does."""
    spatial = (6,) * rank
    return (
        Sample({"filters": 2, "kernel_size": [3] * rank}, ((4, *spatial, 1),)),
        Sample(
            {"filters": 3, "kernel_size": [3] * rank, "padding": "same", "return_sequences": True},
            ((None, *spatial, 2),),
        ),
        Sample(
            {"filters": 2, "kernel_size": [2] * rank, "strides": [2] * rank, "use_bias": False}, ((3, *spatial, 2),)
        ),
        Sample(
            {"filters": 2, "kernel_size": [3] * rank, "dilation_rate": [2] * rank, "return_state": True},
            ((3, *spatial, 1),),
        ),
        Sample(
            {
                "filters": 1,
                "kernel_size": [1] * rank,
                "return_sequences": True,
                "return_state": True,
                "go_backwards": True,
                "activation": "relu",
                "recurrent_activation": "hard_sigmoid",
            },
            ((2, *spatial, 3),),
        ),
        Sample(
            {
                "filters": 2,
                "kernel_size": [3] * rank,
                "dropout": 0.25,
                "recurrent_dropout": 0.5,
                "unit_forget_bias": False,
                "kernel_initializer": "he_normal",
                "recurrent_initializer": "glorot_uniform",
                "bias_initializer": "ones",
            },
            ((None, *spatial, 2),),
        ),
        Sample({"filters": 2, "kernel_size": [7] * rank}, ((4, *spatial, 1),), refused_at="kernel_size"),
        Sample(
            {"filters": 2, "kernel_size": [3] * rank, "strides": [2] * rank, "dilation_rate": [2] * rank},
            ((4, *spatial, 1),),
            refused_at="dilation_rate",
        ),
        Sample({"filters": 2, "kernel_size": [3] * rank}, ((*spatial, 1),), refused_at=""),
        # called with its starting states h and c, each one step's output (a decoder fed an encoder's states)
        Sample({"filters": 2, "kernel_size": [3] * rank, "padding": "same"}, ((3, *spatial, 1), *[(*spatial, 2)] * 2)),
        Sample(
            {"filters": 2, "kernel_size": [3] * rank, "return_state": True},
            ((3, *spatial, 1), *[(*((4,) * rank), 2)] * 2),
        ),
        Sample(
            {"filters": 2, "kernel_size": [3] * rank, "padding": "same"},
            ((3, *spatial, 1), (*spatial, 2), (*spatial, 3)),
            refused_at="",
        ),
        Sample({"filters": 2, "kernel_size": [3] * rank}, ((3, *spatial, 1), *[(*spatial, 2)] * 2), refused_at=""),
        Sample(
            {"filters": 2, "kernel_size": [3] * rank, "padding": "same"},
            ((3, *spatial, 1), (*spatial, 2)),
            refused_at="",
        ),
        Sample({"filters": 2, "kernel_size": [1] * rank}, ((4, *((None,) * rank), 1),), refused_at=""),
    )
