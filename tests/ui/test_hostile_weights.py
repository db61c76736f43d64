"""A file's odd weights and shapes in the window: NaN or infinite weights, astronomically many neurons.

The histogram and the canvas show the file's own weights with a note, and a model whose shapes
hold more values than any array could (a zero-parameter model Keras builds happily) is laid out
and drawn without an internal error.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.spec import LayerSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.histogram import WeightHistogram


def odd_weights() -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((20, 64)).astype(np.float32)
    kernel[0, :5] = np.nan
    kernel[1, :3] = np.inf
    return {
        "dense": [kernel, np.zeros(64, np.float32)],
        "dense_1": [np.full((64, 10), np.nan, np.float32), np.zeros(10, np.float32)],
    }


def test_the_histogram_draws_the_finite_weights_and_counts_the_others(qtbot) -> None:
    hist = WeightHistogram()
    qtbot.addWidget(hist)
    weights = odd_weights()
    hist.set_layer_weights("dense", weights["dense"])
    assert hist.counts.sum() == 20 * 64 - 8  # the file's weights, not fresh ones
    assert np.isfinite(hist.edges).all()
    assert "8 NaN or infinite, not drawn" in hist.toolTip()
    hist.set_layer_weights("dense_1", weights["dense_1"])
    assert hist.counts.size == 0 and "all 640 weights are NaN or infinite" in hist.toolTip()


def test_the_canvas_notes_nan_weights(qtbot) -> None:
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(1000, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    spec = lesson_spec()
    canvas.set_model(analyze(spec), spec)
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):
        canvas.set_weights(odd_weights())
    canvas.grab()
    assert "NaN or infinite weights in dense, dense_1" in canvas.status.textItem.toPlainText()


def huge_spec() -> ModelSpec:
    return ModelSpec(
        "huge",
        (
            LayerSpec("Input", "input_layer", {"shape": [1_000_000] * 8}),
            LayerSpec("Flatten", "flatten", {}),
            LayerSpec("Dropout", "drop", {"rate": 0.5}),
            LayerSpec("Reshape", "back", {"target_shape": [1_000_000] * 8}),
            LayerSpec("Dense", "out", {**lesson_spec().layers[2].params, "units": 3}),
        ),
    )


def test_astronomical_zero_parameter_shapes_are_laid_out_as_boxes() -> None:
    spec = huge_spec()
    summary = analyze(spec)
    assert summary.ok and summary.total_params == 1_000_000 * 3 + 3
    columns, links = L.build_columns(summary, spec)
    assert [c.kind for c in columns] == ["error"] * 5  # drawn as boxes, no neurons
    assert all("too many to draw" in c.detail for c in columns)
    lod = L.compute_lod(columns, links, L.scene_bounds(columns), (1000.0, 700.0))
    assert lod.edge_count() == 0


def test_the_canvas_draws_astronomical_shapes_without_an_error(qtbot) -> None:
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(1000, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    spec = huge_spec()
    canvas.set_model(analyze(spec), spec)
    weights = {"out": [np.zeros((1_000_000, 3), np.float32), np.zeros(3, np.float32)]}
    canvas.set_weights(weights)  # raised OverflowError: Python int too large to convert to C long
    canvas.grab()
    assert len(canvas.headers) == 5
