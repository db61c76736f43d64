"""The window's docks: which panel goes where, and their default sizes for the window's size.

`make_panels` creates the panels over a document, `build_docks` places them around the central
widget of any QMainWindow; the window keeps and restores the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDockWidget, QFormLayout, QFrame, QMainWindow, QMenu, QScrollArea, QWidget

from nnstudio.services.document import Document
from nnstudio.ui.compile_settings import CompileSettings
from nnstudio.ui.layer_stack import LayerStackView
from nnstudio.ui.palette import LayerPalette
from nnstudio.ui.property_editor import PropertyEditor
from nnstudio.ui.summary_table import SummaryTable
from nnstudio.ui.turns import Turns
from nnstudio.ui.weights_panel import WeightsPanel

SUMMARY_HEIGHT = 245  # at least: the table's header, two rows, the totals and the Keras mark without scrolling
SUMMARY_ROWS = 6  # the Summary shows this many layers without scrolling (with the totals and the Keras mark)
TRAINING_HEIGHT = 460  # the Training tab raised: its settings, buttons, progress and curves without scrolling
NARROW_MIDDLE = 640  # below this width between the side columns the layout is compact (see `compact_layout`)
SHORT_WINDOW = 800  # and in a window less tall than this (a 1280×720 or 1366×768 laptop)
SUMMARY_MIN_WIDTH = 280  # the Summary beside the Weights or Training: its three columns readable
WEIGHTS_MIN_WIDTH = 220  # the Weights (and Data) beside the Summary in a compact window: the histogram readable
TRAINING_WIDE = 660  # the Training dock from this width: its panel has its controls beside the curves
SCROLLED_MIN_HEIGHT = 36  # a scrolled side panel (Compile) keeps a row in view; a tall bottom row takes the rest
DATA_WIDE = 600  # the Data dock raised in a compact window: its plane and its evaluation side by side
IDLE_ROW = SUMMARY_MIN_WIDTH + WEIGHTS_MIN_WIDTH  # a compact row narrower than this takes room below a column
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


def make_panels(document: Document, turns: Turns) -> Panels:
    """The panels over `document`; those that take a big model in steps take them on `turns`."""
    return Panels(
        LayerPalette(),
        LayerStackView(document),
        PropertyEditor(document),
        CompileSettings(document),
        SummaryTable(document, turns=turns),
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
    wrap_long_rows(panels.compile_settings)
    show_all_metrics(panels.compile_settings)
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
    window.resizeDocks([summary], [summary_height(window, summary)], Qt.Orientation.Vertical)
    view_menu.insertAction(before, dock.toggleViewAction())
    return dock


def summary_height(window: QMainWindow, summary: QDockWidget) -> int:
    """The Summary dock's height for SUMMARY_ROWS layers, its totals and the Keras mark, without
    scrolling (its title and tab bar included), and never more than 45 % of the window."""
    table = summary.widget()
    if not isinstance(table, SummaryTable):
        return SUMMARY_HEIGHT
    view = table.view
    rows = view.verticalHeader().defaultSectionSize() * SUMMARY_ROWS + view.horizontalHeader().sizeHint().height()
    below = sum(w.sizeHint().height() for w in (table.totals, table.state_label))
    chrome = 2 * view.frameWidth() + 30 + 28  # frame, dock title, tab bar
    return max(SUMMARY_HEIGHT, min(rows + below + chrome, int(window.height() * 0.45)))


def training_height(window: QMainWindow, training: QDockWidget) -> int:
    """The Training dock's height when raised: TRAINING_HEIGHT, or what its panel needs without
    scrolling (its title and tab bar included) where that is more, within 60 % of the window."""
    scroller = training.widget()
    panel = scroller.widget() if isinstance(scroller, QScrollArea) else scroller
    least = 0
    if panel is not None:  # at the width it has now (wrapped text is taller when narrow)
        width = scroller.viewport().width() if isinstance(scroller, QScrollArea) else panel.width()
        least = max(panel.minimumSizeHint().height(), panel.heightForWidth(width))
    need = least + 30 + 28 + 4  # title, tab bar
    return min(max(TRAINING_HEIGHT, need), int(window.height() * 0.6), max(need, int(window.height() * 0.52)))


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
    scroller.setMinimumHeight(SCROLLED_MIN_HEIGHT)
    return scroller


def compact_combos(widget: QWidget) -> None:
    """Combo boxes as wide as their longest entry needs, at most 32 characters (a longer one is elided)."""
    for combo in widget.findChildren(QComboBox):
        longest = max((len(combo.itemText(i)) for i in range(combo.count())), default=12)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(min(max(longest, 12), 32))


def wrap_long_rows(widget: QWidget) -> None:
    """A field that does not fit beside its label goes under it (`sparse_categorical_crossentropy`
    whole in a narrow dock, not cut)."""
    for form in widget.findChildren(QFormLayout):
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)


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
    metrics.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # narrower than the minimum: "sparse_ca…accuracy"
    widest = 0
    for i in range(metrics.count()):
        item = metrics.item(i)
        widest = max(widest, metrics.fontMetrics().horizontalAdvance(item.text()))
        if not item.toolTip():
            item.setToolTip(item.text())
    # every name whole: the check box, the text and the list's padding and frame
    metrics.setMinimumWidth(widest + 48 + 2 * metrics.frameWidth())


def side_widths(window: QMainWindow, docks: dict[str, QDockWidget]) -> tuple[int, int]:
    """The default widths of the left (Layers, Model) and right (Properties, Compile) columns."""
    width = max(window.width(), 900)
    side_left = max(215, min(270, int(width * 0.19)))
    side_right = max(300, min(350, int(width * 0.245)), docks["compileDock"].widget().minimumWidth())
    return side_left, side_right


def compact_layout(window: QMainWindow, docks: dict[str, QDockWidget]) -> bool:
    """Whether the window is compact: less tall than SHORT_WINDOW, or less than NARROW_MIDDLE wide
    between the side columns. The Summary is then as wide as its columns need, and the Training tab,
    raised, takes the row below the Layers column too (see `BottomRow`)."""
    side_left, side_right = side_widths(window, docks)
    return max(window.width(), 900) - side_left - side_right < NARROW_MIDDLE or window.height() < SHORT_WINDOW


def summary_width(summary: QDockWidget) -> int:
    """The Summary dock's width for its columns whole (every layer's name and type) and its totals,
    never less than SUMMARY_MIN_WIDTH."""
    table = summary.widget()
    if not isinstance(table, SummaryTable):
        return SUMMARY_MIN_WIDTH
    view = table.view
    header = view.horizontalHeader()
    columns = sum(max(view.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(table.model.columnCount()))
    bar = view.verticalScrollBar().sizeHint().width() if table.model.rowCount() > SUMMARY_ROWS else 0
    return max(SUMMARY_MIN_WIDTH, columns + bar + 2 * view.frameWidth() + 4, table.totals.sizeHint().width() + 8)


def compact_share(summary: QDockWidget, row: int, beside: int) -> int:
    """The Summary's width in a compact bottom row `row` wide: as wide as its columns, while the tab
    beside it keeps `beside`."""
    return max(SUMMARY_MIN_WIDTH, min(summary_width(summary), row - beside))


def default_sizes(window: QMainWindow, docks: dict[str, QDockWidget], compile_settings: QWidget) -> None:
    """Docks sized for the window's size: the canvas gets the most room, every panel stays readable."""
    width, height = max(window.width(), 900), max(window.height(), 600)
    side_left, side_right = side_widths(window, docks)
    summary, weights_dock = docks["summaryDock"], docks["weightsDock"]
    middle = width - side_left - side_right
    compact = compact_layout(window, docks)
    left, right = row_corners(middle, side_left, side_right, IDLE_ROW) if compact else (False, False)
    share_corners(window, left, right)
    window.resizeDocks(
        [docks["paletteDock"], docks["propertyDock"]], [side_left, side_right], Qt.Orientation.Horizontal
    )
    column = height - 60  # menu and status bars
    row_height = summary_height(window, summary)
    left_column = column - row_height if left else column
    palette = min(int(left_column * 0.5), 380)
    window.resizeDocks(
        [docks["paletteDock"], docks["layerStackDock"]],
        [palette, left_column - palette],
        Qt.Orientation.Vertical,
    )
    right_column = column - row_height if right else column
    compile_height = min(compile_settings.sizeHint().height() + 32, int(right_column * 0.55))  # and the title bar
    window.resizeDocks(
        [docks["propertyDock"], docks["compileDock"]],
        [right_column - compile_height, compile_height],
        Qt.Orientation.Vertical,
    )
    window.resizeDocks([summary], [row_height], Qt.Orientation.Vertical)
    row = middle + (side_left if left else 0) + (side_right if right else 0)
    part = compact_share(summary, row, WEIGHTS_MIN_WIDTH) if compact else row - row * 9 // 20
    window.resizeDocks([summary, weights_dock], [part, row - part], Qt.Orientation.Horizontal)


