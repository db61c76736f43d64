"""Unit tests of the Keras-free `.keras` reader: zip checks, config allow-list, compile settings, weights."""

from __future__ import annotations

import copy
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from nnstudio.core.keras_archive import (
    ArchiveError,
    float32_round,
    load_model_file,
    parse_keras_config,
    read_keras_config,
    to_snake_case,
)
from nnstudio.core.project import ProjectError, save_project
from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.core.weights_check import check_keras_weights
from tests.core.test_keras_archive_corpus import (
    adam_compile,
    lambda_entry,
    layer_entry,
    lesson_config,
    lesson_weights,
    model_config,
    weights_bytes,
    write_keras,
    write_lesson,
)


def refused(path: Path, *fragments: str) -> ArchiveError:
    """Assert that reading `path` (config, then weights) raises ArchiveError mentioning every fragment."""
    with pytest.raises(ArchiveError) as info:
        spec = read_keras_config(path)
        check_keras_weights(path, spec)
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text
    assert "\n" not in text
    return info.value


def with_config(tmp_path: Path, config: dict[str, Any] | bytes, weights: bytes | None = None) -> Path:
    return write_keras(
        tmp_path / "m.keras", config, weights if weights is not None else weights_bytes(lesson_weights())
    )


# -- the sound case -------------------------------------------------------------------------


def test_lesson_reads_as_spec_with_names_params_and_compile(tmp_path: Path) -> None:
    spec = read_keras_config(write_lesson(tmp_path / "lesson.keras"))
    assert spec.name == "sequential"
    assert [(layer.class_name, layer.name) for layer in spec.layers] == [
        ("Input", "input_layer"),
        ("Dense", "dense"),
        ("Dense", "dense_1"),
    ]
    assert spec.layers[0].params == {"shape": [20]}
    assert spec.layers[1].params == {
        "units": 64,
        "activation": "relu",
        "use_bias": True,
        "kernel_initializer": "glorot_uniform",
        "bias_initializer": "zeros",
    }
    assert spec.compile == CompileSpec("mean_squared_error", "adam", 0.001, ())


def test_every_catalog_layer_is_read(tmp_path: Path) -> None:
    layers = [
        layer_entry("Dense", "d", units=6, kernel_initializer="he_normal", bias_initializer="ones", use_bias=True),
        layer_entry("BatchNormalization", "bn", center=False, momentum=0.9),
        layer_entry("LayerNormalization", "ln", scale=False, epsilon=0.01),
        layer_entry("Dropout", "drop", rate=0.25),
        layer_entry("Activation", "act", activation="gelu"),
        layer_entry("Flatten", "flat"),
        layer_entry("Reshape", "re", target_shape=[3, -1]),
    ]
    groups = {
        "dense": [(4, 6), (6,)],
        "batch_normalization": [(6,)] * 3,
        "layer_normalization": [(6,)],
        "dropout": [],
        "activation": [],
        "flatten": [],
        "reshape": [],
    }
    path = write_keras(tmp_path / "all.keras", model_config([2, 4], layers), weights_bytes(groups, optimizer=False))
    spec = read_keras_config(path)
    check_keras_weights(path, spec)
    assert [layer.class_name for layer in spec.layers] == [
        "Input",
        "Dense",
        "BatchNormalization",
        "LayerNormalization",
        "Dropout",
        "Activation",
        "Flatten",
        "Reshape",
    ]
    assert spec.layers[1].get("kernel_initializer") == "he_normal"
    assert spec.layers[1].get("bias_initializer") == "ones"
    assert spec.layers[2].params["center"] is False and spec.layers[2].params["momentum"] == 0.9
    assert spec.layers[3].params["scale"] is False
    assert spec.layers[7].params == {"target_shape": [3, -1]}
    assert spec.compile == CompileSpec()  # an uncompiled model gets the defaults


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0010000000474974513, 0.001), (0.003000000026077032, 0.003), (9.999999747378752e-05, 1e-4), (0.5, 0.5)],
)
def test_learning_rate_is_rounded_to_float32_precision(value: float, expected: float) -> None:
    assert float32_round(value) == expected


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("MeanSquaredError", "mean_squared_error"),
        ("KLDivergence", "kl_divergence"),
        ("AUC", "auc"),
        ("LogCosh", "log_cosh"),
    ],
)
def test_snake_case_follows_keras(name: str, snake: str) -> None:
    assert to_snake_case(name) == snake


