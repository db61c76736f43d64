"""Random sequence and token models written by Keras itself (layers named by Keras, wrapped layers
too), read back by nnstudio: `validate` accepts them (config and weights), `summary --json`
equals Keras row by row and in every total, and `summary` prints Keras's own table."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from nnstudio.cli import main
from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.layers import layer_type
from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.weights_check import check_keras_weights
from tests.keras_io.sequence_strategies import sequence_specs

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import constructor, keras_summary  # noqa: E402


def unnamed(layer: LayerSpec) -> Any:
    """The Keras layer for `layer` with no name given, a wrapped layer made the same way."""
    kwargs = {}
    for param in layer_type(layer.class_name).params:
        value = param.kind.to_keras(layer.get(param.name))
        kwargs[param.name] = unnamed(value) if isinstance(value, LayerSpec) else value
    return constructor(layer.class_name)(**kwargs)


def keras_written(spec: ModelSpec) -> Any:
    first = spec.layers[0]
    keras.utils.clear_session()
    model = keras.Sequential([keras.Input(shape=tuple(first.get("shape")), dtype=first.get("dtype"))])
    for layer in spec.layers[1:]:
        model.add(unnamed(layer))
    model.compile("adam", "mse")
    return model


def cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(spec=sequence_specs())
def test_keras_written_sequence_models_validate_and_summarise_as_keras(spec, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    model = keras_written(spec)
    facts = keras_summary(model)
    for row in facts["layers"]:
        del row["trainable"], row["non_trainable"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.summary()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        read = read_keras_config(path)
        check_keras_weights(path, read)
        assert cli("validate", str(path)).startswith("ok:")
        assert json.loads(cli("summary", str(path), "--json")) == facts
        assert cli("summary", str(path)).rstrip("\n") == printed.getvalue().rstrip("\n")
    for ours, theirs in zip(read.layers[1:], model.layers, strict=True):
        assert (ours.class_name, ours.name) == (type(theirs).__name__, theirs.name)
        if ours.class_name == "Bidirectional":  # Keras's forward_<name> reads back as the wrapped layer's name
            assert "forward_" + ours.get("layer")["name"] == theirs.forward_layer.name
    assert os.environ["COLUMNS"] == "80"


def test_states_of_another_count_backwards_are_refused_where_keras_contradicts_itself():
    """Keras declares the forward layer's states for both directions: a SimpleRNN forward and an
    LSTM backward with return_state declare 3 outputs but give 4 when run. nnstudio refuses it."""
    import numpy as np

    from nnstudio.core.summary import analyze

    forward = keras.layers.SimpleRNN(1, return_sequences=True, return_state=True)
    backward = keras.layers.LSTM(1, return_sequences=True, return_state=True, go_backwards=True)
    wrapper = keras.layers.Bidirectional(forward, backward_layer=backward)
    assert len(wrapper(keras.Input((None, 1)))) == 3
    assert len(wrapper(np.zeros((2, 3, 1), "float32"))) == 4

    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[None, 1]))
    entry = {"class_name": "SimpleRNN", "name": "rnn"}
    simple, lstm = layer_type("SimpleRNN"), layer_type("LSTM")
    layer = {
        **entry,
        **simple.stored({**simple.defaults(), "units": 1, "return_sequences": True, "return_state": True}),
    }
    back = {
        "class_name": "LSTM",
        "name": "back",
        **lstm.stored(
            {**lstm.defaults(), "units": 1, "return_sequences": True, "return_state": True, "go_backwards": True}
        ),
    }
    spec = spec.inserted(1, spec.new_layer("Bidirectional", layer=layer, backward_layer=back))
    issue = analyze(spec).issues[0]
    assert issue.field == "backward_layer" and "as many states as the forward layer" in issue.message
