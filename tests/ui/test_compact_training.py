"""Training in a compact window (1280×720, 1366×768; issue 15): the Training tab, raised and while a
run goes, never hides the Summary. The Summary stays beside the panel with six rows and its names
whole, the curves at least PLOT_MIN_HEIGHT tall, and the side columns come back when another tab is
raised. In a wide window the layout stays as it was."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QTabBar, QWidget

from nnstudio.core.spec import ModelSpec
from nnstudio.services.document import Document
from nnstudio.ui import dock_layout
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.training_panel import PLOT_MIN_HEIGHT
from tests.ui.fakes import FakeBuilds, FakeTraining

LAYERS = [
    ("Input", {"shape": [20]}),
    ("Dense", {"units": 64, "activation": "relu"}),
    ("BatchNormalization", {}),
    ("Dropout", {"rate": 0.2}),
    ("Dense", {"units": 32, "activation": "relu"}),
    ("LayerNormalization", {}),
    ("Dense", {"units": 16, "activation": "relu"}),
    ("Dense", {"units": 10}),
]


def seven_row_spec() -> ModelSpec:
    spec = ModelSpec()
    for i, (kind, params) in enumerate(LAYERS):
        spec = spec.inserted(i, spec.new_layer(kind, **params))
    return spec


def open_window(qtbot, tmp_path, size) -> tuple[MainWindow, FakeTraining]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    builds, training = FakeBuilds(), FakeTraining()
    document = Document(seven_row_spec())
    document.select_layer(1)  # as the application does on start and after Open
    window = MainWindow(document, builds, training, settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size)
    window.start_service()
    qtbot.waitUntil(lambda: bool(builds.builds))
    with qtbot.waitSignal(window.kerasSettled):
        builds.answer()
    QApplication.processEvents()  # the dock sizes set when the window was shown take effect
    return window, training


def click_tab(qtbot, window: MainWindow, title: str) -> None:
    """Click the dock tab titled `title`, as a person does."""
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title and bar.isVisible():
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no {title} tab")


def in_front(widget) -> bool:
    """Shown and not covered (a tab behind others is moved out of the window; a view is covered by
    its own viewport, so the viewport is asked)."""
    viewport = getattr(widget, "viewport", None)
    shown = viewport() if callable(viewport) else widget
    return widget.isVisible() and not shown.visibleRegion().isEmpty()


def inside(widget, ancestor) -> bool:
    top_left = widget.mapTo(ancestor, widget.rect().topLeft())
    bottom_right = widget.mapTo(ancestor, widget.rect().bottomRight())
    return ancestor.rect().contains(top_left) and ancestor.rect().contains(bottom_right)


def assert_summary_in_view(window: MainWindow, names_whole: bool = True) -> None:
    """The Summary in front (not a tab behind another), six rows, and every layer name whole."""
    docks = window.docks
    summary = docks["summaryDock"]
    assert summary not in window.tabifiedDockWidgets(docks["trainingDock"])
    table = window.summary_table
    assert in_front(summary) and in_front(table) and in_front(table.view)
    assert inside(table.view, window), "the table lies within the window"
    view = table.view
    assert table.model.rowCount() >= dock_layout.SUMMARY_ROWS
    for row in range(dock_layout.SUMMARY_ROWS):
        rect = view.visualRect(table.model.index(row, 0))
        assert view.viewport().rect().contains(rect), f"row {row} is scrolled away or cut"
    for row in range(table.model.rowCount() if names_whole else 0):
        text = table.model.index(row, 0).data()
        need = view.fontMetrics().horizontalAdvance(text) + 8  # the cell's padding
        assert view.columnWidth(0) >= need, f"{text!r} is cut"
    assert not summary.geometry().intersects(docks["trainingDock"].geometry())


def summary_covers(window: MainWindow, dock) -> bool:
    return window.docks["summaryDock"].geometry().intersects(dock.geometry())


def assert_curves_in_view(window: MainWindow) -> None:
    panel = window.training_panel
    assert panel is not None
    scroller = window.docks["trainingDock"].widget()
    assert in_front(window.docks["trainingDock"]) and in_front(panel.plot)
    assert panel.plot.height() >= PLOT_MIN_HEIGHT
    assert inside(panel.plot, scroller.viewport()), "the curves in view, not scrolled away"


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_training_keeps_the_summary_in_view_in_a_compact_window(qtbot, tmp_path, size):
    window, training = open_window(qtbot, tmp_path, size)
    docks = window.docks
    assert dock_layout.compact_layout(window, docks)
    side = [docks[n] for n in ("paletteDock", "layerStackDock", "propertyDock", "compileDock")]
    heights = [d.height() for d in side]
    assert_summary_in_view(window, names_whole=False)  # before training: beside the Weights (a long name may be cut)

    click_tab(qtbot, window, "Training")
    panel = window.training_panel
    qtbot.waitUntil(lambda: in_front(panel.plot) and panel.plot.height() >= PLOT_MIN_HEIGHT)
    qtbot.waitUntil(lambda: inside(panel.plot, docks["trainingDock"].widget().viewport()))
    assert_summary_in_view(window)
    assert_curves_in_view(window)

    with qtbot.waitSignal(panel.trainingStateChanged) as started:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert started.args == [True] and training.calls[-1][0] == "start"
    with qtbot.waitSignal(training.stateChanged):
        training.stateChanged.emit("training", "Training…")  # as the engine answers
    with qtbot.waitSignal(training.finished):
        training.play(epochs=3)
    qtbot.waitUntil(lambda: panel.plot.getPlotItem().listDataItems() != [])
    assert not in_front(docks["dataDock"]), "the Data tab does not cover the curves the run was started from"
    assert_summary_in_view(window)
    assert_curves_in_view(window)
    assert window.canvas is not None and window.canvas.height() >= 220, "the canvas stays in view"

    click_tab(qtbot, window, "Data")  # the data view beside the Summary, wide enough for its two plots
    data = docks["dataDock"]
    qtbot.waitUntil(lambda: in_front(data) and data.width() >= dock_layout.DATA_WIDE)
    assert_summary_in_view(window)
    assert not summary_covers(window, data)

    click_tab(qtbot, window, "Weights")  # the side columns come back as they were
    qtbot.waitUntil(lambda: [d.height() for d in side] == heights)
    assert in_front(docks["weightsDock"])
    assert_summary_in_view(window, names_whole=False)


def test_a_wide_window_keeps_its_layout(qtbot, tmp_path):
    window, training = open_window(qtbot, tmp_path, (1920, 1080))
    docks = window.docks
    assert not dock_layout.compact_layout(window, docks)
    columns = [docks[n].geometry() for n in ("paletteDock", "layerStackDock", "propertyDock", "compileDock")]
    click_tab(qtbot, window, "Training")
    panel = window.training_panel
    qtbot.waitUntil(lambda: in_front(panel.plot) and panel.plot.height() >= PLOT_MIN_HEIGHT)
    assert_summary_in_view(window)
    assert [docks[n].geometry().x() for n in ("paletteDock", "propertyDock")] == [c.x() for c in columns[::2]]
    # the side columns keep their full height (the bottom row stays between them)
    assert docks["layerStackDock"].geometry().bottom() == columns[1].bottom()
    assert docks["compileDock"].geometry().bottom() == columns[3].bottom()
    with qtbot.waitSignal(training.stateChanged):
        training.stateChanged.emit("training", "Training…")
    assert in_front(panel.plot) and not in_front(docks["dataDock"]), "the run's curves stay where it was started"


def test_a_window_made_large_while_training_shows_gets_its_side_columns_back(qtbot, tmp_path):
    window, _training = open_window(qtbot, tmp_path, (1280, 720))
    docks = window.docks
    click_tab(qtbot, window, "Training")
    summary = docks["summaryDock"]
    qtbot.waitUntil(lambda: summary.geometry().left() < docks["layerStackDock"].geometry().right())  # below Model
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1920, 1080))
    click_tab(qtbot, window, "Weights")
    # the side columns reach down beside the bottom row again, the row between them
    qtbot.waitUntil(lambda: summary.geometry().left() > docks["layerStackDock"].geometry().right())
    assert docks["layerStackDock"].geometry().bottom() > summary.geometry().top()
    assert docks["compileDock"].geometry().bottom() > summary.geometry().top()
    assert_summary_in_view(window)


@pytest.mark.parametrize("size", [(1500, 850), (1600, 900)])
def test_the_training_tab_never_needs_a_sideways_scroll(qtbot, tmp_path, size):
    """Between ~440 and ~560 px wide the Data and Training boxes do not fit side by side: they stack."""
    window, _training = open_window(qtbot, tmp_path, size)
    click_tab(qtbot, window, "Training")
    scroller = window.findChild(QWidget, "trainingScroller")
    panel = window.training_panel
    qtbot.waitUntil(lambda: in_front(panel.plot))
    qtbot.waitUntil(lambda: not scroller.horizontalScrollBar().isVisible())  # once the layout has settled
    viewport = scroller.viewport().width()
    assert panel.minimumSizeHint().width() <= viewport
    for button in (panel.train_button, panel.reset_button):
        assert button.mapTo(scroller.viewport(), button.rect().bottomRight()).x() <= viewport
