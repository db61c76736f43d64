"""Inputs of every dtype and with axes of varying size, through Keras: built, summarised exactly as
`model.summary()` prints, exported and read back, trained on made-up data, and rebuilt by the
generated code."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from nnstudio.core import datasets
from nnstudio.core.codegen import python_script
from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.layers.names import INPUT_DTYPES
from nnstudio.core.summary import analyze, summary_json, summary_text
from nnstudio.core.weights_check import check_keras_weights
from tests.core.test_input_types import sequence_spec

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, keras_summary  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from nnstudio.keras_io.train import run_training  # noqa: E402


@pytest.mark.parametrize("dtype", INPUT_DTYPES)
def test_built_summarised_exported_and_read_back(tmp_path, monkeypatch, dtype):
    monkeypatch.setenv("COLUMNS", "80")
    spec = sequence_spec(dtype)
    summary = analyze(spec)
    model = build_model(spec)
    assert model.inputs[0].dtype == dtype and tuple(model.inputs[0].shape) == (None, None, 8)
    expected = summary_json(summary)
    for entry, row in zip(expected["layers"], summary.rows, strict=True):
        entry["trainable"], entry["non_trainable"] = row.trainable, row.non_trainable
    assert keras_summary(model) == expected
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.summary()
    assert printed.getvalue().rstrip("\n") == summary_text(summary)

    path = tmp_path / "seq.keras"
    export_keras(spec, path)
    read = read_keras_config(path)
    check_keras_weights(path, read)
    assert read.layers == spec.layers


@pytest.mark.parametrize("dtype", ["int32", "float64"])
def test_trains_on_made_up_data_of_the_input_s_dtype(dtype):
    spec = sequence_spec(dtype)
    data = datasets.for_spec(spec, samples=64, seed=2)
    history, weights = run_training(spec, data.x, data.y, epochs=2, batch_size=16, validation_split=0.0)
    assert len(history["loss"]) == 2 and all(np.isfinite(history["loss"]))
    assert weights["dense"][0].shape == (8, 64)


def test_generated_code_rebuilds_the_same_model(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    spec = sequence_spec("int64")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(python_script(spec), "model.py", "exec"), {})  # noqa: S102 - nnstudio's own generated code
    assert printed.getvalue().rstrip("\n") == summary_text(analyze(spec))
