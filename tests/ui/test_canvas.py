"""The network canvas: every neuron and the real weights, grouped where they do not fit."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas.edges import IDENTITY_BIN, NEGATIVE, PENDING_BIN, POSITIVE, bin_sign
from nnstudio.ui.histogram import WeightHistogram

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def lesson_weights():
    """The lesson's model built by Keras itself, and its freshly initialised weights."""
    keras = pytest.importorskip("keras")
    model = keras.Sequential(
        [
            keras.Input(shape=(20,)),
            keras.layers.Dense(64, activation="relu", name="dense"),
            keras.layers.Dense(10, name="dense_1"),
        ]
    )
    return {layer.name: layer.get_weights() for layer in model.layers}


def mlp_spec(sizes: list[int]) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[sizes[0]]))
    for units in sizes[1:]:
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units, activation="relu"))
    return spec


def random_weights(spec: ModelSpec, seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    summary = analyze(spec)
    out, features = {}, summary.input_shape[-1]
    for row in summary.rows:
        units = row.output_shape[-1]
        if row.class_name == "Dense":
            out[row.name] = [
                rng.normal(0, 0.05, (features, units)).astype(np.float32),
                rng.normal(0, 0.1, units).astype(np.float32),
            ]
        features = units
    return out


def make_canvas(qtbot, spec, weights=None, size=(1200, 800)) -> NetworkCanvas:
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(spec), spec)
    if weights is not None:
        with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):  # big models: summed in the background
            canvas.set_weights(weights)
    return canvas


def drawn_edges(canvas: NetworkCanvas):
    """Every drawn segment as (bin, link number, source group, target group, LinkLod)."""
    for b, (links, edges) in canvas.edges.keys.items():
        for li, e in zip(links.tolist(), edges.tolist(), strict=True):
            ll = canvas.lod.links[li]
            yield b, ll, int(ll.src[e]), int(ll.dst[e]), e


def test_lesson_draws_every_neuron_and_every_keras_weight_with_its_sign(qtbot, lesson_weights):
    canvas = make_canvas(qtbot, lesson_spec(), lesson_weights)
    assert canvas.objectName() == "networkCanvas"
    lods = canvas.lod.columns
    assert [len(lods[i].starts) for i in sorted(lods)] == [20, 64, 10]
    assert all(lods[i].level == 0 for i in lods)
    assert len(canvas.neurons.data) == 94
    assert canvas.edges.segment_count() == 20 * 64 + 64 * 10

    seen = {0: set(), 1: set()}
    for b, ll, i, j, _e in drawn_edges(canvas):
        assert b not in (PENDING_BIN, IDENTITY_BIN)
        link = canvas.links[ll.link]
        kernel = lesson_weights[link.layer_name][0]
        a, c = canvas.lod.columns[link.src], canvas.lod.columns[link.dst]
        w = kernel[a.starts[i], c.starts[j]]
        assert bin_sign(b) == ("positive" if w > 0 else "negative")
        # the pen that draws the segment has the hue of its sign (blue or orange)
        colour = canvas.edges.pen(b).color()
        if w > 0:  # blue: more blue than red
            assert colour.blue() - colour.red() >= 10, colour.name()
        else:  # orange: more red than blue
            assert colour.red() - colour.blue() >= 10, colour.name()
        hue = QtGui.QColor(POSITIVE if w > 0 else NEGATIVE).hsvHue()
        assert abs(colour.hsvHue() - hue) <= 12
        seen[ll.link].add((int(a.starts[i]), int(c.starts[j])))
    assert len(seen[0]) == 20 * 64 and len(seen[1]) == 64 * 10
    # the biases Keras gave (zeros) are on the neurons
    np.testing.assert_array_equal(lods[1].bias, lesson_weights["dense"][1])
    canvas.grab()  # paints without error


def test_after_an_edit_the_structure_shows_at_once_with_weights_pending(qtbot, lesson_weights):
    canvas = make_canvas(qtbot, lesson_spec())
    assert canvas.pending
    assert canvas.edges.segment_count() == 1920
    assert len(canvas.edges.keys[PENDING_BIN][0]) == 1920
    assert "pending" in canvas.status.textItem.toPlainText()
    canvas.set_weights(lesson_weights)
    assert len(canvas.edges.keys[PENDING_BIN][0]) == 0
    assert "pending" not in canvas.status.textItem.toPlainText()
    canvas.set_weights(None)
    assert len(canvas.edges.keys[PENDING_BIN][0]) == 1920
    # the same arrays again after an edit are not summed again
    canvas.set_weights(lesson_weights)
    pyramid = canvas.links[0].pyramid
    canvas.set_model(analyze(lesson_spec()), lesson_spec())
    canvas.set_weights(lesson_weights)
    assert canvas.links[0].pyramid is pyramid


