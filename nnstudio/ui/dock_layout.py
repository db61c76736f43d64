"""The window's docks: which panel goes where, and their default sizes for the window's size.

`make_panels` creates the panels over a document, `build_docks` places them around the central
widget of any QMainWindow; the window keeps and restores the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDockWidget, QFrame, QMainWindow, QMenu, QScrollArea, QWidget

from nnstudio.services.document import Document
from nnstudio.ui.compile_settings import CompileSettings
from nnstudio.ui.layer_stack import LayerStackView
from nnstudio.ui.palette import LayerPalette
from nnstudio.ui.property_editor import PropertyEditor
from nnstudio.ui.summary_table import SummaryTable
from nnstudio.ui.weights_panel import WeightsPanel

SUMMARY_HEIGHT = 245  # the table's header, two rows, the totals and the Keras mark without scrolling
TRAINING_HEIGHT = 460  # the Training tab raised: its settings, buttons, progress and curves without scrolling
NARROW_MIDDLE = 640  # below this width between the side columns, Summary and Weights are tabs
DOCKS = ("paletteDock", "layerStackDock", "propertyDock", "compileDock", "summaryDock", "weightsDock")


@dataclass
class Panels:
    """The panels around the canvas, over one document."""

    palette: LayerPalette
    layer_stack: LayerStackView
    property_editor: PropertyEditor
    compile_settings: CompileSettings
    summary_table: SummaryTable
    weights_panel: WeightsPanel


def make_panels(document: Document) -> Panels:
    """The panels over `document`."""
    return Panels(
        LayerPalette(),
        LayerStackView(document),
        PropertyEditor(document),
        CompileSettings(document),
        SummaryTable(document),
        WeightsPanel(),
    )


def make_dock(
    window: QMainWindow, title: str, object_name: str, widget: QWidget, area: Qt.DockWidgetArea
) -> QDockWidget:
    """A movable, floatable, closable dock around `widget`, added to `window`."""
    dock = QDockWidget(title, window)
    dock.setObjectName(object_name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    window.addDockWidget(area, dock)
    return dock


def build_docks(window: QMainWindow, panels: Panels) -> dict[str, QDockWidget]:
    """Dock the panels: palette and layer stack left, properties and compile settings right,
    summary and weights below. The docks by object name."""
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    right = Qt.DockWidgetArea.RightDockWidgetArea
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    compact_combos(panels.compile_settings)
    docks = {
        "paletteDock": make_dock(window, "Layers", "paletteDock", panels.palette, left),
        "layerStackDock": make_dock(window, "Model", "layerStackDock", panels.layer_stack, left),
        "propertyDock": make_dock(window, "Properties", "propertyDock", panels.property_editor, right),
        "compileDock": make_dock(
            window, "Compile", "compileDock", scrolling(panels.compile_settings, "compileScroller"), right
        ),
        "summaryDock": make_dock(window, "Summary", "summaryDock", panels.summary_table, bottom),
        "weightsDock": make_dock(window, "Weights", "weightsDock", panels.weights_panel, bottom),
    }
    window.splitDockWidget(docks["paletteDock"], docks["layerStackDock"], Qt.Orientation.Vertical)
    window.splitDockWidget(docks["propertyDock"], docks["compileDock"], Qt.Orientation.Vertical)
    window.splitDockWidget(docks["summaryDock"], docks["weightsDock"], Qt.Orientation.Horizontal)
    window.setCorner(Qt.Corner.BottomLeftCorner, left)
    window.setCorner(Qt.Corner.BottomRightCorner, right)
    show_all_metrics(panels.compile_settings)
    return docks


def add_training_dock(
    window: QMainWindow, docks: dict[str, QDockWidget], panel: QWidget, view_menu: QMenu, before: QAction
) -> QDockWidget:
    """Dock the training panel as a tab behind the Weights, listed in `view_menu` before `before`: the
    Summary beside it stays in view while training runs (the canvas shows the weights live)."""
    # In a scroll area, so that the panel's many controls never squeeze the canvas.
    scroller = QScrollArea()
    scroller.setObjectName("trainingScroller")
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QFrame.Shape.NoFrame)
    scroller.setWidget(panel)
    dock = docks["trainingDock"] = make_dock(
        window, "Training", "trainingDock", scroller, Qt.DockWidgetArea.BottomDockWidgetArea
    )
    summary, weights = docks["summaryDock"], docks["weightsDock"]
    window.tabifyDockWidget(weights, dock)
    weights.raise_()
    window.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
    view_menu.insertAction(before, dock.toggleViewAction())
    return dock


def scrolling(widget: QWidget, object_name: str) -> QScrollArea:
    """`widget` at its natural size when there is room, scrolled when the window is small."""
    scroller = QScrollArea()
    scroller.setObjectName(object_name)
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QFrame.Shape.NoFrame)
    scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroller.setWidget(widget)
    # As wide as the widget needs: it scrolls up and down only.
    bar = scroller.verticalScrollBar().sizeHint().width()
    scroller.setMinimumWidth(widget.minimumSizeHint().width() + bar)
    return scroller


def compact_combos(widget: QWidget) -> None:
    """Combo boxes as wide as the dock gives them, not as their longest entry (the list shows it whole)."""
    for combo in widget.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)


def show_all_metrics(compile_settings: CompileSettings) -> None:
    """Every metric check box in view, not a few in a scrolled list (the dock scrolls instead)."""
    metrics = compile_settings.metrics
    if metrics.count() == 0:
        return
    height = metrics.sizeHintForRow(0) * metrics.count() + 2 * metrics.frameWidth() + 6
    metrics.setMinimumHeight(height)
    metrics.setMaximumHeight(height)
    metrics.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    metrics.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    metrics.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a narrow window: "sparse_ca…accuracy"
    for i in range(metrics.count()):
        item = metrics.item(i)
        if not item.toolTip():
            item.setToolTip(item.text())


def default_sizes(window: QMainWindow, docks: dict[str, QDockWidget], compile_settings: QWidget) -> None:
    """Docks sized for the window's size: the canvas gets the most room, every panel stays readable."""
    width, height = max(window.width(), 900), max(window.height(), 600)
    side_left = max(215, min(270, int(width * 0.19)))
    side_right = max(300, min(350, int(width * 0.245)), docks["compileDock"].widget().minimumWidth())
    window.resizeDocks(
        [docks["paletteDock"], docks["propertyDock"]], [side_left, side_right], Qt.Orientation.Horizontal
    )
    column = height - 60  # menu and status bars
    palette = min(int(column * 0.5), 380)
    window.resizeDocks(
        [docks["paletteDock"], docks["layerStackDock"]],
        [palette, column - palette],
        Qt.Orientation.Vertical,
    )
    compile_height = min(compile_settings.sizeHint().height() + 32, int(column * 0.55))  # and the title bar
    window.resizeDocks(
        [docks["propertyDock"], docks["compileDock"]],
        [column - compile_height, compile_height],
        Qt.Orientation.Vertical,
    )
    summary, weights_dock = docks["summaryDock"], docks["weightsDock"]
    middle = width - side_left - side_right
    if middle < NARROW_MIDDLE:  # no room for both side by side: tabs, each readable
        window.tabifyDockWidget(summary, weights_dock)
        summary.raise_()
    elif window.tabifiedDockWidgets(summary) and weights_dock in window.tabifiedDockWidgets(summary):
        window.splitDockWidget(summary, weights_dock, Qt.Orientation.Horizontal)
    window.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
    if middle >= NARROW_MIDDLE:
        weights = middle * 9 // 20
        window.resizeDocks([summary, weights_dock], [middle - weights, weights], Qt.Orientation.Horizontal)


