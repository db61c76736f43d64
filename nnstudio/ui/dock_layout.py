"""The window's docks: which widget goes where, and their default sizes for the window's size.

The widgets are other developers' (each imported lazily, a placeholder when it is missing); this
module only places them around the canvas and sizes them, the window keeps and restores the layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDockWidget, QFrame, QScrollArea, QWidget

from nnstudio.ui.optional import optional, placeholder
from nnstudio.ui.summary_table import SummaryTable
from nnstudio.ui.weights_panel import WeightsPanel

if TYPE_CHECKING:
    from nnstudio.ui.main_window import MainWindow

SUMMARY_HEIGHT = 245  # the table's header, two rows, the totals and the Keras mark without scrolling
TRAINING_HEIGHT = 460  # the Training tab raised: its settings, buttons, progress and curves without scrolling
NARROW_MIDDLE = 640  # below this width between the side columns, Summary and Weights are tabs


def make_dock(
    window: MainWindow, title: str, object_name: str, widget: QWidget, area: Qt.DockWidgetArea
) -> QDockWidget:
    """A movable, floatable, closable dock around `widget`, added to `window` and to `window.docks`."""
    dock = QDockWidget(title, window)
    dock.setObjectName(object_name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    window.addDockWidget(area, dock)
    window.docks[object_name] = dock
    return dock


def make_widget(module: str, name: str, object_name: str, what: str, *args: object) -> QWidget:
    """An instance of another developer's widget class, or a placeholder saying why there is none."""
    cls = optional(module, name)
    if cls is not None:
        try:
            return cls(*args)
        except Exception as exc:  # show the failure, keep the window
            return placeholder(f"{object_name}Placeholder", f"The {what} could not start: {exc}")
    return placeholder(f"{object_name}Placeholder", f"{what[0].upper()}{what[1:]}: coming soon.")


def build_docks(window: MainWindow) -> None:
    """Create the panels over `window.document` and dock them: palette and layer stack left,
    properties and compile settings right, summary and weights below."""
    window.docks = {}
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    right = Qt.DockWidgetArea.RightDockWidgetArea
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    document = window.document

    window.palette_widget = make_widget("nnstudio.ui.palette", "LayerPalette", "layerPalette", "layer palette")
    window.layer_stack = make_widget("nnstudio.ui.layer_stack", "LayerStackView", "layerStack", "layer stack", document)
    window.property_editor = make_widget(
        "nnstudio.ui.property_editor", "PropertyEditor", "propertyEditor", "property editor", document
    )
    window.compile_settings = make_widget(
        "nnstudio.ui.compile_settings", "CompileSettings", "compileSettings", "compile settings", document
    )
    window.summary_table = SummaryTable(document)
    window.weights_panel = WeightsPanel()

    make_dock(window, "Layers", "paletteDock", window.palette_widget, left)
    make_dock(window, "Model", "layerStackDock", window.layer_stack, left)
    make_dock(window, "Properties", "propertyDock", window.property_editor, right)
    compact_combos(window.compile_settings)
    make_dock(window, "Compile", "compileDock", scrolling(window.compile_settings, "compileScroller"), right)
    make_dock(window, "Summary", "summaryDock", window.summary_table, bottom)
    make_dock(window, "Weights", "weightsDock", window.weights_panel, bottom)
    docks = window.docks
    window.splitDockWidget(docks["paletteDock"], docks["layerStackDock"], Qt.Orientation.Vertical)
    window.splitDockWidget(docks["propertyDock"], docks["compileDock"], Qt.Orientation.Vertical)
    window.splitDockWidget(docks["summaryDock"], docks["weightsDock"], Qt.Orientation.Horizontal)
    window.setCorner(Qt.Corner.BottomLeftCorner, left)
    window.setCorner(Qt.Corner.BottomRightCorner, right)
    show_all_metrics(window.compile_settings)


def add_training_dock(window: MainWindow, panel: QWidget) -> QDockWidget:
    """Dock the training panel as a tab behind the Summary, listed in the View menu before its separator."""
    # In a scroll area, so that the panel's many controls never squeeze the canvas.
    scroller = QScrollArea()
    scroller.setObjectName("trainingScroller")
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QFrame.Shape.NoFrame)
    scroller.setWidget(panel)
    dock = make_dock(window, "Training", "trainingDock", scroller, Qt.DockWidgetArea.BottomDockWidgetArea)
    summary = window.docks["summaryDock"]
    window.tabifyDockWidget(summary, dock)
    summary.raise_()
    window.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
    window.view_menu.insertAction(window.dock_separator, dock.toggleViewAction())
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


def show_all_metrics(compile_settings: QWidget) -> None:
    """Every metric check box in view, not a few in a scrolled list (the dock scrolls instead)."""
    metrics = getattr(compile_settings, "metrics", None)
    if metrics is None or not hasattr(metrics, "sizeHintForRow") or metrics.count() == 0:
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


def default_sizes(window: MainWindow) -> None:
    """Docks sized for the window's size: the canvas gets the most room, every panel stays readable."""
    docks = window.docks
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
    compile_height = min(window.compile_settings.sizeHint().height() + 32, int(column * 0.55))  # and the title bar
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


def size_bottom_row(window: MainWindow, training_shown: bool, grown: bool) -> bool:
    """The Training tab raised: the bottom row grows to fit the panel and Training takes most of its
    width; the Summary raised again after that: the row goes back to the table's size.

    `grown`: the row was grown for Training and not yet undone; returns that flag for afterwards."""
    training, summary, weights = (window.docks.get(n) for n in ("trainingDock", "summaryDock", "weightsDock"))
    if training is None or training.isFloating() or training not in window.tabifiedDockWidgets(summary):
        return grown  # the person placed it elsewhere: their layout stands
    beside = weights.isVisible() and not weights.isFloating() and weights not in window.tabifiedDockWidgets(summary)
    shown = training if training_shown else summary
    middle = shown.width() + (weights.width() if beside else 0)
    if shown is training:
        window.resizeDocks([training], [min(TRAINING_HEIGHT, int(window.height() * 0.52))], Qt.Orientation.Vertical)
        part = max(240, middle * 9 // 25)
        grown = True
    elif not grown:
        return grown  # the row is as the person (or a restored layout) made it
    else:
        grown = False
        window.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
        part = middle * 9 // 20
    if beside:
        window.resizeDocks([shown, weights], [middle - part, part], Qt.Orientation.Horizontal)
    return grown
