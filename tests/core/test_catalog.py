"""The layer catalog is complete and self-consistent (pure Python; the Keras cross-checks live in
tests/keras_io/test_catalog_keras.py)."""

from __future__ import annotations

import re

import pytest

from nnstudio.core.catalog import ACTIVATIONS, INITIALIZERS, LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS, layer_type
from nnstudio.core.validation import check_value

ISSUE_ACTIVATIONS = ["relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "softplus", "softsign", "swish", "silu", "gelu", "exponential", "hard_sigmoid", "leaky_relu", "relu6", "mish", "log_softmax"]


def test_catalog_layers_are_the_issue_s():
    assert set(LAYER_TYPES) == {
        "Input",
        "Dense",
        "Activation",
        "Dropout",
        "BatchNormalization",
        "LayerNormalization",
        "Flatten",
        "Reshape",
    }
    params = {name: [p.name for p in t.params] for name, t in LAYER_TYPES.items()}
    assert params["Dense"] == ["units", "activation", "use_bias", "kernel_initializer", "bias_initializer"]
    assert params["BatchNormalization"] == ["center", "scale", "momentum", "epsilon"]
    assert params["LayerNormalization"] == ["center", "scale", "epsilon"]
    assert params["Input"] == ["shape"] and params["Reshape"] == ["target_shape"] and params["Flatten"] == []


def test_issue_activations_present_and_unique():
    assert set(ISSUE_ACTIVATIONS) <= set(ACTIVATIONS)
    assert len(set(ACTIVATIONS)) == len(ACTIVATIONS)


@pytest.mark.parametrize("class_name", list(LAYER_TYPES))
def test_every_param_is_described_and_its_default_valid(class_name):
    layer = layer_type(class_name)
    assert layer.help and "\n" not in layer.help
    assert layer.base_name == re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower() or class_name == "Input"
    for param in layer.params:
        assert param.kind in {"int", "float", "bool", "choice", "shape"}
        assert param.help and "\n" not in param.help
        assert check_value(param, param.default) is None, (class_name, param.name)
        if param.kind == "choice":
            assert param.default in param.choices
        if param.kind in ("int", "float"):
            assert param.minimum is not None and param.maximum is not None


def test_defaults_are_fresh_copies():
    a = layer_type("Input").defaults()
    a["shape"].append(3)
    assert layer_type("Input").defaults()["shape"] == [20]


def test_initializer_class_names_are_camel_case_of_the_snake_names():
    for snake, camel in INITIALIZERS.items():
        assert "".join(part.capitalize() for part in snake.split("_")) == camel


def test_compile_choices():
    assert "mean_squared_error" in LOSSES and "adam" in OPTIMIZERS and "accuracy" in METRICS
    assert all(rate > 0 for rate in OPTIMIZERS.values())
    assert len(set(LOSSES)) == len(LOSSES) and len(set(METRICS)) == len(METRICS)
