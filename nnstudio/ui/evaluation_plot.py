"""EvaluationPlot: how well a trained model did, as a confusion matrix or a predicted-against-true plot.

The data view shows it beside the data's plane after training. `styled_plot` and `style_axes` give
the data view's plots their common look (no menu, no mouse, the theme's axis colours).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.core.data_plane import confusion_matrix, predicted_classes, true_classes
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme, mix
from nnstudio.ui.data_colours import blend, rgb

LABEL_STYLE = {"font-size": "8pt"}


def styled_plot(plot: pg.PlotWidget, name: str) -> pg.PlotWidget:
    """`plot` as the data view draws: a fixed view (no menu, buttons or mouse), plain numbers on the axes."""
    plot.setObjectName(name)
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(False, False)
    item.layout.setContentsMargins(2, 2, 8, 2)
    for axis in ("left", "bottom"):
        item.getAxis(axis).enableAutoSIPrefix(False)
    plot.setMinimumSize(160, 140)
    return plot


def style_axes(plot: pg.PlotWidget, theme: Theme) -> None:
    """The theme's background and axis colours on `plot`."""
    plot.setBackground(theme.background)
    item = plot.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(mix(theme.muted, 0.7, theme.background)))
        axis.setTextPen(pg.mkPen(theme.muted))


class EvaluationPlot(pg.PlotWidget):
    """A confusion matrix (rows: true class, columns: predicted; shaded by the share of each true class)
    or the predicted values against the true ones with the diagonal of a perfect model."""

    _built = False  # pyqtgraph resizes the widget while it is constructed, before its items exist

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background=LIGHT_THEME.background)
        styled_plot(self, "evaluationPlot")
        self.theme = LIGHT_THEME
        self.image = pg.ImageItem(axisOrder="row-major")
        self.points = pg.ScatterPlotItem(size=5, pxMode=True)
        self.diagonal = pg.PlotCurveItem()
        for item in (self.image, self.diagonal, self.points):
            self.addItem(item)
        self.texts: list[pg.TextItem] = []
        self.confusion: np.ndarray | None = None
        self.labels: list[str] = []
        self._built = True

    def clear_drawing(self) -> None:
        """Nothing drawn."""
        self.image.clear()
        self.points.clear()
        self.diagonal.clear()
        for text in self.texts:
            self.removeItem(text)
        self.texts = []
        self.confusion = None

    def show_confusion(self, targets: np.ndarray, outputs: np.ndarray, labels: list[str], theme: Theme) -> np.ndarray:
        """The confusion matrix of the classes in `targets` against those of `outputs`; returns it."""
        self.clear_drawing()
        self.theme = theme
        matrix = confusion_matrix(true_classes(targets), predicted_classes(outputs), len(labels))
        count = len(matrix)
        self.confusion = matrix
        self.labels = (list(labels) + [str(i) for i in range(len(labels), count)])[:count]
        share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)  # of each true class
        ink = rgb(theme.positive)[0]
        square = QtCore.QRectF(-0.5, -0.5, count, count)
        shades = blend(np.broadcast_to(ink, share.shape + (3,)), 0.08 + 0.92 * share, theme.background)
        self.image.setImage(shades, autoLevels=False, levels=(0, 255), rect=square)
        item = self.getPlotItem()
        view = item.getViewBox()
        view.invertY(True)
        view.setAspectLocked(True)
        view.setRange(square, padding=0.02)
        item.getAxis("left").setTicks([list(enumerate(self.labels))])
        self.fit_column_labels()
        item.setLabel("bottom", "predicted class", color=theme.muted, **LABEL_STYLE)
        item.setLabel("left", "true class", color=theme.muted, **LABEL_STYLE)
        font = QtGui.QFont(self.font())
        font.setPointSize(8 if count > 6 else 9)
        for (i, j), n in np.ndenumerate(matrix):
            colour = theme.background if share[i, j] > 0.55 else theme.ink
            text = pg.TextItem(f"{n:,}", color=colour, anchor=(0.5, 0.5))
            text.setFont(font)
            text.setPos(j, i)
            self.addItem(text)
            self.texts.append(text)
        return matrix

    def fit_column_labels(self) -> None:
        """The matrix's column labels cut to the width of a column, so that they never overlap."""
        if self.confusion is None:
            return
        view = self.getPlotItem().getViewBox()
        low, high = view.viewRange()[0]
        column_px = view.width() / max(high - low, 1e-9)
        chars = max(1, int(column_px / max(QtGui.QFontMetrics(self.font()).averageCharWidth(), 1)) - 1)
        cut = [n if len(n) <= chars else n[: max(chars - 1, 1)] + "…" for n in self.labels]
        self.getPlotItem().getAxis("bottom").setTicks([list(enumerate(cut))])

    def show_predicted_against_true(self, targets: np.ndarray, outputs: np.ndarray, theme: Theme) -> None:
        """Every output against its target (all outputs together), and the diagonal."""
        self.clear_drawing()
        self.theme = theme
        rows = np.asarray(targets, dtype=np.float64).reshape(len(targets), -1)
        given = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
        width = min(rows.shape[1], given.shape[1])
        truth, predicted = rows[:, :width].ravel(), given[:, :width].ravel()
        item = self.getPlotItem()
        view = item.getViewBox()
        view.invertY(False)
        view.setAspectLocked(False)
        item.getAxis("bottom").setTicks(None)
        item.getAxis("left").setTicks(None)
        item.setLabel("bottom", "true value", color=theme.muted, **LABEL_STYLE)
        item.setLabel("left", "predicted", color=theme.muted, **LABEL_STYLE)
        low = float(min(truth.min(initial=0.0), predicted.min(initial=0.0)))
        high = float(max(truth.max(initial=1.0), predicted.max(initial=1.0)))
        dashed = pg.mkPen(theme.muted, width=1, style=QtCore.Qt.PenStyle.DashLine)
        self.diagonal.setData([low, high], [low, high], pen=dashed)
        self.points.setData(truth, predicted, brush=pg.mkBrush(mix(theme.positive, 0.75, theme.background)), pen=None)
        view.setRange(QtCore.QRectF(low, low, high - low, high - low), padding=0.04)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._built:
            QtCore.QTimer.singleShot(0, self, self.fit_column_labels)  # once the view has its new size
