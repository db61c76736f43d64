"""export_keras / load_keras: plain Keras loads what we write, weights survive bit for bit, writes are atomic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.core.summary import analyze
from tests.keras_io.models import every_layer, make, rank1, rank3

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, layer_weights  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from nnstudio.keras_io.load import load_keras  # noqa: E402


@pytest.fixture
def archive():
    """`register(path, spec)`: checks that the core archive reader (no Keras) reads `spec` from `path`."""
    from nnstudio.core.keras_archive import read_keras_config

    def register(path, spec):
        got = read_keras_config(path)
        assert [layer.name for layer in got.layers] == [layer.name for layer in spec.layers]
        assert (got.compile.loss, got.compile.optimizer, got.compile.metrics) == (
            spec.compile.loss,
            spec.compile.optimizer,
            spec.compile.metrics,
        )
        assert got.compile.effective_learning_rate() == pytest.approx(spec.compile.effective_learning_rate())

    return register


def random_weights(model, seed: int = 0) -> None:
    """Give every variable of `model` random, non-trivial values (positive where a variance is)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.set_weights([np.abs(rng.standard_normal(w.shape)).astype(w.dtype) + 0.1 for w in layer.get_weights()])


def assert_bit_equal(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name], strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y), name


@pytest.mark.filterwarnings("error::UserWarning")  # e.g. "Skipping variable loading for optimizer"
@pytest.mark.parametrize("factory", [lesson_spec, every_layer, rank1, rank3])
def test_export_loads_in_plain_keras(tmp_path, factory):
    spec = factory()
    path = tmp_path / "model.keras"
    export_keras(spec, path)
    model = keras.saving.load_model(path)  # plain Keras, compile settings restored
    summary = analyze(spec)
    assert model.name == spec.name
    assert [layer.name for layer in model.layers] == [row.name for row in summary.rows]
    assert [type(layer).__name__ for layer in model.layers] == [row.class_name for row in summary.rows]
    for layer, layer_spec in zip(model.layers, spec.layers[1:], strict=True):
        if layer_spec.class_name in ("Dense", "Activation"):
            assert layer.get_config()["activation"] == layer_spec.get("activation")
    assert model.count_params() == summary.total_params
    config = model.get_compile_config()
    assert config["loss"] == spec.compile.loss
    assert type(model.optimizer).__name__.lower() == spec.compile.optimizer
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(
        spec.compile.effective_learning_rate(), rel=1e-6
    )
    assert (config["metrics"] or []) == list(spec.compile.metrics)


def test_export_with_weights_is_bit_equal(tmp_path):
    spec = every_layer()
    model = build_model(spec)
    random_weights(model, seed=3)
    weights = layer_weights(model)
    export_keras(spec, tmp_path / "m.keras", weights)
    assert_bit_equal(layer_weights(keras.saving.load_model(tmp_path / "m.keras", compile=False)), weights)


def keras_written(path: Path) -> dict:
    """A model written by plain Keras (not through nnstudio), with random weights; returns its weights."""
    model = keras.Sequential(
        [
            keras.Input(shape=(6,), name="input_layer"),
            keras.layers.Dense(8, activation="relu", name="dense"),
            keras.layers.BatchNormalization(name="batch_normalization"),
            keras.layers.Dropout(0.2, name="dropout"),
            keras.layers.LayerNormalization(name="layer_normalization"),
            keras.layers.Dense(3, activation="softmax", name="dense_1"),
        ],
        name="from_keras",
    )
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.02))
    random_weights(model, seed=7)
    model.save(path)
    return layer_weights(model)


KERAS_WRITTEN_SPEC = make(
    "from_keras",
    [
        ("Input", "input_layer", {"shape": [6]}),
        ("Dense", "dense", {"units": 8, "activation": "relu"}),
        ("BatchNormalization", "batch_normalization", {}),
        ("Dropout", "dropout", {"rate": 0.2}),
        ("LayerNormalization", "layer_normalization", {}),
        ("Dense", "dense_1", {"units": 3, "activation": "softmax"}),
    ],
    CompileSpec("categorical_crossentropy", "sgd", 0.02),
)


def test_keras_written_file_reexports_bit_equal(tmp_path, archive):
    original = tmp_path / "original.keras"
    written = keras_written(original)
    archive(original, KERAS_WRITTEN_SPEC)
    spec, weights = load_keras(original)
    assert_bit_equal(weights, written)
    out = tmp_path / "again.keras"
    export_keras(spec, out, weights)
    assert_bit_equal(layer_weights(keras.saving.load_model(out, compile=False)), written)
    archive(out, spec)
    spec_again, weights_again = load_keras(out)
    assert spec_again.layers == spec.layers
    assert_bit_equal(weights_again, written)


def test_load_never_hands_the_files_config_to_keras(tmp_path, archive, monkeypatch):
    """The config and weights are read by the core (checked, then h5py); Keras deserialises nothing."""
    original = tmp_path / "original.keras"
    written = keras_written(original)
    archive(original, KERAS_WRITTEN_SPEC)
    for name in ("load_model", "load_weights"):
        monkeypatch.setattr(keras.saving, name, lambda *a, **k: pytest.fail("Keras read the file"), raising=False)
    monkeypatch.setattr(
        keras.saving, "deserialize_keras_object", lambda *a, **k: pytest.fail("Keras parsed the config")
    )
    spec, weights = load_keras(original)
    assert spec == KERAS_WRITTEN_SPEC.with_compile(spec.compile) and spec.name == "from_keras"
    assert_bit_equal(weights, written)


