"""Inputs of every dtype Keras's Input takes and axes of varying size (None), without Keras:
analysis and summary, project files, generated code, the `.keras` reader and made-up data."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import datasets
from nnstudio.core.codegen import layer_call
from nnstudio.core.codegen_train import training_script
from nnstudio.core.keras_archive import ArchiveError, read_keras_config
from nnstudio.core.layers.names import INPUT_DTYPES
from nnstudio.core.project import dumps_project, loads_project
from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze, summary_json, summary_text
from nnstudio.core.weights_check import check_keras_weights
from tests.core.test_keras_archive_corpus import layer_entry, model_config, weights_bytes, write_keras

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "lesson.nnstudio"


def sequence_spec(dtype: str = "float32") -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[None, 8], dtype=dtype))
    for class_name, params in (
        ("Dense", {"units": 64, "activation": "relu"}),
        ("LayerNormalization", {}),
        ("Dropout", {"rate": 0.1}),
        ("Flatten", {}),
        ("Reshape", {"target_shape": [-1, 2]}),
        ("Dense", {"units": 3}),
    ):
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec


def test_a_sequence_input_is_inferred_and_printed_as_keras_does():
    summary = analyze(sequence_spec())
    assert summary.ok, summary.issues
    assert summary.input_shape == (None, 8)
    assert [r.output_shape for r in summary.rows] == [(None, 64), (None, 64), (None, 64), (None,), (None, 2), (None, 3)]
    assert [r.params for r in summary.rows] == [576, 128, 0, 0, 0, 9]
    text = summary_text(summary)
    assert "│ dense (Dense)                   │ (None, None, 64)       │           576 │" in text
    assert "│ flatten (Flatten)               │ (None, None)           │             0 │" in text
    assert summary_json(summary)["layers"][0]["output_shape"] == [None, None, 64]


def test_a_layer_that_needs_a_size_says_so_at_the_layer():
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[8, None]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=4))
    issue = analyze(spec).issues[0]
    assert issue.message == (
        "dense: the input's last axis needs a size: Keras makes the weights from it. Received: input_shape=(None, 8, None)"
    )
    assert (issue.layer_index, issue.field) == (1, None)


@pytest.mark.parametrize(
    ("shape", "dtype", "message"),
    [
        ([None, 0], "float32", "input_layer: shape must hold positive integers. Received: shape=[None, 0]"),
        (
            [4],
            "bfloat16",
            "input_layer: unknown dtype 'bfloat16'; nnstudio takes float32, float16, float64, int32, int64. "
            "Received: dtype='bfloat16'",
        ),
    ],
)
def test_input_values_nnstudio_refuses(shape, dtype, message):
    spec = lesson_spec()
    spec = spec.with_layer(0, spec.layers[0].with_params(shape=shape, dtype=dtype))
    assert analyze(spec).issues[0].message == message


def test_project_files_carry_dtype_and_none_only_when_used():
    assert json.loads(dumps_project(lesson_spec()))["layers"][0] == {
        "class_name": "Input",
        "name": "input_layer",
        "shape": [20],
    }
    spec = sequence_spec("int32")
    written = json.loads(dumps_project(spec))["layers"][0]
    assert written == {"class_name": "Input", "name": "input_layer", "shape": [None, 8], "dtype": "int32"}
    assert loads_project(dumps_project(spec))[0] == spec
    back = spec.with_layer(0, spec.layers[0].with_params(dtype="float32"))  # set back to the default
    assert "dtype" not in json.loads(dumps_project(back))["layers"][0]


def test_a_version_1_file_loads_unchanged_and_is_written_back_the_same():
    text = EXAMPLE.read_text()
    spec, editor = loads_project(text)
    assert spec == lesson_spec().with_compile(spec.compile)
    assert dumps_project(spec, editor) == text  # byte for byte


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
def test_generated_code_names_the_dtype_unless_it_is_keras_s_default(dtype):
    spec = sequence_spec(dtype)
    expected = 'keras.Input(shape=(None, 8), name="input_layer")'
    if dtype != "float32":
        expected = f'keras.Input(shape=(None, 8), dtype="{dtype}", name="input_layer")'
    assert layer_call(spec.layers[0]) == expected


def _input_config(batch_shape: list, dtype: str = "float32", **extra) -> dict:
    config = model_config([4], [layer_entry("Dense", "dense", units=3)])
    entry = config["config"]["layers"][0]["config"]
    entry.update(batch_shape=batch_shape, dtype=dtype, **extra)
    config["config"]["build_input_shape"] = copy.deepcopy(batch_shape)
    config["build_config"] = {"input_shape": copy.deepcopy(batch_shape)}  # as Keras writes it: the same shape
    return config


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
def test_keras_files_with_any_input_dtype_and_varying_sizes_are_read(tmp_path, dtype):
    path = write_keras(
        tmp_path / "m.keras", _input_config([None, None, 4], dtype), weights_bytes({"dense": [(4, 3), (3,)]})
    )
    spec = read_keras_config(path)
    check_keras_weights(path, spec)
    expected = {"shape": [None, 4]} if dtype == "float32" else {"shape": [None, 4], "dtype": dtype}
    assert spec.layers[0].params == expected
    assert analyze(spec).rows[0].output_shape == (None, 3)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"dtype": "bfloat16"}, "input_layer: unknown dtype 'bfloat16'"),
        ({"sparse": True}, "input_layer: sparse inputs are not supported"),
        ({"batch_size": 8}, "input_layer: a fixed batch size is not supported"),
        ({"batch_shape": [4, 4]}, "a fixed batch size is not supported. Received: batch_shape=[4, 4]"),
    ],
)
def test_input_settings_nnstudio_cannot_take_are_refused(tmp_path, change, fragment):
    config = _input_config([None, 4])
    config["config"]["layers"][0]["config"].update(change)
    path = write_keras(tmp_path / "m.keras", config, weights_bytes({"dense": [(4, 3), (3,)]}))
    with pytest.raises(ArchiveError, match=re.escape(fragment)):
        read_keras_config(path)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float16"])
def test_made_up_data_has_the_input_s_dtype_and_a_fixed_length(dtype):
    data = datasets.for_spec(sequence_spec(dtype), samples=32, seed=3)
    assert data.x.shape == (32, datasets.VARYING_SIZE, 8) and data.x.dtype == np.dtype(dtype)
    assert data.y.shape == (32, datasets.VARYING_SIZE * 64 // 2, 3)  # Flatten, then Reshape(-1, 2), then Dense(3)
    if dtype.startswith("int"):
        assert data.x.min() >= 0 and data.x.max() < datasets.INT_LEVELS and len(np.unique(data.x)) > 4


def test_the_training_script_gets_a_fixed_length_and_the_dtype():
    script = training_script(sequence_spec("int32"))
    assert f"INPUT_SHAPES = (({datasets.VARYING_SIZE}, 8),)" in script
    assert 'INPUT_DTYPES = ("int32",)' in script
    compile(script, "train_model.py", "exec")
