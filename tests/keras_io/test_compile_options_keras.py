"""Optimizer and loss settings against Keras itself: the defaults table matches Keras's own
`get_config()`, and settings read from a Keras-written file survive export and code generation."""

from __future__ import annotations

import inspect

import pytest

from nnstudio.core.catalog import LOSSES, OPTIMIZERS
from nnstudio.core.codegen import python_script
from nnstudio.core.compile_options import (
    IGNORED_LOSS_KEYS,
    IGNORED_OPTIMIZER_KEYS,
    LOSS_CLASSES,
    LOSS_DEFAULTS,
    LOSS_UNWRITTEN_DEFAULTS,
    OPTIMIZER_CLASSES,
    OPTIMIZER_DEFAULTS,
)
from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.spec import CompileSpec, lesson_spec

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import BuildError, build_model  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from nnstudio.keras_io.load import load_keras  # noqa: E402


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_defaults_table_is_kerass(name):
    assert set(OPTIMIZER_CLASSES) == set(OPTIMIZERS) == set(OPTIMIZER_DEFAULTS)
    config = getattr(keras.optimizers, OPTIMIZER_CLASSES[name])().get_config()
    settings = {k: v for k, v in config.items() if k not in IGNORED_OPTIMIZER_KEYS}
    assert settings == OPTIMIZER_DEFAULTS[name]
    assert [type(v) for v in settings.values()] == [type(v) for v in OPTIMIZER_DEFAULTS[name].values()]
    assert config["learning_rate"] == pytest.approx(OPTIMIZERS[name])


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_defaults_table_is_kerass(name):
    assert set(LOSS_CLASSES) == set(LOSSES) == set(LOSS_DEFAULTS)
    loss = getattr(keras.losses, LOSS_CLASSES[name])()
    settings = {k: v for k, v in loss.get_config().items() if k not in IGNORED_LOSS_KEYS}
    assert settings == LOSS_DEFAULTS[name]
    assert [type(v) for v in settings.values()] == [type(v) for v in LOSS_DEFAULTS[name].values()]
    # The settings Keras takes but does not write: the constructor's own defaults.
    parameters = inspect.signature(type(loss)).parameters
    for key, default in LOSS_UNWRITTEN_DEFAULTS[name].items():
        assert key not in settings
        assert parameters[key].default == default, key


def keras_written(path):
    model = keras.Sequential(
        [keras.Input(shape=(20,), name="input_layer"), keras.layers.Dense(10, name="dense")], name="opts"
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["accuracy"],
    )
    model.save(path)
    return model


def without_name(config):
    return {k: v for k, v in config.items() if k != "name"}


def test_keras_written_options_survive_export(tmp_path):
    original = keras_written(tmp_path / "original.keras")
    spec = read_keras_config(tmp_path / "original.keras")
    assert spec.compile.optimizer_kwargs() == {"momentum": 0.9, "nesterov": True}
    assert spec.compile.loss_kwargs() == {"from_logits": True, "label_smoothing": 0.1}
    loaded_spec, weights = load_keras(tmp_path / "original.keras")
    assert loaded_spec.compile == spec.compile
    export_keras(loaded_spec, tmp_path / "again.keras", weights)
    again = keras.saving.load_model(tmp_path / "again.keras")  # plain Keras
    assert again.optimizer.momentum == 0.9 and again.optimizer.nesterov is True
    assert again.loss.from_logits is True and again.loss.label_smoothing == 0.1
    assert without_name(again.optimizer.get_config()) == without_name(original.optimizer.get_config())
    assert without_name(again.loss.get_config()) == without_name(original.loss.get_config())
    assert read_keras_config(tmp_path / "again.keras").compile == spec.compile


def test_build_uses_every_option():
    spec = lesson_spec().with_compile(
        CompileSpec(
            "binary_focal_crossentropy",
            "adamw",
            None,
            (),
            {"weight_decay": 0.01, "clipnorm": 1.0, "amsgrad": True},
            {"gamma": 3.0, "apply_class_balancing": True},
        )
    )
    model = build_model(spec)
    config = model.optimizer.get_config()
    assert (config["weight_decay"], config["clipnorm"], config["amsgrad"]) == (0.01, 1.0, True)
    assert config["learning_rate"] == pytest.approx(0.001)
    assert model.loss.get_config()["gamma"] == 3.0 and model.loss.get_config()["apply_class_balancing"] is True


def test_a_setting_keras_refuses_is_a_build_error():
    spec = lesson_spec().with_compile(CompileSpec(optimizer="sgd", optimizer_options={"momentum": 2.5}))
    with pytest.raises(BuildError, match="compile: optimizer sgd: .*momentum"):
        build_model(spec)


def test_generated_code_with_options_runs_in_keras(capsys):
    spec = lesson_spec().with_compile(
        CompileSpec(
            "categorical_crossentropy",
            "sgd",
            0.01,
            ("accuracy",),
            {"momentum": 0.9, "nesterov": True},
            {"from_logits": True},
        )
    )
    script = python_script(spec)
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)," in script
    assert "loss=keras.losses.CategoricalCrossentropy(from_logits=True)," in script
    scope: dict = {}
    exec(compile(script, "generated.py", "exec"), scope)  # noqa: S102 - our own generated code
    model = scope["model"]
    assert model.optimizer.momentum == 0.9 and model.optimizer.nesterov is True
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    assert model.loss.from_logits is True and model.loss.label_smoothing == 0.0
