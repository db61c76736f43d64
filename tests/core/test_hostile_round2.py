"""Hostile input, round 2: each defect class of the second hostile pass, refused or handled at its root.

Pure core (no Keras): build shapes that disagree with the inferred ones, uncapped lists, quadratic
walkers, zip directories bigger than the member cap, names and numbers that do not round-trip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.keras_archive import ArchiveError, parse_keras_config, read_keras_config
from tests.core.test_keras_archive_corpus import layer_entry, lesson_config, model_config, weights_bytes, write_keras


def parsed(config: dict[str, Any]) -> Any:
    return parse_keras_config(json.dumps(config).encode())


def refused(config: dict[str, Any], fragment: str, where: str = "") -> ArchiveError:
    with pytest.raises(ArchiveError) as info:
        parsed(config)
    assert fragment in info.value.message, info.value.message
    assert where in info.value.where, info.value.where
    assert "\n" not in str(info.value)
    return info.value


# -- 2. the budget holds for what Keras builds ------------------------------------------------------


def with_build_shape(shape: Any, layer: int = 1) -> dict[str, Any]:
    config = lesson_config()
    config["config"]["layers"][layer]["build_config"] = {"input_shape": shape}
    return config


def test_build_shapes_that_agree_are_accepted() -> None:
    config = with_build_shape([None, 20])
    config["config"]["layers"][2]["build_config"] = {"input_shape": [None, 64]}
    assert [layer.name for layer in parsed(config).layers] == ["input_layer", "dense", "dense_1"]
    assert parsed(with_build_shape(None)).layers[1].get("units") == 64  # no shape: Keras builds from the input


@pytest.mark.parametrize(
    "shape",
    [[None, 500_000], [None, 20, 1], [None, 20.0], [None, True], [1, 20], [None, 21], [None], [None, "20"]],
)
def test_a_build_shape_that_disagrees_is_refused(shape: Any) -> None:
    """A Dense(64) fed 20 features whose build_config claims 500,000 would make Keras allocate 32 M
    parameters before loading the weights, past the budget analysed from the model's shapes."""
    error = refused(
        with_build_shape(shape), "dense: the stored build shape", "$.config.layers[1].build_config.input_shape"
    )
    assert "(None, 20)" in error.message


def test_the_models_own_build_shapes_must_agree() -> None:
    config = lesson_config()
    config["build_config"] = {"input_shape": [None, 500_000]}
    refused(config, "sequential: the stored build shape", "$.build_config.input_shape")
    config = lesson_config()
    config["config"]["build_input_shape"] = [None, 21]
    refused(config, "the stored build shape", "$.config.build_input_shape")


def test_the_budget_bypass_of_the_hostile_pass_is_refused(tmp_path: Path) -> None:
    """A Dense(1000) after Input(20) whose build_config says 500,000 inputs: 66,344 params analysed,
    500 M allocated by Keras. Refused from the config alone."""
    config = model_config([20], [layer_entry("Dense", "big", units=1000), layer_entry("Dense", "out", units=2)])
    config["config"]["layers"][1]["build_config"] = {"input_shape": [None, 500_000]}
    path = write_keras(tmp_path / "bypass.keras", config, weights_bytes({"dense": [(20, 1000), (1000,)]}))
    with pytest.raises(ArchiveError, match="big: the stored build shape"):
        read_keras_config(path)
