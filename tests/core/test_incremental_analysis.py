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
from tests.core.graph_builder import residual


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
