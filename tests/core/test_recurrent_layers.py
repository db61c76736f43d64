"""Embedding and the recurrent layers without Keras: reading a Keras-written config (the wrapped layer
of a Bidirectional read strictly as data), the weights file's nested groups, project files,
several outputs in the summary, and made-up token data.

`data/recurrent_config.json` is the config.json Keras 3.15 wrote for
`Sequential([Input((None,), dtype="int32"), Embedding(12, 3), Bidirectional(LSTM(2,
return_sequences=True)), GRU(2), Dense(1)])`; the engine tests compare the same facts with a live
Keras.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.codegen_train import training_script
from nnstudio.core.datasets import for_spec, token_count
from nnstudio.core.keras_archive import ArchiveError, parse_keras_config, read_keras_config
from nnstudio.core.layers import layer_type
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze, summary_json, summary_text
from nnstudio.core.weights_check import check_keras_weights, expected_weight_shapes, read_keras_weights
from tests.core.test_keras_archive_corpus import write_keras

CONFIG = json.loads((Path(__file__).parent / "data" / "recurrent_config.json").read_text())
LSTM = layer_type("LSTM")


def lstm(**changes: Any) -> dict[str, Any]:
    return {"class_name": "LSTM", "name": changes.pop("name", "lstm"), **LSTM.stored({**LSTM.defaults(), **changes})}


def config_with(change) -> bytes:
    document = copy.deepcopy(CONFIG)
    change(document["config"]["layers"])
    return json.dumps(document).encode()


def bidirectional(layers: list[dict[str, Any]]) -> dict[str, Any]:
    return layers[2]["config"]


# -- reading Keras's config --------------------------------------------------------------------


def test_keras_written_config_reads_with_the_wrapped_layer_as_an_entry():
    spec = parse_keras_config(json.dumps(CONFIG).encode())
    assert [(layer.class_name, layer.name) for layer in spec.layers] == [
        ("Input", "input_layer"),
        ("Embedding", "embedding"),
        ("Bidirectional", "bidirectional"),
        ("GRU", "gru"),
        ("Dense", "dense"),
    ]
    assert spec.layers[0].get("shape") == [None] and spec.layers[0].get("dtype") == "int32"
    assert spec.layers[1].params == layer_type("Embedding").stored(
        {**layer_type("Embedding").defaults(), "input_dim": 12, "output_dim": 3}
    )
    wrapper = spec.layers[2]
    # Keras writes forward_lstm and its own backward copy: read back as the wrapped "lstm", no backward layer
    assert wrapper.get("layer") == lstm(units=2, return_sequences=True)
    assert wrapper.get("backward_layer") is None and wrapper.get("merge_mode") == "concat"
    summary = analyze(spec)
    assert summary.ok
    assert [(r.shape_text, r.params) for r in summary.rows] == [
        ("(None, None, 3)", 36),
        ("(None, None, 4)", 2 * 4 * (3 * 2 + 2 * 2 + 2)),
        ("(None, 2)", 3 * (4 * 2 + 2 * 2 + 2 * 2)),
        ("(None, 1)", 3),
    ]


def test_an_explicit_backward_layer_other_than_keras_s_copy_is_kept():
    def swap(layers):
        backward = bidirectional(layers)["backward_layer"]
        backward["class_name"] = "GRU"
        backward["config"]["name"] = "reverse"
        backward["config"].pop("unit_forget_bias")
        backward["config"]["reset_after"] = True

    spec = parse_keras_config(config_with(swap))
    backward = spec.layers[2].get("backward_layer")
    assert backward["class_name"] == "GRU" and backward["name"] == "reverse" and backward["go_backwards"] is True
    assert analyze(spec).rows[1].params == 2 * 4 * (3 + 2 + 1) + 3 * (3 * 2 + 2 * 2 + 2 * 2)


@pytest.mark.parametrize(
    ("change", "fragment", "where"),
    [
        (lambda c: c["layer"].update(module="evil.layers"), "only Keras's own are allowed", "config.layer"),
        (lambda c: c["layer"].update(class_name="Lambda"), "Lambda layers carry Python code", "layer"),
        (lambda c: c["layer"].update(class_name="Dense"), "must be a LSTM, GRU or SimpleRNN layer", "config.layer"),
        (lambda c: c["layer"]["config"].update(stateful=True), "stateful is not supported", "config.layer"),
        (
            lambda c: c["layer"]["config"].update(kernel_regularizer={"module": "keras.regularizers"}),
            "kernel_regularizer",
            "config.layer",
        ),
        (lambda c: c["layer"]["config"].update(units_extra=1), "has no setting 'units_extra'", "config.layer"),
        (lambda c: c["layer"].update(registered_name="Custom>LSTM"), "registered custom object", "layer"),
        (lambda c: c["layer"].update(shared_code="x"), "unexpected key 'shared_code'", "config.layer"),
        (
            lambda c: c["backward_layer"]["config"].update(units=3),
            "backward layer must give the forward layer's output shape",
            "config.json",
        ),
        (lambda c: c["layer"]["config"].update(units=0), "units must be a positive integer", "config.json"),
        (lambda c: c.update(merge_mode="max"), "unknown merge_mode 'max'", "config.json"),
    ],
)
def test_the_wrapped_layer_is_read_strictly_as_data(tmp_path, change, fragment, where):
    path = write_keras(
        tmp_path / "m.keras", json.loads(config_with(lambda layers: change(bidirectional(layers)))), None
    )
    with pytest.raises(ArchiveError) as info:
        read_keras_config(path)
    assert fragment in str(info.value) and where in info.value.where and "\n" not in str(info.value)


def test_a_stateful_or_state_returning_layer_in_the_middle_is_refused_in_keras_s_words():
    stateful = config_with(lambda layers: layers[3]["config"].update(stateful=True))
    with pytest.raises(ArchiveError, match="stateful"):
        parse_keras_config(stateful)
    spec = parse_keras_config(config_with(lambda layers: layers[3]["config"].update(return_state=True)))
    summary = analyze(spec)
    issue = summary.issues[0]
    assert issue.layer_name == "dense" and "expects 1 input(s), but it received 2 input tensors" in issue.message
    assert summary.rows[2].shape_text == "[(None, 2), (None, 2)]"


# -- the weights file ---------------------------------------------------------------------------


def weights_file(groups: dict[str, list[tuple[int, ...]]]) -> bytes:
    """A model.weights.h5 with datasets at the given paths (`layers/gru/cell/vars` -> shapes)."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.create_group("vars")
        for path, shapes in groups.items():
            group = h5.require_group(path)
            for i, shape in enumerate(shapes):
                group.create_dataset(str(i), data=np.zeros(shape, dtype="float32"))
    return buffer.getvalue()


