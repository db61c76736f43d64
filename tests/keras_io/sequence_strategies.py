"""Hypothesis strategies for the layer types that need their own inputs: sequences for the
recurrent family (SimpleRNN, LSTM, GRU, Bidirectional), token ids for an Embedding.

`SEQUENCE_KIND_STRATEGIES` gives the generic random stacks (`layer_strategies`) values for the
kinds these types bring: a wrapped recurrent layer for a Bidirectional (an explicit backward layer
is drawn only here, fitted to its forward layer). `sequence_specs()` draws valid
models over them (with other layers between): an int Input of token ids into an Embedding, or a
float Input of sequences `(timesteps | None, features)`, then recurrent layers (every one but the
last giving sequences), Dense, Dropout and LayerNormalization on the sequence, and maybe a last
layer that returns its states.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from nnstudio.core.layers import layer_type
from nnstudio.core.layers.nested import NestedLayer
from nnstudio.core.spec import ModelSpec

RNN_CLASSES = ("SimpleRNN", "LSTM", "GRU")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "softsign")
INITIALIZERS = ("glorot_uniform", "orthogonal", "he_normal", "lecun_uniform", "zeros", "ones")


@st.composite
def rnn_entry(draw: Any, class_name: str, sequences: bool, fixed_length: bool, last: bool) -> dict[str, Any]:
    """Settings of one recurrent layer: `sequences` forces return_sequences, `last` allows return_state."""
    kind = layer_type(class_name)
    settings = kind.defaults()
    settings.update(
        units=draw(st.integers(1, 6)),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        use_bias=draw(st.booleans()),
        kernel_initializer=draw(st.sampled_from(INITIALIZERS)),
        recurrent_initializer=draw(st.sampled_from(INITIALIZERS)),
        dropout=draw(st.sampled_from((0.0, 0.0, 0.2))),
        recurrent_dropout=draw(st.sampled_from((0.0, 0.0, 0.1))),
        return_sequences=sequences or draw(st.booleans()),
        return_state=last and draw(st.integers(0, 3)) == 0,
        go_backwards=draw(st.booleans()),
        unroll=fixed_length and draw(st.booleans()),
    )
    if class_name != "SimpleRNN":
        settings["recurrent_activation"] = draw(st.sampled_from(("sigmoid", "hard_sigmoid", "tanh")))
    if class_name == "LSTM":
        settings["unit_forget_bias"] = draw(st.booleans())
    if class_name == "GRU":
        settings["reset_after"] = draw(st.booleans())
    return settings


@st.composite
def recurrent_layer(draw: Any, spec: ModelSpec, fixed_length: bool, last: bool) -> tuple[str, dict[str, Any]]:
    """A SimpleRNN, LSTM, GRU or a Bidirectional around one (class name, settings)."""
    class_name = draw(st.sampled_from((*RNN_CLASSES, "Bidirectional")))
    if class_name != "Bidirectional":
        return class_name, draw(rnn_entry(class_name, not last, fixed_length, last))
    inner_class = draw(st.sampled_from(RNN_CLASSES))
    inner = draw(rnn_entry(inner_class, not last, fixed_length, last))
    inner["go_backwards"] = False  # Keras's backward copy goes backwards
    inner_kind = layer_type(inner_class)
    entry = {"class_name": inner_class, "name": draw(st.sampled_from(("rnn", "cell_a", inner_kind.name_stem)))}
    settings: dict[str, Any] = {"layer": {**entry, **inner_kind.stored(inner)}}
    settings["merge_mode"] = draw(st.sampled_from(("concat", "sum", "mul", "ave", *((None,) if last else ()))))
    if draw(st.integers(0, 3)) == 0:  # an explicit backward layer of another class (its states alike with return_state)
        alike = inner_class if inner["return_state"] and inner_class == "LSTM" else None
        back_class = alike or draw(st.sampled_from(RNN_CLASSES if not inner["return_state"] else ("GRU", "SimpleRNN")))
        back = draw(rnn_entry(back_class, inner["return_sequences"], fixed_length, last))
        back.update(
            units=inner["units"],
            go_backwards=True,
            return_sequences=inner["return_sequences"],
            return_state=inner["return_state"],
        )
        back_kind = layer_type(back_class)
        settings["backward_layer"] = {"class_name": back_class, "name": "back", **back_kind.stored(back)}
    return class_name, settings


@st.composite
def sequence_specs(draw: Any) -> ModelSpec:
    """A valid random Sequential model over sequences or token ids (see the module docstring)."""
    spec = ModelSpec(name=draw(st.sampled_from(["sequential", "seq_model"])))
    steps = draw(st.sampled_from((None, 3, 4)))
    fixed_length = steps is not None
    if draw(st.booleans()):  # token ids into an Embedding
        spec = spec.inserted(0, spec.new_layer("Input", shape=[steps], dtype=draw(st.sampled_from(("int32", "int64")))))
        embedding = spec.new_layer(
            "Embedding",
            input_dim=draw(st.integers(2, 30)),
            output_dim=draw(st.integers(1, 6)),
            mask_zero=draw(st.booleans()),
            embeddings_initializer=draw(st.sampled_from(("random_uniform", "glorot_normal"))),
        )
        spec = spec.inserted(1, embedding)
    else:
        spec = spec.inserted(0, spec.new_layer("Input", shape=[steps, draw(st.integers(1, 5))]))
    recurrent = draw(st.integers(1, 3))
    for i in range(recurrent):
        if draw(st.integers(0, 2)) == 0:  # something else on the sequence first
            between = draw(st.sampled_from(("Dense", "Dropout", "LayerNormalization")))
            params = {"units": draw(st.integers(1, 5))} if between == "Dense" else {}
            spec = spec.inserted(len(spec.layers), spec.new_layer(between, **params))
        last = i == recurrent - 1
        ends_here = last and draw(st.booleans())  # nothing after the last recurrent layer
        class_name, settings = draw(recurrent_layer(spec, fixed_length, ends_here))
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **settings))
        if last and not ends_here:
            spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=draw(st.integers(1, 3))))
    return spec


@st.composite
def nested_entry(draw: Any, kind: NestedLayer) -> dict[str, Any] | None:
    """A wrapped layer of one of `kind`'s classes (None for an optional one: see the module docstring)."""
    if kind.optional:
        return None
    class_name = draw(st.sampled_from(kind.choices()))
    inner = layer_type(class_name)
    settings = draw(rnn_entry(class_name, draw(st.booleans()), False, draw(st.booleans())))
    settings["go_backwards"] = draw(st.integers(0, 5)) == 0  # now and then what Keras refuses in a Bidirectional
    return {"class_name": class_name, "name": inner.name_stem, **inner.stored(settings)}


SEQUENCE_KIND_STRATEGIES = {NestedLayer: lambda kind, shape: nested_entry(kind)}
