"""Specs are immutable values; edits return new specs; new layers get Keras-style names."""

from __future__ import annotations

import dataclasses

import pytest

from nnstudio.core.spec import CompileSpec, ModelSpec, lesson_spec


def test_lesson_spec():
    spec = lesson_spec()
    assert [(layer.class_name, layer.name) for layer in spec.layers] == [
        ("Input", "input_layer"),
        ("Dense", "dense"),
        ("Dense", "dense_1"),
    ]
    assert spec.layers[1].get("units") == 64 and spec.layers[1].get("activation") == "relu"
    assert spec.layers[2].get("activation") == "linear"
    assert spec.compile == CompileSpec("mean_squared_error", "adam", None, ())


def test_keras_style_names():
    spec = lesson_spec()
    assert spec.new_layer("Dense").name == "dense_2"
    assert spec.new_layer("Dropout").name == "dropout"
    assert spec.new_layer("BatchNormalization").name == "batch_normalization"
    spec = spec.removed(1)  # dense is free again
    assert spec.new_layer("Dense").name == "dense"
    assert lesson_spec().duplicate_name("dense_1") == "dense_2"
    assert lesson_spec().unique_name("input_layer") == "input_layer_1"


def test_edits_return_new_specs():
    spec = lesson_spec()
    moved = spec.moved(2, 1)
    assert [layer.name for layer in moved.layers] == ["input_layer", "dense_1", "dense"]
    assert [layer.name for layer in spec.layers] == ["input_layer", "dense", "dense_1"]
    changed = spec.with_layer(1, spec.layers[1].with_params(units=3))
    assert changed.layers[1].get("units") == 3 and spec.layers[1].get("units") == 64
    assert spec.inserted(3, spec.new_layer("Dropout")).layers[3].name == "dropout"
    assert spec.index_of("dense_1") == 2
    with pytest.raises(ValueError):
        spec.index_of("nope")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]


def test_with_params_copies_lists():
    spec = lesson_spec()
    layer = spec.layers[0].with_params()
    layer.params["shape"].append(3)
    assert spec.layers[0].params["shape"] == [20]
    assert spec.layers[0].to_dict() == {"class_name": "Input", "name": "input_layer", "shape": [20]}


def test_effective_learning_rate():
    assert CompileSpec(optimizer="sgd").effective_learning_rate() == 0.01
    assert CompileSpec(optimizer="adam", learning_rate=0.1).effective_learning_rate() == 0.1
    assert ModelSpec().layers == ()
