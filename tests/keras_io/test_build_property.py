"""Property test: whatever the analytic checks accept, Keras builds, runs and summarises identically.

Random specs over every registered layer type and parameter (values drawn per parameter kind,
tests/keras_io/strategies.py), inputs of 1 to 4 axes (tensors of rank 2 to 5: vectors,
sequences, images, volumes), random compile settings. A drawn layer that nnstudio's analysis
refuses for its input is left out, so each stack grows from layers that fit. For each: build_model
succeeds, keras_summary equals the analytic summary, a batch runs through the model eagerly with
the analytic output shape, and the script from core.codegen, executed here, prints summary_text
exactly.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnstudio.core.catalog import LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.codegen import python_script
from nnstudio.core.keras_archive import parse_keras_config
from nnstudio.core.shapes import LayerError, infer
from nnstudio.core.spec import CompileSpec, ModelSpec
from nnstudio.core.summary import analyze, summary_json, summary_text
from nnstudio.core.validation import check_layer
from tests.keras_io.strategies import param_values

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, keras_summary  # noqa: E402

LAYERS_AFTER_INPUT = [name for name, kind in LAYER_TYPES.items() if not kind.is_input]
ATTEMPTS = 8  # draws per place in the stack until a layer fits its input


def accepted_ranks(class_name: str) -> set[int]:
    """The input ranks (axes after the batch) of a type's accepted sample cases."""
    kind = LAYER_TYPES[class_name]
    return {len(s.inputs[0]) for s in kind.samples if s.refused_at is None and len(s.inputs) == 1}


@st.composite
def fitting_layer(draw, spec: ModelSpec, shape: tuple, classes: list[str]):
    """A layer of one of `classes` that nnstudio's analysis accepts for `shape`, with its output
    shape; None when the draws found none."""
    for _attempt in range(ATTEMPTS):
        class_name = draw(st.sampled_from(classes))
        kind = LAYER_TYPES[class_name]
        params = {p.name: draw(param_values(p, shape)) for p in kind.params}
        layer = spec.new_layer(class_name, **params)
        if check_layer(len(spec.layers), layer):
            continue  # values the analysis refuses (Keras refuses them too: test_layer_types_keras)
        try:
            return layer, infer(layer, shape)[0]
        except LayerError:
            continue  # a layer that cannot take this input
    return None


@st.composite
def specs(draw, first: str | None = None) -> ModelSpec:
    """A Sequential of up to 5 layers after its Input; `first`: the type of the first one."""
    ranks = sorted(accepted_ranks(first)) if first else [1, 2, 3, 4]
    rank = draw(st.sampled_from(ranks))
    sizes = st.integers(1, 4) if rank == 1 else st.integers(2 if first else 1, 8 if rank < 4 else 5)
    shape = tuple(draw(st.lists(sizes, min_size=rank, max_size=rank)))
    spec = ModelSpec(name=draw(st.sampled_from(["sequential", "model_a", "my.net-2"])))
    spec = spec.inserted(0, spec.new_layer("Input", shape=list(shape)))
    count = draw(st.integers(1 if first else 0, 5))
    for place in range(count):
        if place == 0 and first:
            classes = [first]
        else:
            classes = [c for c in LAYERS_AFTER_INPUT if len(shape) in accepted_ranks(c)] or LAYERS_AFTER_INPUT
        found = draw(fitting_layer(spec, shape, classes))
        if found is None:
            assume(place > 0 or not first)  # the type asked for must come first
            continue
        layer, shape = found
        spec = spec.inserted(len(spec.layers), layer)
    optimizer = draw(st.sampled_from(list(OPTIMIZERS)))
    compile_spec = CompileSpec(
        draw(st.sampled_from(LOSSES)),
        optimizer,
        draw(st.none() | st.sampled_from([OPTIMIZERS[optimizer], 0.1, 0.0003, 0.05])),
        tuple(draw(st.lists(st.sampled_from(METRICS), max_size=2, unique=True))),
    )
    return spec.with_compile(compile_spec)


def check_against_keras(spec: ModelSpec, monkeypatch) -> None:
    """Keras builds `spec`, summarises, runs, saves and rebuilds it from nnstudio's code as nnstudio says."""
    monkeypatch.setenv("COLUMNS", "80")
    summary = analyze(spec)
    assert summary.ok, summary.issues
    model = build_model(spec)

    expected = summary_json(summary)
    for entry, row in zip(expected["layers"], summary.rows, strict=True):
        entry["trainable"], entry["non_trainable"] = row.trainable, row.non_trainable
    assert keras_summary(model) == expected

    if summary.rows:  # (Keras cannot call a Sequential that holds only its Input)
        batch = np.random.default_rng(0).standard_normal((2, *summary.input_shape)).astype("float32")
        out = model(batch, training=False)
        assert tuple(out.shape) == (2, *summary.rows[-1].output_shape)

    saved = parse_keras_config(model.to_json().encode("utf-8"))  # the config Keras saves, read back
    assert [(layer.class_name, layer.name) for layer in saved.layers] == [
        (lr.class_name, lr.name) for lr in spec.layers
    ]
    for ours, theirs in zip(spec.layers, saved.layers, strict=True):
        kind = LAYER_TYPES[ours.class_name]
        assert kind.as_config(theirs.params) == kind.as_config(ours.params), ours.name

    config = model.get_compile_config()
    assert config["loss"] == spec.compile.loss
    assert config["optimizer"]["config"]["learning_rate"] == pytest.approx(spec.compile.effective_learning_rate())

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(python_script(spec), "<generated>", "exec"), {"__name__": "__main__"})
    assert printed.getvalue() == summary_text(summary) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs())
def test_analytic_accepts_only_what_keras_builds_and_summarises_alike(spec, monkeypatch):
    check_against_keras(spec, monkeypatch)


@pytest.mark.parametrize("first", LAYERS_AFTER_INPUT)
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_every_type_in_random_stacks(first, data, monkeypatch):
    """Each type first after an Input of a rank it takes, then random layers that fit."""
    spec = data.draw(specs(first=first))
    assert spec.layers[1].class_name == first
    check_against_keras(spec, monkeypatch)
