"""Project files: round trips, the lesson example, strictness with JSON paths, atomic saves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnstudio.core.layers.registry import layer_types
from nnstudio.core.project import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    ProjectError,
    dumps_project,
    load_project,
    loads_project,
    save_project,
    spec_to_dict,
)
from nnstudio.core.spec import CompileSpec, lesson_spec

LESSON_FILE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "lesson.nnstudio"


def lesson_document() -> dict:
    return json.loads(dumps_project(lesson_spec()))


def test_example_file_is_the_lesson():
    spec, editor = load_project(LESSON_FILE)
    assert spec == lesson_spec()
    assert editor == {}


def test_round_trip_keeps_everything(tmp_path):
    spec = lesson_spec().with_compile(CompileSpec("huber", "sgd", 0.05, ("accuracy", "auc")))
    spec = spec.inserted(2, spec.new_layer("Reshape", target_shape=[8, -1]))
    editor = {"selected": 1, "canvas": {"zoom": 1.5}}
    path = tmp_path / "m.nnstudio"
    save_project(path, spec, editor)
    assert load_project(path) == (spec, editor)
    assert [p.name for p in tmp_path.iterdir()] == ["m.nnstudio"]  # no temporary file left


def test_layer_entries_read_like_keras_config():
    document = spec_to_dict(lesson_spec())
    assert document["format"] == "nnstudio" and document["version"] == 1
    assert document["layers"][1] == {
        "class_name": "Dense",
        "name": "dense",
        "units": 64,
        "activation": "relu",
        "use_bias": True,
        "kernel_initializer": "glorot_uniform",
        "bias_initializer": "zeros",
    }
    assert document["compile"] == {
        "loss": "mean_squared_error",
        "optimizer": "adam",
        "learning_rate": None,
        "metrics": [],
    }


def test_missing_layer_keys_take_catalog_defaults():
    document = lesson_document()
    document["layers"][2] = {"class_name": "Dense", "name": "dense_1", "units": 10}
    spec, _ = loads_project(json.dumps(document))
    assert spec == lesson_spec()


def _mutate(change):
    document = lesson_document()
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "message", "path"),
    [
        (_mutate(lambda d: d.update(extra=1)), "unknown key 'extra'", "$.extra"),
        (_mutate(lambda d: d["layers"][1].update(unitz=3)), "unknown key 'unitz'", "$.layers[1].unitz"),
        (_mutate(lambda d: d["compile"].update(lr=3)), "unknown key 'lr'", "$.compile.lr"),
        (
            _mutate(lambda d: d.update(format="other")),
            'not an nnstudio project: "format" must be "nnstudio"',
            "$.format",
        ),
        (_mutate(lambda d: d.update(version=3)), "unsupported version 3; this nnstudio reads versions 1 and 2", "$.version"),
        (
            _mutate(lambda d: d["layers"][1].update(class_name="Lambda")),
            f"unknown layer class 'Lambda'; nnstudio knows {len(layer_types())} layer types, from Input to "
            f"{list(layer_types())[-1]} (its Layers palette lists them)",
            "$.layers[1].class_name",
        ),
        (_mutate(lambda d: d["layers"][1].update(name=5)), "expected a string, found int", "$.layers[1].name"),
        (_mutate(lambda d: d.update(layers={})), "expected a list, found dict", "$.layers"),
        (
            _mutate(lambda d: d["compile"].update(learning_rate=-1)),
            "learning_rate must be a positive number. Received: -1",
            "$.compile.learning_rate",
        ),
        (_mutate(lambda d: d["compile"].update(metrics=[3])), "expected a string, found int", "$.compile.metrics[0]"),
        (
            _mutate(lambda d: d["layers"][0].update(shape=[[20]])),
            "expected a number here, found a nested list or object",
            "$.layers[0].shape[0]",
        ),
        (_mutate(lambda d: d["layers"][1].update(units=10**20)), f"{10**20} is absurdly large", "$.layers[1].units"),
        (_mutate(lambda d: d.update(editor=[])), "expected an object, found list", "$.editor"),
        ("[]", "expected an object, found list", "$"),
        ("", "the file is empty", "$"),
        (
            '{"format": "nnstudio",',
            "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 23",
            "$",
        ),
        ('{"a": NaN}', "NaN is not a number a model can use", "$"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels", "$"),
        (b"\xff\xfe{}", "not a text file (invalid UTF-8 at byte 0)", "$"),
    ],
)
def test_strict_errors_name_the_json_path(text, message, path):
    with pytest.raises(ProjectError) as info:
        loads_project(text)
    assert (info.value.message, info.value.path) == (message, path)
    assert str(info.value) == f"{message} ({path})"


def test_file_errors(tmp_path):
    with pytest.raises(ProjectError, match="cannot read file"):
        load_project(tmp_path / "missing.nnstudio")
    big = tmp_path / "big.nnstudio"
    big.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(ProjectError, match="the limit is"):
        load_project(big)


def test_nan_cannot_be_saved(tmp_path):
    spec = lesson_spec().inserted(2, lesson_spec().new_layer("Dropout", rate=float("nan")))
    with pytest.raises(ValueError):
        save_project(tmp_path / "nan.nnstudio", spec)
    assert list(tmp_path.iterdir()) == []


def test_padding_pairs_round_trip_and_deeper_lists_are_refused(tmp_path):
    spec = lesson_spec()
    spec = spec.inserted(1, spec.new_layer("Reshape", target_shape=[4, 5, 1]))
    spec = spec.inserted(2, spec.new_layer("ZeroPadding2D", padding=[[0, 1], [2, 3]]))
    spec = spec.inserted(3, spec.new_layer("Cropping1D", cropping=[1, 0]))
    path = tmp_path / "pad.nnstudio"
    save_project(path, spec)
    assert load_project(path)[0] == spec
    document = json.loads(path.read_text())
    document["layers"][2]["padding"] = [[[0, 1]], [2, 3]]
    with pytest.raises(ProjectError) as info:
        loads_project(json.dumps(document))
    assert (info.value.message, info.value.path) == (
        "expected a number here, found a nested list or object",
        "$.layers[2].padding[0][0]",
    )
    document["layers"][3]["cropping"] = [[1, 0]]
    document["layers"][2]["padding"] = [[0, 1], [2, 3]]
    with pytest.raises(ProjectError, match="nested list"):
        loads_project(json.dumps(document))