def size_bottom_row(window: QMainWindow, docks: dict[str, QDockWidget], training_shown: bool, grown: bool) -> bool:
    """The Training tab raised: the bottom row grows to fit the panel and Training takes most of its
    width, the Summary beside it; the Weights raised again after that: the row goes back to the
    table's size.

    `grown`: the row was grown for Training and not yet undone; returns that flag for afterwards."""
    training, summary, weights = docks.get("trainingDock"), docks["summaryDock"], docks["weightsDock"]
    if training is None or training.isFloating() or training not in window.tabifiedDockWidgets(weights):
        return grown  # the person placed it elsewhere: their layout stands
    beside = summary.isVisible() and not summary.isFloating() and summary not in window.tabifiedDockWidgets(weights)
    shown = training if training_shown else weights
    middle = shown.width() + (summary.width() if beside else 0)
    if shown is training:
        window.resizeDocks([training], [min(TRAINING_HEIGHT, int(window.height() * 0.52))], Qt.Orientation.Vertical)
        part = max(300, middle * 2 // 5)  # the Summary: its three columns readable
        grown = True
    elif not grown:
        return grown  # the row is as the person (or a restored layout) made it
    else:
        grown = False
        window.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
        part = middle * 11 // 20
    if beside:
        window.resizeDocks([shown, summary], [middle - part, part], Qt.Orientation.Horizontal)
    return grown