def test_compile_reads_loss_objects_aliases_and_metrics(tmp_path: Path) -> None:
    loss = {
        "module": "keras.losses",
        "class_name": "CategoricalCrossentropy",
        "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False},
        "registered_name": None,
    }
    auc = {"module": "keras.metrics", "class_name": "AUC", "config": {"name": "auc", "num_thresholds": 200}}
    config = lesson_config()
    config["compile_config"] = adam_compile(0.003000000026077032, loss, ["acc", "mae", auc])
    config["compile_config"]["optimizer"]["class_name"] = "RMSprop"
    spec = read_keras_config(with_config(tmp_path, config))
    assert spec.compile == CompileSpec(
        "categorical_crossentropy", "rmsprop", 0.003, ("accuracy", "mean_absolute_error", "auc")
    )
    config["compile_config"] = adam_compile(loss="mse")
    assert read_keras_config(with_config(tmp_path, config)).compile.loss == "mean_squared_error"


def _function(name: str) -> dict[str, Any]:
    """How Keras writes one of its own functions, e.g. `compile(loss=keras.losses.huber)`."""
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def test_compile_reads_keras_function_references(tmp_path: Path) -> None:
    config = lesson_config()
    config["compile_config"] = adam_compile(loss=_function("huber"), metrics=[_function("mae"), "accuracy"])
    spec = read_keras_config(with_config(tmp_path, config))
    assert spec.compile.loss == "huber"
    assert spec.compile.metrics == ("mean_absolute_error", "accuracy")


@pytest.mark.parametrize(
    ("where", "function"),
    [("loss", _function("system")), ("metrics", [_function("getattr")]), ("activation", _function("relu"))],
)
def test_function_references_elsewhere_or_unknown_are_refused(tmp_path: Path, where: str, function: Any) -> None:
    config = lesson_config()
    if where == "activation":
        config["config"]["layers"][1]["config"]["activation"] = function
    else:
        config["compile_config"][where] = function
    refused(with_config(tmp_path, config), "module 'builtins'")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"loss": "no_such_loss"}, "unsupported loss 'no_such_loss'"),
        ({"metrics": ["f1_score_custom"]}, "unsupported metric"),
        ({"loss_weights": [1.0]}, "loss_weights is not supported"),
        (
            {"optimizer": {"module": "keras.optimizers", "class_name": "LossScaleOptimizer", "config": {}}},
            "unsupported optimizer",
        ),
        ({"surprise": 1}, "unexpected key 'surprise'"),
    ],
)
def test_compile_refusals(tmp_path: Path, change: dict[str, Any], fragment: str) -> None:
    config = lesson_config()
    config["compile_config"].update(change)
    refused(with_config(tmp_path, config), fragment)


def test_learning_rate_schedule_is_refused(tmp_path: Path) -> None:
    config = lesson_config()
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = {
        "module": "keras.optimizers.schedules",
        "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1},
    }
    refused(with_config(tmp_path, config), "learning-rate schedules are not supported")


# -- zip container --------------------------------------------------------------------------


def test_not_a_zip_and_hdf5_and_empty_and_missing(tmp_path: Path) -> None:
    (tmp_path / "text.keras").write_text('{"format": "nnstudio"}')
    refused(tmp_path / "text.keras", "not a zip archive")
    with h5py.File(tmp_path / "legacy.keras", "w") as h5:
        h5.create_dataset("x", data=np.zeros(3))
    refused(tmp_path / "legacy.keras", "HDF5 file", "legacy .h5")
    (tmp_path / "empty.keras").write_bytes(b"")
    refused(tmp_path / "empty.keras", "not a zip archive")
    refused(tmp_path / "absent.keras", "cannot read file")


