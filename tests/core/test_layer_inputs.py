"""How many inputs each layer type takes and how Keras calls it on them, as the registry declares;
a type that takes other than one tensor is refused in a Sequential stack, with one message."""

from __future__ import annotations

import pytest

from nnstudio.core.layers import LayerType, all_types, layer_type
from nnstudio.core.layers.base import CALL_CONVENTIONS, LayerError, same_shape
from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze

MERGES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]


@pytest.mark.parametrize("kind", list(all_types()), ids=lambda t: t.class_name)
def test_every_type_declares_a_consistent_way_to_be_called(kind):
    least, most = kind.inputs
    assert kind.call_convention in CALL_CONVENTIONS
    if kind.is_input:
        assert kind.inputs == (0, 0)
    elif kind.call_convention == "single":
        assert kind.inputs == (1, 1) and kind.takes_one_input
    elif kind.call_convention == "initial_state":  # alone in a Sequential, states added in a graph
        assert least == 1 and most is not None and most > 1 and kind.takes_one_input
        assert len(kind.input_names) == most and kind.sequential_problem() is None
    else:
        assert not kind.takes_one_input
    if kind.call_convention == "positional":
        assert most is not None and len(kind.input_names) == most
    for sample in kind.samples:
        if sample.refused_at is None and not kind.is_input:
            assert least <= len(sample.inputs) and (most is None or len(sample.inputs) <= most), sample


def test_the_declared_inputs_of_the_merges_and_attention():
    declared = {name: (layer_type(name).inputs, layer_type(name).call_convention) for name in MERGES}
    assert declared == {
        "Add": ((1, None), "list"),
        "Subtract": ((2, 2), "list"),
        "Multiply": ((1, None), "list"),
        "Average": ((1, None), "list"),
        "Maximum": ((1, None), "list"),
        "Minimum": ((1, None), "list"),
        "Concatenate": ((1, None), "list"),
        "Dot": ((2, 2), "list"),
    }
    attention = layer_type("MultiHeadAttention")
    assert (attention.inputs, attention.call_convention, attention.input_names) == (
        (2, 3),
        "positional",
        ("query", "value", "key"),
    )
    assert (layer_type("Dense").inputs, layer_type("Dense").call_convention) == ((1, 1), "single")
    assert layer_type("Input").inputs == (0, 0)


@pytest.mark.parametrize(
    ("inputs", "convention", "names", "words"),
    [
        ((2, None), "single", (), "exactly one input"),
        ((1, 1), "list", (), "exactly one input"),
        ((2, 3), "positional", ("query",), "need a name each"),
        ((2, None), "positional", ("a", "b"), "need a name each"),
        ((2, 3), "list", ("a", "b"), "named inputs need a name each"),
        ((0, 2), "list", (), "at least one input"),
        ((3, 2), "list", (), "most >= least"),
        ((2, 2), "keyword", (), "call convention is one of"),
        ((1, 3), "initial_state", ("sequences", "h"), "names each input"),
        ((2, 3), "initial_state", ("sequences", "h", "c"), "takes one tensor and names each input"),
    ],
)
def test_an_inconsistent_declaration_is_refused_when_the_type_is_made(inputs, convention, names, words):
    with pytest.raises(ValueError, match=words):
        LayerType("Odd", "odd", same_shape, inputs=inputs, call_convention=convention, input_names=names)


def test_input_count_problems_in_keras_s_manner():
    assert layer_type("Add").input_count_problem(3) is None
    assert layer_type("Add").input_count_problem(0) == (
        "A `Add` layer should be called on at least 1 input. Received: 0 inputs"
    )
    assert "on exactly 2 inputs. Received: 3 inputs" in layer_type("Subtract").input_count_problem(3)
    assert "on 2 to 3 inputs. Received: 1 input" in layer_type("MultiHeadAttention").input_count_problem(1)
    assert "on exactly 1 input. Received: 2 inputs" in layer_type("Dense").input_count_problem(2)
    with pytest.raises(LayerError, match="exactly 2 inputs") as refused:
        layer_type("Dot").infer({"axes": 1}, [(3,)])
    assert refused.value.field is None


@pytest.mark.parametrize(
    ("class_name", "message"),
    [
        ("Add", "Add merges several inputs; it needs a functional model"),
        ("Concatenate", "Concatenate merges several inputs; it needs a functional model"),
        ("Subtract", "Subtract merges two inputs; it needs a functional model"),
        ("Dot", "Dot merges two inputs; it needs a functional model"),
        (
            "MultiHeadAttention",
            "MultiHeadAttention takes a query, a value and an optional key; it needs a functional model",
        ),
        ("Dense", None),
        ("Input", None),
    ],
)
def test_the_sequential_rule_says_why(class_name, message):
    assert layer_type(class_name).sequential_problem() == message