def test_load_refuses_a_tampered_weights_file(tmp_path):
    """The real weights check refuses a file whose weights do not match its config."""
    import zipfile

    from nnstudio.core.keras_archive import ArchiveError

    good, other = tmp_path / "good.keras", tmp_path / "other.keras"
    export_keras(lesson_spec(), good)
    export_keras(lesson_spec().with_layer(1, lesson_spec().layers[1].with_params(units=65)), other)
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(other) as donor, zipfile.ZipFile(bad, "w") as out:
        for info in src.infolist():
            source = donor if info.filename == "model.weights.h5" else src
            out.writestr(info.filename, source.read(info.filename))
    with pytest.raises(ArchiveError):
        load_keras(bad)


# -- atomic writes ---------------------------------------------------------------------------


def _failing_save(monkeypatch):
    """Make Keras's save write half a file and then fail."""

    def save_model(model, filepath, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.saving, "save_model", save_model)


def test_failed_export_leaves_no_file(tmp_path, monkeypatch):
    _failing_save(monkeypatch)
    with pytest.raises(OSError):
        export_keras(lesson_spec(), tmp_path / "new.keras")
    assert list(tmp_path.iterdir()) == []


def test_failed_export_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "old.keras"
    export_keras(lesson_spec(), path)
    before = path.read_bytes()
    _failing_save(monkeypatch)
    with pytest.raises(OSError):
        export_keras(every_layer(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["old.keras"]


def test_export_replaces_and_keeps_ordinary_permissions(tmp_path):
    path = tmp_path / "m.keras"
    export_keras(lesson_spec(), path)
    export_keras(rank1(), path)
    assert keras.saving.load_model(path, compile=False).name == "rank1"
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]
    assert path.stat().st_mode & 0o044  # readable by others like any saved file (umask permitting)


def test_export_refuses_other_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras"):
        export_keras(lesson_spec(), tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


def test_load_an_archive_by_another_name(tmp_path):
    original = tmp_path / "original.keras"
    written = keras_written(original)
    renamed = tmp_path / "model.bin"
    renamed.write_bytes(original.read_bytes())
    spec, weights = load_keras(renamed)
    assert spec.name == "from_keras"
    assert_bit_equal(weights, written)


def test_initializers_do_not_run_for_layers_whose_weights_are_given(tmp_path, monkeypatch):
    """An Orthogonal kernel on a big Dense costs minutes: with the file's weights at hand it never runs,
    yet the exported config still names it; a layer whose weights do not fit gets it run after all."""
    from nnstudio.keras_io.build import build_model

    spec = make(
        "ortho",
        [("Input", "x", {"shape": [5]}), ("Dense", "d", {"units": 4, "kernel_initializer": "orthogonal"})],
    )
    weights = {"d": [np.full((5, 4), 0.5, "float32"), np.ones(4, "float32")]}
    calls = []
    real_call = keras.initializers.Orthogonal.__call__

    def spy(self, shape, dtype=None):
        calls.append(tuple(shape))
        return real_call(self, shape, dtype=dtype)

    monkeypatch.setattr(keras.initializers.Orthogonal, "__call__", spy)
    path = tmp_path / "o.keras"
    export_keras(spec, path, weights)
    assert calls == []
    model = keras.saving.load_model(path, compile=False)  # plain Keras runs it on load: that is its business
    assert type(model.layers[0].kernel_initializer).__name__ == "Orthogonal"
    assert np.array_equal(model.layers[0].get_weights()[0], weights["d"][0])
    calls.clear()
    misfit = build_model(spec, {"d": [np.zeros((3, 4), "float32"), np.ones(4, "float32")]}, strict=False)
    assert calls == [(5, 4)]
    kernel = misfit.layers[0].get_weights()[0]
    assert np.allclose(kernel.T @ kernel, np.eye(4), atol=1e-5)  # orthogonal columns, not zeros


@pytest.mark.engine
@pytest.mark.parametrize(
    "spec",
    [
        make("a model ✓ (v2) — «ok»", [("Input", "x", {"shape": [3]}), ("Dense", "d", {"units": 2})]),
        make("eight_axes", [("Input", "x", {"shape": [2] * 8}), ("Dense", "d", {"units": 2})]),
        make(
            "options",
            [("Input", "x", {"shape": [3]}), ("Dense", "d", {"units": 2})],
            CompileSpec("binary_crossentropy", "sgd", 0.05, ("auc",), {"momentum": 0.5}, {"label_smoothing": 0.1}),
        ),
    ],
)
def test_what_nnstudio_exports_its_own_reader_reads_back(tmp_path, spec):
    """Round trips for everything nnstudio writes: an export, and the project saved from it."""
    from nnstudio.core.keras_archive import read_keras_config
    from nnstudio.core.project import dumps_project, loads_project
    from nnstudio.core.summary import analyze
    from nnstudio.core.weights_check import check_keras_weights

    assert analyze(spec).ok
    path = tmp_path / "m.keras"
    export_keras(spec, path)
    again = read_keras_config(path)
    check_keras_weights(path, again)
    assert again.name == spec.name and again.layers[1:] == spec.layers[1:]
    assert again.layers[0].get("shape") == spec.layers[0].get("shape")
    assert again.compile.optimizer_kwargs() == spec.compile.optimizer_kwargs()
    assert again.compile.loss_kwargs() == spec.compile.loss_kwargs()
    assert loads_project(dumps_project(again))[0] == again
