"""Bidirectional: runs a recurrent layer forwards and a copy of it backwards over the sequence and
merges their outputs (`keras.layers.Bidirectional`).

The wrapped layer is a SimpleRNN, LSTM or GRU entry (`layer`); Keras makes the backward copy
itself (named `backward_<name>`, go_backwards on) unless `backward_layer` gives one. Keras writes
both into its config; a backward layer that is the copy Keras would make reads back as None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, Variable
from nnstudio.core.layers.nested import NestedLayer, inner_settings
from nnstudio.core.layers.params import OptionalChoice, Param
from nnstudio.core.layers.recurrent._rnn import STATES
from nnstudio.core.layers.recurrent.lstm import LAYER as LSTM

RECURRENT = ("LSTM", "GRU", "SimpleRNN")
MERGE_MODES = ("concat", "sum", "mul", "ave")
_SAME = ("return_sequences", "return_state")  # Keras: the two directions must agree (stateful is always off)


def _kind(entry: dict[str, Any]) -> LayerType:
    from nnstudio.core.layers.registry import layer_type

    return layer_type(entry["class_name"])


def backward_copy(layer: dict[str, Any]) -> dict[str, Any]:
    """The backward layer Keras makes from `layer`: the same settings, named backward_<name>, going backwards."""
    name = str(layer.get("name", ""))
    return {**layer, "name": "backward_" + name.removeprefix("backward_"), "go_backwards": True}


def _directions(params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    forward = params["layer"]
    backward = params["backward_layer"]
    return forward, backward if backward is not None else backward_copy(forward)


def _infer(entry: dict[str, Any], inputs: Sequence[Shape]) -> tuple[list[Shape], list[Variable]]:
    return _kind(entry).infer(inner_settings(entry), inputs)


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras's `Bidirectional.compute_output_shape`: the forward layer's shapes, the output merged."""
    forward, backward = _directions(params)
    outputs = _infer(forward, inputs)[0]
    backward_outputs = _infer(backward, inputs)[0]
    if backward_outputs[0] != outputs[0]:
        raise LayerError(
            "backward_layer.units",
            f"the backward layer must give the forward layer's output shape {outputs[0]}. "
            f"Received: backward output shape {backward_outputs[0]}",
        )
    main, states = outputs[0], outputs[1:]
    mode = params["merge_mode"]
    last = main[-1]  # the units, which an RNN always knows
    doubled = main[:-1] + (2 * last if last is not None else None,)
    merged: list[Shape] = [main, main] if mode is None else [doubled if mode == "concat" else main]
    return merged + states + states  # Keras declares the forward layer's states for both directions


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    found = []
    for group, entry in zip(("forward_layer", "backward_layer"), _directions(params), strict=True):
        for v in _infer(entry, inputs)[1]:
            found.append(Variable(v.name, v.shape, v.trainable, f"{group}/{v.store}" if v.store else group))
    return found


def validate(params: Params) -> list[tuple[str | None, str]]:
    """Keras's `_verify_layer_config`: the directions differ in go_backwards and agree otherwise."""
    forward, backward = params["layer"], params["backward_layer"]
    if backward is None:
        if forward.get("go_backwards"):
            return [
                (
                    "layer.go_backwards",
                    "Forward layer and backward layer should have different `go_backwards` value "
                    "(Keras's backward copy goes backwards). Received: forward_layer.go_backwards=True",
                )
            ]
        return []
    problems: list[tuple[str | None, str]] = []
    if bool(forward.get("go_backwards")) == bool(backward.get("go_backwards")):
        problems.append(
            (
                "backward_layer.go_backwards",
                "Forward layer and backward layer should have different `go_backwards` value. Received: "
                f"forward_layer.go_backwards={forward.get('go_backwards')}, "
                f"backward_layer.go_backwards={backward.get('go_backwards')}",
            )
        )
    states = (STATES.get(forward.get("class_name"), 1), STATES.get(backward.get("class_name"), 1))
    if forward.get("return_state") and states[0] != states[1]:
        problems.append(
            (
                "backward_layer",
                f"with return_state the backward layer must keep as many states as the forward layer: Keras declares "
                f"the forward layer's twice, but a {backward.get('class_name')} returns {states[1]}. "
                f"Received: {forward.get('class_name')} forward, {backward.get('class_name')} backward",
            )
        )
    for key in _SAME:
        if bool(forward.get(key)) != bool(backward.get(key)):
            problems.append(
                (
                    f"backward_layer.{key}",
                    f'Forward layer and backward layer are expected to have the same value for attribute "{key}", '
                    f'got "{forward.get(key)}" for forward layer and "{backward.get(key)}" for backward layer',
                )
            )
    return problems


