"""build_model / keras_summary / layer_weights, compared with Keras itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core.spec import CompileSpec, LayerSpec, lesson_spec
from nnstudio.core.summary import analyze, summary_json, summary_text
from tests.keras_io.models import ALL, every_layer, make

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import BuildError, build_model, keras_summary, layer_weights  # noqa: E402


@pytest.fixture(scope="module")
def built():
    """Each hand-picked spec and its Keras model, built once for the module."""
    return {name: (factory(), build_model(factory())) for name, factory in ALL.items()}


def analytic(spec) -> dict:
    """The analytic summary in keras_summary's form (CLI JSON plus per-layer counts)."""
    summary = analyze(spec)
    assert summary.ok, summary.issues
    data = summary_json(summary)
    for entry, row in zip(data["layers"], summary.rows, strict=True):
        entry["trainable"] = row.trainable
        entry["non_trainable"] = row.non_trainable
    return data


@pytest.mark.parametrize("name", list(ALL))
def test_analytic_summary_equals_keras(built, name):
    spec, model = built[name]
    assert keras_summary(model) == analytic(spec)


@pytest.mark.parametrize("name", ["lesson", "every_layer", "rank3", "long_names"])
def test_summary_text_equals_keras_print(built, name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # Keras sizes its table to the terminal; a pipe counts as 80
    spec, model = built[name]
    capsys.readouterr()
    model.summary()
    assert capsys.readouterr().out.rstrip("\n") == summary_text(analyze(spec))


def test_names_are_explicit_input_included(built):
    spec, model = built["every_layer"]
    assert model.name == "every_layer"
    assert model._layers[0].name == "features"
    assert [layer.name for layer in model.layers] == [layer.name for layer in spec.layers[1:]]
    # building twice in one process never yields dense_7-style names
    again = build_model(spec)
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]


def test_catalog_params_reach_keras(built):
    _spec, model = built["every_layer"]
    layers = {layer.name: layer for layer in model.layers}
    hidden = layers["hidden"].get_config()
    assert hidden["units"] == 8 and hidden["activation"] == "tanh" and hidden["use_bias"] is False
    assert hidden["kernel_initializer"]["class_name"] == "HeNormal"
    assert layers["out"].get_config()["bias_initializer"]["class_name"] == "Ones"
    assert np.all(layers["out"].get_weights()[1] == 1.0)
    assert layers["act"].get_config()["activation"] == "sigmoid"
    assert layers["drop"].rate == 0.25
    bn = layers["bn"].get_config()
    assert (bn["center"], bn["scale"], bn["momentum"], bn["epsilon"]) == (False, True, 0.9, 0.01)
    ln = layers["ln"].get_config()
    assert (ln["center"], ln["scale"], ln["epsilon"]) == (True, False, 1e-5)
    assert tuple(layers["reshape"].get_config()["target_shape"]) == (4, -1)


@pytest.mark.parametrize(
    ("name", "loss", "optimizer", "lr", "metrics"),
    [
        ("lesson", "mean_squared_error", "Adam", 0.001, None),
        ("every_layer", "categorical_crossentropy", "SGD", 0.05, ["accuracy", "auc"]),
        ("rank1", "binary_crossentropy", "RMSprop", 0.001, ["binary_accuracy"]),
        ("rank3", "sparse_categorical_crossentropy", "AdamW", 0.0003, ["sparse_categorical_accuracy"]),
    ],
)
def test_compiled_with_spec_settings(built, name, loss, optimizer, lr, metrics):
    _spec, model = built[name]
    config = model.get_compile_config()
    assert config["loss"] == loss
    assert config["optimizer"]["class_name"] == optimizer
    assert config["optimizer"]["config"]["learning_rate"] == pytest.approx(lr, rel=1e-6)
    assert config["metrics"] == metrics


def test_layer_weights_in_get_weights_order(built):
    _spec, model = built["every_layer"]
    weights = layer_weights(model)
    assert list(weights) == [layer.name for layer in model.layers]
    bn = model.get_layer("bn")
    assert [w.shape for w in weights["bn"]] == [tuple(v.shape) for v in bn.weights]
    assert all(isinstance(a, np.ndarray) for arrays in weights.values() for a in arrays)
    assert weights["hidden"][0].shape == (6, 8) and len(weights["hidden"]) == 1


def test_weights_are_set_bit_exact():
    spec = lesson_spec()
    rng = np.random.default_rng(1)
    given = {
        "dense": [rng.standard_normal((20, 64)).astype("float32"), rng.standard_normal(64).astype("float32")],
        "dense_1": [rng.standard_normal((64, 10)).astype("float32"), rng.standard_normal(10).astype("float32")],
    }
    got = layer_weights(build_model(spec, given))
    for name, arrays in given.items():
        assert all(np.array_equal(a, b) for a, b in zip(arrays, got[name], strict=True))


def test_weights_that_do_not_fit():
    spec = lesson_spec()
    bad = {"dense": [np.zeros((3, 64), "float32"), np.zeros(64, "float32")], "ghost": []}
    with pytest.raises(BuildError, match="dense: weights of shapes"):
        build_model(spec, {"dense": bad["dense"]})
    with pytest.raises(BuildError, match="ghost"):
        build_model(spec, {"ghost": []})
    model = build_model(spec, bad, strict=False)  # skipped, not raised
    assert layer_weights(model)["dense"][0].shape == (20, 64)


def test_keras_refusal_names_the_layer():
    spec = make(
        "bad",
        [
            ("Input", "input_layer", {"shape": [6]}),
            ("Dense", "dense", {"units": 5}),
            ("Reshape", "reshape", {"target_shape": [3, 2]}),
            ("Dense", "dense_1", {"units": 2}),
        ],
    )
    with pytest.raises(BuildError) as info:
        build_model(spec)
    assert info.value.layer_name == "reshape"
    assert str(info.value).startswith("reshape: Keras could not build the model: ")
    assert str(info.value) == (
        "reshape: Keras could not build the model: The total size of the tensor must be unchanged. "
        "Received: input_shape=(5,), target_shape=(3, 2)"
    )


def test_compile_default_learning_rate_and_explicit():
    spec = every_layer().with_compile(CompileSpec("mean_squared_error", "adagrad"))
    assert build_model(spec).optimizer.learning_rate.numpy() == pytest.approx(0.001)
    spec = spec.with_compile(CompileSpec("mean_squared_error", "adagrad", 0.5))
    assert build_model(spec).optimizer.learning_rate.numpy() == pytest.approx(0.5)


def test_spec_layers_untouched_by_build():
    layer = LayerSpec("Input", "input_layer", {"shape": [20]})
    spec = lesson_spec().with_layer(0, layer)
    build_model(spec)
    assert layer.params == {"shape": [20]}


def test_importing_keras_io_does_not_import_keras():
    code = (
        "import sys, nnstudio.keras_io, nnstudio.keras_io.build, nnstudio.keras_io.export, nnstudio.keras_io.load;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 7976, 1024**2 - 1, 400_000_000, 40_008_800_000, 5 * 1024**4, 2**61])
def test_readable_bytes_is_keras_s(size):
    from keras.src.utils.summary_utils import readable_memory_size

    from nnstudio.core.summary import readable_bytes

    assert readable_bytes(size) == readable_memory_size(size)
