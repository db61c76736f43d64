"""The canvas drawers of multi-input layers against Keras: a join's value-to-value edges are the
dependencies Keras's layer really has (each input value, changed alone, changes exactly the output
values it is joined to), and the attention heads are aggregated from the slice of each projection
that Keras's sublayers use for that head."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.core.layers import all_types
from nnstudio.ui.canvas.attention import heads_plan
from nnstudio.ui.canvas.join import join_edges
from tests.keras_io.test_layer_types_keras import _call, _callee

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

MERGE_CASES = [
    (kind, sample)
    for kind in all_types()
    if kind.drawing == "merge"
    for sample in kind.samples
    if sample.refused_at is None
    and all(None not in s for s in sample.inputs)
    and sample.params.get("axis") != 0  # joined along the batch: the changed rows are the batch itself
]


def _kwargs(kind, settings):
    values = kind.values(settings)
    return {p.name: p.kind.to_keras(values[p.name]) for p in kind.constructor_params()}


@pytest.mark.parametrize(
    ("kind", "sample"), MERGE_CASES, ids=lambda v: getattr(v, "class_name", None) or str(getattr(v, "inputs", ""))
)
def test_join_edges_are_the_layers_dependencies(kind, sample):
    settings = {**kind.defaults(), **sample.params}
    (output,), _variables = kind.infer(settings, list(sample.inputs))
    layer = _callee(kind)(**_kwargs(kind, settings))  # a keras.layers merge, an application's layer, an operation
    edges = join_edges(kind.class_name, settings, sample.inputs, output)
    rng = np.random.default_rng(1)
    base = [rng.uniform(0.5, 1.5, size=shape).astype("float32") for shape in sample.inputs]
    push = {"Minimum": -100.0}.get(kind.class_name, 100.0)  # a changed value must win a max or a min
    for which, (shape, (src, dst)) in enumerate(zip(sample.inputs, edges, strict=True)):
        size = math.prod(shape)
        batch = [np.repeat(b[None], size + 1, axis=0) for b in base]  # row 0 as it is, row r + 1: value r changed
        flat = batch[which].reshape(size + 1, size)
        flat[np.arange(1, size + 1), np.arange(size)] += push
        out = np.asarray(_call(kind, layer, batch, kind.values(settings))).reshape(size + 1, -1)
        changed = np.abs(out[1:] - out[:1]) > 1e-4
        joined = np.zeros_like(changed)
        joined[src, dst] = True
        assert np.array_equal(changed, joined), (kind.class_name, which)


def test_heads_are_aggregated_from_keras_s_own_sublayer_slices():
    layer = keras.layers.MultiHeadAttention(3, 2, value_dim=4, use_gate=True, output_shape=(5,))
    query, value, key = keras.Input((4, 6)), keras.Input((5, 7)), keras.Input((5, 3))
    layer(query, value, key)
    rng = np.random.default_rng(2)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    settings = {"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_gate": True, "output_shape": [5]}
    plan = heads_plan("MultiHeadAttention", settings, [(4, 6), (5, 7), (5, 3)], layer.get_weights())
    sublayers = {
        "query": layer.query_dense,
        "key": layer.key_dense,
        "value": layer.value_dense,
        "gate": layer._gate_dense,
        "output": layer.output_dense,
    }
    assert set(plan.projections) == set(sublayers)
    for role, sublayer in sublayers.items():
        kernel = np.asarray(sublayer.kernel)
        for head in range(3):
            part = kernel[head] if role == "output" else kernel[:, head]
            weights = plan.projections[role]
            assert weights.strength[head] == pytest.approx(np.abs(part).mean(), rel=1e-5)
            assert weights.balance[head] == pytest.approx(part.sum() / np.abs(part).sum(), rel=1e-4, abs=1e-6)
            if role != "output":
                assert weights.bias[head] == pytest.approx(np.asarray(sublayer.bias)[head].mean(), rel=1e-5, abs=1e-6)
