"""The canvas's work in parts: headers made in steps, structure-keeping edits drawn in part, neurons
fed by style codes. Each is checked against what the whole, eager drawing shows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui

from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import headers as H
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.styled_scatter import StyledScatter
from tests.ui.test_canvas import random_weights

SIZE = (900, 500)


def deep_spec(blocks: int, units: int = 32) -> ModelSpec:
    """Input, then `blocks` times Dense, BatchNormalization, Dropout: 1 + 3 * blocks columns."""
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[24]))
    for b in range(blocks):
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units + b % 3, activation="relu"))
        spec = spec.inserted(len(spec.layers), spec.new_layer("BatchNormalization"))
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dropout", rate=0.1))
    return spec


def edited(spec: ModelSpec, index: int, **params) -> ModelSpec:
    return spec.with_layer(index, spec.layers[index].with_params(**params))


def make_canvas(qtbot) -> NetworkCanvas:
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*SIZE)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def settle(qtbot, canvas: NetworkCanvas) -> None:
    qtbot.waitUntil(lambda: canvas.headers_complete() and not canvas.busy(), timeout=10_000)


def header_state(canvas: NetworkCanvas) -> list[tuple]:
    """Per column, what a person sees of its header: nothing, or its text, tooltip and place."""
    out = []
    for item in canvas.headers:
        if item is None or not item.isVisible():
            out.append(("hidden",))
        else:
            out.append((item.shown_html, item.toolTip(), (item.pos().x(), item.pos().y()), tuple(item.anchor)))
    return out


def made_headers(canvas: NetworkCanvas) -> int:
    return sum(item is not None for item in canvas.headers)


def drawing(canvas: NetworkCanvas) -> dict:
    """Everything the canvas shows, as plain values."""
    data = canvas.neurons.data
    lod = canvas.lod
    return {
        "range": [list(r) for r in canvas.view.viewRange()],
        "neurons": (
            data["x"].tolist(),
            data["y"].tolist(),
            data["size"].tolist(),
            list(data["symbol"]),
            [b.color().name(QtGui.QColor.NameFormat.HexArgb) for b in data["brush"]],
        ),
        "groups": {
            ci: (cl.level, cl.starts.tolist(), cl.y.tolist(), None if cl.bias is None else cl.bias.tolist())
            for ci, cl in lod.columns.items()
        },
        "edges": {b: (k[0].tolist(), k[1].tolist()) for b, k in canvas.edges.keys.items()},
        "lines": {
            key: (item.xData.tolist(), item.yData.tolist())
            for key, item in canvas.edges.items.items()
            if item.xData is not None
        },
        "headers": header_state(canvas),
        "status": canvas.status.toPlainText(),
        "pending": canvas.pending,
    }


def test_headers_with_room_beyond_a_steps_time_follow_in_the_steps(qtbot, monkeypatch):
    """A big model fitted gives dozens of headers room at once (DenseNet201: 66, 40 ms to make):
    those beyond STEP_MS of making come in the steps, and end as an eager build leaves them."""
    spec = deep_spec(12)  # 37 columns, every header with room
    eager = make_canvas(qtbot)
    eager.set_model(analyze(spec), spec)
    settle(qtbot, eager)
    monkeypatch.setattr(H, "SYNC_HEADERS", 0)
    monkeypatch.setattr(H, "STEP_MS", 0.0)  # a step makes one header
    stepped = make_canvas(qtbot)
    stepped.set_model(analyze(spec), spec)
    with_room = [i for i, room in enumerate(stepped.column_headers.rooms) if room != 0]
    assert len(with_room) > 10
    assert sum(stepped.headers[i] is not None for i in with_room) < len(with_room), "not all in one stop"
    settle(qtbot, stepped)
    assert header_state(stepped) == header_state(eager)


def test_headers_made_in_steps_are_those_an_eager_build_makes(qtbot, monkeypatch):
    spec = deep_spec(40)  # 121 columns side by side: most headers have no room and are hidden
    stepped = make_canvas(qtbot)
    stepped.set_model(analyze(spec), spec)
    assert None in stepped.headers, "the hidden headers are not made at once"
    assert stepped.column_headers.made < len(stepped.columns)
    settle(qtbot, stepped)

    stepwise = H.SYNC_HEADERS
    monkeypatch.setattr(H, "SYNC_HEADERS", 10_000)  # every header at once
    eager = make_canvas(qtbot)
    eager.set_model(analyze(spec), spec)
    assert None not in eager.headers
    settle(qtbot, eager)

    assert header_state(stepped) == header_state(eager)
    assert ("hidden",) in header_state(stepped)  # some hidden, as eagerly
    rooms = stepped.column_headers.rooms
    without_room = [i for i, room in enumerate(rooms) if room == 0]
    assert without_room and all(stepped.headers[i] is None for i in without_room), (
        "a header without room is not made until it has room"
    )
    assert stepped.view.viewRange() == eager.view.viewRange()
    # selecting a layer whose header was hidden shows it, highlighted, in both
    for canvas in (stepped, eager):
        canvas.select_layer(30)
    assert header_state(stepped) == header_state(eager)
    # zoomed in: rooms change; those near the view follow at once, the others in steps
    for canvas, at_once in ((stepped, stepwise), (eager, 10_000)):
        monkeypatch.setattr(H, "SYNC_HEADERS", at_once)
        for _ in range(5):  # zoom in about the centre, as + does
            qtbot.keyClick(canvas, QtCore.Qt.Key.Key_Plus)
        canvas.refresh_lod()
        assert canvas.headers_complete() == (canvas is eager)
    settle(qtbot, stepped)
    settle(qtbot, eager)
    assert header_state(stepped) == header_state(eager)
    assert sum(state != ("hidden",) for state in header_state(stepped)) > 10


def test_a_new_model_during_the_steps_drops_them(qtbot, monkeypatch):
    first, second = deep_spec(50), deep_spec(40, units=40)
    canvas = make_canvas(qtbot)
    canvas.set_model(analyze(first), first)
    made_for_first = canvas.column_headers.made
    assert made_for_first < len(canvas.columns)  # the rest was left to the steps
    canvas.set_model(analyze(second), second)  # before any step ran
    settle(qtbot, canvas)
    # no header was made for the first model's columns after it was replaced: the second's reuse
    # the items made at once, and only the missing ones are new
    assert canvas.column_headers.made == max(made_for_first, made_headers(canvas))
    layer_children = canvas.column_headers.layer.childItems()
    assert len(layer_children) == made_headers(canvas), "the first model's leftovers are gone"
    monkeypatch.setattr(H, "SYNC_HEADERS", 10_000)
    eager = make_canvas(qtbot)
    eager.set_model(analyze(second), second)
    settle(qtbot, eager)
    assert header_state(canvas) == header_state(eager)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: edited(s, 13, units=70), id="units"),
        pytest.param(lambda s: s.with_layer(7, dataclasses.replace(s.layers[7], name="renamed")), id="rename"),
        pytest.param(lambda s: edited(s, 3, rate=0.5), id="setting"),
    ],
)
def test_a_structure_keeping_edit_draws_what_a_fresh_canvas_draws(qtbot, change):
    spec = deep_spec(40)
    new = change(spec)
    canvas = make_canvas(qtbot)
    canvas.set_model(analyze(spec), spec)
    canvas.set_weights(random_weights(spec))
    settle(qtbot, canvas)
    items = list(canvas.headers)
    made = canvas.column_headers.made

    canvas.set_model(analyze(new), new)  # the edit, as the window sends it
    canvas.set_weights(random_weights(new, seed=1))
    settle(qtbot, canvas)
    assert canvas.column_headers.made == made and canvas.headers == items, "the headers were kept"

    fresh = make_canvas(qtbot)
    fresh.set_model(analyze(new), new)
    fresh.set_weights(random_weights(new, seed=1))
    settle(qtbot, fresh)
    assert drawing(canvas) == drawing(fresh)

    # weights pending again, as after an edit Keras has not built yet (the window sends None)
    for each in (canvas, fresh):
        each.set_model(analyze(new), new)
        with qtbot.waitSignal(each.weightsDrawn, timeout=5_000):
            each.set_weights(None)
    assert drawing(canvas) == drawing(fresh)
    assert canvas.pending and "pending" in canvas.status.toPlainText()


def test_an_edit_keeps_a_view_the_person_moved(qtbot):
    spec = deep_spec(14)
    canvas = make_canvas(qtbot)
    canvas.set_model(analyze(spec), spec)
    settle(qtbot, canvas)
    canvas.setFocus()
    qtbot.keyClick(canvas, QtCore.Qt.Key.Key_Plus)  # zoom in about the centre
    moved = canvas.view.viewRange()
    new = edited(spec, 13, units=70)
    canvas.set_model(analyze(new), new)
    assert canvas.view.viewRange() == moved
    assert canvas.columns[canvas._column_index_of_layer(13)].n == 70


def test_compute_lod_from_the_previous_one_equals_a_fresh_computation():
    spec = deep_spec(10)
    new = edited(spec, 7, units=90)
    view, size = (-0.5, 12.0, -40.0, 40.0), (900.0, 500.0)
    before, links = L.build_columns(analyze(spec), spec)
    after, new_links = L.build_columns(analyze(new), new)
    assert L.same_links(links, new_links)
    kept = [L.same_geometry(a, b) for a, b in zip(before, after, strict=True)]
    assert not all(kept) and any(kept)
    previous = L.compute_lod(before, links, view, size)
    partial = L.compute_lod(after, new_links, view, size, previous, kept)
    whole = L.compute_lod(after, new_links, view, size)
    assert partial.columns.keys() == whole.columns.keys()
    for ci, cl in whole.columns.items():
        other = partial.columns[ci]
        assert other.level == cl.level
        assert np.array_equal(other.starts, cl.starts) and np.array_equal(other.y, cl.y)
    assert [(ll.link, ll.src.tolist(), ll.dst.tolist(), ll.y0.tolist(), ll.y1.tolist()) for ll in partial.links] == [
        (ll.link, ll.src.tolist(), ll.dst.tolist(), ll.y0.tolist(), ll.y1.tolist()) for ll in whole.links
    ]
    kept_links = [ll for ll in partial.links if any(ll is old for old in previous.links)]
    assert kept_links, "links between unchanged columns are taken over"


def test_styled_scatter_stores_what_set_data_stores(qapp):
    rng = np.random.default_rng(0)
    n = 500
    x, y = rng.normal(size=n), rng.normal(size=n)
    size = rng.choice([3.0, 4.5, 8.0], n)
    symbols = np.empty(3, dtype=object)
    symbols[:] = ["o", "s", "t"]
    brushes = np.empty(4, dtype=object)
    brushes[:] = [pg.mkBrush(c) for c in ("r", "g", "b", "y")]
    symbol_codes, style_codes = rng.integers(0, 3, n), rng.integers(0, 4, n)
    pen = pg.mkPen("k")

    styled = StyledScatter(pxMode=True)
    styled.set_points(x, y, size, symbol_codes, style_codes, symbols, brushes, pen)
    plain = pg.ScatterPlotItem(pxMode=True)
    plain.setData(x=x, y=y, size=size, symbol=list(symbols[symbol_codes]), brush=list(brushes[style_codes]), pen=pen)
    for field in ("x", "y", "size", "visible"):
        assert np.array_equal(styled.data[field], plain.data[field]), field
    assert list(styled.data["symbol"]) == list(plain.data["symbol"])
    assert all(a is b for a, b in zip(styled.data["brush"], plain.data["brush"], strict=True))
    # the same atlas image for every point (each atlas packs its own: compare the pixels)
    for item in (styled, plain):
        assert not item.fragmentAtlas.pixmap.isNull()  # the atlas draws its symbols
    for i in range(0, n, 37):
        for item in (styled, plain):
            assert item.data["sourceRect"]["w"][i] > 0
        a, b = styled.data["sourceRect"][i], plain.data["sourceRect"][i]
        pa = styled.fragmentAtlas._data[a["y"] : a["y"] + a["h"], a["x"] : a["x"] + a["w"]]
        pb = plain.fragmentAtlas._data[b["y"] : b["y"] + b["h"], b["x"] : b["x"] + b["w"]]
        assert pa.shape == pb.shape and np.array_equal(pa, pb)
    # fewer points the next time: the records are reused, nothing of the last call is left
    styled.set_points(x[:10], y[:10], size[:10], symbol_codes[:10], style_codes[:10], symbols, brushes, pen)
    assert len(styled.data) == 10 and list(styled.data["item"]) == [None] * 10


def convnet(head_units: int) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[16, 16, 3]))
    for class_name, params in (
        ("Conv2D", {"filters": 8, "kernel_size": 3}),
        ("BatchNormalization", {}),
        ("ReLU", {}),
        ("Conv2D", {"filters": 16, "kernel_size": 3}),
        ("GlobalAveragePooling2D", {}),
        ("Dense", {"units": 32, "activation": "relu"}),
        ("Dense", {"units": head_units}),
    ):
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec


def pixels(canvas: NetworkCanvas) -> bytes:
    image = canvas.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    return bytes(image.constBits())


def test_feature_maps_after_an_edit_elsewhere_are_painted_as_afresh(qtbot):
    spec, new = convnet(10), convnet(6)  # the head's units: the maps keep their places
    canvas = make_canvas(qtbot)
    canvas.set_model(analyze(spec), spec)
    settle(qtbot, canvas)
    canvas.grab()  # the feature maps laid out for this view
    canvas.set_model(analyze(new), new)
    settle(qtbot, canvas)
    assert canvas.maps._layout is not None, "the maps' layout was kept"
    fresh = make_canvas(qtbot)
    fresh.set_model(analyze(new), new)
    settle(qtbot, fresh)
    assert pixels(canvas) == pixels(fresh)

    wider = new.with_layer(1, new.layers[1].with_params(filters=12))  # a convolution itself changes
    canvas.set_model(analyze(wider), wider)
    assert canvas.maps._layout is None
    fresh.set_model(analyze(wider), wider)
    settle(qtbot, canvas)
    settle(qtbot, fresh)
    assert pixels(canvas) == pixels(fresh)


def test_weights_that_come_keep_the_maps_laid_out_and_paint_as_afresh(qtbot):
    from tests.ui.test_canvas_paint import forget, paint_maps
    from tests.ui.test_feature_maps import weights_for

    spec = convnet(10)
    canvas = make_canvas(qtbot)
    canvas.set_model(analyze(spec), spec)
    settle(qtbot, canvas)
    canvas.grab()  # the feature maps laid out for this view, their kernels pending
    laid_out = canvas.maps._layout
    assert laid_out is not None
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):
        canvas.set_weights(weights_for(spec))
    settle(qtbot, canvas)
    canvas.hide()  # from here on only the test paints it
    kept, _calls = paint_maps(canvas)
    assert canvas.maps._layout is laid_out, "the blocks and mosaics stand where they stood"
    forget(canvas)
    afresh, _calls = paint_maps(canvas)
    assert canvas.maps._layout is not laid_out
    assert np.array_equal(kept, afresh)


def test_another_model_of_as_many_columns_is_drawn_afresh_and_fitted(qtbot):
    spec = deep_spec(14)
    other = deep_spec(14, units=200)  # joined alike, but every Dense column is another
    canvas = make_canvas(qtbot)
    canvas.set_model(analyze(spec), spec)
    settle(qtbot, canvas)
    canvas.setFocus()
    qtbot.keyClick(canvas, QtCore.Qt.Key.Key_Plus)  # the person zoomed in
    canvas.set_model(analyze(other), other)
    settle(qtbot, canvas)
    fresh = make_canvas(qtbot)
    fresh.set_model(analyze(other), other)
    settle(qtbot, fresh)
    assert drawing(canvas) == drawing(fresh)  # fitted, as a fresh canvas
