"""Property test: random Sequential models built and saved by Keras itself, summarised by nnstudio.

For every model, `nnstudio summary FILE --json` (which reads config.json without Keras) must give
Keras's own layer names, class names, output shapes, parameter counts and totals; the weights
check must accept the file Keras wrote, and the compile settings must read back as compiled.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.cli import main
from nnstudio.core.catalog import ACTIVATIONS, INITIALIZERS, LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.keras_archive import read_keras_config, to_snake_case
from nnstudio.core.weights_check import check_keras_weights

pytestmark = pytest.mark.engine

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

LAYER_CLASSES = ("Dense", "Activation", "Dropout", "BatchNormalization", "LayerNormalization", "Flatten", "Reshape")
LEARNING_RATES = (None, 0.1, 0.01, 0.003, 0.001, 0.0005, 1e-4)
NAME = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)


def _factorizations(count: int, draw: Any) -> list[int]:
    """A random shape with `count` elements and 1 to 3 axes, sometimes with one -1."""
    axes = draw(st.integers(1, 3))
    shape = []
    rest = count
    for _ in range(axes - 1):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        shape.append(d)
        rest //= d
    shape.append(rest)
    if draw(st.booleans()):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return shape


@st.composite
def models(draw: Any) -> dict[str, Any]:
    """A description of a valid random Sequential model: input shape, layers, compile settings."""
    shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    layers: list[tuple[str, dict[str, Any]]] = []
    current = list(shape)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(LAYER_CLASSES))
        if kind == "Dense":
            units = draw(st.integers(1, 8))
            params = {
                "units": units,
                "activation": draw(st.sampled_from(ACTIVATIONS)),
                "use_bias": draw(st.booleans()),
                "kernel_initializer": draw(st.sampled_from(tuple(INITIALIZERS))),
                "bias_initializer": draw(st.sampled_from(tuple(i for i in INITIALIZERS if i != "orthogonal"))),
            }
            current = current[:-1] + [units]
        elif kind == "Activation":
            params = {"activation": draw(st.sampled_from(ACTIVATIONS))}
        elif kind == "Dropout":
            params = {"rate": draw(st.sampled_from((0.0, 0.1, 0.25, 0.5, 0.9)))}
        elif kind == "BatchNormalization":
            params = {
                "center": draw(st.booleans()),
                "scale": draw(st.booleans()),
                "momentum": draw(st.sampled_from((0.9, 0.99))),
                "epsilon": draw(st.sampled_from((0.001, 1e-5))),
            }
        elif kind == "LayerNormalization":
            params = {"center": draw(st.booleans()), "scale": draw(st.booleans())}
        elif kind == "Flatten":
            params = {}
            current = [math.prod(current)]
        else:
            target = _factorizations(math.prod(current), draw)
            params = {"target_shape": tuple(target)}
            known = math.prod(d for d in target if d != -1)
            current = [math.prod(current) // known if d == -1 else d for d in target]
        if draw(st.integers(0, 3)) == 0:
            params["name"] = draw(NAME)
        layers.append((kind, params))
    names = [p["name"] for _k, p in layers if "name" in p]
    if len(set(names)) != len(names):  # Keras refuses duplicate names; keep only the first of each
        seen: set[str] = set()
        for _k, p in layers:
            if "name" in p and (p["name"] in seen or not seen.add(p["name"])):
                del p["name"]
    compiled = None
    if draw(st.booleans()):
        compiled = {
            "loss": draw(st.sampled_from(LOSSES)),
            "optimizer": draw(st.sampled_from(tuple(OPTIMIZERS))),
            "learning_rate": draw(st.sampled_from(LEARNING_RATES)),
            "metrics": draw(st.lists(st.sampled_from(METRICS), max_size=2, unique=True)),
            "form": draw(st.sampled_from(("name", "function", "object"))),  # how losses and metrics are passed
        }
    return {"input": shape, "layers": layers, "compile": compiled}


def build(description: dict[str, Any]) -> Any:
    """The Keras model for a description, built and (maybe) compiled by Keras itself."""
    model = keras.Sequential([keras.Input(tuple(description["input"]))])
    for kind, params in description["layers"]:
        model.add(getattr(keras.layers, kind)(**params))
    compiled = description["compile"]
    if compiled:
        optimizer = keras.optimizers.get(compiled["optimizer"])
        if compiled["learning_rate"] is not None:
            optimizer.learning_rate = compiled["learning_rate"]
        form = compiled.get("form", "name")
        loss = _as_form(keras.losses, keras.losses.Loss, compiled["loss"], form)
        metrics = [_as_form(keras.metrics, keras.metrics.Metric, m, form) for m in compiled["metrics"]]
        model.compile(loss=loss, optimizer=optimizer, metrics=metrics or None)
    return model


def _as_form(module: Any, base: type, name: str, form: str) -> Any:
    """A loss or metric `name` passed to compile as a string, a Keras function or a Keras object."""
    if form == "function" and callable(getattr(module, name, None)) and not isinstance(getattr(module, name), type):
        return getattr(module, name)
    if form == "object":
        for attribute in dir(module):
            cls = getattr(module, attribute)
            if isinstance(cls, type) and issubclass(cls, base) and to_snake_case(attribute) == name:
                return cls()
    return name


def keras_facts(model: Any) -> dict[str, Any]:
    """What Keras itself says about the model, in the CLI's --json form."""
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    non_trainable = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    return {
        "name": model.name,
        "layers": [
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": list(layer.output.shape),
                "params": layer.count_params(),
            }
            for layer in model.layers
        ],
        "total_params": model.count_params(),
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "total_bytes": 4 * model.count_params(),
    }


