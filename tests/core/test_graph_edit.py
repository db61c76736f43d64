"""Graph edits on the immutable spec: insert on a connection, branch, connect, disconnect, delete, outputs."""

from __future__ import annotations

import pytest

from nnstudio.core import graph_edit as g
from nnstudio.core.graph_edit import EditRefused
from nnstudio.core.spec import ModelSpec, TensorRef, lesson_spec


def dense(spec: ModelSpec, units: int = 8):
    return spec.new_layer("Dense", units=units)


def residual() -> ModelSpec:
    """Input -> dense -> dense_1 (output); a branch dense_2 from dense; Add(dense_1, dense_2) as output."""
    spec = lesson_spec()  # input_layer, dense, dense_1
    spec, branch = g.add_branch(spec, dense(spec, 10), TensorRef("dense"))
    spec, add = g.insert_on_connection(spec, spec.new_layer("Add"), TensorRef("dense_1"), None)
    return g.connect(spec, TensorRef(branch), add)


def test_branch_turns_a_chain_into_a_graph_and_keeps_the_rest():
    chain = lesson_spec()
    spec, new_id = g.add_branch(chain, dense(chain), TensorRef("dense"))
    assert spec.is_functional and not chain.is_functional
    assert spec.layer_by_id(new_id).inbound == ((TensorRef("dense"),),)
    assert spec.outputs == (TensorRef("dense_1"),)
    assert spec.layer_by_id("dense_1").inbound == ((TensorRef("dense"),),)
    assert g.consumers(spec, "dense") == ["dense_1", new_id]


def test_residual_built_step_by_step():
    spec = residual()
    add = spec.layer_by_id("add")
    assert add.inbound == ((TensorRef("dense_1"), TensorRef("dense_2")),)
    assert spec.outputs == (TensorRef("add"),)
    assert spec.inputs == (TensorRef("input_layer"),)
    # every layer after the layers it reads
    seen: set[str] = set()
    for layer in spec.layers:
        assert all(ref.layer in seen for call in layer.inbound for ref in call)
        seen.add(layer.id)
    assert g.find_cycle(spec) is None


def test_insert_on_a_connection_between_two_layers():
    spec = residual()
    new, new_id = g.insert_on_connection(spec, dense(spec), TensorRef("dense"), "dense_2")
    assert new.layer_by_id(new_id).inbound == ((TensorRef("dense"),),)
    assert new.layer_by_id("dense_2").inbound == ((TensorRef(new_id),),)
    assert new.position_of(new_id) < new.position_of("dense_2")
    with pytest.raises(EditRefused, match="does not read"):
        g.insert_on_connection(spec, dense(spec), TensorRef("input_layer"), "dense_2")
    with pytest.raises(EditRefused, match="Input takes no inputs"):
        g.insert_on_connection(spec, spec.new_layer("Input", shape=[3]), TensorRef("dense"), "dense_2")


def test_a_connection_that_closes_a_cycle_is_refused_with_the_reason():
    spec = residual()
    with pytest.raises(EditRefused, match="would make a cycle: 'dense_1' already leads to 'add'"):
        g.connect(spec, TensorRef("add"), "dense_1")
    with pytest.raises(EditRefused, match="cannot read its own output"):
        g.connect(spec, TensorRef("add"), "add")


def test_connect_respects_how_many_inputs_a_type_takes():
    spec = residual()
    with pytest.raises(EditRefused, match="takes one input and already reads 'dense'"):
        g.connect(spec, TensorRef("input_layer"), "dense_1")
    three = g.connect(spec, TensorRef("dense"), "add")  # Add takes any number
    assert len(three.layer_by_id("add").inbound[0]) == 3
    with pytest.raises(EditRefused, match="takes no inputs"):
        g.connect(spec, TensorRef("dense"), "input_layer")


def test_connect_moves_a_reader_after_its_new_input():
    spec = residual()
    spec, concat = g.add_layer(spec, spec.new_layer("Concatenate"))
    spec, first = g.add_layer(spec, dense(spec))
    spec = g.connect(spec, TensorRef("input_layer"), first)
    # the Concatenate came before `first`; reading it puts it after
    before = spec.position_of(concat)
    spec = g.connect(spec, TensorRef(first), concat)
    assert spec.position_of(concat) > spec.position_of(first)
    assert before < spec.position_of(concat)


