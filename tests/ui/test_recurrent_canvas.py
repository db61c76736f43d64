"""Recurrent layers and Embedding on the canvas: gate bands and tables of the real weights, hover values.

The weights here are random arrays in the shapes and order the registry declares for each layer
(the Keras comparison test checks those against Keras; the window test draws Keras's own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnstudio.core.layers import layer_type
from nnstudio.core.shapes import infer_all
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.overlay import block_means
from nnstudio.ui.canvas.overlay_items import image_data, sign_lut
from nnstudio.ui.canvas.theme import LIGHT_THEME


def sequence_spec(input_shape: list, *layers: tuple[str, dict[str, Any]], dtype: str = "float32") -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=input_shape, dtype=dtype))
    for class_name, params in layers:
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec


def weights_for(spec: ModelSpec, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """Random arrays in every layer's declared variable shapes, in Keras's order."""
    rng = np.random.default_rng(seed)
    summary = analyze(spec)
    shape, out = summary.input_shape, {}
    for row in summary.rows:
        variables = infer_all(spec.layers[row.index], [shape])[1]
        out[row.name] = [rng.normal(0, 0.3, v.shape).astype(np.float32) for v in variables]
        shape = row.output_shape
    return out


def plans_of(spec: ModelSpec, weights) -> tuple[list[L.Column], list]:
    columns, _links = L.build_columns(analyze(spec), spec)
    return columns, L.overlay_plans(columns, weights)


def lstm_entry(**changes: Any) -> dict[str, Any]:
    kind = layer_type("LSTM")
    return {"class_name": "LSTM", "name": "lstm", **kind.stored({**kind.defaults(), **changes})}


def test_each_lstm_gate_band_shows_its_input_recurrent_and_bias_weights_by_unit():
    spec = sequence_spec([None, 5], ("LSTM", {"units": 3}))
    weights = weights_for(spec)
    kernel, recurrent, bias = weights["lstm"]
    columns, plans = plans_of(spec, weights)
    heatmaps = plans[0].heatmaps
    assert len(heatmaps) == 4 * 3  # gates i f c o, each: input, recurrent, bias
    for gate in range(4):
        cols = slice(gate * 3, gate * 3 + 3)
        part_input, part_recurrent, part_bias = heatmaps[3 * gate : 3 * gate + 3]
        np.testing.assert_array_equal(part_input.values, kernel[:, cols].T)  # rows: units
        np.testing.assert_array_equal(part_recurrent.values, recurrent[:, cols].T)
        np.testing.assert_array_equal(part_bias.values[:, 0], bias[cols])
    units = columns[1]
    top, bottom = float(units.y_of(0)) + units.pitch / 2, float(units.y_of(2)) - units.pitch / 2
    x, y, w, h = heatmaps[0].rect
    assert (y, y + h) == pytest.approx((bottom, top)) and x > units.x
    assert [label.text for label in plans[0].labels][:4] == ["i", "f", "c", "o"]


def test_hovering_a_gate_band_cell_says_which_weight_and_its_value(qtbot):
    spec = sequence_spec([None, 5], ("LSTM", {"units": 3}))
    weights = weights_for(spec)
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(1200, 800)
    canvas.set_model(analyze(spec), spec)
    canvas.set_weights(weights)
    forget_input = canvas.overlays.plans[0].heatmaps[3]  # gate f, input weights
    x, y, w, h = forget_input.rect
    # cell row 1 (unit 1), column 2 (input 2): the kernel's row 2, column 3 + 1
    text = canvas.describe_at(x + w * 2.5 / 5, y + h - h * 1.5 / 3)
    assert "forget gate (f)" in text and "input 2 → unit 1" in text
    assert f"{weights['lstm'][0][2, 3 + 1]:+.4f}" in text
    assert len(canvas.overlays.images) == 12
    np.testing.assert_array_equal(canvas.overlays.images[3].image, image_data(forget_input))


def test_gru_with_two_biases_per_gate_and_simple_rnn_with_one_band():
    spec = sequence_spec([None, 4], ("GRU", {"units": 2, "return_sequences": True}), ("SimpleRNN", {"units": 3}))
    weights = weights_for(spec)
    _columns, plans = plans_of(spec, weights)
    gru, simple = plans
    assert len(gru.heatmaps) == 9 and [label.text for label in gru.labels][:3] == ["z", "r", "h"]
    np.testing.assert_array_equal(gru.heatmaps[2].values, weights["gru"][2][:, 0:2].T)  # input and recurrent bias of z
    assert "recurrent bias" in gru.heatmaps[2].describe(0, 1)
    assert len(simple.heatmaps) == 3
    np.testing.assert_array_equal(simple.heatmaps[1].values, weights["simple_rnn"][1].T)


def test_without_bias_no_bias_strip_and_pending_weights_are_blank():
    spec = sequence_spec([None, 4], ("SimpleRNN", {"units": 2, "use_bias": False}))
    _columns, plans = plans_of(spec, weights_for(spec))
    assert len(plans[0].heatmaps) == 2
    _columns, pending = plans_of(spec, None)
    assert all(h.pending for h in pending[0].heatmaps) and "pending" in pending[0].heatmaps[0].describe(0, 0)


def test_bidirectional_draws_both_directions_and_its_edges_carry_the_cell_candidate_weights():
    spec = sequence_spec([None, 4], ("Bidirectional", {"layer": lstm_entry(units=3)}))
    weights = weights_for(spec)
    columns, plans = plans_of(spec, weights)
    assert len(plans[0].heatmaps) == 2 * 12
    forward_input, backward_input = plans[0].heatmaps[0], plans[0].heatmaps[12]
    assert forward_input.rect[0] == backward_input.rect[0]  # concat: one above the other
    assert forward_input.rect[1] > backward_input.rect[1]
    np.testing.assert_array_equal(backward_input.values, weights["bidirectional"][3][:, 0:3].T)
    kernel, bias = L.edge_arrays(columns, 1, weights["bidirectional"])
    np.testing.assert_array_equal(kernel[:, :3], weights["bidirectional"][0][:, 6:9])
    np.testing.assert_array_equal(kernel[:, 3:], weights["bidirectional"][3][:, 6:9])
    np.testing.assert_array_equal(
        bias, np.concatenate([weights["bidirectional"][2][6:9], weights["bidirectional"][5][6:9]])
    )
    summed = sequence_spec([None, 4], ("Bidirectional", {"layer": lstm_entry(units=3), "merge_mode": "sum"}))
    _columns, side_by_side = plans_of(summed, weights_for(summed))
    assert side_by_side[0].heatmaps[0].rect[0] < side_by_side[0].heatmaps[12].rect[0]
    assert side_by_side[0].heatmaps[0].rect[1] == side_by_side[0].heatmaps[12].rect[1]


def test_a_fixed_length_input_feeds_the_last_step_from_every_step():
    spec = sequence_spec([3, 2], ("SimpleRNN", {"units": 4}))
    weights = weights_for(spec)
    columns, links = L.build_columns(analyze(spec), spec)
    L.apply_weights(columns, links, weights)
    kernel = weights["simple_rnn"][0]
    assert links[0].pyramid is not None and links[0].pyramid.shape == (6, 4)
    np.testing.assert_array_equal(links[0].pyramid.kernel, np.tile(kernel, (3, 1)))
    sequences = sequence_spec([3, 2], ("SimpleRNN", {"units": 4, "return_sequences": True}))
    columns, links = L.build_columns(analyze(sequences), sequences)
    L.apply_weights(columns, links, weights_for(sequences))
    assert links[0].pyramid.shape == (6, 12)  # step t feeds step t


def test_an_embedding_is_drawn_as_its_table_averaged_when_big(qtbot):
    spec = sequence_spec([None], ("Embedding", {"input_dim": 20000, "output_dim": 8}), dtype="int32")
    weights = weights_for(spec)
    table = weights["embedding"][0]
    columns, plans = plans_of(spec, weights)
    heatmap = plans[0].heatmaps[0]
    assert heatmap.values.shape == (8, 500)  # dims x token blocks of 40
    np.testing.assert_allclose(heatmap.values[3, 0], table[:40, 3].mean(), rtol=1e-5)
    assert heatmap.describe(3, 0).startswith("embedding: embedding of tokens 0–39 (40), value 3: mean ")
    x, y, w, h = heatmap.rect
    assert columns[0].x < x and x + w < columns[1].x
    small = sequence_spec([None], ("Embedding", {"input_dim": 5, "output_dim": 2}), dtype="int32")
    small_weights = weights_for(small)
    _columns, plans = plans_of(small, small_weights)
    assert (
        plans[0].heatmaps[0].describe(1, 4)
        == f"embedding: embedding of token 4, value 1: {small_weights['embedding'][0][4, 1]:+.4f}"
    )
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.set_model(analyze(spec), spec)
    canvas.set_weights(weights)
    assert canvas.overlays.images and canvas.overlays.images[0].image.shape == (500, 8)
    assert "tokens 0–39" in canvas.describe_at(x + w * 0.1 / 500, y + h - h * 0.5 / 8)


def test_block_means_and_the_sign_colours():
    m = np.arange(12, dtype=float).reshape(3, 4) - 6
    blocks = block_means(m, max_rows=2, max_cols=2)
    np.testing.assert_array_equal(blocks.row_edges, [0, 2, 3])
    np.testing.assert_array_equal(
        blocks.mean, [[(-6 - 5 - 2 - 1) / 4, (-4 - 3 + 0 + 1) / 4], [(2 + 3) / 2, (4 + 5) / 2]]
    )
    lut = sign_lut(LIGHT_THEME)
    assert tuple(lut[len(lut) // 2][:3]) == (255, 255, 255)  # zero: the background
    assert lut[-1][2] > lut[-1][0] and lut[0][0] > lut[0][2]  # +: blue, -: orange
