"""Recurrent layers called with `initial_state=[...]` (Keras's character-level seq2seq example:
the decoder LSTM starts from the encoder's h and c), read from Keras's config without Keras,
summarised as Keras prints it, kept by `.nnstudio`, written back as code.

`data/functional_seq2seq_config.json` is the config.json Keras 3.15 wrote for
keras.io/examples/nlp/lstm_seq2seq: Inputs (None, 71) and (None, 93), `LSTM(256, return_state=True)`
on the first, `LSTM(256, return_sequences=True, return_state=True)(decoder_inputs,
initial_state=[state_h, state_c])`, `Dense(93, softmax)`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.keras_archive import ArchiveError, parse_keras_config
from nnstudio.core.project import dumps_project, loads_project
from nnstudio.core.spec import TensorRef
from nnstudio.core.summary import analyze, summary_json

DATA = Path(__file__).parent / "data"
SEQ2SEQ = json.loads((DATA / "functional_seq2seq_config.json").read_text())


def document() -> dict[str, Any]:
    return copy.deepcopy(SEQ2SEQ)


def decoder_entry(config: dict[str, Any]) -> dict[str, Any]:
    return next(entry for entry in config["config"]["layers"] if entry["config"]["name"] == "lstm_6")


def refused(config: dict[str, Any], *fragments: str) -> str:
    with pytest.raises(ArchiveError) as info:
        parse_keras_config(json.dumps(config).encode())
    text = str(info.value)
    assert "\n" not in text
    for fragment in fragments:
        assert fragment in text, text
    return text


def test_the_decoder_reads_its_sequences_then_the_encoder_states() -> None:
    spec = parse_keras_config(json.dumps(SEQ2SEQ).encode())
    assert spec.layer_by_id("lstm_6").inbound == (
        (TensorRef("input_layer_9"), TensorRef("lstm_5", 0, 1), TensorRef("lstm_5", 0, 2)),
    )
    summary = analyze(spec)
    assert summary.ok
    rows = {row["name"]: row for row in summary_json(summary)["layers"]}
    assert rows["lstm_6"]["connected_to"] == [["input_layer_9", 0, 0], ["lstm_5", 0, 1], ["lstm_5", 0, 2]]
    assert rows["lstm_6"]["output_shape"] == [[None, None, 256], [None, 256], [None, 256]]
    assert rows["lstm_6"]["params"] == 358_400


def test_a_project_keeps_the_states_and_code_passes_them_as_initial_state() -> None:
    spec = parse_keras_config(json.dumps(SEQ2SEQ).encode())
    again, _editor = loads_project(dumps_project(spec))
    assert again == spec
    script = python_script(spec)
    assert "(input_layer_9, initial_state=[lstm_5[1], lstm_5[2]])" in script
    assert "(input_layer_8)\n" in script  # the encoder has no states: a plain call


def _state(name: str, tensor: int, size: int = 256) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, size], "dtype": "float32", "keras_history": [name, 0, tensor]},
    }


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda kw: kw.__setitem__("initial_state", _state("lstm_5", 1)), ("lstm_6", "list of 2 tensors (h, c)")),
        (lambda kw: kw.__setitem__("initial_state", []), ("lstm_6", "non-empty list")),
        (lambda kw: kw["initial_state"].__setitem__(1, 0.0), ("lstm_6", "must be tensors of the model")),
        (lambda kw: kw["initial_state"].__setitem__(1, "print(1)"), ("lstm_6", "must be tensors of the model")),
        (lambda kw: kw["initial_state"].pop(), ("lstm_6", "list of 2 tensors (h, c)", "Received: 1 tensor")),
        (lambda kw: kw["initial_state"].append(_state("lstm_5", 0)), ("list of 2 tensors", "Received: 3 tensors")),
        (lambda kw: kw["initial_state"].__setitem__(0, _state("nowhere", 0)), ("lstm_6", "nowhere")),
    ],
)
def test_initial_state_that_is_not_two_tensor_references_is_refused(change: Any, fragments: tuple[str, ...]) -> None:
    config = document()
    change(decoder_entry(config)["inbound_nodes"][0]["kwargs"])
    refused(config, *fragments)


def test_a_state_of_the_wrong_size_is_refused_at_the_layer_in_keras_s_words() -> None:
    config = document()
    encoder = next(e for e in config["config"]["layers"] if e["config"]["name"] == "lstm_5")
    encoder["config"]["units"] = 128
    refused(config, "lstm_6", "Dimensions must be equal, but are 128 and 256", "initial_state h")


def test_build_shapes_of_the_states_are_checked() -> None:
    config = document()
    decoder_entry(config)["build_config"]["shapes_dict"]["initial_state_shape"][1] = [None, 99999]
    refused(config, "lstm_6", "build shape")
    config = document()
    decoder_entry(config)["build_config"]["shapes_dict"]["memory"] = [None, 4]
    refused(config, "unexpected key 'memory'")


def test_initial_state_of_another_layer_type_is_refused_with_the_reason() -> None:
    config = document()
    dense = next(e for e in config["config"]["layers"] if e["config"]["name"] == "dense_9")
    dense["inbound_nodes"][0]["kwargs"]["initial_state"] = [_state("lstm_6", 1)]
    refused(config, "dense_9", "Dense called with initial_state is not supported", "SimpleRNN, LSTM and GRU")