def test_784_512_256_10_is_drawn_whole_in_groups_and_zooming_reveals_single_weights(qtbot):
    spec = mlp_spec([784, 512, 256, 10])
    weights = random_weights(spec)
    canvas = make_canvas(qtbot, spec, weights, size=(1600, 1000))
    lods = canvas.lod.columns
    # no cap: every neuron of every column is in some drawn group
    for ci, col in enumerate(canvas.columns):
        cl = lods[ci]
        assert cl.starts[0] == 0 and cl.ends[-1] == col.n
        assert int(cl.counts.sum()) == col.n
    assert lods[0].level > 0 and lods[1].level > 0  # 784 and 512 are grouped
    assert len(canvas.counts.data) > 0  # group sizes are written beside the groups
    assert canvas.edges.segment_count() < 20_000
    # aggregated edges carry mean |w| and the sign balance of their block
    ll = canvas.lod.links[0]
    a, b = lods[0], lods[1]
    k = 5
    i, j = ll.src[k], ll.dst[k]
    block = weights["dense"][0][a.starts[i] : a.ends[i], b.starts[j] : b.ends[j]]
    assert ll.mean_abs[k] == pytest.approx(np.abs(block).mean(), rel=1e-4)
    assert ll.balance[k] == pytest.approx(block.sum() / np.abs(block).sum(), rel=1e-3, abs=1e-5)

    # zoom into the 512-wide layer and its link to the 256-wide one
    x1, x2 = canvas.columns[1].x, canvas.columns[2].x
    y = canvas.columns[1].y_of(300)
    with qtbot.waitSignal(canvas.lodApplied, timeout=10_000):
        canvas.view.setRange(xRange=(x1 - 0.05, x2 + 0.05), yRange=(y - 3, y + 3), padding=0)
        canvas.refresh_lod()
    lods = canvas.lod.columns
    assert lods[1].level == 0 and lods[2].level == 0
    link = next(ll for ll in canvas.lod.links if canvas.links[ll.link].layer_name == "dense_1")
    assert link.individual and len(link.src) > 0
    kernel = weights["dense_1"][0]
    values = link.balance * link.mean_abs
    expected = kernel[lods[1].starts[link.src], lods[2].starts[link.dst]]
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    # the frame only holds what is near the screen
    assert len(lods[1].starts) < 100 and canvas.edges.segment_count() < 20_000
    with qtbot.waitSignal(canvas.lodApplied, timeout=10_000):
        canvas.fit_view()
    fitted = canvas.lod.columns[1].level
    assert fitted > 0
    with qtbot.waitSignal(canvas.lodApplied, timeout=10_000):
        for _ in range(8):  # zoom in: finer groups
            qtbot.keyClick(canvas, QtCore.Qt.Key.Key_Plus)
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    assert canvas.lod.columns[1].level < fitted
    with qtbot.waitSignal(canvas.lodApplied, timeout=10_000):
        qtbot.keyClick(canvas, QtCore.Qt.Key.Key_F)  # fit again
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    assert canvas.lod.columns[1].level == fitted


