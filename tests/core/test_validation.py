"""Every validation case of issue 2, point 3: the exact one-line message, and exit code 1 from the CLI.

The command-line half runs `nnstudio export` in-process: a refused file must be refused before
Keras is imported, so these tests stay fast and Keras-free.
"""

from __future__ import annotations

import math
import sys

import pytest

from nnstudio.cli import main
from nnstudio.core.catalog import LAYER_TYPES
from nnstudio.core.project import save_project
from nnstudio.core.spec import LayerSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.core.validation import DEFAULT_PARAM_BUDGET, HOW_TO_RAISE_BUDGET, check_value

L = lesson_spec()


def _units(units):
    return L.with_layer(2, L.layers[2].with_params(units=units))


def _insert(class_name, **params):
    return L.inserted(2, L.new_layer(class_name, **params))


CASES = {
    "no Input": (L.removed(0), "dense: the first layer must be an Input that gives the data's shape"),
    "two Inputs": (
        L.inserted(2, LayerSpec("Input", "input_layer_1", {"shape": [3]})),
        "input_layer_1: a model has one Input, and it comes first",
    ),
    "Input not first": (L.moved(0, 2), "dense: the first layer must be an Input that gives the data's shape"),
    "negative units": (_units(-5), "dense_1: units must be a positive integer. Received: units=-5"),
    "zero units": (_units(0), "dense_1: units must be a positive integer. Received: units=0"),
    "fractional units": (_units(3.5), "dense_1: units must be a positive integer. Received: units=3.5"),
    "text units": (_units("64"), "dense_1: units must be a positive integer. Received: units='64'"),
    "boolean units": (_units(True), "dense_1: units must be a positive integer. Received: units=True"),
    "absurd units": (
        _units(10**9),
        "dense_1: units must be at most 1,000,000. Received: units=1000000000",
    ),
    "rate 1": (_insert("Dropout", rate=1.0), "dropout: rate must be in the range [0, 1). Received: rate=1.0"),
    "rate negative": (_insert("Dropout", rate=-0.1), "dropout: rate must be in the range [0, 1). Received: rate=-0.1"),
    "reshape count": (
        _insert("Reshape", target_shape=[7, 9]),
        "reshape: target_shape must hold the input's 64 elements (input shape (None, 64)). "
        "Received: target_shape=(7, 9)",
    ),
    "reshape wildcard": (
        _insert("Reshape", target_shape=[7, -1]),
        "reshape: target_shape must hold the input's 64 elements (input shape (None, 64)). "
        "Received: target_shape=(7, -1)",
    ),
    "reshape two wildcards": (
        _insert("Reshape", target_shape=[-1, -1]),
        "reshape: target_shape may hold at most one -1. Received: target_shape=[-1, -1]",
    ),
    "unknown activation": (
        L.with_layer(1, L.layers[1].with_params(activation="relu7")),
        "dense: unknown activation 'relu7'; Keras accepts linear, relu, sigmoid, softmax, tanh, elu, …. "
        "Received: activation='relu7'",
    ),
    "activation case": (
        _insert("Activation", activation="ReLU"),
        "activation: unknown activation 'ReLU'; Keras accepts linear, relu, sigmoid, softmax, tanh, elu, …. "
        "Received: activation='ReLU'",
    ),
    "duplicate name": (
        L.with_layer(2, LayerSpec("Dense", "dense", L.layers[2].params)),
        "dense: the name is already used by layer 2; names must be unique",
    ),
    "empty name": (
        L.with_layer(2, LayerSpec("Dense", "", L.layers[2].params)),
        "layer 3: a layer name must start with a letter or _ and hold only letters, digits, _ . -. Received: name=''",
    ),
    "empty model": (ModelSpec(), "model: the model has no layers; add an Input first"),
    "parameter budget": (
        L.with_layer(1, L.layers[1].with_params(units=100_000)).with_layer(2, L.layers[2].with_params(units=100_000)),
        "dense_1: the model would have 10,002,200,000 (37.26 GB) of parameters, "
        "over the budget of 100,000,000 (381.47 MB); raise it with --max-params N on the command line, or Keras > Parameter Budget… in the window",
    ),
    "orthogonal bias": (
        L.with_layer(1, L.layers[1].with_params(bias_initializer="orthogonal")),
        "dense: unknown bias_initializer 'orthogonal'; Keras accepts glorot_uniform, glorot_normal, he_uniform, "
        "he_normal, lecun_uniform, lecun_normal, …. Received: bias_initializer='orthogonal'",
    ),
    "zero in Input shape": (
        L.with_layer(0, L.layers[0].with_params(shape=[20, 0])),
        "input_layer: shape must hold positive integers. Received: shape=[20, 0]",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_first_issue_message(case):
    spec, message = CASES[case]
    summary = analyze(spec)
    assert not summary.ok
    assert summary.issues[0].message == message
    assert "\n" not in message


@pytest.mark.parametrize("case", list(CASES))
def test_export_refuses_with_exit_1(case, tmp_path, capsys):
    spec, message = CASES[case]
    project = tmp_path / "model.nnstudio"
    save_project(project, spec)
    keras_before = "keras" in sys.modules
    assert main(["export", str(project), "-o", str(tmp_path / "out.keras")]) == 1
    err = capsys.readouterr().err
    assert err == f"nnstudio: error: {message} ({project})\n"
    assert not (tmp_path / "out.keras").exists()
    assert ("keras" in sys.modules) == keras_before  # refused before Keras was imported


def test_issue_fields_point_at_the_layer():
    issue = analyze(_units(-5)).issues[0]
    assert (issue.layer_index, issue.layer_name, issue.field) == (2, "dense_1", "units")
    issue = analyze(_insert("Dropout", rate=1.0)).issues[0]
    assert (issue.layer_index, issue.layer_name, issue.field) == (2, "dropout", "rate")


def test_budget_is_configurable_and_checked_before_allocation():
    assert analyze(L, param_budget=1_994).ok
    issue = analyze(L, param_budget=1_993).issues[0]
    assert (
        issue.message
        == "dense: the model would have 1,994 (7.79 KB) of parameters, over the budget of 1,993 (7.79 KB); "
        + HOW_TO_RAISE_BUDGET
    )
    assert DEFAULT_PARAM_BUDGET == 100_000_000
    # a trillion-parameter model is judged instantly (nothing is allocated)
    huge = L.with_layer(1, L.layers[1].with_params(units=1_000_000)).with_layer(
        2, L.layers[2].with_params(units=1_000_000)
    )
    assert "over the budget" in analyze(huge).issues[0].message


def test_lesson_is_sound():
    assert analyze(L).ok


@pytest.mark.parametrize(
    ("class_name", "key", "value", "expected"),
    [
        ("Dropout", "rate", float("nan"), "rate must be a finite number. Received: rate=nan"),
        ("Dropout", "rate", 0.0, None),
        ("Dropout", "rate", 0.999, None),
        ("BatchNormalization", "momentum", 1.0, None),
        ("BatchNormalization", "momentum", 1.5, "momentum must be in the range [0, 1]. Received: momentum=1.5"),
        ("Dense", "use_bias", 1, "use_bias must be true or false. Received: use_bias=1"),
        ("Dense", "units", 1_000_000, None),
        ("Input", "shape", [], "shape must be a non-empty list of positive integers. Received: shape=[]"),
        ("Input", "shape", [-1], "shape must hold positive integers. Received: shape=[-1]"),
        ("Reshape", "target_shape", [2, -1], None),
        ("Dense", "kernel_initializer", "he_normal", None),
    ],
)
def test_check_value(class_name, key, value, expected):
    assert check_value(LAYER_TYPES[class_name].param(key), value) == expected


def test_unknown_setting_and_class():
    bad = L.with_layer(1, LayerSpec("Dense", "dense", {**L.layers[1].params, "unitz": 3}))
    assert analyze(bad).issues[0].message == "dense: Dense has no setting 'unitz'"
    bad = L.with_layer(1, LayerSpec("Lambda", "fn", {}))
    assert analyze(bad).issues[0].message == "fn: unknown layer class 'Lambda'"


def test_compile_problems():
    from nnstudio.core.spec import CompileSpec

    bad = L.with_compile(CompileSpec("mse_typo", "adamm", -1.0, ("acc_typo",)))
    messages = [i.message for i in analyze(bad).issues]
    assert messages == [
        "compile: unknown loss 'mse_typo'",
        "compile: unknown optimizer 'adamm'",
        "compile: learning_rate must be a positive number. Received: learning_rate=-1.0",
        "compile: unknown metric 'acc_typo'",
    ]
    assert not math.isnan(L.compile.effective_learning_rate())
