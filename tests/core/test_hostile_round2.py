"""Hostile input, round 2: each defect class of the second hostile pass, refused or handled at its root.

Pure core (no Keras): build shapes that disagree with the inferred ones, uncapped lists, quadratic
walkers, zip directories bigger than the member cap, names and numbers that do not round-trip.
"""

from __future__ import annotations

import copy
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core import csv_data, keras_archive
from nnstudio.core.csv_data import CsvError
from nnstudio.core.keras_archive import ArchiveError, parse_keras_config, read_keras_config
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import Summary, analyze
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


# -- 3. caps on every list and string a file can carry ----------------------------------------------

LESSON_PROJECT = json.loads(dumps_project(lesson_spec()))


def project_refused(edit: Callable[[dict[str, Any]], None], fragment: str, where: str = "") -> ProjectError:
    document = copy.deepcopy(LESSON_PROJECT)
    edit(document)
    with pytest.raises(ProjectError) as info:
        loads_project(json.dumps(document))
    assert fragment in info.value.message, info.value.message
    assert where in info.value.path, info.value.path
    assert len(str(info.value)) < 400 and str(info.value).isprintable()
    return info.value


@pytest.mark.parametrize("metrics", [["accuracy"] * 1000, ["accuracy"] * 20_000, [f"m{i}" for i in range(17)]])
def test_a_long_metrics_list_is_refused_by_both_readers(metrics: list[str]) -> None:
    project_refused(lambda d: d["compile"].update(metrics=metrics), "metrics; the limit is 16", "$.compile.metrics")
    config = lesson_config()
    config["compile_config"]["metrics"] = metrics
    refused(config, "metrics; the limit is 16", "$.compile_config.metrics")


def test_a_metric_listed_twice_is_refused_by_both_readers_and_validation() -> None:
    project_refused(
        lambda d: d["compile"].update(metrics=["accuracy", "auc", "accuracy"]), "listed twice", "$.compile.metrics"
    )
    config = lesson_config()
    config["compile_config"]["metrics"] = ["accuracy", "acc"]  # one metric under two names
    refused(config, "the metric 'accuracy' is listed twice")
    issues = analyze(lesson_spec().with_compile(CompileSpec(metrics=("auc", "auc")))).issues
    assert [i.message for i in issues] == ["compile: the metric 'auc' is listed twice"]


HUGE = "x" * 4_000_000


@pytest.mark.parametrize(
    ("edit", "fragment", "where"),
    [
        (lambda d: d.update(name=HUGE), "a name must be a printable text", "$.name"),
        (lambda d: d.update(name="evil\x1b]0;title\x07\nok: forged"), "printable", "$.name"),
        (lambda d: d["layers"][1].update(name=HUGE), "a name must be", "$.layers[1].name"),
        (lambda d: d["layers"][1].update(activation=HUGE), "longer than 256", "$.layers[1].activation"),
        (lambda d: d["layers"][1].update({HUGE: 1}), "unknown key 'xxx", "$.layers[1].xxxxx"),
        (lambda d: d["layers"][1].update(class_name=HUGE), "unknown layer class 'xxx", "$.layers[1].class_name"),
        (lambda d: d["compile"].update(loss=HUGE), "longer than 256", "$.compile.loss"),
        (lambda d: d["compile"].update(metrics=[HUGE]), "longer than 256", "$.compile.metrics[0]"),
        (lambda d: d["compile"].update(optimizer_options={f"k{i}": 1 for i in range(40)}), "the limit is 32", ""),
        (lambda d: d["compile"].update(optimizer="x", optimizer_options={HUGE: 1}), "unknown setting", ""),
        (lambda d: d["compile"].update(learning_rate=10**400), "about 401 digits", "$.compile.learning_rate"),
        (lambda d: d["layers"][0].update(shape=[1] * 65), "too long for a setting", "$.layers[0].shape"),
    ],
)
def test_project_strings_lists_and_numbers_are_capped(edit, fragment: str, where: str) -> None:
    project_refused(edit, fragment, where)