def catalog_params(layer: Any) -> dict[str, Any]:
    """The catalog parameters of a Keras layer, from Keras's own `get_config()`."""
    config = layer.get_config()
    snake = {keras_class: name for name, keras_class in INITIALIZERS.items()}
    params = {}
    for key in LAYER_TYPES[type(layer).__name__].defaults():
        value = config[key]
        if key.endswith("_initializer"):
            value = snake[value["class_name"]]
        params[key] = list(value) if isinstance(value, tuple) else value
    return params


def summary_json(path: Path) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["summary", str(path), "--json"]) == 0
    return json.loads(out.getvalue())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(models())
def test_summary_of_keras_written_files_equals_keras(description: dict[str, Any]) -> None:
    model = build(description)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        assert summary_json(path) == keras_facts(model)
        spec = read_keras_config(path)
        check_keras_weights(path, spec)  # Keras's own weights layout passes the weights check
    assert spec.name == model.name
    assert spec.layers[0].params == {"shape": description["input"]}
    for layer_spec, layer in zip(spec.layers[1:], model.layers, strict=True):
        assert (layer_spec.class_name, layer_spec.name) == (type(layer).__name__, layer.name)
        assert layer_spec.params == catalog_params(layer)
    compiled = description["compile"]
    if compiled:
        assert spec.compile.loss == compiled["loss"]
        assert spec.compile.optimizer == compiled["optimizer"]
        expected_lr = compiled["learning_rate"] or OPTIMIZERS[compiled["optimizer"]]
        assert spec.compile.learning_rate == pytest.approx(expected_lr, rel=1e-6)
        assert list(spec.compile.metrics) == compiled["metrics"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(models())
def test_summary_text_of_keras_written_files_equals_keras_print(description: dict[str, Any]) -> None:
    """`nnstudio summary FILE` prints Keras's own table, character for character (80-column pipe)."""
    model = build(description)
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # Keras sizes its table to the terminal; a pipe counts as 80
    try:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            model.summary()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.keras"
            model.save(path)
            ours = io.StringIO()
            with contextlib.redirect_stdout(ours):
                assert main(["summary", str(path)]) == 0
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    assert ours.getvalue().rstrip("\n") == printed.getvalue().rstrip("\n")


def test_summary_subprocess_matches_keras_and_imports_no_keras(tmp_path: Path) -> None:
    """The real command, in its own process: Keras's facts, and neither Keras nor TensorFlow imported."""
    description = {
        "input": [3, 4],
        "layers": [
            ("Dense", {"units": 6, "activation": "relu", "name": "hidden"}),
            ("BatchNormalization", {}),
            ("Flatten", {}),
            ("Dense", {"units": 2}),
        ],
        "compile": {"loss": "mean_squared_error", "optimizer": "adam", "learning_rate": None, "metrics": []},
    }
    model = build(description)
    path = tmp_path / "m.keras"
    model.save(path)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nnstudio", "summary", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == keras_facts(model)
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    heavy = {m for m in imported if m.split(".")[0] in ("keras", "tensorflow", "h5py")}
    assert not heavy
