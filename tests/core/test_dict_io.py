"""A functional model called with dicts (`keras.Model({"age": a, "city": c}, {"price": p, "kind": k})`):
read from Keras's config with its keys, kept in projects, kept in step through graph edits, and
written as a dict by the generated code. Its inputs and outputs follow the keys' order, as Keras
flattens a dict; its summary lists the layers in Keras's order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.graph_edit import delete_layer, toggle_output
from nnstudio.core.keras_archive import ArchiveError, parse_keras_config
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.spec import TensorRef
from nnstudio.core.summary import analyze


def tensor(name: str, size: int) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, size], "dtype": "float32", "keras_history": [name, 0, 0]},
    }


def layer(class_name: str, name: str, config: dict[str, Any], inbound: list[Any] | None = None) -> dict[str, Any]:
    entry = {"module": "keras.layers", "class_name": class_name, "config": {"name": name, **config}}
    entry["name"] = name
    entry["inbound_nodes"] = inbound or []
    return entry


def dense(name: str, units: int) -> dict[str, Any]:
    config = {"units": units, "activation": "linear", "use_bias": True, "trainable": True, "dtype": "float32"}
    return layer("Dense", name, config, [{"args": [tensor("concatenate", 5)], "kwargs": {}}])


def document() -> dict[str, Any]:
    """What Keras 3.15 writes for the model in the module docstring (the layers in its order)."""
    inputs = [
        layer("InputLayer", n, {"batch_shape": [None, s], "dtype": "float32", "sparse": False, "ragged": False})
        for n, s in (("age", 3), ("city", 2))
    ]
    merge = layer(
        "Concatenate",
        "concatenate",
        {"axis": -1, "trainable": True, "dtype": "float32"},
        [{"args": [[tensor("age", 3), tensor("city", 2)]], "kwargs": {}}],
    )
    return {
        "module": "keras",
        "class_name": "Functional",
        "config": {
            "name": "houses",
            "trainable": True,
            "layers": [*inputs, merge, dense("kind", 2), dense("price", 1)],
            "input_layers": {"city": ["city", 0, 0], "age": ["age", 0, 0]},
            "output_layers": {"price": ["price", 0, 0], "kind": ["kind", 0, 0]},
        },
        "registered_name": "Functional",
    }


def read(config: dict[str, Any]):
    return parse_keras_config(json.dumps(config).encode())


def test_dict_inputs_and_outputs_are_read_with_their_keys_in_keras_order() -> None:
    spec = read(document())
    assert spec.dict_input_keys() == ("age", "city") and spec.inputs == (TensorRef("age"), TensorRef("city"))
    assert spec.dict_output_keys() == ("kind", "price") and spec.outputs == (TensorRef("kind"), TensorRef("price"))
    summary = analyze(spec)
    assert summary.ok
    assert [row.name for row in summary.rows] == ["age", "city", "concatenate", "kind", "price"]


def test_a_project_keeps_the_keys() -> None:
    spec = read(document())
    text = dumps_project(spec)
    assert json.loads(text)["outputs"] == {"kind": ["kind", 0, 0], "price": ["price", 0, 0]}
    again, _editor = loads_project(text)
    assert again == spec


@pytest.mark.parametrize(
    ("outputs", "fragment"),
    [
        ({"": ["kind", 0, 0]}, "a key must not be empty"),
        ({"a\x00b": ["kind", 0, 0]}, "printable"),
        ({"one": ["kind", 0, 0], "two": ["kind", 0, 0]}, "under two keys"),
        ({"one": ["nowhere", 0, 0]}, "nowhere"),
        ({"one": {"nested": ["kind", 0, 0]}}, "kind"),
    ],
)
def test_keys_a_file_cannot_hold_are_refused_in_both_formats(outputs: dict, fragment: str) -> None:
    config = document()
    config["config"]["output_layers"] = outputs
    with pytest.raises(ArchiveError) as archive_error:
        read(config)
    project = json.loads(dumps_project(read(document())))
    project["outputs"] = outputs
    with pytest.raises(ProjectError) as project_error:
        loads_project(json.dumps(project))
    if fragment != "kind":  # a nested value is refused as a reference, in each format's words
        assert fragment in str(archive_error.value) and fragment in str(project_error.value)


def test_graph_edits_keep_the_keys_in_step() -> None:
    spec = read(document())
    without_kind = toggle_output(spec, "kind")
    assert without_kind.dict_output_keys() == ("price",)
    back = toggle_output(without_kind, "kind")
    assert back.dict_output_keys() == ("kind", "price") and back.outputs == spec.outputs
    merged_only = toggle_output(toggle_output(without_kind, "concatenate"), "price")
    assert merged_only.output_keys == ((TensorRef("concatenate"), "concatenate"),)
    assert delete_layer(spec, "price").dict_output_keys() == ("concatenate", "kind")  # its input takes its place


def test_the_generated_code_calls_the_model_with_dicts() -> None:
    script = python_script(read(document()))
    assert 'inputs={"age": age, "city": city},' in script
    assert 'outputs={"kind": kind, "price": price},' in script