def test_a_project_with_a_float_past_the_double_range_is_refused() -> None:
    text = dumps_project(lesson_spec()).replace('"learning_rate": null', '"learning_rate": 1e400')
    with pytest.raises(ProjectError, match="1e400 is not a number a model can use"):
        loads_project(text)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c["config"].update(name=HUGE), "a name must be a printable text"),
        (lambda c: c["config"].update(name="a/b"), "a name cannot contain '/'"),
        (lambda c: c["config"]["layers"][1]["config"].update(activation=HUGE), "longer than 256"),
        (lambda c: c["config"]["layers"][1]["config"].update({HUGE: 1}), "has no setting 'xxx"),
        (lambda c: c["config"]["layers"][1]["config"].update(units=10**400), "absurdly large"),
        (lambda c: c["config"].update({HUGE: [{"a": 1}] * 10_000}), "unexpected key 'xxx"),
    ],
)
def test_keras_strings_lists_and_numbers_are_capped(edit, fragment: str) -> None:
    config = lesson_config()
    edit(config)
    error = refused(config, fragment)
    assert len(str(error)) < 400


def test_a_keras_setting_the_project_reader_would_refuse_is_refused_on_opening() -> None:
    """A momentum of 10**400 used to open, then its saved project was refused (and autosave recovery lost it)."""
    config = lesson_config()
    config["compile_config"]["optimizer"] = {
        "module": "keras.optimizers",
        "class_name": "SGD",
        "config": {"name": "SGD", "learning_rate": 0.01, "momentum": 10**400},
        "registered_name": None,
    }
    refused(config, "absurdly large", "$.compile_config.optimizer.config.momentum")
    config["compile_config"]["optimizer"]["config"]["momentum"] = 1e300  # finite: opens, validation refuses
    spec = parsed(config)
    assert loads_project(dumps_project(spec))[0] == spec
    assert "`momentum` must be in the range [0, 1]" in analyze(spec).issues[0].message
    data = json.dumps(config).replace("1e+300", "1e400").encode()
    with pytest.raises(ArchiveError, match="1e400 is not a number"):
        parse_keras_config(data)


# -- 4. linear-time walkers and analysis ------------------------------------------------------------


