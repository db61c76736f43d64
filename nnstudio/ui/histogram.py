"""WeightHistogram: the distribution of the selected layer's kernel (pyqtgraph)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from nnstudio.ui.canvas.edges import NEGATIVE, POSITIVE

MAX_SAMPLE = 262_144  # a histogram of a strided sample of a huge kernel looks the same (and costs ~5 ms)


class WeightHistogram(pg.PlotWidget):
    """Histogram of one layer's kernel values: negative bins orange, positive bins blue."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setObjectName("weightHistogram")
        self.setMinimumHeight(120)
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.setLabel("bottom", "weight value")
        self.plot_item.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot_item.setLabel("left", "count")
        self.plot_item.showGrid(x=False, y=True, alpha=0.2)
        self.negative = pg.BarGraphItem(x0=[], x1=[], height=[], brush=NEGATIVE, pen=None)
        self.positive = pg.BarGraphItem(x0=[], x1=[], height=[], brush=POSITIVE, pen=None)
        self.plot_item.addItem(self.negative)
        self.plot_item.addItem(self.positive)
        self.zero = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#6b7280", width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.plot_item.addItem(self.zero)
        self.counts = np.zeros(0)
        self.edges = np.zeros(0)
        self.layer_name = ""
        self.set_layer_weights("", None)

    def set_layer_weights(self, name: str, arrays: list[np.ndarray] | None) -> None:
        """Show the histogram of `arrays[0]` (the kernel) of layer `name`; None or [] clears it."""
        self.layer_name = name
        kernel = np.asarray(arrays[0]) if arrays else None
        if kernel is None or kernel.size == 0:
            self.counts = np.zeros(0)
            self.edges = np.zeros(0)
            self.negative.setOpts(x0=[], x1=[], height=[])
            self.positive.setOpts(x0=[], x1=[], height=[])
            self.plot_item.setTitle(f"{name}: no weights yet" if name else "select a layer with weights", size="9pt")
            return
        flat = kernel.reshape(-1)
        step = max(1, flat.size // MAX_SAMPLE)
        sample = flat[::step].astype(np.float64)
        lo, hi = float(sample.min()), float(sample.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        bins = int(np.clip(np.sqrt(sample.size), 10, 60))
        counts, edges = np.histogram(sample, bins=bins, range=(lo, hi))
        if step > 1:
            counts = counts * (flat.size / sample.size)
        self.counts, self.edges = counts, edges
        centre = (edges[:-1] + edges[1:]) / 2
        neg = centre < 0
        self.negative.setOpts(x0=edges[:-1][neg], x1=edges[1:][neg], height=counts[neg])
        self.positive.setOpts(x0=edges[:-1][~neg], x1=edges[1:][~neg], height=counts[~neg])
        shape = "×".join(str(d) for d in kernel.shape)
        self.plot_item.setTitle(
            f"{name} kernel {shape}: mean {sample.mean():+.4f}, std {sample.std():.4f}", size="9pt", color="#2e3440"
        )
        self.plot_item.enableAutoRange()
