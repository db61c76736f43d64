"""The window at 1280×720, a common laptop size, and at 1920×1080: every panel with the room it needs
(issue 15): the canvas clear of its status text, six Summary rows, training curves at least 180 px
tall with their legend beside them, the histogram whole, and no word that matters cut."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFontMetrics

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui import dock_layout
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.palette import ClassNameRole, PaletteDelegate, SubtitleRole, short_help, subtitle_lines
from nnstudio.ui.training_panel import PLOT_MIN_HEIGHT
from tests.ui.fakes import FakeBuilds, FakeTraining


def open_window(qtbot, tmp_path, size) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    document = Document(lesson_spec())
    document.select_layer(1)
    builds = FakeBuilds()
    window = MainWindow(document, builds, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size)
    window.start_service()
    qtbot.waitUntil(lambda: bool(builds.builds))
    rng = np.random.default_rng(0)
    weights = {
        "dense": [rng.normal(0, 0.2, (20, 64)), np.zeros(64)],
        "dense_1": [rng.normal(0, 0.2, (64, 10)), np.zeros(10)],
    }
    builds.answer(weights={k: [a.astype("float32") for a in v] for k, v in weights.items()})
    qtbot.waitUntil(window.views_current)  # the Weights dock shows them (a turn later)
    return window


def inside(widget, ancestor) -> bool:
    """Whether `widget` lies whole within `ancestor`'s rectangle (nothing of it clipped)."""
    top_left = widget.mapTo(ancestor, widget.rect().topLeft())
    bottom_right = widget.mapTo(ancestor, widget.rect().bottomRight())
    return ancestor.rect().contains(top_left) and ancestor.rect().contains(bottom_right)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_panel_has_its_room(qtbot, tmp_path, size):
    window = open_window(qtbot, tmp_path, size)
    canvas = window.canvas
    assert canvas is not None
    assert canvas.height() >= 300 and canvas.width() >= 600, f"canvas {canvas.width()}×{canvas.height()}"
    status = canvas.status.sceneBoundingRect()
    for header in canvas.headers:  # the status text covers no layer's header
        assert not header.sceneBoundingRect().intersects(status)

    table = window.summary_table.view
    rows = table.verticalHeader().defaultSectionSize()
    assert table.viewport().height() >= dock_layout.SUMMARY_ROWS * rows, "six layers in view without scrolling"
    assert window.summary_table.state_label.isVisible() and inside(window.summary_table.state_label, window)

    window.docks["weightsDock"].raise_()
    histogram = window.weights_panel.histogram
    assert histogram is not None
    qtbot.waitUntil(lambda: histogram.isVisible())
    assert histogram.height() >= histogram.minimumHeight() and histogram.width() >= histogram.minimumWidth()
    assert inside(histogram, window.weights_panel), "the histogram is whole"

    training = window.docks["trainingDock"]
    training.raise_()
    panel = window.training_panel
    qtbot.waitUntil(lambda: panel.plot.isVisible() and panel.plot.height() >= PLOT_MIN_HEIGHT)
    scroller = training.widget()
    qtbot.waitUntil(lambda: inside(panel.plot, scroller.viewport()))  # the curves in view, not scrolled away
    view_box = panel.plot.getPlotItem().getViewBox().sceneBoundingRect()
    assert view_box.height() >= PLOT_MIN_HEIGHT - 60  # the plotting area itself, axes aside
    assert not panel.legend.sceneBoundingRect().intersects(view_box), "the legend is not over the curves"
    assert canvas.height() >= 220, "the canvas stays in view while training"


def test_names_that_matter_are_whole_at_1280x720(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, (1280, 720))
    compile_settings = window.compile_settings
    loss = compile_settings.loss  # the longest loss name fits the box (checked without choosing it)
    assert loss.findText("sparse_categorical_crossentropy") >= 0
    text_room = loss.width() - 28  # the arrow and the frame
    assert QFontMetrics(loss.font()).horizontalAdvance("sparse_categorical_crossentropy") <= text_room
    metrics = compile_settings.metrics
    for i in range(metrics.count()):
        item = metrics.item(i)
        need = metrics.fontMetrics().horizontalAdvance(item.text()) + 24  # and the check box
        assert metrics.visualItemRect(item).width() >= need, f"{item.text()} is cut"
        assert inside(metrics, compile_settings.parentWidget()) or metrics.visualItemRect(item).right() <= (
            metrics.viewport().width()
        )

    tree = window.palette_widget.tree
    delegate = tree.itemDelegate()
    assert isinstance(delegate, PaletteDelegate)
    metrics_small = QFontMetrics(PaletteDelegate.small_font(tree.font()))
    whole = 0
    total = 0
    for f in range(tree.topLevelItemCount()):
        family = tree.topLevelItem(f)
        for c in range(family.childCount()):
            item = family.child(c)
            help_text = item.data(0, SubtitleRole)
            room = tree.visualItemRect(item).width() - 3 * PaletteDelegate.PAD - PaletteDelegate.ICON  # as painted
            shown = " ".join(subtitle_lines(help_text, metrics_small, room))
            clause = short_help(help_text)
            total += 1
            if shown == clause:
                whole += 1
                continue
            assert shown.endswith("…"), item.data(0, ClassNameRole)
            kept = shown[:-1]
            assert clause.startswith(kept) and clause[len(kept)] in " ,;:", f"{shown!r}: a word is cut"
    assert whole >= 0.66 * total, f"only {whole} of {total} palette lines are whole"