SOUND = {
    "layers/embedding/vars": [(12, 3)],
    "layers/bidirectional/vars": [],
    "layers/bidirectional/forward_layer/vars": [],
    "layers/bidirectional/forward_layer/cell/vars": [(3, 8), (2, 8), (8,)],
    "layers/bidirectional/backward_layer/vars": [],
    "layers/bidirectional/backward_layer/cell/vars": [(3, 8), (2, 8), (8,)],
    "layers/gru/vars": [],
    "layers/gru/cell/vars": [(4, 6), (2, 6), (2, 6)],
    "layers/dense/vars": [(2, 1), (1,)],
}


def test_weights_kept_in_inner_groups_are_checked_where_keras_keeps_them(tmp_path):
    spec = parse_keras_config(json.dumps(CONFIG).encode())
    saved = expected_weight_shapes(spec)["gru"]
    assert (saved.name, list(saved.stored)) == ("gru", [("cell", (4, 6)), ("cell", (2, 6)), ("cell", (2, 6))])
    path = write_keras(tmp_path / "m.keras", CONFIG, weights_file(SOUND))
    check_keras_weights(path, read_keras_config(path))


def test_weights_read_without_keras_come_in_keras_s_order_from_their_groups(tmp_path):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.create_group("vars")
        for n, (path, shapes) in enumerate(SOUND.items()):
            group = h5.require_group(path)
            for i, shape in enumerate(shapes):
                group.create_dataset(str(i), data=np.full(shape, 10 * n + i, dtype="float32"))
    path = write_keras(tmp_path / "m.keras", CONFIG, buffer.getvalue())
    weights = read_keras_weights(path, read_keras_config(path))
    firsts = {name: [float(a.flat[0]) for a in arrays] for name, arrays in weights.items()}
    assert firsts == {
        "embedding": [0.0],
        "bidirectional": [30.0, 31.0, 32.0, 50.0, 51.0, 52.0],  # forward_layer/cell, then backward_layer/cell
        "gru": [70.0, 71.0, 72.0],
        "dense": [80.0, 81.0],
    }


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"layers/gru/cell/vars": [(4, 6), (2, 6), (6,)]}, "gru: weight 2 has shape (6,), the config needs (2, 6)"),
        (
            {"layers/bidirectional/backward_layer/cell/vars": [(3, 8), (2, 8)]},
            "2 weight arrays stored, the config needs 3",
        ),
        (
            {"layers/gru/cell/vars": None, "layers/gru/vars": [(4, 6), (2, 6), (2, 6)]},
            "3 weight arrays stored, the config needs 0",
        ),
        ({"layers/gru/extra/vars": [(1,)]}, "unexpected entry 'extra'"),
        (
            {"layers/bidirectional/forward_layer/cell/vars": None, "layers/bidirectional/forward_layer/vars": []},
            "no weights stored for its part 'forward_layer/cell'",
        ),
    ],
)
def test_misplaced_or_misshapen_inner_weights_are_refused(tmp_path, change, fragment):
    groups = {k: v for k, v in {**SOUND, **change}.items() if v is not None}
    path = write_keras(tmp_path / "m.keras", CONFIG, weights_file(groups))
    with pytest.raises(ArchiveError) as info:
        check_keras_weights(path, read_keras_config(path))
    assert fragment in str(info.value)


