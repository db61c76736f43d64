"""Optimizer and loss settings other than Keras's defaults: read from `.keras` files, kept in the
spec, saved in project files, dropped when the optimizer or loss changes. No Keras here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.codegen import loss_expression, optimizer_expression, python_script
from nnstudio.core.codegen_train import training_script
from nnstudio.core.compile_options import LOSS_DEFAULTS, OPTIMIZER_DEFAULTS, is_default
from nnstudio.core.keras_archive import ArchiveError, read_keras_config
from nnstudio.core.project import ProjectError, parse_document, spec_to_dict
from nnstudio.core.spec import CompileSpec, lesson_spec
from tests.core.test_keras_archive_corpus import adam_compile, lesson_config

SGD_WRITTEN = {
    "module": "keras.optimizers",
    "class_name": "SGD",
    "config": {
        "name": "SGD",
        "learning_rate": 0.009999999776482582,
        **OPTIMIZER_DEFAULTS["sgd"],
        "momentum": 0.9,
        "nesterov": True,
    },
    "registered_name": None,
}
CCE_WRITTEN = {
    "module": "keras.losses",
    "class_name": "CategoricalCrossentropy",
    "config": {
        "name": "categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": True,
        "label_smoothing": 0.1,
        "axis": -1,
    },
    "registered_name": None,
}


def write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    import zipfile

    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
    return path


def with_compile(tmp_path: Path, optimizer: Any, loss: Any) -> CompileSpec:
    config = lesson_config()
    config["compile_config"] = adam_compile()
    config["compile_config"]["optimizer"] = optimizer
    config["compile_config"]["loss"] = loss
    return read_keras_config(write_config(tmp_path, config)).compile


def test_reader_keeps_only_settings_that_differ_from_kerass_defaults(tmp_path):
    spec = with_compile(tmp_path, SGD_WRITTEN, CCE_WRITTEN)
    assert spec == CompileSpec(
        "categorical_crossentropy",
        "sgd",
        0.01,
        (),
        optimizer_options={"momentum": 0.9, "nesterov": True},
        loss_options={"from_logits": True, "label_smoothing": 0.1},
    )
    assert spec.optimizer_kwargs() == {"momentum": 0.9, "nesterov": True}
    assert spec.loss_kwargs() == {"from_logits": True, "label_smoothing": 0.1}
    hash(spec)  # still usable as a key


def test_a_plain_adam_file_keeps_no_options(tmp_path):
    full_adam = {
        "module": "keras.optimizers",
        "class_name": "Adam",
        "config": {"name": "adam", **OPTIMIZER_DEFAULTS["adam"]},
    }
    cce = {**CCE_WRITTEN, "config": {"name": "cce", **LOSS_DEFAULTS["categorical_crossentropy"]}}
    spec = with_compile(tmp_path, full_adam, cce)
    assert spec.optimizer_options == () and spec.loss_options == ()
    assert spec.learning_rate is None


def test_adamw_weight_decay_default_is_its_own(tmp_path):
    adamw = {"module": "keras.optimizers", "class_name": "AdamW", "config": {**OPTIMIZER_DEFAULTS["adamw"]}}
    assert with_compile(tmp_path, adamw, "mse").optimizer_options == ()
    adam = {"module": "keras.optimizers", "class_name": "Adam", "config": {"weight_decay": 0.004}}
    assert with_compile(tmp_path, adam, "mse").optimizer_options == (("weight_decay", 0.004),)


def test_huber_delta_and_a_null_dtype_are_accepted(tmp_path):
    huber = {"module": "keras.losses", "class_name": "Huber", "config": {"name": "h", "delta": 2.0, "dtype": None}}
    spec = with_compile(tmp_path, "adam", huber)
    assert (spec.loss, spec.loss_kwargs()) == ("huber", {"delta": 2.0})


@pytest.mark.parametrize(
    ("optimizer", "loss", "fragment"),
    [
        (
            {**SGD_WRITTEN, "config": {"momentum": {"class_name": "X", "config": {}}}},
            "mse",
            "optimizer setting 'momentum' must be a plain value",
        ),
        ({**SGD_WRITTEN, "config": {"amsgrad": True}}, "mse", "optimizer SGD has no setting 'amsgrad'"),
        ("adam", {**CCE_WRITTEN, "config": {"from_logits": [[1]]}}, "the loss's settings must be plain values"),
        ("adam", {**CCE_WRITTEN, "config": {"delta": 1.0}}, "loss CategoricalCrossentropy has no setting 'delta'"),
        ("adam", {**CCE_WRITTEN, "config": {"reduction": "x" * 300}}, "longer than 256"),
    ],
)
def test_refused_settings(tmp_path, optimizer, loss, fragment):
    with pytest.raises(ArchiveError) as info:
        with_compile(tmp_path, optimizer, loss)
    assert fragment in str(info.value)


def test_a_setting_another_keras_version_writes_is_skipped_while_it_is_off(tmp_path):
    sgd = {**SGD_WRITTEN, "config": {"momentum": 0.9, "future_option": None, "future_flag": False}}
    spec = with_compile(tmp_path, sgd, "mse")
    assert spec.optimizer_kwargs() == {"momentum": 0.9}


def test_is_default():
    assert is_default(0, 0.0) and is_default(None, None) and is_default(-1, -1)
    assert not is_default(1, True) and not is_default(0, False) and not is_default(0.9, 0.0)
    assert not is_default("0", 0)


def test_spec_options_are_sorted_hashable_and_json_back():
    spec = CompileSpec(optimizer="sgd", optimizer_options={"nesterov": True, "momentum": 0.9})
    assert spec.optimizer_options == (("momentum", 0.9), ("nesterov", True))
    assert spec == CompileSpec(optimizer="sgd", optimizer_options=(("momentum", 0.9), ("nesterov", True)))
    listed = CompileSpec(loss="binary_focal_crossentropy", loss_options={"alpha": [0.2, 0.8]})
    assert hash(listed) == hash(CompileSpec(loss="binary_focal_crossentropy", loss_options={"alpha": (0.2, 0.8)}))
    assert listed.loss_kwargs() == {"alpha": [0.2, 0.8]}


def test_changing_the_optimizer_or_loss_drops_its_options_only():
    spec = CompileSpec("categorical_crossentropy", "sgd", 0.01, (), {"momentum": 0.9}, {"from_logits": True})
    assert spec.edited(learning_rate=0.1, metrics=("accuracy",)).optimizer_options == (("momentum", 0.9),)
    other = spec.edited(optimizer="adam")
    assert other.optimizer_options == () and other.loss_options == (("from_logits", True),)
    other = spec.edited(loss="huber")
    assert other.loss_options == () and other.optimizer_options == (("momentum", 0.9),)
    assert spec.edited(optimizer="sgd") == spec


def test_project_files_keep_options_and_old_files_still_load():
    spec = lesson_spec().with_compile(
        CompileSpec(
            "categorical_crossentropy", "sgd", 0.01, (), {"momentum": 0.9, "nesterov": True}, {"from_logits": True}
        )
    )
    document = json.loads(json.dumps(spec_to_dict(spec)))
    assert document["compile"]["optimizer_options"] == {"momentum": 0.9, "nesterov": True}
    assert document["compile"]["loss_options"] == {"from_logits": True}
    assert parse_document(document)[0] == spec
    plain = json.loads(json.dumps(spec_to_dict(lesson_spec())))
    assert "optimizer_options" not in plain["compile"] and "loss_options" not in plain["compile"]
    assert parse_document(plain)[0].compile == CompileSpec()


@pytest.mark.parametrize(
    ("options", "fragment", "where"),
    [
        ({"optimizer_options": {"amsgrad": True}}, "unknown setting 'amsgrad'", "$.compile.optimizer_options.amsgrad"),
        ({"loss_options": {"from_logits": {"a": 1}}}, "found an object", "$.compile.loss_options.from_logits"),
        ({"loss_options": [1]}, "expected an object", "$.compile.loss_options"),
    ],
)
def test_project_refuses_bad_options(options, fragment, where):
    document = json.loads(json.dumps(spec_to_dict(lesson_spec())))
    document["compile"].update(optimizer="sgd", loss="categorical_crossentropy", **options)
    with pytest.raises(ProjectError) as info:
        parse_document(document)
    assert fragment in str(info.value) and where in str(info.value)


def test_codegen_writes_the_options():
    spec = CompileSpec(
        "categorical_crossentropy", "sgd", 0.01, (), {"momentum": 0.9, "nesterov": True}, {"from_logits": True}
    )
    assert optimizer_expression(spec) == "keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)"
    assert optimizer_expression(spec.edited(learning_rate=None)) == "keras.optimizers.SGD(momentum=0.9, nesterov=True)"
    assert loss_expression(spec) == "keras.losses.CategoricalCrossentropy(from_logits=True)"
    assert loss_expression(spec.edited(loss_options={})) == '"categorical_crossentropy"'
    model = lesson_spec().with_compile(spec)
    assert "    loss=keras.losses.CategoricalCrossentropy(from_logits=True)," in python_script(model)
    train = training_script(model)
    assert "        loss=keras.losses.CategoricalCrossentropy(from_logits=True)," in train  # inside build_model()
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)," in train
    assert 'TARGETS = "classes"' in train
