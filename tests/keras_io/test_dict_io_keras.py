"""A model Keras made with dict inputs and outputs: nnstudio's summary is Keras's, and the model it
builds, exports and generates takes and gives the same dicts, with the file's weights the same
predictions; it trains on dicts."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.summary import analyze, summary_text

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, layer_weights  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from nnstudio.keras_io.train import run_training  # noqa: E402
from tests.keras_io.keras_files import keras_printed_summary, saved_and_read  # noqa: E402
from tests.keras_io.test_functional_files import run_script  # noqa: E402


def houses() -> object:
    age, city = keras.Input((3,), name="age"), keras.Input((2,), name="city")
    merged = keras.layers.Concatenate()([age, city])
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(merged)
    outputs = {"price": keras.layers.Dense(1, name="price")(hidden), "kind": keras.layers.Dense(2, name="kind")(hidden)}
    model = keras.Model({"city": city, "age": age}, outputs, name="houses")
    model.compile(loss="mean_squared_error", optimizer="adam")
    return model


def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {"age": rng.normal(size=(6, 3)).astype("float32"), "city": rng.normal(size=(6, 2)).astype("float32")}


def predicted(model: object) -> dict[str, np.ndarray]:
    return {key: np.asarray(value) for key, value in model.predict(data(), verbose=0).items()}


def test_a_dict_model_reads_summarises_builds_exports_and_trains(tmp_path: Path) -> None:
    original = houses()
    spec = saved_and_read(original, tmp_path / "houses.keras")
    assert keras_printed_summary(original) == summary_text(analyze(spec))

    expected = predicted(original)
    assert set(expected) == {"price", "kind"}
    rebuilt = build_model(spec, layer_weights(original))
    for key, value in predicted(rebuilt).items():
        np.testing.assert_array_equal(value, expected[key])
    export_keras(spec, tmp_path / "exported.keras", layer_weights(original))
    for key, value in predicted(keras.saving.load_model(tmp_path / "exported.keras")).items():
        np.testing.assert_array_equal(value, expected[key])
    generated = run_script(python_script(spec))
    assert sorted(generated.output) == ["kind", "price"] and sorted(generated.input) == ["age", "city"]

    x = tuple(data()[key] for key in spec.dict_input_keys())
    rng = np.random.default_rng(4)
    y = (rng.normal(size=(6, 2)).astype("float32"), rng.normal(size=(6, 1)).astype("float32"))  # kind, price
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history, weights = run_training(spec, x, y, epochs=1, batch_size=3)
    assert not [w for w in caught if "Expected" in str(w.message)], "Keras was fed a tuple for its dicts"
    assert {"loss", "kind_loss", "price_loss"} <= set(history) and set(weights) >= {"hidden", "kind", "price"}


@pytest.mark.cli
def test_the_generated_training_script_feeds_the_dict_model_dicts(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from nnstudio.core.codegen_train import training_script

    houses().save(tmp_path / "houses.keras")
    script = tmp_path / "train_houses.py"
    script.write_text(training_script(read_keras_config(tmp_path / "houses.keras")), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script), "--epochs", "1", "--samples", "64", "-o", str(tmp_path / "trained.keras")],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "kind_loss=" in run.stdout and "price_loss=" in run.stdout
    assert "doesn't match the expected structure" not in run.stderr
    trained = keras.saving.load_model(tmp_path / "trained.keras")
    assert sorted(trained.output) == ["kind", "price"]
