"""Property test: whatever the analytic checks accept, Keras builds, runs and summarises identically.

Random specs over every catalog layer and parameter, inputs of rank 1 to 3, random compile
settings. For each: build_model succeeds, keras_summary equals the analytic summary, a batch
runs through the model eagerly with the analytic output shape, and the script from
core.codegen, executed here, prints summary_text exactly.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.core.catalog import LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.codegen import python_script
from nnstudio.core.layers.params import Choice, Flag, FloatRange, Integer, ShapeKind
from nnstudio.core.shapes import infer
from nnstudio.core.spec import CompileSpec, ModelSpec
from nnstudio.core.summary import analyze, summary_json, summary_text

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, keras_summary  # noqa: E402

LAYERS_AFTER_INPUT = [name for name in LAYER_TYPES if name != "Input"]


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def reshape_targets(draw, count: int) -> list[int]:
    parts: list[int] = []
    remaining = count
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from(divisors(remaining)))
        parts.append(d)
        remaining //= d
    parts.append(remaining)
    if draw(st.booleans()):
        parts[draw(st.integers(0, len(parts) - 1))] = -1
    return parts


@st.composite
def param_value(draw, param, shape):
    kind = param.kind
    if isinstance(kind, Integer):
        return draw(st.integers(kind.minimum, kind.minimum + 5))
    if isinstance(kind, FloatRange):
        return draw(
            st.floats(
                kind.minimum,
                kind.maximum,
                exclude_min=kind.min_open,
                exclude_max=kind.max_open,
                allow_nan=False,
                width=32,
            )
        )
    if isinstance(kind, Flag):
        return draw(st.booleans())
    if isinstance(kind, Choice):
        return draw(st.sampled_from(kind.choices))
    if isinstance(kind, ShapeKind) and kind.wildcard:
        return draw(reshape_targets(math.prod(shape)))
    raise AssertionError(f"no values drawn for {param.name} ({kind})")


@st.composite
def specs(draw) -> ModelSpec:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    spec = ModelSpec(name=draw(st.sampled_from(["sequential", "model_a", "my.net-2"])))
    spec = spec.inserted(0, spec.new_layer("Input", shape=list(shape)))
    for _ in range(draw(st.integers(0, 5))):
        class_name = draw(st.sampled_from(LAYERS_AFTER_INPUT))
        params = {p.name: draw(param_value(p, shape)) for p in LAYER_TYPES[class_name].params}
        layer = spec.new_layer(class_name, **params)
        spec = spec.inserted(len(spec.layers), layer)
        shape = infer(layer, shape)[0]
    optimizer = draw(st.sampled_from(list(OPTIMIZERS)))
    compile_spec = CompileSpec(
        draw(st.sampled_from(LOSSES)),
        optimizer,
        draw(st.none() | st.sampled_from([OPTIMIZERS[optimizer], 0.1, 0.0003, 0.05])),
        tuple(draw(st.lists(st.sampled_from(METRICS), max_size=2, unique=True))),
    )
    return spec.with_compile(compile_spec)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=specs())
def test_analytic_accepts_only_what_keras_builds_and_summarises_alike(spec, monkeypatch):
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

    config = model.get_compile_config()
    assert config["loss"] == spec.compile.loss
    assert config["optimizer"]["config"]["learning_rate"] == pytest.approx(spec.compile.effective_learning_rate())

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(python_script(spec), "<generated>", "exec"), {"__name__": "__main__"})
    assert printed.getvalue() == summary_text(summary) + "\n"
