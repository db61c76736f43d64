"""model.weights.h5 of functional models with merges and MultiHeadAttention, written by Keras:
the registry's layout (a variable's store, a type's empty sublayer groups) matches the groups
Keras writes, the checker passes such a file and reads the same arrays as `layer.get_weights()`,
and refuses the file once a sublayer's weights are missing, reshaped or joined by a stranger."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from nnstudio.core.keras_archive import ArchiveError
from nnstudio.core.layers import by_config_class
from nnstudio.core.spec import LayerSpec
from nnstudio.core.weights_check import SavedLayer, check_weights_file, read_weights_file, saved_layer, weights_group

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")


def _transformer_block() -> keras.Model:
    """Query, context and key inputs; attention with a key and a gate, a residual Add, a Concatenate,
    a Dot, a second attention on rank-4 inputs over two axes, and Attention and AdditiveAttention
    (whose scales are their own variables)."""
    layers = keras.layers
    query = keras.Input((4, 6), name="query")
    context = keras.Input((5, 7), name="context")
    key = keras.Input((5, 3), name="key")
    attended = layers.MultiHeadAttention(2, 3, use_gate=True, name="attention")(query, context, key)
    residual = layers.Add(name="residual")([query, attended])
    projected = layers.Dense(6, name="project")(residual)
    joined = layers.Concatenate(name="join")([residual, projected])
    similarity = layers.Dot(axes=2, normalize=True, name="similarity")([joined, joined])
    images = keras.Input((2, 3, 5), name="images")
    spatial = layers.MultiHeadAttention(3, 2, value_dim=4, use_bias=False, attention_axes=(1, 2), name="spatial")(
        images, images
    )
    scored = layers.Attention(use_scale=True, score_mode="concat", name="scored")([query, projected])
    additive = layers.AdditiveAttention(name="additive")([residual, residual])
    return keras.Model([query, context, key, images], [similarity, spatial, scored, additive])


def _expected(model: keras.Model) -> dict[str, SavedLayer]:
    """The registry's layout of every layer of `model`, named as Keras names the groups."""
    counts: dict[str, int] = {}
    expected = {}
    for layer in model.layers:
        kind = by_config_class(type(layer).__name__)
        group = weights_group(kind.class_name, counts)
        if kind.is_input:
            expected[group] = SavedLayer(layer.name, ())
            continue
        config = json.loads(json.dumps(layer.get_config()))  # as config.json holds it
        settings = {p.name: p.kind.from_config(p.key, config[p.key]) for p in kind.params}
        tensors = layer.input if isinstance(layer.input, list) else [layer.input]
        spec = LayerSpec(kind.class_name, layer.name, settings)
        expected[group] = saved_layer(spec, [tuple(t.shape[1:]) for t in tensors])
    return expected


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[keras.Model, Path]:
    model = _transformer_block()
    rng = np.random.default_rng(0)
    for layer in model.layers:
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    folder = tmp_path_factory.mktemp("mha")
    model.save(folder / "model.keras")
    with zipfile.ZipFile(folder / "model.keras") as archive:
        (folder / "model.weights.h5").write_bytes(archive.read("model.weights.h5"))
    return model, folder / "model.weights.h5"


def test_the_registry_layout_is_the_one_keras_writes(saved):
    model, path = saved
    expected = _expected(model)
    check_weights_file(path, expected, "model.weights.h5")
    arrays = read_weights_file(path, expected, "model.weights.h5")
    for layer in model.layers:
        real = layer.get_weights()
        assert len(arrays[layer.name]) == len(real), layer.name
        for ours, theirs in zip(arrays[layer.name], real, strict=True):
            assert np.array_equal(ours, theirs), layer.name
    attention = expected["multi_head_attention"]
    assert [s for s, _ in attention.stored] == [
        "query_dense",
        "query_dense",
        "key_dense",
        "key_dense",
        "_gate_dense",
        "_gate_dense",
        "value_dense",
        "value_dense",
        "output_dense",
        "output_dense",
    ]
    with h5py.File(path, "r") as h5:
        groups = set(h5["layers/multi_head_attention"])
    assert groups == {"vars", *attention.empty, *(s for s, _ in attention.stored)}


def _tampered(path: Path, tmp_path: Path, change) -> Path:
    copy = tmp_path / "tampered.h5"
    shutil.copy(path, copy)
    with h5py.File(copy, "r+") as h5:
        change(h5)
    return copy


def _replace(h5, name: str, shape: tuple) -> None:
    del h5[name]
    h5.create_dataset(name, data=np.zeros(shape, np.float32))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda h5: h5.__delitem__("layers/multi_head_attention/key_dense"),
            "no weights stored for its part 'key_dense'",
        ),
        (
            lambda h5: _replace(h5, "layers/multi_head_attention/value_dense/vars/0", (7, 2, 4)),
            "weight 0 has shape (7, 2, 4), the config needs (7, 2, 3)",
        ),
        (lambda h5: h5.create_group("layers/multi_head_attention/stranger"), "unexpected entry 'stranger'"),
        (
            lambda h5: h5.create_dataset("layers/multi_head_attention/_softmax/vars/0", data=np.zeros(2, np.float32)),
            "1 weight arrays stored, the config needs 0",
        ),
        (
            lambda h5: h5.create_dataset("layers/multi_head_attention_1/output_dense/vars/1", data=np.zeros(7)),
            "2 weight arrays stored, the config needs 1",
        ),
    ],
)
def test_a_changed_sublayer_is_refused(saved, tmp_path, change, message):
    model, path = saved
    with pytest.raises(ArchiveError) as refused:
        check_weights_file(_tampered(path, tmp_path, change), _expected(model), "model.weights.h5")
    assert message in str(refused.value)


def test_the_sequential_layout_still_reads_plain_vars(tmp_path):
    """A layer without sublayers keeps its variables in its own `vars` (the Sequential case)."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        data = archive.read("model.weights.h5")
    (tmp_path / "w.h5").write_bytes(data)
    expected = {"dense": saved_layer(LayerSpec("Dense", "d", {"units": 2}), [(3,)])}
    check_weights_file(tmp_path / "w.h5", expected, "w")
    got = read_weights_file(tmp_path / "w.h5", expected, "w")["d"]
    assert [a.shape for a in got] == [(3, 2), (2,)]
    with h5py.File(io.BytesIO(data)) as h5:
        assert set(h5["layers/dense"]) == {"vars"}
