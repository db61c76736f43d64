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
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(spec.compile.effective_learning_rate(), rel=1e-6)
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


def test_load_runs_core_checks_before_keras(tmp_path, monkeypatch):
    """A file the core checks refuse never reaches keras.saving.load_model."""
    from nnstudio.core import keras_archive, weights_check

    path = tmp_path / "m.keras"
    export_keras(lesson_spec(), path)
    order: list[str] = []
    real_read = keras_archive.read_keras_config

    def read_keras_config(p, *args, **kwargs):
        order.append("read")
        return real_read(p, *args, **kwargs)

    def check_keras_weights(p, spec):
        order.append("check")
        raise keras_archive.ArchiveError("weights refused", str(p))

    monkeypatch.setattr(keras_archive, "read_keras_config", read_keras_config)
    monkeypatch.setattr(weights_check, "check_keras_weights", check_keras_weights)
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: pytest.fail("Keras loaded a refused file"))
    with pytest.raises(keras_archive.ArchiveError, match="weights refused"):
        load_keras(path)
    assert order == ["read", "check"]


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


def test_load_uses_safe_mode(tmp_path, archive, monkeypatch):
    path = tmp_path / "m.keras"
    export_keras(lesson_spec(), path)
    archive(path, lesson_spec())
    seen = {}
    real = keras.saving.load_model

    def spy(p, **kwargs):
        seen.update(kwargs)
        return real(p, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    load_keras(path)
    assert seen == {"safe_mode": True, "compile": False}


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