def test_truncated_archive(tmp_path: Path) -> None:
    data = write_lesson(tmp_path / "whole.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    refused(tmp_path / "cut.keras", "truncated or damaged zip archive", "cut.keras")


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil", "assets/../../evil", "C:/evil", "evil.py"])
def test_member_names_are_checked(tmp_path: Path, member: str) -> None:
    path = write_keras(tmp_path / "m.keras", lesson_config(), weights_bytes(lesson_weights()), {member: b"x"})
    refused(path)


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    path = write_lesson(tmp_path / "m.keras")
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo("assets/link")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    refused(path, "symbolic link")


def test_duplicate_member_is_refused(tmp_path: Path) -> None:
    path = write_lesson(tmp_path / "m.keras")
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("config.json", json.dumps(lesson_config()))
    refused(path, "appears twice")


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(lesson_config()))
        with archive.open("model.weights.h5", "w") as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(64):
                member.write(block)
    refused(path, "zip bomb")


def test_oversized_config_is_refused(tmp_path: Path) -> None:
    config = lesson_config()
    config["config"]["name"] = "x"
    data = json.dumps(config).encode() + b" " * (9 * 1024 * 1024)
    path = write_keras(tmp_path / "big.keras", data, weights_bytes(lesson_weights()), compression=zipfile.ZIP_DEFLATED)
    refused(path, "'config.json' is", "the limit is")


def test_missing_config_and_weights(tmp_path: Path) -> None:
    refused(write_keras(tmp_path / "a.keras", None, weights_bytes(lesson_weights())), "no config.json")
    refused(write_keras(tmp_path / "b.keras", lesson_config(), None), "no model.weights.h5")


# -- config allow-list ----------------------------------------------------------------------


def test_lambda_with_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = lesson_config()
    config["config"]["layers"].insert(2, lambda_entry(marker))
    refused(with_config(tmp_path, config), "lambda: Lambda layers carry Python code")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"module": "keras.layers", "class_name": "TFSMLayer", "config": {"name": "t", "filepath": "/x"}}, "TFSMLayer"),
        ({"module": "os", "class_name": "system", "config": {"name": "o"}}, "the module 'os'"),
        (
            {"module": "keras.layers", "class_name": "Identity", "config": {"name": "same"}},
            "'Identity' is not supported",
        ),
        (
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "c"}, "registered_name": "my>Dense"},
            "custom object",
        ),
    ],
)
def test_foreign_layers_are_refused(tmp_path: Path, entry: dict[str, Any], fragment: str) -> None:
    config = lesson_config()
    config["config"]["layers"].insert(2, entry)
    refused(with_config(tmp_path, config), fragment)


def test_function_objects_are_refused_anywhere(tmp_path: Path) -> None:
    config = lesson_config()
    config["config"]["layers"][1]["config"]["activation"] = {
        "module": "keras.config",
        "class_name": "function",
        "config": "enable_unsafe_deserialization",
        "registered_name": "function",
    }
    refused(with_config(tmp_path, config), "function objects")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        (
            "kernel_regularizer",
            {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}},
            "dense: kernel_regularizer is not supported",
        ),
        (
            "bias_constraint",
            {"module": "keras.constraints", "class_name": "NonNeg", "config": {}},
            "dense: bias_constraint is not supported",
        ),
        ("quantization_config", {"mode": "int8"}, "dense: quantization_config is not supported"),
        ("dtype", "float16", "dense: only float32 layers"),
        ("trainable", False, "dense: frozen layers"),
        ("surprise", 1, "dense: Dense has no setting 'surprise'"),
        (
            "kernel_initializer",
            {"module": "keras.initializers", "class_name": "Custom", "config": {}},
            "dense: kernel_initializer must be one of Keras's",
        ),
    ],
)
def test_non_default_layer_settings_name_layer_and_key(tmp_path: Path, key: str, value: Any, fragment: str) -> None:
    config = lesson_config()
    config["config"]["layers"][1]["config"][key] = value
    error = refused(with_config(tmp_path, config), fragment)
    assert error.where.endswith(f"layers[1].config.{key}")


