"""Parameter kinds: checks in Keras's words, `.keras` config values, Keras arguments, source and text."""

from __future__ import annotations

import ast

import pytest

from nnstudio.core.layers.params import (
    Axis,
    BatchShape,
    ConstraintName,
    DType,
    Flag,
    FloatRange,
    InitializerName,
    Integer,
    IntTuple,
    OptionalInt,
    Param,
    PositiveInt,
    RegularizerName,
    ShapeKind,
)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (PositiveInt(10), 0, "n must be a positive integer. Received: n=0"),
        (PositiveInt(10), 11, "n must be at most 10. Received: n=11"),
        (Integer(0, 5), -1, "n must be a non-negative integer. Received: n=-1"),
        (Integer(0, 5), 0, None),
        (OptionalInt(0, 9), None, None),
        (OptionalInt(0, 9), 10, "n must be None or an integer from 0 to 9. Received: n=10"),
        (IntTuple(2), 3, None),
        (IntTuple(2), [3, 3], None),
        (IntTuple(2), [0, 3], "n must be an integer or a tuple of 2 integers > 0. Received: n=(0, 3)"),
        (IntTuple(2), [3, 3, 3], "n must be an integer or a tuple of 2 integers > 0. Received: n=(3, 3, 3)"),
        (IntTuple(2, minimum=0), [0, 1], None),
        (IntTuple(1), True, "n must be an integer or a tuple of 1 integers > 0. Received: n=True"),
        (FloatRange(0.0, 1.0, max_open=True), 1.0, "n must be in the range [0, 1). Received: n=1.0"),
        (FloatRange(0.0, None, min_open=True), 0.0, "n must be in the range (0, inf). Received: n=0.0"),
        (FloatRange(None, None), float("inf"), "n must be a finite number. Received: n=inf"),
        (Flag(), 1, "n must be true or false. Received: n=1"),
        (DType(), "int32", None),
        (ShapeKind(allow_none=True), [None, 8], None),
        (ShapeKind(), [None, 8], "n must hold positive integers. Received: n=[None, 8]"),
        (ShapeKind(wildcard=True), [-1, 2], None),
        (Axis(), [1, 2], None),
        (Axis(), [1, 1], "n must not repeat an axis. Received: n=[1, 1]"),
        (Axis(), "x", "n must be an integer or a list of integers. Received: n='x'"),
        (RegularizerName(), None, None),
        (
            RegularizerName(),
            "l9",
            "unknown n 'l9'; Keras accepts None, l1, l2, orthogonal_regularizer. Received: n='l9'",
        ),
        (
            InitializerName(("zeros", "ones")),
            "he_normal",
            "unknown n 'he_normal'; Keras accepts zeros, ones. Received: n='he_normal'",
        ),
    ],
)
def test_checks_speak_keras_s_words(kind, value, message):
    assert kind.check("n", value) == message


@pytest.mark.parametrize(
    ("kind", "value", "keras_value", "source"),
    [
        (IntTuple(2), [3, 5], (3, 5), "(3, 5)"),
        (IntTuple(2), 3, 3, "3"),
        (ShapeKind(allow_none=True), [None, 8], (None, 8), "(None, 8)"),
        (ShapeKind(), [20], (20,), "(20,)"),
        (Axis(), [-1], [-1], "(-1,)"),
        (RegularizerName(), None, None, "None"),
        (DType(), "float16", "float16", '"float16"'),
    ],
)
def test_keras_arguments_and_source(kind, value, keras_value, source):
    assert kind.to_keras(value) == keras_value
    assert kind.to_source(value) == source
    ast.literal_eval(source)


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (ShapeKind(allow_none=True), "None, 8", [None, 8]),
        (ShapeKind(allow_none=True), "(28, 28)", [28, 28]),
        (IntTuple(2), "3", 3),
        (IntTuple(2), "3, 5", [3, 5]),
        (Axis(), "-1", -1),
        (OptionalInt(), "None", None),
        (OptionalInt(), "7", 7),
    ],
)
def test_typed_text_parses_and_formats_back(kind, text, value):
    assert kind.parse_text(text) == value
    assert kind.parse_text(kind.format_text(value)) == value


@pytest.mark.parametrize(("kind", "text"), [(ShapeKind(), "None, 8"), (IntTuple(2), "3.5"), (OptionalInt(), "x")])
def test_text_that_does_not_parse_says_why(kind, text):
    with pytest.raises(ValueError, match="not"):
        kind.parse_text(text)


def test_config_values_are_read_or_refused():
    assert (
        InitializerName().from_config(
            "k", {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": None}}
        )
        == "he_normal"
    )
    with pytest.raises(ValueError, match="must be one of Keras's initializers"):
        InitializerName().from_config("k", {"module": "evil", "class_name": "HeNormal"})
    l2 = {
        "module": "keras.regularizers",
        "class_name": "L2",
        "config": {"l2": 0.009999999776482582},
        "registered_name": None,
    }
    assert RegularizerName().from_config("r", l2) == "l2"
    with pytest.raises(ValueError, match="r is not supported"):
        RegularizerName().from_config("r", {**l2, "config": {"l2": 0.5}})
    assert (
        ConstraintName().from_config("c", {"module": "keras.constraints", "class_name": "NonNeg", "config": {}})
        == "non_neg"
    )
    assert BatchShape(allow_none=True).from_config("batch_shape", [None, None, 3]) == [None, 3]
    with pytest.raises(ValueError, match="fixed batch size"):
        BatchShape().from_config("batch_shape", [2, 3])
    with pytest.raises(ValueError, match="plain value"):
        PositiveInt().from_config("units", {"class_name": "X"})


def test_a_param_knows_keras_s_default_and_its_config_key():
    param = Param("shape", BatchShape(), [20], "help", config_key="batch_shape")
    assert param.key == "batch_shape" and not param.is_keras_default([20])
    rate = Param("rate", FloatRange(), 0.5, "help", keras_default=0.5)
    assert rate.is_keras_default(0.5) and not rate.is_keras_default(1) and rate.key == "rate"