def test_json_paths_are_built_only_for_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long key above many objects: the walk makes no path text per object (it was quadratic)."""
    built = []
    real = keras_archive.JsonPath.__str__
    monkeypatch.setattr(keras_archive.JsonPath, "__str__", lambda self: built.append(1) or real(self))
    config = lesson_config()
    config["config"]["k" * 200_000] = [{"a": [1, {"b": 2}]}] * 5_000
    error = refused(config, "unexpected key 'kkk")
    assert len(built) <= 2
    assert len(str(error)) < 300


class CountingIssues(tuple):
    """A tuple of issues that counts how often it is scanned."""

    scans = 0

    def __iter__(self):  # type: ignore[override]
        CountingIssues.scans += 1
        return super().__iter__()


def test_issues_of_a_layer_come_from_an_index_not_a_scan() -> None:
    layers = 2_000
    spec = ModelSpec(
        layers=(
            lesson_spec().layers[0],
            *(LayerSpec("Dense", f"d{i}", {**lesson_spec().layers[1].params, "units": -1}) for i in range(layers)),
        )
    )
    summary = analyze(spec)
    assert len(summary.issues) >= layers
    counted = Summary(summary.name, summary.input_shape, summary.rows, CountingIssues(summary.issues))
    CountingIssues.scans = 0
    found = [counted.issues_for(i) for i in range(1, layers + 1)]  # what the layer list asks, row by row
    assert CountingIssues.scans <= 1
    assert all(len(f) == 1 and "units must be a positive integer" in f[0].message for f in found)


# -- 4. the zip's member count, from its end records, before zipfile parses -------------------------


def zip_with_directory(path: Path, entries: int, directory_bytes: int, zip64: bool = False) -> Path:
    """A file whose end records claim `entries` members in a directory of `directory_bytes` bytes."""
    directory = b"\x00" * directory_bytes
    count = min(entries, 0xFFFF)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, 0 if zip64 else directory_bytes, 30, 0)
    body = b"PK\x03\x04" + b"\x00" * 26 + directory
    if zip64:
        record_at = len(body)
        record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, directory_bytes, 4)
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1)
        body += record + locator
    path.write_bytes(body + end)
    return path


@pytest.mark.parametrize(
    ("entries", "size", "zip64", "fragment"),
    [
        (12_000_000, 100, True, "holds 12,000,000 members"),
        (65_535, 100, False, "holds 65,535 members"),
        (3, 1_000_000, False, "directory takes 1,000,000 bytes"),  # a count that lies about a huge directory
        (3, 1_000_000, True, "directory takes 1,000,000 bytes"),
    ],
)
def test_the_directory_is_judged_from_the_end_records_before_zipfile_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries: int, size: int, zip64: bool, fragment: str
) -> None:
    path = zip_with_directory(tmp_path / "many.keras", entries, size, zip64)
    monkeypatch.setattr(keras_archive.zipfile, "ZipFile", lambda *a, **k: pytest.fail("zipfile parsed it"))
    with pytest.raises(ArchiveError, match=fragment):
        read_keras_config(path)


def test_the_end_records_are_read_as_zipfile_reads_them(tmp_path: Path) -> None:
    import zipfile

    from nnstudio.core.zip_precheck import directory_size

    for comment in (b"", b"a comment", b"x" * 60_000):
        path = write_keras(tmp_path / "c.keras", lesson_config(), weights_bytes({"dense": [(20, 64), (64,)]}))
        with zipfile.ZipFile(path, "a") as archive:
            archive.comment = comment
        with path.open("rb") as handle, zipfile.ZipFile(path) as archive:
            entries, size = directory_size(handle, path.stat().st_size)
            infos = archive.infolist()
            assert entries == len(infos)
            assert size == sum(46 + len(i.filename.encode()) + len(i.extra) + len(i.comment) for i in infos)


def test_a_fake_end_record_in_the_comment_is_refused_as_damaged(tmp_path: Path) -> None:
    import zipfile

    path = write_keras(tmp_path / "c.keras", lesson_config(), weights_bytes({"dense": [(20, 64), (64,)]}))
    with zipfile.ZipFile(path, "a") as archive:
        archive.comment = b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, 60_000, 60_000, 10**9, 0, 0)
    with pytest.raises(ArchiveError, match="members|damaged"):
        read_keras_config(path)


# -- 4. a CSV's size and shape are checked before it is parsed --------------------------------------


def test_a_csv_over_the_byte_cap_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1,2\n" * 1000)
    monkeypatch.setattr(csv_data, "MAX_BYTES", 1000)
    monkeypatch.setattr(csv_data.csv, "reader", lambda *a, **k: pytest.fail("the file was parsed"))
    with pytest.raises(CsvError, match=r"the file is 4,004 bytes; at most 1,000 are read"):
        csv_data.load_csv(path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (",".join(f"c{i}" for i in range(200_000)) + "\n" + "1," * 199_999 + "1\n", "about 200,000 columns"),
        ("a,b,c,d\n" + "1,2,3,4\n" * 300_000, "at most 1,000,000 cells are read"),
    ],
    ids=["wide", "long"],
)
def test_a_csv_too_wide_or_too_long_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fragment: str
) -> None:
    path = tmp_path / "shape.csv"
    path.write_text(text)
    parsed_rows = []
    real_reader = csv_data.csv.reader

    def reader(*args: Any, **kwargs: Any) -> Any:
        for row in real_reader(*args, **kwargs):
            parsed_rows.append(1)
            yield row

    monkeypatch.setattr(csv_data.csv, "reader", reader)
    with pytest.raises(CsvError) as info:
        csv_data.load_csv(path)
    assert fragment in info.value.message and len(info.value.message) < 200
    assert len(parsed_rows) <= 1  # at most the header was read


def test_a_ragged_row_stops_the_reading_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3\n" + "4,5\n" * 100_000)
    rows = []
    real_reader = csv_data.csv.reader

    def reader(*args: Any, **kwargs: Any) -> Any:
        for row in real_reader(*args, **kwargs):
            rows.append(1)
            yield row

    monkeypatch.setattr(csv_data.csv, "reader", reader)
    with pytest.raises(CsvError, match="row 3: has 1 cells; expected 2"):
        csv_data.load_csv(path)
    assert len(rows) == 3


def test_csv_labels_headers_and_cells_are_escaped_and_cut_in_messages() -> None:
    evil = "x\x1b]52;c;cHduZWQ=\x07\x1b[2J" + "y" * 500
    with pytest.raises(CsvError) as info:
        csv_data.load_csv("e.csv", text=f"a,{evil}\n1,2\n3,{evil}\n")
    message = info.value.message
    assert "\x1b" not in message and "\x07" not in message and len(message) < 200, message
    assert "\\x1b" in message
    labels = "\n".join(f"1,label{i}\x1b[31m" for i in range(30))
    with pytest.raises(CsvError) as info:
        csv_data.load_csv("l.csv", text=f"x,y\n{labels}\n", loss="categorical_crossentropy", output_units=2)
    assert "\x1b" not in info.value.message and "(30 in all)" in info.value.message
    with pytest.raises(CsvError) as info:
        csv_data.load_csv("n.csv", text="a,b\n1,2\n", targets=[evil])
    assert "\x1b" not in info.value.message and len(info.value.message) < 200


def test_a_cell_over_the_cell_cap_is_refused() -> None:
    with pytest.raises(CsvError, match="a cell of 5,000 characters"):
        csv_data.load_csv("c.csv", text="a,b\n1," + "2" * 5_000 + "\n")


# -- 8. validate checks what Keras checks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("optimizer", "options", "loss", "loss_options", "fragment"),
    [
        ("sgd", {"momentum": 1e300}, "mean_squared_error", {}, "`momentum` must be in the range [0, 1]"),
        ("sgd", {"momentum": -0.1}, "mean_squared_error", {}, "`momentum` must be in the range [0, 1]"),
        ("adam", {"clipnorm": "abc"}, "mean_squared_error", {}, "`clipnorm` must be a finite number"),
        ("adam", {"beta_1": [0.9]}, "mean_squared_error", {}, "`beta_1` must be a finite number"),
        ("adam", {"amsgrad": 1}, "mean_squared_error", {}, "`amsgrad` must be true or false"),
        ("adam", {"clipnorm": 1.0, "clipvalue": 1.0}, "mean_squared_error", {}, "Only one of `clipnorm`"),
        ("adam", {"gradient_accumulation_steps": 1}, "mean_squared_error", {}, "must be an integer >= 2"),
        ("ftrl", {"learning_rate_power": 0.5}, "mean_squared_error", {}, "`learning_rate_power` must be in"),
        ("lion", {"beta_1": 0.0}, "mean_squared_error", {}, "`beta_1` must be in the range (0, 1]"),
        ("adamw", {"weight_decay": None}, "mean_squared_error", {}, "`weight_decay` must be a float"),
        ("adam", {}, "categorical_crossentropy", {"axis": "x"}, "`axis` must be an integer"),
        ("adam", {}, "categorical_crossentropy", {"axis": True}, "`axis` must be an integer"),
        ("adam", {}, "categorical_crossentropy", {"from_logits": "yes"}, "`from_logits` must be true or false"),
        ("adam", {}, "huber", {"reduction": "avg"}, "Invalid value for argument `reduction`"),
        ("adam", {}, "huber", {"delta": "one"}, "`delta` must be a finite number"),
    ],
)
def test_validation_refuses_what_keras_would(optimizer, options, loss, loss_options, fragment) -> None:
    spec = lesson_spec().with_compile(CompileSpec(loss, optimizer, None, (), options, loss_options))
    messages = [issue.message for issue in analyze(spec).issues]
    assert any(fragment in m for m in messages), messages


def test_validation_accepts_what_keras_accepts() -> None:
    for optimizer, options in [
        ("sgd", {"momentum": 0.9, "nesterov": True}),
        ("sgd", {"momentum": 1}),  # read from a file as the float Keras requires
        ("adam", {"clipnorm": 1.0, "amsgrad": True, "beta_1": 0.5}),
        ("adamw", {"weight_decay": 0.01}),
        ("ftrl", {"l1_regularization_strength": 0.1}),
        ("lion", {"beta_1": 1.0}),
    ]:
        spec = lesson_spec().with_compile(CompileSpec("categorical_crossentropy", optimizer, None, (), options))
        assert analyze(spec).ok, analyze(spec).issues


def test_an_int_where_keras_wants_a_float_is_read_as_a_float() -> None:
    document = copy.deepcopy(LESSON_PROJECT)
    document["compile"].update(optimizer="sgd", optimizer_options={"momentum": 1})
    spec = loads_project(json.dumps(document))[0]
    assert spec.compile.optimizer_kwargs() == {"momentum": 1.0}
    assert type(spec.compile.optimizer_kwargs()["momentum"]) is float


# -- 8. round trips: what one reader accepts, the other reads back ----------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec("a model ✓ (v2)", lesson_spec().layers),
        ModelSpec("deep", (LayerSpec("Input", "input_layer", {"shape": [2] * 8}), lesson_spec().layers[1])),
    ],
)
def test_what_validation_accepts_the_project_reader_reads_back(spec: ModelSpec) -> None:
    assert analyze(spec).ok
    assert loads_project(dumps_project(spec))[0] == spec


def test_a_sample_of_more_axes_than_a_keras_file_can_carry_is_an_issue() -> None:
    spec = ModelSpec("deep", (LayerSpec("Input", "input_layer", {"shape": [2] * 9}), lesson_spec().layers[1]))
    assert "shape may have at most 8 axes" in analyze(spec).issues[0].message