def test_other_model_classes_are_refused(tmp_path: Path) -> None:
    config = lesson_config()
    config["class_name"] = "MyModel"
    refused(with_config(tmp_path, config), "only Sequential and Functional models", "MyModel")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"{", "not valid JSON"),
        (b'{"a": NaN}', "NaN is not a number"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b"[" * 100 + b"]" * 100, "nested deeper"),
        (b'{"a": ' + b"9" * 5000 + b"}", "not usable JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "expected an object"),
    ],
)
def test_bad_json_is_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(ArchiveError, match=fragment):
        parse_keras_config(data)


def test_validation_uses_keras_messages(tmp_path: Path) -> None:
    config = lesson_config()
    config["config"]["layers"][2]["config"]["units"] = -5
    refused(with_config(tmp_path, config), "dense_1: units must be a positive integer. Received: units=-5")
    config["config"]["layers"][2]["config"]["units"] = "ten"
    refused(with_config(tmp_path, config), "Received: units='ten'")


def test_parameter_budget_is_checked_from_the_config(tmp_path: Path) -> None:
    config = model_config([1_000_000], [layer_entry("Dense", "huge", units=1_000_000)])
    error = refused(write_keras(tmp_path / "huge.keras", config, None), "huge:", "over the budget", "TB")
    assert "config.json" in error.where


def test_fixed_batch_size_and_unknown_dims_are_refused(tmp_path: Path) -> None:
    config = lesson_config()
    config["config"]["layers"][0]["config"]["batch_shape"] = [8, 20]
    refused(with_config(tmp_path, config), "fixed batch size")
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, None]
    refused(with_config(tmp_path, config), "needs a size")


# -- weights --------------------------------------------------------------------------------


def test_weights_of_wrong_shape_are_refused(tmp_path: Path) -> None:
    groups = lesson_weights() | {"dense_1": [(64, 11), (10,)]}
    refused(with_config(tmp_path, lesson_config(), weights_bytes(groups)), "dense_1: weight 0 has shape (64, 11)")


def test_weights_missing_or_extra_layers_are_refused(tmp_path: Path) -> None:
    refused(with_config(tmp_path, lesson_config(), weights_bytes({"dense": [(20, 64), (64,)]})), "dense_1: no weights")
    extra = lesson_weights() | {"dense_2": [(3,)]}
    refused(with_config(tmp_path, lesson_config(), weights_bytes(extra)), "a layer the config does not have")
    fewer = lesson_weights() | {"dense": [(20, 64)]}
    refused(with_config(tmp_path, lesson_config(), weights_bytes(fewer)), "1 weight arrays stored, the config needs 2")


def test_integer_weights_are_refused(tmp_path: Path) -> None:
    refused(with_config(tmp_path, lesson_config(), weights_bytes(lesson_weights(), dtype="int32")), "not a float array")


def _edit_weights(tmp_path: Path, edit: Any) -> Path:
    h5_path = tmp_path / "w.h5"
    h5_path.write_bytes(weights_bytes(lesson_weights()))
    with h5py.File(h5_path, "a") as h5:
        edit(h5, tmp_path)
    return with_config(tmp_path, lesson_config(), h5_path.read_bytes())


def test_external_link_is_refused(tmp_path: Path) -> None:
    def edit(h5: h5py.File, folder: Path) -> None:
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/")

    refused(_edit_weights(tmp_path, edit), "external link")


def test_soft_link_is_refused(tmp_path: Path) -> None:
    def edit(h5: h5py.File, folder: Path) -> None:
        del h5["layers/dense_1/vars/1"]
        h5["layers/dense_1/vars/1"] = h5py.SoftLink("/layers/dense/vars/1")

    refused(_edit_weights(tmp_path, edit), "soft link")


