"""Keras's own initializer settings survive nnstudio: a model whose layers Keras made with
`VarianceScaling(scale=2.0, mode="fan_out")` (EfficientNet's convolutions), a seeded GlorotUniform
and a narrow RandomNormal is read, built, exported and regenerated with exactly those settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.keras_archive import read_keras_config

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from tests.keras_io.test_functional_files import run_script  # noqa: E402

KEYS = ("kernel_initializer", "bias_initializer")


def keras_written(path: Path) -> object:
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.Conv2D(
        4,
        3,
        kernel_initializer=keras.initializers.VarianceScaling(
            scale=2.0, mode="fan_out", distribution="truncated_normal"
        ),
    )(inputs)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5, kernel_initializer=keras.initializers.GlorotUniform(seed=7))(x)
    outputs = keras.layers.Dense(
        2,
        kernel_initializer=keras.initializers.VarianceScaling(scale=1 / 3, mode="fan_out", distribution="uniform"),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.02),
    )(x)
    model = keras.Model(inputs, outputs, name="initialized")
    model.save(path)
    return model


def initializers(model: object) -> dict[str, dict]:
    return {
        layer.name: {key: layer.get_config()[key] for key in KEYS if key in layer.get_config()}
        for layer in model.layers
        if "kernel_initializer" in layer.get_config()
    }


def test_initializer_settings_reach_the_build_the_export_and_the_script(tmp_path: Path) -> None:
    original = keras_written(tmp_path / "source.keras")
    spec = read_keras_config(tmp_path / "source.keras")
    expected = initializers(original)
    assert expected["conv2d"]["kernel_initializer"]["config"]["mode"] == "fan_out"

    assert initializers(build_model(spec)) == expected
    export_keras(spec, str(tmp_path / "exported.keras"))
    assert initializers(keras.saving.load_model(tmp_path / "exported.keras")) == expected
    assert initializers(run_script(python_script(spec))) == expected


def test_a_wrapped_recurrent_layer_keeps_its_initializer_settings(tmp_path: Path) -> None:
    from nnstudio.core.project import dumps_project, loads_project

    inputs = keras.Input((5, 3))
    lstm = keras.layers.LSTM(
        4,
        kernel_initializer=keras.initializers.VarianceScaling(scale=2.0, mode="fan_out"),
        recurrent_initializer=keras.initializers.Orthogonal(gain=0.5, seed=3),
    )
    original = keras.Model(inputs, keras.layers.Bidirectional(lstm)(inputs))
    original.save(tmp_path / "wrapped.keras")
    spec = read_keras_config(tmp_path / "wrapped.keras")
    assert loads_project(dumps_project(spec))[0] == spec

    def forward(model: object) -> dict:
        config = model.layers[1].forward_layer.get_config()
        return {key: config[key] for key in ("kernel_initializer", "recurrent_initializer")}

    assert forward(build_model(spec)) == forward(original)
    assert forward(run_script(python_script(spec))) == forward(original)