# -- project files, summary, code ----------------------------------------------------------------


def imdb_like(**bidirectional_settings: Any) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[None], dtype="int32"))
    spec = spec.inserted(1, spec.new_layer("Embedding", input_dim=50, output_dim=4))
    spec = spec.inserted(2, spec.new_layer("Bidirectional", **bidirectional_settings))
    return spec.inserted(3, spec.new_layer("Dense", units=1, activation="sigmoid"))


def test_project_files_hold_the_wrapped_layer_as_an_entry_and_read_back_the_same():
    spec = imdb_like(layer=lstm(units=3, return_sequences=False), merge_mode="ave")
    text = dumps_project(spec)
    entry = json.loads(text)["layers"][2]
    assert entry["layer"]["class_name"] == "LSTM" and entry["layer"]["units"] == 3 and entry["backward_layer"] is None
    assert loads_project(text)[0] == spec


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda e: e.update(layer={"class_name": "Dense", "name": "d"}), "must be a LSTM, GRU or SimpleRNN layer"),
        (lambda e: e["layer"].update(unitz=3), "LSTM has no setting 'unitz'"),
        (lambda e: e["layer"].update(units=[[1]]), "layer.units must be a plain value"),
        (lambda e: e["layer"].update(name=5), "the layer's name must be a string"),
        (lambda e: e.update(layer=[1, 2]), "expected a layer entry (an object), found list"),
    ],
)
def test_project_files_refuse_a_bad_wrapped_layer_at_its_path(change, fragment):
    document = json.loads(dumps_project(imdb_like()))
    change(document["layers"][2])
    with pytest.raises(ProjectError) as info:
        loads_project(json.dumps(document))
    assert fragment in info.value.message and info.value.path == "$.layers[2].layer"


def test_problems_inside_the_wrapped_layer_belong_to_its_fields():
    summary = analyze(imdb_like(layer=lstm(units=0)))
    assert [(i.field, i.message) for i in summary.issues] == [
        ("layer.units", "bidirectional: layer LSTM: units must be a positive integer. Received: units=0")
    ]
    backwards = analyze(imdb_like(layer=lstm(go_backwards=True)))
    assert backwards.issues[0].field == "layer.go_backwards" and "`go_backwards`" in backwards.issues[0].message


def test_a_last_layer_with_its_states_prints_them_as_keras_does():
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[None, 3]))
    spec = spec.inserted(1, spec.new_layer("LSTM", units=4, return_state=True))
    summary = analyze(spec)
    assert summary.ok and summary.rows[0].output_shapes == [(4,), (4,), (4,)]
    assert "│ lstm (LSTM)                     │ [(None, 4), (None, 4), │           128 │" in summary_text(summary)
    assert "│                                 │ (None, 4)]             │               │" in summary_text(summary)
    assert summary_json(summary)["layers"][0]["output_shape"] == [[None, 4], [None, 4], [None, 4]]


def test_generated_code_writes_the_wrapped_layer_with_its_name():
    script = python_script(imdb_like(layer=lstm(units=3, name="lstm_7", return_sequences=True), merge_mode=None))
    assert (
        'keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True, name="lstm_7"), merge_mode=None, '
        'name="bidirectional")' in script
    )


def test_made_up_data_for_an_embedding_is_token_ids_below_input_dim():
    spec = imdb_like()
    assert token_count(spec) == 50
    data = for_spec(spec, samples=64)
    assert data.x.dtype == np.int32 and data.x.shape == (64, 8)
    assert data.x.min() >= 0 and data.x.max() == 49 and len(np.unique(data.x)) == 50
    small = spec.with_layer(1, spec.layers[1].with_params(input_dim=3))
    assert set(np.unique(for_spec(small, samples=64).x)) == {0, 1, 2}
    assert "TOKENS = 50" in training_script(spec)


def test_without_an_embedding_integer_inputs_stay_small_numbers():
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4], dtype="int32"))
    spec = spec.inserted(1, spec.new_layer("Dense", units=2))
    assert token_count(spec) is None and "TOKENS = None" in training_script(spec)
    assert for_spec(spec, samples=32).x.max() <= 15