def test_selection_follows_both_ways(qtbot, lesson_weights):
    canvas = make_canvas(qtbot, lesson_spec(), lesson_weights)
    canvas.select_layer(2)
    assert canvas.selection.isVisible()
    assert canvas.selection.rect().center().x() == pytest.approx(canvas.columns[2].x)
    canvas.select_layer(-1)
    assert not canvas.selection.isVisible()

    with qtbot.waitSignal(canvas.layerClicked) as blocker:
        canvas.click_at(canvas.columns[1].x, 0.0)
    assert blocker.args == [1]
    assert canvas.selected_index == 1 and canvas.selection.isVisible()

    # a real mouse click on the output column selects layer 2
    scene_point = canvas.view.mapViewToScene(QtCore.QPointF(canvas.columns[2].x, canvas.columns[2].y_of(4)))
    pos = canvas.mapFromScene(scene_point)
    with qtbot.waitSignal(canvas.layerClicked) as blocker:
        qtbot.mouseClick(canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [2]


def test_hover_describes_neurons_and_weights(qtbot, lesson_weights):
    canvas = make_canvas(qtbot, lesson_spec(), lesson_weights)
    col = canvas.columns[1]
    text = canvas.describe_at(col.x, float(col.y_of(5)))
    assert "dense (Dense)" in text and "neuron 5" in text and "bias: +0.0000" in text and "relu" in text
    # the midpoint of the edge input[3] -> dense[7]
    src, dst = canvas.columns[0], canvas.columns[1]
    xm = (src.x + dst.x) / 2
    ym = float(src.y_of(3) + dst.y_of(7)) / 2
    text = canvas.describe_at(xm, ym)
    assert text.startswith("dense: weight")
    w = float(text.rsplit("=", 1)[1])
    # several weights can cross at that point; the one described is a real kernel value
    assert np.isclose(lesson_weights["dense"][0], w, atol=5e-5).any()
    # moving the mouse over a neuron sets the tooltip text
    out = canvas.columns[2]
    scene_point = canvas.view.mapViewToScene(QtCore.QPointF(out.x, float(out.y_of(3))))
    pos = QtCore.QPointF(canvas.mapFromScene(scene_point))
    event = QtGui.QMouseEvent(
        QtCore.QEvent.Type.MouseMove,
        pos,
        QtCore.QPointF(canvas.viewport().mapToGlobal(pos)),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    QtWidgets.QApplication.sendEvent(canvas.viewport(), event)
    qtbot.waitUntil(lambda: "neuron 3" in canvas.last_hover_text, timeout=2000)
    assert "dense_1 (Dense)" in canvas.last_hover_text and "linear" in canvas.last_hover_text


def test_png_and_svg_export_write_real_files(qtbot, tmp_path, lesson_weights):
    canvas = make_canvas(qtbot, lesson_spec(), lesson_weights, size=(800, 500))
    png = tmp_path / "net.png"
    canvas.export_png(png, scale=2)
    image = QtGui.QImage(str(png))
    assert not image.isNull()
    rect = canvas.ci.sceneBoundingRect()
    assert (image.width(), image.height()) == (round(rect.width() * 2), round(rect.height() * 2))
    assert image.width() == 2 * canvas.width()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # not a blank picture
    svg = tmp_path / "net.svg"
    canvas.export_svg(svg)
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") or "<svg" in text[:500]
    assert "<svg" in text and svg.stat().st_size > 20_000


def test_stages_regrouping_and_multi_dimensional_inputs(qtbot):
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4, 6]))
    for cls, params in (
        ("Flatten", {}),
        ("Dense", {"units": 12, "activation": "tanh"}),
        ("BatchNormalization", {}),
        ("Dropout", {"rate": 0.25}),
        ("Activation", {"activation": "relu"}),
        ("Reshape", {"target_shape": [3, 4]}),
        ("LayerNormalization", {}),
        ("Dense", {"units": 5}),
    ):
        spec = spec.inserted(len(spec.layers), spec.new_layer(cls, **params))
    summary = analyze(spec)
    assert summary.ok, summary.issues
    rng = np.random.default_rng(1)
    weights = {
        "dense": [rng.normal(size=(24, 12)).astype(np.float32), np.zeros(12, np.float32)],
        "batch_normalization": [np.ones(12), np.zeros(12), np.zeros(12), np.ones(12)],
        "layer_normalization": [np.ones(4), np.zeros(4)],
        "dense_1": [rng.normal(size=(4, 5)).astype(np.float32), np.ones(5, np.float32)],
    }
    canvas = make_canvas(qtbot, spec, weights)
    kinds = [c.kind for c in canvas.columns]
    assert kinds == ["input", "regroup", "dense", "stage", "stage", "stage", "regroup", "stage", "dense"]
    assert [c.n for c in canvas.columns] == [24, 24, 12, 12, 12, 12, 12, 12, 15]
    assert [lk.kind for lk in canvas.links] == [
        "identity",
        "dense",
        "identity",
        "identity",
        "identity",
        "identity",
        "identity",
        "dense",
    ]
    # Dense on (3, 4): one kernel per row, drawn block-diagonal: 3 * 4 * 5 weights
    last = canvas.lod.links[-1]
    assert len(last.src) == 3 * 4 * 5 and np.count_nonzero(last.mean_abs) == 3 * 4 * 5
    kernel = weights["dense_1"][0]
    a, b = canvas.lod.columns[7], canvas.lod.columns[8]
    i, j = a.starts[last.src], b.starts[last.dst]
    assert np.array_equal(i // 4, j // 5)  # row r feeds row r only
    np.testing.assert_allclose(last.balance * last.mean_abs, kernel[i % 4, j % 5], rtol=1e-6)
    # identity links join each value to one value; stage neurons carry their parameters
    assert len(canvas.lod.links[0].src) == 24
    col = canvas.columns[3]
    assert "gamma: +1.0000" in canvas.describe_at(col.x, float(col.y_of(2)))
    canvas.grab()


def test_weight_histogram(qtbot, lesson_weights):
    hist = WeightHistogram()
    qtbot.addWidget(hist)
    hist.set_layer_weights("dense", lesson_weights["dense"])
    assert hist.counts.sum() == 20 * 64
    assert "dense" in hist.plot_item.titleLabel.text
    hist.set_layer_weights("dense", None)
    assert hist.counts.size == 0


def test_headers_of_close_layers_are_cut_to_their_room_and_keep_the_whole_name_as_tooltip(qtbot):
    spec = mlp_spec([3072] * 8)  # eight wide layers side by side in a narrow canvas
    canvas = make_canvas(qtbot, spec, size=(770, 560))

    def spans():
        canvas.grab()  # text items take their place on screen when painted
        boxes = [h.mapRectToDevice(h.boundingRect()) for h in canvas.headers]
        return [(b.left(), b.right()) for b in boxes]

    qtbot.waitUntil(lambda: canvas.column_headers.rooms is not None)
    edges = spans()
    assert all(right <= next_left for (_, right), (next_left, _) in zip(edges, edges[1:], strict=False)), edges
    first = canvas.headers[0]
    assert first.textItem.toPlainText().startswith("input_l") and "…" in first.textItem.toPlainText()
    assert first.toolTip() == "input_layer · 3,072 inputs"

    canvas.resize(2400, 560)  # room enough: whole names again
    qtbot.waitUntil(lambda: "…" not in canvas.headers[0].textItem.toPlainText())
    assert canvas.headers[0].textItem.toPlainText().startswith("input_layer")
