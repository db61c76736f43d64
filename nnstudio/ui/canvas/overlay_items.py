"""Puts overlay plans (`overlay.py`) on the canvas with a few pyqtgraph items.

Each heat map is one ImageItem fed by its array, coloured through a lookup table in the theme's
sign hues (orange for w < 0, blue for w > 0, the background for 0); every line and frame of every
plan is one curve item (pieces separated by NaN); labels are small text items. Nothing is one
item per weight.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from nnstudio.ui.canvas.overlay import HeatMap, OverlayPlan
from nnstudio.ui.canvas.theme import Theme, mix

LUT_SIZE = 255  # odd: the middle entry is exactly 0
IMAGE_Z = -8
LINE_Z = -6
LABEL_Z = 15


def sign_lut(theme: Theme) -> np.ndarray:
    """RGBA lookup table from -1 (full negative hue) through 0 (background) to +1 (positive hue)."""
    t = np.linspace(-1.0, 1.0, LUT_SIZE)
    table = np.zeros((LUT_SIZE, 4), dtype=np.ubyte)
    for i, v in enumerate(t):
        colour = mix(theme.positive if v >= 0 else theme.negative, 0.95 * abs(v) ** 0.8, theme.background)
        table[i] = (colour.red(), colour.green(), colour.blue(), 255)
    return table


def image_data(heatmap: HeatMap) -> np.ndarray:
    """The heat map's values as pyqtgraph's column-major image: [x, y] with y = 0 at the bottom."""
    return np.ascontiguousarray(np.asarray(heatmap.values, dtype=np.float32)[::-1, :].T)


class OverlayItems:
    """The overlays of all columns in one ViewBox; `show` replaces them, `describe` is the hover text."""

    def __init__(self, view: pg.ViewBox, theme: Theme) -> None:
        self.view = view
        self.theme = theme
        self.plans: list[OverlayPlan] = []
        self.images: list[pg.ImageItem] = []
        self.labels: list[pg.TextItem] = []
        self.lines = pg.PlotCurveItem(connect="finite")
        self.lines.setZValue(LINE_Z)
        view.addItem(self.lines)
        self.frames = pg.PlotCurveItem(connect="finite")
        self.frames.setZValue(LINE_Z)
        view.addItem(self.frames)
        self._lut = sign_lut(theme)
        self._style_lines()

    def show(self, plans: list[OverlayPlan]) -> None:
        """Draw `plans` instead of what was drawn."""
        self.plans = plans
        heatmaps = [h for p in plans for h in p.heatmaps]
        while len(self.images) > len(heatmaps):
            self.view.removeItem(self.images.pop())
        while len(self.images) < len(heatmaps):
            item = pg.ImageItem(axisOrder="col-major")
            item.setZValue(IMAGE_Z)
            self.view.addItem(item)
            self.images.append(item)
        for item, heatmap in zip(self.images, heatmaps, strict=True):
            self._paint(item, heatmap)
        for item, xs, ys in (
            (self.lines, [x for p in plans for x in p.lines_x], [y for p in plans for y in p.lines_y]),
            (self.frames, [x for p in plans for x in p.frames_x], [y for p in plans for y in p.frames_y]),
        ):
            if xs:
                item.setData(np.concatenate(xs), np.concatenate(ys))
            else:
                item.setData([], [])
        for label in self.labels:
            self.view.removeItem(label)
        self.labels = []
        for p in plans:
            for label in p.labels:
                item = pg.TextItem(label.text, anchor=label.anchor, color=self.theme.muted)
                font = QtGui.QFont()
                font.setPointSizeF(8.5)
                item.setFont(font)
                item.setPos(label.x, label.y)
                item.setZValue(LABEL_Z)
                if label.tooltip:
                    item.setToolTip(label.tooltip)
                self.view.addItem(item)
                self.labels.append(item)

    def _paint(self, item: pg.ImageItem, heatmap: HeatMap) -> None:
        if heatmap.pending:
            pending = QtGui.QColor(self.theme.pending_fill)
            lut = np.array([[pending.red(), pending.green(), pending.blue(), 255]] * 2, dtype=np.ubyte)
            item.setImage(np.zeros((1, 1), dtype=np.float32), lut=lut, levels=(0.0, 1.0), autoLevels=False)
        else:
            scale = heatmap.scale if heatmap.scale > 0 else 1.0
            item.setImage(image_data(heatmap), lut=self._lut, levels=(-scale, scale), autoLevels=False)
        x, y, w, h = heatmap.rect
        item.setRect(QtCore.QRectF(x, y, w, h))

    def set_theme(self, theme: Theme) -> None:
        """Recolour everything for `theme`."""
        self.theme = theme
        self._lut = sign_lut(theme)
        self._style_lines()
        if self.plans:
            self.show(self.plans)

    def _style_lines(self) -> None:
        pen = pg.mkPen(self.theme.muted, width=1.2)
        pen.setCosmetic(True)
        self.lines.setPen(pen)
        frame = pg.mkPen(self.theme.panel_border, width=1)
        frame.setCosmetic(True)
        self.frames.setPen(frame)

    def describe(self, x: float, y: float) -> str:
        """The hover text of the heat-map cell at scene point (x, y), or ''."""
        for p in self.plans:
            text = p.describe(x, y)
            if text:
                return text
        return ""

    def clear(self) -> None:
        self.show([])
