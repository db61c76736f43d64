"""What SimpleRNN, LSTM and GRU share, as Keras's `RNN` base class does (keras/src/layers/rnn/rnn.py).

Each is a cell stepped along the time axis of a `(timesteps, features)` input. The cell's weights
hold one block per gate side by side: `kernel` (features, gates * units) for the input,
`recurrent_kernel` (units, gates * units) for the previous output, and a bias; a `.keras` file
keeps them in the layer's `cell` group. The output is the last step's `(units,)`, or every step's
`(timesteps, units)` with `return_sequences`; `return_state` adds the final states, which only
the last layer of a Sequential may give (the next layer would receive several tensors).

In a functional model the layer may also be called with its starting states,
`layer(sequences, initial_state=[h, c])` (the "initial_state" call convention): all of them (one
for SimpleRNN and GRU, h and c for LSTM) or none, each `(batch, units)`. A seq2seq decoder starts
from its encoder's final states this way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nnstudio.core.layers.base import (
    LayerError,
    LayerType,
    Params,
    Sample,
    Shape,
    Variable,
    format_shape,
    known_last_axis,
    single_input,
)
from nnstudio.core.layers.config_values import ConfigCheck, is_false, is_null, is_seed
from nnstudio.core.layers.names import INITIALIZERS
from nnstudio.core.layers.params import MAX_UNITS, ActivationName, Flag, FloatRange, InitializerName, Param, PositiveInt

CELL = "cell"  # the group a `.keras` weights file keeps an RNN's variables in
BIAS_INITIALIZERS = tuple(i for i in INITIALIZERS if i != "orthogonal")  # Keras: orthogonal needs 2-D or more

# Gate letters in the order Keras lays the blocks out in the kernels and bias.
GATES = {"SimpleRNN": ("h",), "LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h")}
GATE_NAMES = {
    "h": "candidate state",
    "i": "input gate",
    "f": "forget gate",
    "c": "cell candidate",
    "o": "output gate",
    "z": "update gate",
    "r": "reset gate",
}
STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}  # LSTM keeps its output h and its memory c
STATE_NAMES = {
    "SimpleRNN": ("initial_state",),
    "GRU": ("initial_state",),
    "LSTM": ("initial_state h", "initial_state c"),
}


def input_names(class_name: str) -> tuple[str, ...]:
    """What each input of a call is: the sequences, then the initial states in Keras's order."""
    return ("sequences", *STATE_NAMES[class_name])


def sequence_input(inputs: Sequence[Shape]) -> tuple[int | None, int]:
    """(timesteps, features) of an RNN's input (the first; initial states follow it); LayerError in
    Keras's words for any other rank."""
    shape = single_input(inputs[:1])
    if len(shape) != 2:
        raise LayerError(
            None,
            f"expected ndim=3, found ndim={len(shape) + 1}: an RNN takes sequences (timesteps, features). "
            f"Full shape received: {format_shape(shape)}",
        )
    return shape[0], known_last_axis(shape)


def check_initial_states(class_name: str, units: int, states: Sequence[Shape]) -> None:
    """LayerError unless each initial state is (units,) (how many there may be,
    `LayerType.input_count_problem` says first).

    Keras's symbolic call accepts any; running the model then fails inside the cell, as
    `Dimensions must be equal, but are 3 and 4` for a state of the wrong size (or `list index out
    of range` for an LSTM given h alone): nnstudio says so where the layer is built."""
    for name, shape in zip(STATE_NAMES[class_name], states, strict=False):
        if tuple(shape) == (units,):
            continue
        keras_words = (
            f"Dimensions must be equal, but are {shape[0]} and {units}: "
            if len(shape) == 1 and shape[0] is not None
            else ""
        )
        raise LayerError(
            None,
            f"{keras_words}{name} must be (batch, units) = {format_shape((units,))}. "
            f"Received: {name} of shape {format_shape(tuple(shape))}",
        )


