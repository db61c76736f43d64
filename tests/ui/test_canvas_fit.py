"""The canvas's fit: headers clear of the legend and the status text, headers that say what the
summary says, and one huge layer that does not flatten the others (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from nnstudio.core.layers.base import format_shape
from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.file_actions import read_model_file
from tests.ui.test_canvas_pairs import random_weights


def chain(input_shape, *layers) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=list(input_shape)))
    for class_name, params in layers:
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec


ROOT = Path(__file__).resolve().parents[2]
MODELS = {
    "lesson": lesson_spec(),
    "lesson + Dropout": chain(
        (20,), ("Dense", {"units": 64, "activation": "relu"}), ("Dropout", {}), ("Dense", {"units": 10})
    ),
    "stages in a row": chain(
        (32,),
        ("Dense", {"units": 48}),
        ("BatchNormalization", {}),
        ("ReLU", {}),
        ("Dropout", {}),
        ("Dense", {"units": 8}),
    ),
    "tall last layer": chain((8,), ("Dense", {"units": 16}), ("Dense", {"units": 512}), ("Dropout", {})),
    "convnet": chain(
        (28, 28, 1),
        ("Conv2D", {"filters": 8, "kernel_size": 3}),
        ("MaxPooling2D", {}),
        ("Flatten", {}),
        ("Dense", {"units": 10}),
    ),
}
MODELS["Keras's MNIST convnet"] = read_model_file(ROOT / "resources/examples/mnist_convnet.nnstudio")[0]
MODELS["Keras's IMDB LSTM"] = read_model_file(ROOT / "resources/examples/imdb_bidirectional_lstm.nnstudio")[0]
# the canvas at 1280×720 and 1920×1080 (as the window lays it out), a tall narrow one and a wide low one
SIZES = ((679, 349), (1290, 600), (520, 560), (1500, 330))


@pytest.fixture(scope="module")
def canvas(qapp):
    canvas = NetworkCanvas()
    canvas.show()
    yield canvas
    canvas.shutdown()
    canvas.close()
    canvas.deleteLater()


@pytest.fixture(autouse=True)
def workers_released(canvas):
    """The shared canvas's worker waits for the next big model's weights: ended after each test."""
    yield
    canvas.release_workers()


def _resize(qapp, canvas: NetworkCanvas, size) -> None:
    canvas.resize(*size)
    for _ in range(5):
        qapp.processEvents()


@pytest.mark.parametrize("name", MODELS)
def test_headers_never_sit_under_the_legend_or_the_status_text(qapp, canvas, name):
    spec = MODELS[name]
    for size in SIZES:
        _resize(qapp, canvas, size)
        canvas.set_model(analyze(spec), spec)  # fitted by the canvas itself, as in the window
        canvas.set_weights(random_weights(canvas))  # the status text changes: the fit follows
        qapp.processEvents()
        # the legend, where the fit left room for it (else it is hidden: the drawing comes first)
        legend = canvas.legend.sceneBoundingRect() if canvas.legend.isVisible() else QRectF()
        status = canvas.status.sceneBoundingRect()
        view = canvas.view.sceneBoundingRect()
        assert not legend.intersects(status), f"{name} at {size}: the status text runs under the legend"
        if size[1] >= 500:
            assert canvas.legend.isVisible(), f"{name} at {size}: room enough for the legend"
        for header, col in zip(canvas.headers, canvas.columns, strict=True):
            box = header.sceneBoundingRect()
            assert not box.intersects(legend), f"{name} at {size}: {col.name}'s header is under the legend"
            assert not box.intersects(status), f"{name} at {size}: the status text covers {col.name}'s header"
            assert view.contains(box), f"{name} at {size}: {col.name}'s header is cut by the canvas's edge"
        for col in canvas.columns:  # every column whole on screen, clear of the legend
            top = canvas.view.mapViewToScene(_point(col.x, col.height / 2))
            bottom = canvas.view.mapViewToScene(_point(col.x, -col.height / 2))
            assert view.contains(top) and view.contains(bottom), f"{name} at {size}: {col.name} is cut"
            assert not legend.contains(top) and not legend.contains(bottom)


def _point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


def test_a_dense_on_several_axes_says_the_shape_the_summary_says(canvas):
    spec = chain((4, 5), ("Dense", {"units": 64}))
    summary = analyze(spec)
    canvas.set_model(summary, spec)
    dense = canvas.columns[1]
    shown = format_shape(summary.rows[0].output_shape)
    assert shown == "(None, 4, 64)"
    assert shown in dense.detail and "256" not in dense.detail
    assert dense.detail.startswith("64 units")
    assert "(None, 4, 64)" in canvas.headers[1].textItem.toPlainText()
    flat = chain((20,), ("Dense", {"units": 64, "activation": "relu"}))
    canvas.set_model(analyze(flat), flat)
    assert canvas.columns[1].detail == "64 units · relu"  # one axis: as before


def test_one_huge_layer_does_not_flatten_the_others(qapp, canvas):
    spec = chain((20,), ("Dense", {"units": 1_000_000}), ("Dense", {"units": 64}), ("Dense", {"units": 10}))
    canvas.set_model(analyze(spec), spec)
    _resize(qapp, canvas, (679, 349))
    canvas.fit_view()
    huge, normal = canvas.columns[1], canvas.columns[2]
    assert huge.n == 1_000_000
    assert normal.height >= huge.height / 8.5  # a 64-unit column: at least about an eighth of the tallest
    _, ppy = canvas._pixel_scale()
    assert normal.height * ppy >= 18  # on a 1280×720 screen's canvas, not a sliver
    heights = [L.column_height(n) for n in (1, 64, 1024, 4096, 1 << 20, 1 << 40)]
    assert heights == sorted(heights) and len(set(heights)) == len(heights)  # a bigger layer still stands taller


def test_a_fit_shows_or_hides_the_legend_once_not_every_time(qapp, canvas):
    """A legend with no room stays hidden through fits: showing it to measure and hiding it again
    sends every entry its show and hide events (a big model's fits took tens of ms for them)."""
    spec = MODELS["Keras's IMDB LSTM"]
    canvas.set_model(analyze(spec), spec)
    _resize(qapp, canvas, (400, 300))  # too narrow for it beside the drawing, too low for it under
    canvas.fit_view()
    assert not canvas.legend.isVisible()
    changes: list[bool] = []
    legends = list(canvas._legends.values())
    for legend in legends:
        legend.visibleChanged.connect(lambda: changes.append(True))
    for _ in range(3):
        canvas.fit_view()
    for legend in legends:
        legend.visibleChanged.disconnect()
    assert changes == [], "the legends were shown and hidden again"
    assert not canvas.legend.isVisible()


def test_a_drawing_planned_on_a_turn_before_shows_the_level_of_detail_worked_out_then(qapp, canvas, monkeypatch):
    """A new model's draw in two turns: `plan_drawing` fits the view and works out the level of detail,
    `draw_model` puts that on screen without working it out again, as a drawing in one turn would;
    a plan made for a view that has moved since is not used."""
    first, second = MODELS["Keras's MNIST convnet"], MODELS["Keras's IMDB LSTM"]
    _resize(qapp, canvas, SIZES[0])
    made: list[int] = []
    real = L.compute_lod
    monkeypatch.setattr(L, "compute_lod", lambda *a, **k: made.append(1) or real(*a, **k))
    for spec in (first, second):
        canvas.set_model(analyze(spec), spec)
    in_one_turn = (canvas.view.viewRange(), canvas.lod)

    canvas.set_model(analyze(first), first)
    canvas.set_model(analyze(second), second, drawn=False)
    made.clear()
    canvas.plan_drawing()
    assert made == [1] and canvas.view.viewRange() == in_one_turn[0]  # fitted, the detail worked out
    canvas.draw_model()
    assert made == [1], "draw_model showed the planned level of detail"
    shown, expected = canvas.lod, in_one_turn[1]
    assert (shown.windows, shown.wanted, len(shown.links)) == (expected.windows, expected.wanted, len(expected.links))
    assert {i: c.level for i, c in shown.columns.items()} == {i: c.level for i, c in expected.columns.items()}

    canvas.set_model(analyze(first), first, drawn=False)
    canvas.plan_drawing()
    canvas.view.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)  # the view moved before the drawing
    made.clear()
    canvas.draw_model()
    assert made == [1], "a plan for another view was worked out again"
