"""The model as a graph: stable ids, explicit connections, the chain special case, version 2 files."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.layers.registry import layer_type
from nnstudio.core.project import ProjectError, dumps_project, loads_project
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef, lesson_spec


def _dense(name: str, *inbound: TensorRef) -> LayerSpec:
    kind = layer_type("Dense")
    return LayerSpec("Dense", name, kind.stored({**kind.defaults(), "units": 8}), inbound=(inbound,))


def _residual() -> ModelSpec:
    """Input -> Dense a -> Dense b; Add(a, b) -> output: a small functional graph."""
    layers = (
        LayerSpec("Input", "input_layer", {"shape": [8]}),
        _dense("a", TensorRef("input_layer")),
        _dense("b", TensorRef("a")),
        LayerSpec("Add", "add", {}, inbound=((TensorRef("a"), TensorRef("b")),)),
    )
    return ModelSpec("residual", layers, inputs=(TensorRef("input_layer"),), outputs=(TensorRef("add"),))


def test_layers_get_their_names_as_ids_and_a_free_variant_when_taken():
    spec = ModelSpec(layers=(LayerSpec("Dense", "dense", id="dense_1"), LayerSpec("Dense", "dense_1")))
    assert spec.ids() == ("dense_1", "dense_1_1")
    assert lesson_spec().ids() == ("input_layer", "dense", "dense_1")


def test_a_rename_keeps_the_id_and_a_new_layer_never_takes_an_old_id():
    spec = lesson_spec()
    renamed = spec.with_layer(1, LayerSpec("Dense", "hidden", spec.layers[1].params))
    assert renamed.layers[1].id == "dense" and renamed.layers[1].name == "hidden"
    added = renamed.inserted(2, renamed.new_layer("Dense", units=3))
    assert added.layers[2].name == "dense" and added.layers[2].id == "dense_2"
    assert len(set(added.ids())) == len(added.layers)


def test_a_chain_spells_out_its_connections_and_becomes_a_graph_and_back():
    spec = lesson_spec()
    assert not spec.is_functional and spec.is_chain()
    assert spec.connections(0) == () and spec.connections(2) == ((TensorRef("dense"),),)
    graph = spec.as_graph()
    assert graph.is_functional and graph.is_chain()
    assert graph.inputs == (TensorRef("input_layer"),) and graph.outputs == (TensorRef("dense_1"),)
    assert graph.as_chain() == spec


def test_a_graph_with_a_merge_is_no_chain():
    spec = _residual()
    assert spec.is_functional and not spec.is_chain()
    assert spec.connections(3) == ((TensorRef("a"), TensorRef("b")),)
    with pytest.raises(ValueError):
        spec.as_chain()


def test_a_sequential_project_whose_ids_are_its_names_stays_version_1():
    assert json.loads(dumps_project(lesson_spec()))["version"] == 1


def test_a_renamed_layer_writes_version_2_and_reads_back_with_its_id():
    spec = lesson_spec()
    spec = spec.with_layer(2, LayerSpec("Dense", "logits", spec.layers[2].params))
    text = dumps_project(spec)
    document = json.loads(text)
    assert document["version"] == 2 and document["layers"][2]["id"] == "dense_1"
    assert "id" not in document["layers"][1] and "outputs" not in document
    assert loads_project(text)[0] == spec


def test_a_functional_project_round_trips_with_its_connections():
    spec = _residual()
    document = json.loads(dumps_project(spec))
    assert document["inputs"] == [["input_layer", 0, 0]] and document["outputs"] == [["add", 0, 0]]
    assert document["layers"][3]["inbound"] == [[["a", 0, 0], ["b", 0, 0]]]
    assert loads_project(dumps_project(spec))[0] == spec


@pytest.mark.parametrize(
    ("change", "message", "path"),
    [
        (
            lambda d: d["layers"][3]["inbound"][0].append(["nowhere", 0, 0]),
            "which is no layer's id",
            "$.layers[3].inbound[0][2]",
        ),
        (lambda d: d["layers"][1].update(inbound=[[["a", 0]]]), "expected a reference", "$.layers[1].inbound[0][0]"),
        (lambda d: d["layers"][2].update(id="a"), "two layers have the id 'a'", "$.layers[2].id"),
        (lambda d: d.pop("inputs"), 'needs both "inputs" and "outputs"', "$"),
        (lambda d: d.update(outputs=[]), "at least one output", "$.outputs"),
        (lambda d: d.update(outputs=[["add", True, 0]]), "expected a reference", "$.outputs[0]"),
        (lambda d: d.update(version=1), "unknown key 'inputs'", "$.inputs"),
    ],
)
def test_bad_graph_entries_are_refused_with_their_path(change, message, path):
    document = json.loads(dumps_project(_residual()))
    change(document)
    with pytest.raises(ProjectError) as info:
        loads_project(json.dumps(document))
    assert message in info.value.message
    assert info.value.path == path
