"""Parameter kinds: checks in Keras's words, `.keras` config values, Keras arguments, source and text."""

from __future__ import annotations

import ast
import re

import pytest

from nnstudio.core.layers.params import (
    Axis,
    AxisList,
    BatchShape,
    ConstraintName,
    DType,
    Flag,
    FloatRange,
    InitializerName,
    Integer,
    IntPairs,
    IntTuple,
    OptionalFloat,
    OptionalInt,
    Param,
    Permutation,
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


# -- the kinds of the reshaping, activation and normalisation types ------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (IntPairs(1), [0, 2], None),
        (IntPairs(1), [1], "n must be a pair of integers >= 0 (before, after). Received: n=(1,)"),
        (IntPairs(2), [[1, 1], [0, 3]], None),
        (
            IntPairs(2),
            [[1, 1], [1, -2]],
            "n must be a tuple of 2 pairs of integers >= 0 (before, after). Received: n=((1, 1), (1, -2))",
        ),
        (
            IntPairs(3),
            [[1, 1], [1, 1]],
            "n must be a tuple of 3 pairs of integers >= 0 (before, after). Received: n=((1, 1), (1, 1))",
        ),
        (IntPairs(2), 1, "n must be a tuple of 2 pairs of integers >= 0 (before, after). Received: n=1"),
        (OptionalFloat(0.0, None), None, None),
        (OptionalFloat(0.0, None), 6, None),
        (OptionalFloat(0.0, None), -1.0, "n must be None or a finite number in [0, inf). Received: n=-1.0"),
        (AxisList(), None, None),
        (AxisList(), [1, 2], None),
        (AxisList(), [0], "n must hold axes >= 1. Received: n=[0]"),
        (AxisList(), [2, 2], "n must not repeat an axis. Received: n=[2, 2]"),
        (AxisList(optional=False), None, "n must be a list of integers. Received: n=None"),
        (Permutation(), [3, 1, 2], None),
        (
            Permutation(),
            [1, 3],
            "Invalid permutation argument `n` for Permute Layer. The set of indices in `n` must be consecutive "
            "and start from 1. Received n=(1, 3)",
        ),
        (Axis(single=True), -1, None),
        (Axis(single=True), [1, 2], "n must be an integer. Received: n=[1, 2]"),
    ],
)
def test_new_kinds_speak_keras_s_words(kind, value, message):
    assert kind.check("n", value) == message


@pytest.mark.parametrize(
    ("kind", "text", "value", "shown"),
    [
        (IntPairs(1), "2", [2, 2], "2"),
        (IntPairs(1), "1, 3", [1, 3], "1, 3"),
        (IntPairs(2), "1", [[1, 1], [1, 1]], "1"),
        (IntPairs(2), "(1, 2)", [[1, 1], [2, 2]], "1, 2"),
        (IntPairs(2), "0 1 2 3", [[0, 1], [2, 3]], "0, 1, 2, 3"),
        (IntPairs(3), "1, 2, 3", [[1, 1], [2, 2], [3, 3]], "1, 2, 3"),
        (OptionalFloat(), "None", None, "None"),
        (OptionalFloat(), " 6 ", 6.0, "6"),
        (AxisList(), "1, 2", [1, 2], "1, 2"),
        (AxisList(), "", None, "None"),
        (Permutation(), "(2, 1)", [2, 1], "2, 1"),
    ],
)
def test_new_kinds_parse_and_show_typed_text(kind, text, value, shown):
    assert kind.parse_text(text) == value
    assert kind.format_text(value) == shown
    assert kind.parse_text(shown) == value


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [
        (IntPairs(2), "1, 2, 3", "enter 1, 2 or 4 whole numbers, not 3"),
        (IntPairs(1), "1, 2, 3", "enter 1 or 2 whole numbers, not 3"),
        (OptionalFloat(), "six", "'six' is not a number; enter a number or None"),
        (Permutation(), "2, x", "'x' is not a whole number"),
    ],
)
def test_new_kinds_say_why_text_does_not_parse(kind, text, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        kind.parse_text(text)


def test_new_kinds_hand_keras_tuples_and_write_source():
    assert IntPairs(2).to_keras([[1, 2], [3, 4]]) == ((1, 2), (3, 4))
    assert IntPairs(2).to_source([[1, 2], [3, 4]]) == "((1, 2), (3, 4))"
    assert IntPairs(1).to_keras([1, 2]) == (1, 2)
    assert IntPairs(2).from_config("padding", [[1, 1], [2, 2]]) == [[1, 1], [2, 2]]
    with pytest.raises(ValueError, match="must be a list of pairs"):
        IntPairs(2).from_config("padding", [{"class_name": "X"}, [1, 1]])
    assert Permutation().to_keras([2, 1]) == (2, 1)
    assert AxisList().to_keras([1, 2]) == [1, 2] and AxisList().to_keras(None) is None