def test_external_storage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "raw.bin").write_bytes(b"\0" * 64 * 4)

    def edit(h5: h5py.File, folder: Path) -> None:
        del h5["layers/dense_1/vars/1"]
        h5.create_dataset("layers/dense_1/vars/1", shape=(10,), dtype="f4", external=[(str(folder / "raw.bin"), 0, 40)])

    refused(_edit_weights(tmp_path, edit), "external file")


def test_virtual_dataset_is_refused(tmp_path: Path) -> None:
    def edit(h5: h5py.File, folder: Path) -> None:
        del h5["layers/dense_1/vars/1"]
        layout = h5py.VirtualLayout(shape=(10,), dtype="f4")
        layout[:] = h5py.VirtualSource("/etc/passwd", "x", shape=(10,))
        h5.create_virtual_dataset("layers/dense_1/vars/1", layout)

    refused(_edit_weights(tmp_path, edit), "virtual dataset")


def test_a_group_reached_twice_is_refused(tmp_path: Path) -> None:
    def cycle(h5: h5py.File, folder: Path) -> None:
        h5["layers/dense/back"] = h5["layers"]  # a hard link up the tree: the walk would never end

    def alias(h5: h5py.File, folder: Path) -> None:
        del h5["layers/dense_1"]
        h5["layers/dense_1"] = h5["layers/dense"]

    for name in ("cycle", "alias"):
        (tmp_path / name).mkdir()
    refused(_edit_weights(tmp_path / "cycle", cycle), "linked from two places", "/layers/dense/back")
    refused(_edit_weights(tmp_path / "alias", alias), "linked from two places")


def test_groups_nested_too_deep_are_refused(tmp_path: Path) -> None:
    def edit(h5: h5py.File, folder: Path) -> None:
        h5.create_group("layers/dense/a/b/c/d/e/f/g")  # nine levels

    refused(_edit_weights(tmp_path, edit), "nested deeper than 8 levels", "/layers/dense/a/b/c/d/e/f/g")


def test_a_named_datatype_is_refused(tmp_path: Path) -> None:
    def edit(h5: h5py.File, folder: Path) -> None:
        h5["layers/dense/kind"] = np.dtype("f4")

    refused(_edit_weights(tmp_path, edit), "named datatype", "/layers/dense/kind")


def test_too_many_objects_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nnstudio.core import weights_check

    path = _edit_weights(tmp_path, lambda h5, folder: None)
    check_keras_weights(path, read_keras_config(path))  # the lesson's file has 9 objects
    monkeypatch.setattr(weights_check, "MAX_OBJECTS", 8)
    refused(path, "more than 8 objects")


def test_stored_weights_are_read_in_place_and_their_crc_checked(tmp_path: Path) -> None:
    from nnstudio.core.keras_archive import StoredMember, member_file, open_archive
    from nnstudio.core.weights_check import read_keras_weights

    data = weights_bytes(lesson_weights())
    stored = with_config(tmp_path, lesson_config(), data)
    with open_archive(stored) as archive, member_file(stored, archive, "model.weights.h5", "m") as member:
        assert isinstance(member.raw, StoredMember) and member.read() == data
        assert member.seek(-4, 2) == len(data) - 4 and member.read(100) == data[-4:]
    spec = read_keras_config(stored)
    in_place = read_keras_weights(stored, spec)

    deflated = write_keras(tmp_path / "deflated.keras", lesson_config(), data, compression=zipfile.ZIP_DEFLATED)
    with open_archive(deflated) as archive, member_file(deflated, archive, "model.weights.h5", "m") as member:
        # inflated into a temporary file
        assert not isinstance(getattr(member, "raw", None), StoredMember) and member.read() == data
    copied = read_keras_weights(deflated, spec)
    assert in_place.keys() == copied.keys()
    assert all(np.array_equal(a, b) for name in copied for a, b in zip(in_place[name], copied[name], strict=True))

    raw = bytearray(stored.read_bytes())
    raw[raw.index(data) + len(data) - 1] ^= 0xFF  # one byte of the stored weights changed
    (tmp_path / "flipped.keras").write_bytes(bytes(raw))
    error = refused(tmp_path / "flipped.keras", "Bad CRC-32 for file 'model.weights.h5'")
    assert error.where.endswith("flipped.keras: model.weights.h5")