def canonical(settings: dict[str, Any]) -> dict[str, Any]:
    """An explicit backward layer that is the copy Keras would make says nothing more: None."""
    forward, backward = settings.get("layer"), settings.get("backward_layer")
    if isinstance(forward, dict) and backward is not None and backward == backward_copy(forward):
        settings = {**settings, "backward_layer": None}
    return settings


def brief(params: Params) -> list[str]:
    forward = params["layer"]
    inner = _kind(forward)
    args = [f"{forward['class_name']}({', '.join(inner.brief(inner.values(inner_settings(forward))))})"]
    if params["merge_mode"] != "concat":
        args.append(str(params["merge_mode"]))
    if params["backward_layer"] is not None:
        args.append(f"backward {params['backward_layer']['class_name']}")
    return args


def caption(params: Params, shape: Shape) -> str:
    forward = params["layer"]
    return f"{forward['class_name']} ×2 · {params['merge_mode']}"


def _lstm(**changes: Any) -> dict[str, Any]:
    return {"class_name": "LSTM", "name": "lstm", **LSTM.stored({**LSTM.defaults(), **changes})}


def _other(class_name: str, name: str, **changes: Any) -> dict[str, Any]:
    from nnstudio.core.layers.recurrent import gru, simple_rnn

    kind = {"GRU": gru.LAYER, "SimpleRNN": simple_rnn.LAYER}[class_name]
    return {"class_name": class_name, "name": name, **kind.stored({**kind.defaults(), **changes})}


LAYER = LayerType(
    "Bidirectional",
    "Runs a recurrent layer forwards and a copy of it backwards over the sequence, and merges the two outputs.",
    output_shapes,
    params=(
        Param(
            "layer",
            NestedLayer(RECURRENT, strip_prefix="forward_"),
            _lstm(),
            "The recurrent layer run forwards; Keras runs a copy of it backwards.",
            positional=True,
        ),
        Param(
            "merge_mode",
            OptionalChoice(MERGE_MODES),
            "concat",
            "How the two outputs are merged: concat (side by side), sum, mul, ave; None gives both.",
            keras_default="concat",
        ),
        Param(
            "backward_layer",
            NestedLayer(RECURRENT, optional=True),
            None,
            "The layer run backwards; None: a copy of the forward layer, going backwards.",
            keras_default=None,
        ),
    ),
    variables=variables,
    validate=validate,
    canonical=canonical,
    drawing="recurrent",
    brief=brief,
    caption=caption,
    size_param="layer.units",
    order=10,
    samples=(
        Sample({"layer": _lstm(units=4)}, ((None, 8),)),
        Sample({"layer": _lstm(units=64, return_sequences=True)}, ((None, 128),)),
        Sample({"layer": _other("GRU", "gru", units=3, return_sequences=True), "merge_mode": "sum"}, ((5, 2),)),
        Sample({"layer": _other("SimpleRNN", "simple_rnn", units=3), "merge_mode": "mul"}, ((None, 2),)),
        Sample({"layer": _other("GRU", "gru", units=2, reset_after=False), "merge_mode": "ave"}, ((4, 3),)),
        Sample({"layer": _lstm(units=3), "merge_mode": None}, ((None, 2),)),
        Sample({"layer": _lstm(units=2, return_state=True)}, ((None, 3),)),
        Sample({"layer": _other("GRU", "gru", units=2, return_state=True), "merge_mode": None}, ((None, 3),)),
        Sample(
            {
                "layer": _lstm(units=3),
                "backward_layer": _other("GRU", "backward_gru", units=3, go_backwards=True),
            },
            ((None, 2),),
        ),
        Sample({"layer": _lstm(units=0)}, ((None, 8),), refused_at="layer.units"),
        Sample({"layer": _lstm(units=4, go_backwards=True)}, ((None, 8),), refused_at="layer.go_backwards"),
        Sample(
            {
                "layer": _lstm(units=3),
                "backward_layer": _other("GRU", "backward_gru", units=3, go_backwards=True, return_sequences=True),
            },
            ((None, 2),),
            refused_at="backward_layer.return_sequences",
        ),
        Sample({"layer": _lstm(units=4)}, ((8,),), refused_at=""),
    ),
)