@pytest.mark.parametrize("class_name", [t.class_name for t in all_types() if t.sequential_problem()])
def test_a_sequential_stack_refuses_a_multi_input_layer_at_the_layer(class_name):
    spec = lesson_spec()
    spec = spec.inserted(2, spec.new_layer(class_name))
    summary = analyze(spec)
    at_layer = summary.issues_for(2)
    assert [i.message for i in at_layer][:1] == [
        f"{spec.layers[2].name}: {layer_type(class_name).sequential_problem()}"
    ]
    assert summary.rows[1].output_shape is None and summary.rows[1].error == at_layer[0].message
    assert summary.rows[2].output_shape is None  # nothing follows from a layer that cannot stand there


def test_the_summary_still_accepts_every_single_input_stack():
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4, 6]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=3))
    assert analyze(spec).ok


def test_the_recurrent_layers_take_their_initial_states_as_further_inputs():
    declared = {
        name: (layer_type(name).inputs, layer_type(name).call_convention, layer_type(name).input_names)
        for name in ("SimpleRNN", "GRU", "LSTM")
    }
    assert declared == {
        "SimpleRNN": ((1, 2), "initial_state", ("sequences", "initial_state")),
        "GRU": ((1, 2), "initial_state", ("sequences", "initial_state")),
        "LSTM": ((1, 3), "initial_state", ("sequences", "initial_state h", "initial_state c")),
    }
    assert layer_type("Bidirectional").call_convention == "single"


def test_an_initial_state_call_is_the_sequences_and_a_keyword_list():
    lstm = layer_type("LSTM")
    assert lstm.split_call(["x"]) == (["x"], {})
    assert lstm.split_call(["x", "h", "c"]) == (["x"], {"initial_state": ["h", "c"]})
    assert layer_type("MultiHeadAttention").split_call(["q", "v"]) == (["q", "v"], {})


@pytest.mark.parametrize(
    ("class_name", "inputs", "outputs"),
    [
        ("LSTM", [(None, 7)], [(5,), (5,), (5,)]),
        ("LSTM", [(None, 7), (5,), (5,)], [(5,), (5,), (5,)]),
        ("GRU", [(3, 7), (5,)], [(5,), (5,)]),
        ("SimpleRNN", [(3, 7), (5,)], [(5,), (5,)]),
    ],
)
def test_initial_states_change_no_output_and_no_weight(class_name, inputs, outputs):
    kind = layer_type(class_name)
    settings = {"units": 5, "return_state": True}
    shapes, variables = kind.infer(settings, inputs)
    assert shapes == outputs
    assert variables == kind.infer(settings, inputs[:1])[1]


@pytest.mark.parametrize(
    ("class_name", "inputs", "message"),
    [
        (
            "LSTM",
            [(None, 7), (5,)],
            "A `LSTM` layer's initial_state is a list of 2 tensors (h, c), each (batch, units). Received: 1 tensor",
        ),
        (
            "LSTM",
            [(None, 7), (5,), (5,), (5,)],
            "A `LSTM` layer's initial_state is a list of 2 tensors (h, c), each (batch, units). Received: 3 tensors",
        ),
        (
            "GRU",
            [(None, 7), (5,), (5,)],
            "A `GRU` layer's initial_state is a list of 1 tensor, (batch, units). Received: 2 tensors",
        ),
        (
            "LSTM",
            [(None, 7), (5,), (3,)],
            "Dimensions must be equal, but are 3 and 5: initial_state c must be (batch, units) = (None, 5). "
            "Received: initial_state c of shape (None, 3)",
        ),
        (
            "SimpleRNN",
            [(None, 7), (2, 5)],
            "initial_state must be (batch, units) = (None, 5). Received: initial_state of shape (None, 2, 5)",
        ),
        ("GRU", [(None, 7), (None,)], "Received: initial_state of shape (None, None)"),
    ],
)
def test_a_wrong_initial_state_is_refused_at_the_layer(class_name, inputs, message):
    with pytest.raises(LayerError) as refused:
        layer_type(class_name).infer({"units": 5}, inputs)
    assert str(refused.value).endswith(message) and refused.value.field is None