def test_a_weights_check_without_the_crc_reads_the_structure_and_the_weights_read_sums_the_bytes(
    tmp_path: Path,
) -> None:
    """The window's open checks the weights file's structure only; the weights' read (the engine's
    load, right after) refuses a stored weights file whose bytes do not match its CRC-32."""
    from nnstudio.core.weights_check import read_keras_weights
    from nnstudio.keras_io.load import load_keras

    data = weights_bytes(lesson_weights())
    raw = bytearray(with_config(tmp_path, lesson_config(), data).read_bytes())
    at = raw.index(data)
    raw[at + len(data) - 1] ^= 0xFF  # one byte of a weight's value changed
    flipped = tmp_path / "flipped.keras"
    flipped.write_bytes(bytes(raw))
    spec = load_model_file(flipped, check_crc=False)
    assert [layer.name for layer in spec.layers] == ["input_layer", "dense", "dense_1"]
    check_keras_weights(flipped, spec, check_crc=False)
    for read in (
        lambda: read_keras_weights(flipped, spec),
        lambda: load_keras(flipped),
        lambda: load_model_file(flipped),
    ):
        with pytest.raises(ArchiveError, match="Bad CRC-32 for file 'model.weights.h5'"):
            read()
    structure = bytearray(raw)
    structure[at : at + 8] = b"notHDF5!"  # its structure broken too
    (tmp_path / "broken.keras").write_bytes(bytes(structure))
    with pytest.raises(ArchiveError, match="model.weights.h5"):
        load_model_file(tmp_path / "broken.keras", check_crc=False)


def test_damaged_weights_file_is_refused(tmp_path: Path) -> None:
    data = weights_bytes(lesson_weights())
    refused(with_config(tmp_path, lesson_config(), data[:600]), "model.weights.h5")
    refused(with_config(tmp_path, lesson_config(), b"not hdf5 at all"), "not an HDF5 file")


# -- dispatch -------------------------------------------------------------------------------


def test_load_model_file_dispatches_on_suffix(tmp_path: Path) -> None:
    save_project(tmp_path / "lesson.nnstudio", lesson_spec())
    assert load_model_file(tmp_path / "lesson.nnstudio") == lesson_spec()
    keras_spec = load_model_file(write_lesson(tmp_path / "lesson.keras"))
    assert [layer.name for layer in keras_spec.layers] == [layer.name for layer in lesson_spec().layers]
    (tmp_path / "x.txt").write_bytes(b"\x00\x01")
    with pytest.raises(ProjectError, match="unknown file type"):
        load_model_file(tmp_path / "x.txt")
    bad = copy.deepcopy(lesson_config())
    bad["config"]["layers"][1]["class_name"] = "Lambda"
    with pytest.raises(ArchiveError):
        load_model_file(with_config(tmp_path, bad))


def test_weights_check_refuses_an_invalid_spec_before_opening_the_file(tmp_path: Path) -> None:
    spec = lesson_spec()
    spec = spec.with_layer(1, spec.layers[1].with_params(units=10**6)).inserted(2, spec.new_layer("Dense", units=10**6))
    with pytest.raises(ArchiveError, match="over the budget") as info:
        check_keras_weights(tmp_path / "never-opened.keras", spec)
    assert info.value.where == f"{tmp_path / 'never-opened.keras'}: config.json"


def test_messages_stay_on_one_line_whatever_the_file_holds(tmp_path: Path) -> None:
    config = lesson_config()
    config["config"]["layers"][1]["config"]["evil\nkey"] = 1
    error = refused(with_config(tmp_path, config), "Dense has no setting")
    assert "\n" not in error.message and "\n" not in error.where