def output_shapes_for(class_name: str) -> Callable[[Params, Sequence[Shape]], list[Shape]]:
    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        steps, _features = sequence_input(inputs)
        check_initial_states(class_name, params["units"], inputs[1:])
        units = params["units"]
        main: Shape = (steps, units) if params["return_sequences"] else (units,)
        states: list[Shape] = [(units,)] * STATES[class_name] if params["return_state"] else []
        return [main, *states]

    return output_shapes


def bias_shape(class_name: str, params: Params) -> tuple[int, ...]:
    units = params["units"] * len(GATES[class_name])
    if class_name == "GRU" and params["reset_after"]:
        return (2, units)  # separate biases for the input and the recurrent kernel
    return (units,)


def variables_for(class_name: str) -> Callable[[Params, Sequence[Shape]], list[Variable]]:
    def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
        _steps, features = sequence_input(inputs)
        units = params["units"]
        width = units * len(GATES[class_name])
        found = [
            Variable("kernel", (features, width), store=CELL),
            Variable("recurrent_kernel", (units, width), store=CELL),
        ]
        if params["use_bias"]:
            found.append(Variable("bias", bias_shape(class_name, params), store=CELL))
        return found

    return variables


def brief(params: Params) -> list[str]:
    args = [str(params["units"])]
    if params["activation"] != "tanh":
        args.append(str(params["activation"]))
    for flag, word in (("return_sequences", "sequences"), ("return_state", "states"), ("go_backwards", "backwards")):
        if params[flag]:
            args.append(word)
    return args


def caption_for(class_name: str) -> Callable[[Params, Shape], str]:
    gates = GATES[class_name]

    def caption(params: Params, shape: Shape) -> str:
        steps = "every step" if params["return_sequences"] else "last step"
        gate_text = f" · gates {' '.join(gates)}" if len(gates) > 1 else ""
        return f"{params['units']:,} units{gate_text} · {steps}"

    return caption


def common_params(*, recurrent_activation: bool, unit_forget_bias: bool) -> tuple[Param, ...]:
    """The parameters of an RNN layer in Keras's order (regularizers and constraints are not offered)."""
    params = [
        Param(
            "units",
            PositiveInt(MAX_UNITS),
            32,
            "Number of units: the size of the output and the state.",
            positional=True,
        ),
        Param(
            "activation",
            ActivationName(),
            "tanh",
            "Function that makes the new state (and output) from the input and the previous state.",
            keras_default="tanh",
        ),
    ]
    if recurrent_activation:
        params.append(
            Param(
                "recurrent_activation",
                ActivationName(),
                "sigmoid",
                "Function that opens and closes the gates (0: shut, 1: open).",
                keras_default="sigmoid",
            )
        )
    params += [
        Param("use_bias", Flag(), True, "Give every gate of every unit a bias.", keras_default=True),
        Param(
            "kernel_initializer",
            InitializerName(),
            "glorot_uniform",
            "How the input weights (kernel) are initialised.",
            keras_default="glorot_uniform",
        ),
        Param(
            "recurrent_initializer",
            InitializerName(),
            "orthogonal",
            "How the recurrent weights (from the previous state) are initialised.",
            keras_default="orthogonal",
        ),
        Param(
            "bias_initializer",
            InitializerName(BIAS_INITIALIZERS),
            "zeros",
            "How the biases are initialised.",
            keras_default="zeros",
        ),
    ]
    if unit_forget_bias:
        params.append(
            Param(
                "unit_forget_bias",
                Flag(),
                True,
                "Add 1 to the forget gate's bias at initialisation, so the cell remembers at first.",
                keras_default=True,
            )
        )
    params += [
        Param(
            "dropout",
            FloatRange(0.0, 1.0),
            0.0,
            "While training, the fraction of the inputs dropped for the input weights, in [0, 1].",
            keras_default=0.0,
        ),
        Param(
            "recurrent_dropout",
            FloatRange(0.0, 1.0),
            0.0,
            "While training, the fraction of the previous state dropped for the recurrent weights, in [0, 1].",
            keras_default=0.0,
        ),
        Param(
            "return_sequences",
            Flag(),
            False,
            "Give the output of every time step (timesteps, units) instead of the last one only.",
            keras_default=False,
        ),
        Param(
            "return_state",
            Flag(),
            False,
            "Also give the final states: several outputs, so only the model's last layer may.",
            keras_default=False,
        ),
        Param(
            "go_backwards",
            Flag(),
            False,
            "Read the sequence from its end to its start (and give the outputs reversed).",
            keras_default=False,
        ),
        Param(
            "unroll",
            Flag(),
            False,
            "Unroll the time loop: faster for short sequences, more memory.",
            keras_default=False,
        ),
    ]
    return tuple(params)