def test_disconnect_and_reconnect():
    spec = residual()
    cut = g.disconnect(spec, TensorRef("dense_2"), "add")
    assert cut.layer_by_id("add").inbound == ((TensorRef("dense_1"),),)
    alone = g.disconnect(cut, TensorRef("dense"), "dense_2")
    assert alone.layer_by_id("dense_2").inbound == ()
    with pytest.raises(EditRefused, match="does not read"):
        g.disconnect(alone, TensorRef("dense"), "dense_2")


def test_delete_a_one_in_one_out_layer_reconnects_its_readers():
    spec = residual()
    spec2 = g.delete_layer(spec, "dense_1")
    assert "dense_1" not in spec2.ids()
    assert spec2.layer_by_id("add").inbound == ((TensorRef("dense"), TensorRef("dense_2")),)


def test_delete_refusals_say_why():
    spec = residual()
    with pytest.raises(EditRefused, match=r"Add 'add' \(2 inputs\)|is an output of the model"):
        g.delete_layer(spec, "add")
    with pytest.raises(EditRefused, match="The Input 'input_layer' \\(no inputs\\) feeds 'dense'"):
        g.delete_layer(spec, "input_layer")


def test_delete_an_output_moves_the_output_to_its_input():
    spec = lesson_spec().as_graph()
    spec2 = g.delete_layer(spec, "dense_1")
    assert spec2.outputs == (TensorRef("dense"),)
    tip, tip_id = g.add_branch(spec, dense(spec), TensorRef("dense"))
    assert g.delete_layer(tip, tip_id) == spec


def test_outputs():
    spec = residual()
    two = g.toggle_output(spec, "dense_2")
    assert two.outputs == (TensorRef("add"), TensorRef("dense_2"))
    assert g.toggle_output(two, "dense_2").outputs == (TensorRef("add"),)
    with pytest.raises(EditRefused, match="only output"):
        g.toggle_output(spec, "add")
    with pytest.raises(EditRefused, match="at least one output"):
        g.set_outputs(spec, [])


def test_after_layer_inserts_on_a_single_connection_else_branches():
    spec = lesson_spec()
    inline, new_id = g.after_layer(spec, dense(spec), "dense")
    assert inline.layer_by_id("dense_1").inbound == ((TensorRef(new_id),),)
    last, last_id = g.after_layer(spec, dense(spec), "dense_1")
    assert last.outputs == (TensorRef(last_id),)
    assert last.is_chain()
    res = residual()
    branched, b = g.after_layer(res, dense(res), "dense")  # dense feeds two layers: a new branch
    assert g.consumers(branched, "dense") == ["dense_1", "dense_2", b]


def test_find_cycle_names_the_layers():
    from dataclasses import replace

    spec = residual()
    looped = spec.with_layer(
        spec.position_of("dense_1"), replace(spec.layer_by_id("dense_1"), inbound=((TensorRef("add"),),))
    )
    assert set(g.find_cycle(looped) or []) == {"dense_1", "add"}


def attention() -> ModelSpec:
    """Query, value and key from three Inputs into one MultiHeadAttention."""
    spec = lesson_spec().as_graph()
    spec = g.delete_layer(g.delete_layer(spec, "dense_1"), "dense")
    spec, value = g.add_layer(spec, spec.new_layer("Input", shape=(20,)))
    spec, key = g.add_layer(spec, spec.new_layer("Input", shape=(20,)))
    spec, mha = g.add_layer(spec, spec.new_layer("MultiHeadAttention", num_heads=2, key_dim=4))
    for source in ("input_layer", value, key):
        spec = g.connect(spec, TensorRef(source), mha)
    return spec, mha, value, key


def test_an_input_with_a_role_is_not_deleted_from_under_the_ones_after_it():
    spec, mha, value, key = attention()
    assert [ref.layer for ref in spec.layer_by_id(mha).inbound[0]] == ["input_layer", value, key]
    with pytest.raises(EditRefused, match="by position \\(query, value, key\\): deleting its value .* delete its key"):
        g.disconnect(spec, TensorRef(value), mha)
    without_key = g.disconnect(spec, TensorRef(key), mha)  # the last one goes
    assert [ref.layer for ref in without_key.layer_by_id(mha).inbound[0]] == ["input_layer", value]
    with pytest.raises(EditRefused, match="deleting its query"):
        g.disconnect(without_key, TensorRef("input_layer"), mha)
