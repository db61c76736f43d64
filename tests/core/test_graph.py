"""The graph's structure: every refusal at the layer at fault, the order of calls, Keras's order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nnstudio.core.graph import GraphError, graph_problems, keras_order, sequential_like, topological_calls
from nnstudio.core.spec import ModelSpec, TensorRef, lesson_spec
from nnstudio.core.summary import analyze, summary_json, summary_text
from tests.core.graph_builder import GraphBuilder, residual


def rewired(spec: ModelSpec, name: str, *calls: tuple[TensorRef, ...]) -> ModelSpec:
    position = spec.index_of(name)
    return spec.with_layer(position, replace(spec.layers[position], inbound=tuple(calls)))


def messages(spec: ModelSpec) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for issue in graph_problems(spec):
        found.setdefault(issue.layer_name, []).append(issue.message)
    return found


def test_a_sound_graph_has_no_problems_and_a_chain_none_by_construction():
    assert graph_problems(residual()) == []
    assert analyze(residual()).ok
    assert graph_problems(lesson_spec()) == []


def test_a_cycle_is_refused_at_each_layer_on_it():
    spec = rewired(residual(), "hidden", (TensorRef("out"),))
    found = messages(spec)
    for name in ("hidden", "add", "out"):
        assert any("part of a cycle" in m for m in found[name]), found
    assert "cycle (out -> hidden -> add -> out)" in found["hidden"][0]
    with pytest.raises(GraphError, match="cycle"):
        topological_calls(spec)
    summary = analyze(spec)
    assert not summary.ok and {r.name for r in summary.rows if r.error} >= {"hidden", "add", "out"}


def test_a_layer_feeding_itself_is_a_cycle():
    spec = rewired(residual(), "hidden", (TensorRef("hidden"),))
    assert any("cycle (hidden -> hidden)" in m for m in messages(spec)["hidden"])


def test_a_reference_to_a_missing_layer_or_call_is_refused_at_the_layer():
    missing = rewired(residual(), "hidden", (TensorRef("ghost"),))
    assert messages(missing)["hidden"] == ["hidden: its input names a layer that is not in the model (id 'ghost')"]
    no_call = rewired(residual(), "add", (TensorRef("x"), TensorRef("hidden", 1)))
    assert messages(no_call)["add"] == ["add: its input hidden[1][0] names call 2 of hidden, which is called once"]
    input_tensor = rewired(residual(), "hidden", (TensorRef("x", 0, 1),))
    assert messages(input_tensor)["hidden"] == ["hidden: its input x[0][1] does not exist: an Input gives 1 output"]


def test_a_tensor_the_layer_does_not_give_is_refused_with_its_count():
    g = GraphBuilder()
    x = g.input("steps", [None, 3])
    out = g.call("LSTM", "lstm", x, units=4)
    spec = g.model(g.call("Dense", "dense", TensorRef(out.layer, 0, 2), units=2))
    summary = analyze(spec)
    assert [i.message for i in summary.issues] == ["dense: its input lstm[0][2] does not exist: lstm gives 1 output(s)"]
    assert summary.issues[0].layer_index == spec.index_of("dense")
    states = spec.with_layer(spec.index_of("lstm"), spec.layers[1].with_params(return_state=True))
    assert analyze(states).ok


def test_an_unconnected_input_is_refused():
    spec = rewired(residual(), "add")
    assert messages(spec)["add"] == ["add: its inputs are not connected"]
    spec = rewired(residual(), "hidden")
    assert messages(spec)["hidden"] == ["hidden: its input is not connected"]


def test_a_wrong_number_of_inputs_is_refused_in_keras_words():
    one = rewired(residual(), "add", (TensorRef("hidden"),))
    assert analyze(one).ok  # Keras's merges accept a single tensor in a list
    two = rewired(residual(), "out", (TensorRef("add"), TensorRef("hidden")))
    assert messages(two)["out"] == ["out: A `Dense` layer should be called on exactly 1 input. Received: 2 inputs"]
    g = GraphBuilder()
    q = g.input("q", [4, 8])
    spec = g.model(g.call("MultiHeadAttention", "mha", q, num_heads=2, key_dim=4))
    assert messages(spec)["mha"] == [
        "mha: A `MultiHeadAttention` layer should be called on 2 to 3 inputs. Received: 1 input"
    ]


def test_an_unused_branch_and_an_unused_call_are_refused():
    g = GraphBuilder()
    x = g.input("x", [8])
    h = g.call("Dense", "hidden", x, units=8)
    g.call("Dense", "dead_end", h, units=3)
    g.call("Dense", "hidden", h)  # a second call nothing uses
    spec = g.model(h)
    found = messages(spec)
    assert found["dead_end"] == [
        "dead_end: it is not used on the way to any output (connect it onward, or make it a model output)"
    ]
    assert found["hidden"] == ["hidden: call 2 is not used on the way to any output"]
    assert not analyze(spec).ok


def test_model_inputs_and_outputs_that_are_wrong():
    spec = residual()
    assert messages(replace(spec, inputs=()))[None] == ["model: a functional model needs at least one input"]
    not_input = messages(replace(spec, inputs=(TensorRef("hidden"),)))
    assert "hidden: it is listed as a model input, but only an Input can be one" in not_input["hidden"]
    assert "x: this Input feeds the model but is not one of the model's inputs" in not_input["x"]
    twice = messages(replace(spec, inputs=(TensorRef("x"), TensorRef("x"))))
    assert twice["x"] == ["x: it is listed twice among the model's inputs"]
    ghost = messages(replace(spec, outputs=(TensorRef("ghost"),)))
    assert "model: output 1 names a layer that is not in the model (id 'ghost')" in ghost[None]
    call = messages(replace(spec, outputs=(TensorRef("out", 1),)))
    assert call["out"][0] == "out: the model output out[1][0] names call 2 of out, which is called once"


def test_an_input_the_model_lists_but_no_output_uses_is_kept_as_keras_keeps_it():
    g = GraphBuilder()
    x = g.input("x", [8])
    g.input("spare", [3])
    spec = g.model(g.call("Dense", "out", x, units=2))
    summary = analyze(spec)
    assert summary.ok
    assert [r.name for r in summary.rows] == ["x", "spare", "out"]  # Keras puts it at depth 0, first there


def test_an_input_with_inbound_connections_is_refused():
    spec = rewired(residual(), "x", (TensorRef("hidden"),))
    assert "x: an Input takes no input: it is where data enters" in messages(spec)["x"]


def test_a_shared_layer_called_on_an_input_of_another_size_is_refused():
    g = GraphBuilder()
    a = g.input("a", [8])
    b = g.input("b", [4])
    first = g.call("Dense", "shared", a, units=3)
    second = g.call("Dense", "shared", b)
    spec = g.model(g.call("Add", "add", first, second))
    issues = analyze(spec).issues
    assert [i.message for i in issues] == [
        "shared: call 2 gets (None, 4), but the weights it shares with call 1 were made for (None, 8)"
    ]
    assert issues[0].layer_name == "shared"


def test_shape_errors_are_keras_s_at_the_merge():
    g = GraphBuilder()
    a = g.input("a", [8])
    b = g.input("b", [4])
    spec = g.model(g.call("Add", "add", a, b))
    (issue,) = analyze(spec).issues
    assert issue.layer_name == "add" and "Inputs have incompatible shapes" in issue.message


def test_calls_are_ordered_after_what_feeds_them_and_keras_order_ignores_spec_order():
    spec = residual()
    backwards = ModelSpec(spec.name, tuple(reversed(spec.layers)), inputs=spec.inputs, outputs=spec.outputs)
    order = topological_calls(backwards)
    names = [backwards.layers[p].name for p, _c in order]
    assert names == ["x", "hidden", "add", "out"]
    assert [backwards.layers[p].name for p in keras_order(backwards)] == ["x", "hidden", "add", "out"]
    assert keras_order(lesson_spec()) == (0, 1, 2)


def test_topological_calls_covers_every_call_even_unused_ones():
    g = GraphBuilder()
    x = g.input("x", [8])
    h = g.call("Dense", "hidden", x, units=8)
    g.call("Dense", "dead_end", h, units=3)
    spec = g.model(h)
    assert sorted(topological_calls(spec)) == [(0, 0), (1, 0), (2, 0)]


def test_deep_graphs_do_not_hit_the_recursion_limit():
    g = GraphBuilder()
    x = g.input("x", [4])
    for i in range(3000):
        x = g.call("Dense", f"d{i}", x, units=4)
    spec = g.model(x)
    assert len(topological_calls(spec)) == 3001
    assert analyze(spec).ok


def test_sequential_like_follows_keras_s_rule():
    assert sequential_like(lesson_spec())
    assert sequential_like(lesson_spec().as_graph())
    assert not sequential_like(residual())
    g = GraphBuilder()
    x = g.input("x", [4])
    once = g.call("Dense", "d", x, units=4)
    spec = g.model(g.call("Dense", "d", once))  # a chain that calls one layer twice
    assert not sequential_like(spec)


def test_the_lesson_as_a_graph_prints_its_input_row_and_keeps_sequential_json():
    chain = analyze(lesson_spec())
    graph = analyze(lesson_spec().as_graph())
    assert [r.name for r in graph.rows] == ["input_layer", "dense", "dense_1"]
    assert graph.rows[0].type_name == "InputLayer" and graph.rows[0].params == 0
    assert graph.total_params == chain.total_params == 1994
    assert "Connected to" not in summary_text(graph)
    assert "(InputLayer)" in summary_text(graph)
    assert "connected_to" not in summary_json(chain)["layers"][0]
    assert summary_json(graph)["layers"][1]["connected_to"] == [[graph.rows[0].name, 0, 0]]


def test_functional_json_lists_connections_and_every_input_and_output_shape():
    summary = analyze(residual())
    data = summary_json(summary)
    assert [layer["name"] for layer in data["layers"]] == ["x", "hidden", "add", "out"]
    assert data["layers"][2]["connected_to"] == [["x", 0, 0], ["hidden", 0, 0]]
    assert data["layers"][0] == {
        "name": "x",
        "type": "InputLayer",
        "output_shape": [None, 8],
        "params": 0,
        "connected_to": [],
    }
    assert summary.input_shapes == ((8,),) and summary.output_shapes == ((2,),)
    row = "│ add (Add)           │ (None, 8)         │          0 │ x[0][0],          │"
    assert row in summary_text(summary)


def test_a_merge_in_a_chain_still_needs_a_functional_model():
    spec = lesson_spec()
    spec = spec.inserted(2, spec.new_layer("Add"))
    assert any("it needs a functional model" in i.message for i in analyze(spec).issues)


def test_two_layers_with_one_id_are_refused():
    spec = residual()
    twin = replace(spec.layers[1], name="twin")
    spec = replace(spec, layers=(*spec.layers, twin))
    assert "twin: its id 'hidden' is already the id of hidden; each layer needs its own" in messages(spec)["twin"]
