"""Every registered layer type against the installed Keras, for each of its sample cases.

A layer type module declares `samples` (parameters over the defaults, input shapes, and for the
refused ones the field nnstudio names); this harness builds each one with Keras and compares
what the module declares: output shapes, `layer.weights` names, shapes and trainability,
parameter counts, Keras's automatic name, the keys of `get_config()` (each one read back by the
`.keras` reader to the same value), and the code nnstudio writes for it. A new type only adds
samples to its module.

A layer is called as its type declares (`call_convention`): on one tensor, on a list of tensors
(merges), on tensors as positional arguments (MultiHeadAttention's query, value, key), or on its
sequences with `initial_state=[...]` (SimpleRNN, LSTM, GRU). A call on several inputs is also run
on data wherever every size is known: Keras's symbolic build
of those checks less than their run does (Dot over the batch axis, attention over axes whose sizes
differ), and nnstudio refuses exactly what Keras refuses when building or running.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from nnstudio.core.codegen import layer_call
from nnstudio.core.layers import LayerType, Sample, all_types
from nnstudio.core.spec import LayerSpec

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

CASES = [(t, s) for t in all_types() for s in t.samples]


def _case_id(value: Any) -> str:
    if isinstance(value, LayerType):
        return value.class_name
    return (
        ",".join(f"{k}={v}" for k, v in value.params.items())
        + f"|{value.inputs}"
        + ("|refused" if value.refused_at is not None else "")
    )


def _callee(kind: LayerType) -> Any:
    target: Any = keras
    for part in kind.constructor.split(".")[1:]:
        target = getattr(target, part)
    return target


def _kwargs(kind: LayerType, values: dict[str, Any]) -> dict[str, Any]:
    """Keras arguments; a wrapped layer (a LayerSpec from its kind) made a Keras layer as nnstudio's build does."""
    from nnstudio.keras_io.build import keras_value

    return {p.name: keras_value(p.kind.to_keras(values[p.name])) for p in kind.constructor_params()}


def _call(kind: LayerType, layer: Any, tensors: list[Any], values: dict[str, Any]) -> Any:
    """`layer` called on `tensors` as Keras code calls a layer of this type (an operation node on
    its operands, constants among them)."""
    if kind.call_convention == "operands":
        return layer(*kind.call_arguments(values, tensors))
    if kind.call_convention == "list":
        return layer(tensors)
    if kind.call_convention in ("positional", "initial_state"):
        args, kwargs = kind.split_call(tensors)
        return layer(*args, **kwargs)
    (tensor,) = tensors
    return layer(tensor)


def _shapes(out: Any) -> list[tuple]:
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [tuple(t.shape[1:]) for t in outs]


def _build(kind: LayerType, sample: Sample, values: dict[str, Any]) -> tuple[Any, list[tuple]]:
    """The Keras layer made without a name (after clearing Keras's name counters) and its output shapes."""
    keras.utils.clear_session()
    if kind.is_input:
        tensor = _callee(kind)(**_kwargs(kind, values))
        return tensor._keras_history.operation, [tuple(tensor.shape[1:])]
    layer = _callee(kind)(**_kwargs(kind, values))
    return layer, _shapes(_call(kind, layer, [keras.Input(shape=shape) for shape in sample.inputs], values))


def _runs_on_data(kind: LayerType, sample: Sample) -> bool:
    """Whether Keras checks this case by running it: several inputs, every size known (Keras's
    symbolic call of an RNN does not look at its initial states at all)."""
    several = not kind.takes_one_input or len(sample.inputs) > 1
    return several and not kind.is_input and all(None not in s for s in sample.inputs)


def _run(kind: LayerType, layer: Any, sample: Sample, values: dict[str, Any]) -> list[tuple]:
    """`layer` run on random data of the sample's shapes (a batch of 2); the output shapes."""
    rng = np.random.default_rng(0)
    data = [rng.normal(size=(2, *shape)).astype("float32") for shape in sample.inputs]
    return _shapes(_call(kind, layer, data, values))


def _keras_refuses(kind: LayerType, sample: Sample, values: dict[str, Any]) -> bool:
    try:
        layer, _outputs = _build(kind, sample, values)
        if not kind.is_input and all(None not in s for s in sample.inputs):
            _run(kind, layer, sample, values)  # a few cases Keras builds but TensorFlow cannot run
    except Exception:  # noqa: BLE001 - Keras refuses with ValueError, TypeError, IndexError, ...
        return True
    return False


@pytest.mark.parametrize(("kind", "sample"), CASES, ids=_case_id)
def test_layer_type_declarations_equal_keras(kind: LayerType, sample: Sample) -> None:
    settings = {**kind.defaults(), **sample.params}
    values = kind.values(settings)
    if sample.refused_at is not None:
        assert _keras_refuses(kind, sample, values)
        return

    layer, keras_outputs = _build(kind, sample, values)
    outputs, variables = kind.infer(settings, list(sample.inputs))
    assert outputs == keras_outputs
    if _runs_on_data(kind, sample):
        assert _run(kind, layer, sample, values) == outputs
    weights = getattr(layer, "weights", [])  # an operation node (keras.ops) is not a layer: it has none
    assert [(v.name, v.shape, v.trainable, v.dtype) for v in variables] == [
        (w.name, tuple(w.shape), w.trainable, w.dtype) for w in weights
    ]
    assert sum(v.size for v in variables) == sum(math.prod(w.shape) for w in weights)
    if weights or hasattr(layer, "count_params"):
        assert sum(v.size for v in variables) == layer.count_params()
    assert layer.name == kind.name_stem
    assert type(layer).__name__ == kind.config_class

    config = json.loads(json.dumps(layer.get_config()))  # as config.json holds it
    assert set(config) <= kind.config_keys(), set(config) - kind.config_keys()
    checks = kind.config_checks()
    standard = kind.as_config(settings)
    written = {**standard, **(kind.built_config(values, sample.inputs) if kind.built_config else {})}
    # an operation node's operands are in its call (the inbound node's args), not in its config
    read = {param.name: param.kind.from_config(param.key, config[param.key]) for param in kind.constructor_params()}
    read.update({name: values[name] for name in kind.operands})
    # one form for settings that say the same (Bidirectional: the backward copy Keras makes is None)
    assert kind.stored(read) == kind.stored(written)
    for key, value in config.items():
        if key != "name" and key not in {p.key for p in kind.params}:
            assert checks[key](value), (key, value)

    source = layer_call(LayerSpec(kind.class_name, kind.name_stem, settings))
    assert source.startswith(kind.constructor + "(")
    keras.utils.clear_session()
    made = eval(source, {"keras": keras})  # noqa: S307 - nnstudio's own generated code for a known spec
    if kind.is_input:
        made = made._keras_history.operation
    else:  # built as the layer above was (some layers complete their config when built)
        _call(kind, made, [keras.Input(shape=shape) for shape in sample.inputs], values)
    assert json.loads(json.dumps(made.get_config())) == config


def test_keras_snake_case_is_nnstudio_s() -> None:
    from keras.src.utils.naming import to_snake_case as keras_snake

    from nnstudio.core.layers import to_snake_case

    names = [t.config_class for t in all_types()] + ["Conv2D", "Conv1DTranspose", "LSTM", "GRU", "SimpleRNN", "PReLU"]
    names += [name for name in dir(keras.layers) if name[:1].isupper()]
    assert [to_snake_case(n) for n in names] == [keras_snake(n) for n in names]
