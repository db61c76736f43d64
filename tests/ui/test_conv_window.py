"""Convolutions in the window: a person places a Conv2D and types a kernel size Keras refuses; the
message is Keras's, at the field, and nothing is pushed. The canvas draws the layer as its
feature maps and its filters (tiles), and hovering a tile shows the weight."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, Qt

from nnstudio.core.shapes import infer_all
from nnstudio.services.document import Document
from nnstudio.ui.canvas.conv_drawer import geometry
from nnstudio.ui.canvas.feature_maps import KernelTiles
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining
from tests.ui.test_main_window import no_dialogs, settings  # noqa: F401 - fixtures


def _type(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_a_person_places_a_conv2d_and_a_bad_kernel_size_is_marked_at_the_field(qtbot, settings, no_dialogs):  # noqa: F811
    service = FakeBuilds()
    document = Document.new_empty()
    window = MainWindow(document, service, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.start_service()
    stack, palette, properties = window.layer_stack, window.palette_widget, window.property_editor
    model = stack.model()
    for class_name in ("Input", "Conv2D", "MaxPooling2D", "Flatten", "Dense"):
        assert model.dropMimeData(palette.mime_data_for(class_name), Qt.DropAction.CopyAction, -1, 0, QModelIndex())
    stack.setCurrentIndex(model.index(0))
    _type(qtbot, properties.field("shape"), "28, 28, 1")
    assert [row.output_shape for row in document.summary().rows] == [(26, 26, 32), (13, 13, 32), (5408,), (32,)]
    stack.setCurrentIndex(model.index(1))
    pushed = document.undo_stack.count()

    # a value the kind refuses: Keras's words at the field, nothing pushed
    kernel_size = properties.field("kernel_size")
    _type(qtbot, kernel_size, "0, 3")
    assert "Received: kernel_size=(0, 3)" in properties.error_text("kernel_size")
    assert kernel_size.property("invalid") is True
    assert document.undo_stack.count() == pushed and document.spec.layers[1].get("kernel_size") == [3, 3]

    # a value that does not fit the input: the analysis's message at the same field
    _type(qtbot, kernel_size, "3, 29")
    assert "Computed output size would be zero or negative" in properties.error_text("kernel_size")
    assert kernel_size.property("invalid") is True

    # a good one clears the mark and is one undoable step
    _type(qtbot, kernel_size, "5, 5")
    assert properties.error_text("kernel_size") == "" and not kernel_size.property("invalid")
    assert document.spec.layers[1].get("kernel_size") == [5, 5]
    assert document.summary().rows[0].output_shape == (24, 24, 32)

    # strides with dilation: refused where Keras refuses it
    _type(qtbot, properties.field("dilation_rate"), "2")
    _type(qtbot, properties.field("strides"), "2")
    assert "`strides > 1` not supported in conjunction with `dilation_rate > 1`" in properties.error_text(
        "dilation_rate"
    )
    document.undo_stack.setClean()


def test_the_canvas_draws_filters_as_tiles_and_hover_shows_each_weight(qtbot, settings, no_dialogs):  # noqa: F811
    service = FakeBuilds()
    document = Document.new_empty()
    window = MainWindow(document, service, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.start_service()
    for class_name, params in (
        ("Input", {"shape": [12, 12, 2]}),
        ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}),
        ("MaxPooling2D", {}),
        ("Flatten", {}),
        ("Dense", {"units": 3}),
    ):
        document.insert_layer(len(document.spec.layers), class_name, **params)
    canvas = window.canvas
    rng = np.random.default_rng(3)
    weights, shape = {}, tuple(document.spec.layers[0].get("shape"))
    for layer in document.spec.layers[1:]:
        _outputs, variables = infer_all(layer, [shape])
        weights[layer.name] = [rng.normal(size=v.shape).astype(np.float32) for v in variables]
        shape = _outputs[0]
    window.flush_views()  # the views take the edits; then Keras is asked for a build
    with qtbot.waitSignal(window.kerasSettled):
        service.answer(weights=weights)
    qtbot.waitUntil(window.views_current)  # the canvas takes the model on a later turn of the event loop
    conv = next(c for c in canvas.columns if c.name == "conv2d")
    assert isinstance(conv.figure, KernelTiles)
    assert np.array_equal(conv.figure.per_channel, weights["conv2d"][0]) and conv.figure.layout.tiles == 4
    assert "10×10×4" in conv.detail and "5×5×4" in next(c for c in canvas.columns if c.name == "max_pooling2d").detail

    ppx, ppy = canvas._pixel_scale()
    blocks, mosaics = geometry(canvas.columns, document.spec, ppx, ppy)
    assert [canvas.columns[b.column].name for b in blocks] == ["input_layer", "conv2d", "max_pooling2d"]
    (tiles,) = mosaics
    kernel = weights["conv2d"][0]  # (3, 3, 2, 4)
    # the cell of filter 2, tap (1, 0): its two input channels summed
    row, col = tiles.mosaic.tile_at(2)
    x = tiles.x0 + (col + 0 + 0.5) * tiles.cell_w
    y = tiles.y1 - (row + 1 + 0.5) * tiles.cell_h
    text = canvas.describe_at(x, y)
    assert "conv2d: filter 2 of 4, tap (1, 0)" in text
    assert f"sum w = {kernel[1, 0, :, 2].sum():+.4f}" in text
    assert f"bias of filter 2: {weights['conv2d'][1][2]:+.4f}" in text
    block = blocks[1]
    text = canvas.describe_at((block.x0 + block.x1) / 2, block.y1 - 1e-6)
    assert "10×10×4: 4 feature maps of 10×10" in text and f"channel 0: bias {weights['conv2d'][1][0]:+.4f}" in text
    assert "weights pending" not in canvas.status.toPlainText()
    document.undo_stack.setClean()