def row_corners(middle: int, left: int, right: int, need: int) -> tuple[bool, bool]:
    """Whether the bottom row takes the room below the left column and below the right one, to be
    `need` wide: below the Layers column first, below Properties and Compile too where that is still
    too narrow (`middle`, `left`, `right`: the widths of the canvas and of the side columns)."""
    if middle >= need:
        return False, False
    return True, middle + left < need


def share_corners(window: QMainWindow, left: bool, right: bool = False) -> None:
    """The bottom row below the left (`left`) and right (`right`) columns, or the columns down to
    the window's bottom edge."""
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    window.setCorner(Qt.Corner.BottomLeftCorner, bottom if left else Qt.DockWidgetArea.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, bottom if right else Qt.DockWidgetArea.RightDockWidgetArea)


def settle(window: QMainWindow) -> None:
    """Lay the docks out now (after a change of corners), so that their sizes can be read."""
    layout = window.layout()
    if layout is not None:
        layout.activate()


def in_front(dock: QDockWidget) -> bool:
    """Whether `dock` is shown in the window: open, and the raised tab where it is one of several."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


class BottomRow:
    """Sizes the bottom row when its tab in front changes. The Training tab raised: the row grows to
    fit the panel and Training takes most of its width, the Summary beside it. In a compact window the
    row also takes the room below the Layers column (and below Properties and Compile where that is
    still too narrow) for the Training or the Data tab, so that the panel has its controls beside its
    curves, the data view its two plots, and the Summary its columns whole. The Weights raised after
    that: the row goes back to the table's size and the side columns down to where they were, split
    as they were."""

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
        self.window = window
        self.docks = docks
        self.grown = False  # the row was grown for Training and not yet undone
        self._columns: list[tuple[QDockWidget, int]] = []  # the side docks' heights before the row took corners

    def forget(self) -> None:
        """The layout was set afresh (defaults, or the person's): nothing to undo."""
        self.grown = False
        self._columns = []

    def size(self) -> None:
        """Size the row for the tab in front of the Weights' group."""
        window, docks = self.window, self.docks
        training, data = docks.get("trainingDock"), docks.get("dataDock")
        summary, weights = docks["summaryDock"], docks["weightsDock"]
        if training is None or training.isFloating() or training not in window.tabifiedDockWidgets(weights):
            return  # the person placed it elsewhere: their layout stands
        tabs = [weights, *window.tabifiedDockWidgets(weights)]
        beside = summary.isVisible() and not summary.isFloating() and summary not in tabs
        compact = compact_layout(window, docks) and beside
        if in_front(training):
            shown, wide = training, TRAINING_WIDE
        elif compact and data in tabs and data is not None and in_front(data):
            shown, wide = data, DATA_WIDE
        elif self.grown or self._columns:
            self._shrink(next((d for d in tabs if in_front(d)), weights), compact, beside)
            return
        else:
            return  # the row is as the person (or a restored layout) made it
        if compact:
            self._keep_columns()
            self._corners(summary_width(summary) + wide)
            self._apply_columns()  # a column no longer above the row (Training to Data) as it was
        if shown is training:
            window.resizeDocks([training], [training_height(window, training)], Qt.Orientation.Vertical)
            self.grown = True
        elif self.grown:  # from the Training tab: the row back to the table's height
            window.resizeDocks([summary], [summary_height(window, summary)], Qt.Orientation.Vertical)
            self.grown = False
        row = shown.width() + (summary.width() if beside else 0)
        part = compact_share(summary, row, wide) if compact else max(300, row * 2 // 5)  # three columns readable
        if beside:
            window.resizeDocks([shown, summary], [row - part, part], Qt.Orientation.Horizontal)

    def _shrink(self, shown: QDockWidget, compact: bool, beside: bool) -> None:
        """The row back to the table's height, its corners as default_sizes has them (the window may
        have grown meanwhile), the side columns as they were, `shown` beside the Summary."""
        window, summary = self.window, self.docks["summaryDock"]
        self.grown = False
        self._corners(IDLE_ROW if compact else 0)
        window.resizeDocks([summary], [summary_height(window, summary)], Qt.Orientation.Vertical)
        self._restore_columns()
        row = shown.width() + (summary.width() if beside else 0)
        part = compact_share(summary, row, WEIGHTS_MIN_WIDTH) if compact else row * 11 // 20
        if beside:
            window.resizeDocks([shown, summary], [row - part, part], Qt.Orientation.Horizontal)

    def _keep_columns(self) -> None:
        """Keep the side docks' heights, to give them back when the row shrinks again."""
        if not self._columns:
            left, right = self._column("paletteDock", "layerStackDock"), self._column("propertyDock", "compileDock")
            self._columns = [(d, d.height()) for d in (*left, *right)]

    def _corners(self, need: int) -> None:
        """The row below as many side columns as it needs to be `need` wide."""
        window = self.window
        left, right = self._column("paletteDock", "layerStackDock"), self._column("propertyDock", "compileDock")
        central = window.centralWidget()
        middle = central.width() if central is not None else window.width()
        left_width, right_width = (max((d.width() for d in column), default=0) for column in (left, right))
        share_corners(window, *row_corners(middle, left_width, right_width, need))
        settle(window)

    def _column(self, *names: str) -> list[QDockWidget]:
        """The docks of `names` open in their column (not floating, not closed)."""
        return [d for d in (self.docks[n] for n in names) if d.isVisible() and not d.isFloating()]

    def _apply_columns(self) -> None:
        """The side docks at their kept heights (shared out where the row is below them)."""
        if self._columns:
            docks, heights = zip(*self._columns, strict=True)
            self.window.resizeDocks(list(docks), list(heights), Qt.Orientation.Vertical)

    def _restore_columns(self) -> None:
        self._apply_columns()
        self._columns = []
