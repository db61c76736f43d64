"""Initializers with settings of their own (EfficientNet's `VarianceScaling(scale=2.0, mode="fan_out")`,
a seed) are held with those settings: read from a `.keras` file, kept in a project, checked, written
as Python and as Keras's config, instead of being reduced to their name."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.summary import analyze
from tests.core.test_keras_archive import refused, with_config
from tests.core.test_keras_archive_corpus import lesson_config

FAN_OUT = {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}


def keras_object(class_name: str, **config: Any) -> dict[str, Any]:
    """An initializer as Keras 3.15 writes it into config.json."""
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def variance_scaling(**settings: Any) -> dict[str, Any]:
    config = {"seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}
    return keras_object("VarianceScaling", **{**config, **settings, "input_axes": None, "output_axes": None})


def read_with(tmp_path: Path, key: str, value: Any):
    config = lesson_config()
    config["config"]["layers"][1]["config"][key] = value
    return read_keras_config(with_config(tmp_path, config))


@pytest.mark.parametrize(
    ("written", "held"),
    [
        (variance_scaling(scale=2.0, mode="fan_out"), FAN_OUT),
        (
            variance_scaling(scale=1 / 3, mode="fan_out", distribution="uniform"),
            {"class_name": "VarianceScaling", "config": {"scale": 1 / 3, "mode": "fan_out", "distribution": "uniform"}},
        ),
        (keras_object("GlorotUniform", seed=7), {"class_name": "GlorotUniform", "config": {"seed": 7}}),
        (
            keras_object("RandomNormal", seed=None, mean=0.0, stddev=0.02),
            {"class_name": "RandomNormal", "config": {"stddev": 0.02}},
        ),
        (variance_scaling(), "variance_scaling"),  # Keras's defaults: the name says it all
        (keras_object("HeNormal", seed=None), "he_normal"),
    ],
)
def test_a_keras_initializer_is_held_with_the_settings_that_differ(tmp_path: Path, written, held) -> None:
    spec = read_with(tmp_path, "kernel_initializer", written)
    assert spec.layers[1].get("kernel_initializer") == held
    assert analyze(spec).ok


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        (variance_scaling(mode="fan_sideways"), "kernel_initializer must be one of Keras's initializers"),
        (keras_object("GlorotUniform", seed=None, input_axes=[0]), "kernel_initializer must be one of Keras's"),
        (keras_object("RandomNormal", mean="0"), "kernel_initializer must be one of Keras's"),
        (keras_object("Orthogonal", gain=1.0, extra=1), "kernel_initializer must be one of Keras's"),
    ],
)
def test_an_initializer_with_settings_nnstudio_cannot_hold_is_refused(tmp_path: Path, written, fragment) -> None:
    config = lesson_config()
    config["config"]["layers"][1]["config"]["kernel_initializer"] = written
    refused(with_config(tmp_path, config), fragment)


def test_a_project_keeps_the_settings_and_refuses_unknown_ones(tmp_path: Path) -> None:
    spec = read_with(tmp_path, "kernel_initializer", variance_scaling(scale=2.0, mode="fan_out"))
    again, _ = loads_project(dumps_project(spec))
    assert again == spec and again.layers[1].get("kernel_initializer") == FAN_OUT

    text = dumps_project(spec).replace('"fan_out"', '"sideways"')
    with pytest.raises(ProjectError, match="Invalid `mode` argument: sideways"):
        loads_project(text)
    hostile = dumps_project(spec).replace('"VarianceScaling"', '"os.system"')
    with pytest.raises(ProjectError, match="nnstudio knows no initializer 'os.system'"):
        loads_project(hostile)


def test_the_settings_reach_keras_python_and_the_config() -> None:
    kind = layer_type("Dense").param("kernel_initializer").kind
    assert kind.to_keras(FAN_OUT) == FAN_OUT and kind.to_keras(FAN_OUT) is not FAN_OUT
    assert kind.to_source(FAN_OUT) == 'keras.initializers.VarianceScaling(scale=2.0, mode="fan_out")'
    assert kind.as_config(FAN_OUT)["config"] == {
        "seed": None,
        "scale": 2.0,
        "mode": "fan_out",
        "distribution": "truncated_normal",
    }
    assert kind.from_config("k", kind.as_config(FAN_OUT)) == FAN_OUT
    assert kind.format_text(FAN_OUT) == "variance_scaling(scale=2.0, mode='fan_out')"
    bad = copy.deepcopy(FAN_OUT)
    bad["config"]["scale"] = -1.0
    assert kind.check("kernel_initializer", bad) == (
        "kernel_initializer: Argument `scale` must be positive float. Received: scale=-1.0"
    )
    with pytest.raises(ValueError):
        kind.to_source({"class_name": "__import__('os')", "config": {}})


def test_the_generated_script_builds_the_configured_initializer(tmp_path: Path) -> None:
    spec = read_with(tmp_path, "kernel_initializer", variance_scaling(scale=2.0, mode="fan_out"))
    script = python_script(spec)
    assert 'kernel_initializer=keras.initializers.VarianceScaling(scale=2.0, mode="fan_out")' in script
