"""Re-analysing an edited model reuses what the edit left untouched (per layer object, per graph),
and gives exactly what analysing the same model afresh gives."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from nnstudio.core import graph, summary
from nnstudio.core.layers.base import LayerType
from nnstudio.core.memo import IdentityMemo
from nnstudio.core.spec import ModelSpec, TensorRef
from nnstudio.core.summary import analyze
from tests.core.applications_topology import application_model
from tests.core.graph_builder import GraphBuilder, residual


def fresh(spec: ModelSpec) -> ModelSpec:
    """The same model sharing no object with `spec` (nothing can be reused from its analysis)."""
    return copy.deepcopy(spec)


def test_the_memo_reuses_a_result_only_for_the_same_object_and_extra():
    memo: IdentityMemo[list[int]] = IdentityMemo(limit=3)
    calls = []

    def compute(value: int):
        return lambda: calls.append(value) or [value]

    key, twin = ["a"], ["a"]
    assert memo.get(key, 1, compute(1)) == [1]
    assert memo.get(key, 1, compute(2)) == [1]  # kept
    assert memo.get(key, 2, compute(3)) == [3]  # other extra
    assert memo.get(twin, 2, compute(4)) == [4]  # equal, but another object
    assert calls == [1, 3, 4]
    for value in range(5):
        memo.get([value], 0, compute(value))
    assert len(memo) <= 3, "emptied once it reaches its limit"


def head_index(spec: ModelSpec) -> int:
    return max(i for i, layer in enumerate(spec.layers) if layer.class_name == "Dense")


def edits(spec: ModelSpec) -> dict[str, ModelSpec]:
    head = head_index(spec)
    layer = spec.layers[head]
    first_conv = next(i for i, lay in enumerate(spec.layers) if lay.class_name == "Conv2D")
    return {
        "units": spec.with_layer(head, layer.with_params(units=17)),
        "bad setting": spec.with_layer(head, layer.with_params(units=-3)),
        "rename": spec.with_layer(first_conv, dataclasses.replace(spec.layers[first_conv], name="renamed_conv")),
        "class": spec.with_layer(head, dataclasses.replace(layer, class_name="Dropout", params={"rate": 0.5})),
        "kernel": spec.with_layer(first_conv, spec.layers[first_conv].with_params(kernel_size=[5, 5])),
        "removed": spec.removed(head),
    }


@pytest.mark.parametrize("edit", ["units", "bad setting", "rename", "class", "kernel", "removed"])
def test_an_edited_model_is_analysed_as_afresh(edit):
    spec = application_model("ResNet50")
    analyze(spec)
    edited = edits(spec)[edit]
    assert analyze(edited) == analyze(fresh(edited))
    assert analyze(spec) == analyze(fresh(spec)), "and back (undo)"


def test_a_renamed_layer_is_named_so_in_the_graph_problems():
    spec = residual()
    unused = dataclasses.replace(spec.layers[1], inbound=((TensorRef("x"),),))  # hidden now fed by x only
    broken = spec.with_layer(
        2, dataclasses.replace(spec.layers[2], inbound=((TensorRef("x"), TensorRef("nowhere")),))
    ).with_layer(1, unused)
    messages = [issue.message for issue in analyze(broken).issues]
    assert any(m.startswith("add:") for m in messages)
    renamed = broken.with_layer(2, dataclasses.replace(broken.layers[2], name="join"))
    messages = [issue.message for issue in analyze(renamed).issues]
    assert any(m.startswith("join:") for m in messages) and not any(m.startswith("add:") for m in messages)
    assert analyze(renamed) == analyze(fresh(renamed))


def test_a_settings_edit_checks_and_infers_only_the_edited_layer_again(monkeypatch):
    spec = application_model("ResNet50")
    analyze(spec)
    checked, inferred = [], []
    check_layer, infer = summary.check_layer, LayerType.infer
    monkeypatch.setattr(summary, "check_layer", lambda i, layer: checked.append(i) or check_layer(i, layer))
    monkeypatch.setattr(LayerType, "infer", lambda kind, *args: inferred.append(kind.class_name) or infer(kind, *args))
    head = head_index(spec)
    analyze(edits(spec)["units"])
    assert checked == [head], "only the edited layer's settings are checked again"
    assert inferred == ["Dense"], "only the edited layer's shapes and weights are inferred again (nothing follows it)"
    checked.clear(), inferred.clear()
    first_conv = next(i for i, lay in enumerate(spec.layers) if lay.class_name == "Conv2D")
    analyze(spec.with_layer(first_conv, spec.layers[first_conv].with_params(filters=32)))
    assert checked == [first_conv]
    assert 1 < len(inferred) < len(spec.layers) // 2, "the layers fed other shapes, not the whole model"


def test_the_graph_walk_is_kept_for_a_settings_edit_and_redone_for_a_new_connection():
    spec = application_model("ResNet50")
    head = head_index(spec)
    graph.calls_to_outputs(spec)
    walk = graph._output_walk(spec)
    edited = edits(spec)["units"]
    assert graph.same_graph(spec, edited)
    assert graph._output_walk(edited) is walk
    rewired = spec.with_layer(head, dataclasses.replace(spec.layers[head], inbound=((TensorRef(spec.layers[1].id),),)))
    assert not graph.same_graph(spec, rewired)
    assert graph._output_walk(rewired) is not walk
    assert graph.keras_order(rewired) == graph.keras_order(fresh(rewired))


def shared_dense() -> ModelSpec:
    """x -> shared -> shared (the same Dense called twice) -> out."""
    g = GraphBuilder("shared")
    x = g.input("x", [8])
    once = g.call("Dense", "shared", x, units=8)
    twice = g.call("Dense", "shared", once)
    return g.model(g.call("Dense", "out", twice, units=2))


def test_a_settings_edit_of_a_sound_graph_reuses_its_calls_and_rows(monkeypatch):
    spec = application_model("ResNet50")
    before = analyze(spec)
    assert before.ok
    monkeypatch.setattr(summary, "infer_calls", lambda *args: pytest.fail("the whole graph was inferred again"))
    head = head_index(spec)
    edited = analyze(edits(spec)["units"])
    touched = [k for k, (old, new) in enumerate(zip(before.rows, edited.rows, strict=True)) if old is not new]
    assert [edited.rows[k].index for k in touched] == [head], "every other row is the kept object"
    assert edited.rows[touched[0]].output_shape == (17,)
    monkeypatch.undo()
    assert edited == analyze(fresh(edits(spec)["units"]))


@pytest.mark.parametrize(
    "make, edit",
    [
        (
            residual,
            lambda s: s.with_layer(0, s.layers[0].with_params(shape=[5])).with_layer(
                1, s.layers[1].with_params(units=5)
            ),
        ),  # an Input's shape, and what its other reader gives
        (residual, lambda s: s.with_layer(1, s.layers[1].with_params(units=3))),  # the Add's inputs now differ
        (shared_dense, lambda s: s.with_layer(1, s.layers[1].with_params(units=6))),  # its 2nd call gets 6, not 8
        (shared_dense, lambda s: s.with_layer(2, s.layers[2].with_params(units=4))),
    ],
    ids=["input shape", "breaks a merge", "breaks a shared layer", "after a shared layer"],
)
def test_edits_that_reach_inputs_merges_and_shared_layers_are_analysed_as_afresh(make, edit):
    spec = make()
    assert analyze(spec).ok
    edited = edit(spec)
    assert analyze(edited) == analyze(fresh(edited))
    assert analyze(spec) == analyze(fresh(spec)), "and back"
    assert analyze(edited) == analyze(fresh(edited)), "and again, from the sound model"


def test_a_broken_edit_then_its_repair_are_each_analysed_as_afresh():
    spec = residual()
    analyze(spec)
    broken = spec.with_layer(1, spec.layers[1].with_params(units=3))
    assert not analyze(broken).ok
    repaired = broken.with_layer(1, broken.layers[1].with_params(units=8))
    assert analyze(repaired) == analyze(fresh(repaired)) and analyze(repaired).ok
    summary.forget_analyses()
    assert analyze(repaired) == analyze(fresh(repaired))