def extra_config(seed: bool) -> dict[str, ConfigCheck]:
    """The other keys Keras writes for an RNN layer, with what nnstudio accepts in them."""
    checks: dict[str, ConfigCheck] = {
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
    }
    checks.update({"stateful": is_false, "zero_output_for_mask": is_false})
    if seed:
        checks["seed"] = is_seed
    return checks


def rnn_type(
    class_name: str,
    help_text: str,
    *,
    recurrent_activation: bool,
    unit_forget_bias: bool = False,
    more_params: tuple[Param, ...] = (),
    seed: bool = True,
    order: int,
    samples: tuple[Sample, ...],
) -> LayerType:
    """The LayerType of an RNN layer (see the module docstring)."""
    return LayerType(
        class_name,
        help_text,
        output_shapes_for(class_name),
        training_default=False,  # Keras's call(inputs, training=False)
        params=common_params(recurrent_activation=recurrent_activation, unit_forget_bias=unit_forget_bias)
        + more_params,
        variables=variables_for(class_name),
        extra_config=extra_config(seed),
        drawing="recurrent",
        brief=brief,
        caption=caption_for(class_name),
        size_param="units",
        order=order,
        samples=samples,
        inputs=(1, 1 + STATES[class_name]),
        call_convention="initial_state",
        input_names=input_names(class_name),
    )


def state_samples(class_name: str) -> tuple[Sample, ...]:
    """Calls with initial states: the right ones, and those of the wrong size or count that Keras
    refuses when it runs the layer. Keras runs two cases nnstudio refuses, so they are no samples:
    a GRU given two states (it ignores the second) and a SimpleRNN given a (2, units) state (it
    broadcasts it into outputs of another shape)."""
    count = STATES[class_name]
    samples = [
        Sample({"units": 4}, ((5, 3), *[(4,)] * count)),
        Sample({"units": 2, "return_sequences": True, "return_state": True}, ((None, 3), *[(2,)] * count)),
        Sample({"units": 4}, ((5, 3), (3,), *[(4,)] * (count - 1)), refused_at=""),
    ]
    if class_name != "SimpleRNN":
        samples.append(Sample({"units": 4}, ((5, 3), *[(4,)] * (count - 1), (2, 4)), refused_at=""))
    if class_name != "GRU":
        samples.append(Sample({"units": 4}, ((5, 3), *[(4,)] * (3 - count)), refused_at=""))
    return tuple(samples)


def common_samples(extra: dict[str, Any]) -> tuple[Sample, ...]:
    """Sample cases every RNN layer passes (with `extra` settings of its own in one of them)."""
    return (
        Sample({"units": 4}, ((None, 8),)),
        Sample({"units": 3, "return_sequences": True}, ((5, 2),)),
        Sample({"units": 2, "return_state": True}, ((None, 3),)),
        Sample({"units": 2, "return_sequences": True, "return_state": True, "go_backwards": True}, ((6, 3),)),
        Sample({"units": 3, "unroll": True, "use_bias": False, "activation": "relu"}, ((4, 2),)),
        Sample(
            {
                "units": 5,
                "dropout": 0.25,
                "recurrent_dropout": 0.5,
                "kernel_initializer": "he_normal",
                "recurrent_initializer": "glorot_uniform",
                "bias_initializer": "ones",
                **extra,
            },
            ((None, 4),),
        ),
        Sample({"units": 0}, ((None, 8),), refused_at="units"),
        Sample({"units": 4}, ((8,),), refused_at=""),
        Sample({"units": 4}, ((3, 4, 8),), refused_at=""),
        Sample({"units": 4}, ((5, None),), refused_at=""),
    )
