"""WeightHistogram: the distribution of the selected layer's kernel (pyqtgraph).

It follows the application palette (light or dark; see canvas/theme.py) and fits a narrow dock:
the title goes on two lines when one does not fit and elides what still does not (the whole text
is the tooltip); axis labels give way to the ticks when the plot is small.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme, mix, theme_for

MAX_SAMPLE = 65_536  # a histogram of a sample of a bigger kernel looks the same (at most 60 bins) and costs ~1 ms
SAMPLE_RUN = 256  # the sample is 256 runs of neighbouring values spread over the kernel: reading it touches 256
# places of a kernel of hundreds of MB, not every memory page (the first reading of a fresh block of weights faults
# each place in: ~7 µs; 1.7 ms for VGG16's fc1, where a strided sample took ~50 ms)
TITLE_PT = 9
SMALL_WIDTH = 280  # below this many pixels wide (or SMALL_HEIGHT tall) the axis labels are hidden
SMALL_HEIGHT = 170


def kernel_sample(flat: np.ndarray) -> np.ndarray:
    """`flat` itself, or when it holds more than MAX_SAMPLE values, MAX_SAMPLE of them: evenly
    spaced runs of SAMPLE_RUN neighbours, from the first value to the last."""
    if flat.size <= MAX_SAMPLE:
        return flat
    starts = np.linspace(0, flat.size - SAMPLE_RUN, MAX_SAMPLE // SAMPLE_RUN).astype(np.intp)
    return flat[(starts[:, None] + np.arange(SAMPLE_RUN)).reshape(-1)]


class WeightHistogram(pg.PlotWidget):
    """Histogram of one layer's kernel values: negative bins orange, positive bins blue."""

    _theme_ready = False  # a class attribute: pyqtgraph resizes and restyles while constructing

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background=LIGHT_THEME.background)
        self.setObjectName("weightHistogram")
        self.setMinimumHeight(120)
        self.setMinimumWidth(160)
        self.theme: Theme | None = None
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.plot_item.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot_item.showGrid(x=False, y=True, alpha=0.2)
        self.plot_item.getViewBox().setDefaultPadding(0.03)
        self.plot_item.layout.setContentsMargins(2, 2, 10, 2)  # room for the last tick label on the right
        self.negative = pg.BarGraphItem(x0=[], x1=[], height=[], brush=LIGHT_THEME.negative, pen=None)
        self.positive = pg.BarGraphItem(x0=[], x1=[], height=[], brush=LIGHT_THEME.positive, pen=None)
        self.plot_item.addItem(self.negative)
        self.plot_item.addItem(self.positive)
        self.zero = pg.InfiniteLine(0, angle=90)
        self.plot_item.addItem(self.zero)
        self.counts = np.zeros(0)
        self.edges = np.zeros(0)
        self.layer_name = ""
        self.title_lines: tuple[str, ...] = ()  # the title's full text, one or two parts
        self.title_text = ""  # the title as shown (plain text, maybe elided)
        self._compact: bool | None = None
        self.apply_theme()
        self._theme_ready = True
        self.set_layer_weights("", None)

    # -- data -------------------------------------------------------------------------------

    def set_layer_weights(self, name: str, arrays: list[np.ndarray] | None) -> None:
        """Show the histogram of `arrays[0]` (the kernel) of layer `name`; None or [] clears it."""
        self.layer_name = name
        kernel = np.asarray(arrays[0]) if arrays else None
        if kernel is None or kernel.size == 0:
            self.counts = np.zeros(0)
            self.edges = np.zeros(0)
            self.negative.setOpts(x0=[], x1=[], height=[])
            self.positive.setOpts(x0=[], x1=[], height=[])
            self._set_title((f"{name}: no weights yet",) if name else ("Select a layer with weights",))
            return
        flat = kernel.reshape(-1)
        sample = kernel_sample(flat).astype(np.float64)
        sampled = sample.size < flat.size
        finite = np.isfinite(sample)
        note = ""
        if not finite.all():  # a file's weights may hold NaN or infinity: count them, draw the rest
            bad = int(np.count_nonzero(~np.isfinite(flat))) if sampled else int(np.count_nonzero(~finite))
            note = f" · {bad:,} NaN or infinite, not drawn"
            sample = sample[finite]
        if sample.size == 0:
            self.counts = np.zeros(0)
            self.edges = np.zeros(0)
            self.negative.setOpts(x0=[], x1=[], height=[])
            self.positive.setOpts(x0=[], x1=[], height=[])
            self._set_title((f"{name}: all {kernel.size:,} weights are NaN or infinite",))
            return
        lo, hi = float(sample.min()), float(sample.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        bins = int(np.clip(np.sqrt(sample.size), 10, 60))
        counts, edges = np.histogram(sample, bins=bins, range=(lo, hi))
        if sampled:
            counts = counts * (flat.size / sample.size)
        self.counts, self.edges = counts, edges
        centre = (edges[:-1] + edges[1:]) / 2
        neg = centre < 0
        self.negative.setOpts(x0=edges[:-1][neg], x1=edges[1:][neg], height=counts[neg])
        self.positive.setOpts(x0=edges[:-1][~neg], x1=edges[1:][~neg], height=counts[~neg])
        shape = "×".join(str(d) for d in kernel.shape)
        self._set_title(
            (f"{name}: {kernel.size:,} weights ({shape})", f"mean {sample.mean():+.4f} · std {sample.std():.4f}{note}")
        )
        self.plot_item.enableAutoRange()

    # -- title ------------------------------------------------------------------------------

    def _set_title(self, lines: tuple[str, ...]) -> None:
        self.title_lines = lines
        self.setToolTip(" · ".join(lines))
        self._layout_title()

    def _layout_title(self) -> None:
        """One line if it fits, else the parts on two lines; each elided to the width."""
        lines = self.title_lines
        if not lines:
            return
        font = QtGui.QFont(self.font())
        font.setPointSize(TITLE_PT)
        metrics = QtGui.QFontMetrics(font)
        # the title sits over the plot area only, right of the count axis
        axis = self.plot_item.getAxis("left")
        room = max(self.width() - max(axis.width(), 36.0) - 24, 40)
        one = " · ".join(lines)
        if metrics.horizontalAdvance(one) <= room or len(lines) == 1:
            shown = [metrics.elidedText(one, QtCore.Qt.TextElideMode.ElideRight, room)]
        else:
            shown = [metrics.elidedText(part, QtCore.Qt.TextElideMode.ElideRight, room) for part in lines]
        self.title_text = "\n".join(shown)
        colour = (self.theme or LIGHT_THEME).ink
        text = "<br>".join(html.escape(line) for line in shown)
        self.plot_item.setTitle(text, size=f"{TITLE_PT}pt", color=colour)
        height = metrics.lineSpacing() * len(shown) + 10
        self.plot_item.titleLabel.setMaximumHeight(height)
        self.plot_item.layout.setRowFixedHeight(0, height)

    # -- size and colours -------------------------------------------------------------------

    def _fit_axes(self) -> None:
        compact = self.width() < SMALL_WIDTH or self.height() < SMALL_HEIGHT
        if compact == self._compact:
            return
        self._compact = compact
        if compact:  # the ticks say enough; the title names what is counted
            self.plot_item.showLabel("bottom", False)
            self.plot_item.showLabel("left", False)
        else:
            style = {"color": (self.theme or LIGHT_THEME).muted, "font-size": "8pt"}
            self.plot_item.setLabel("bottom", "weight value", **style)
            self.plot_item.setLabel("left", "count", **style)
        # The axes' new sizes at once: a layout request posted while the dock is hidden is not
        # acted on when it shows, and the label would sit on the tick values.
        self.plot_item.layout.invalidate()
        self.plot_item.layout.activate()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._theme_ready:  # pyqtgraph resizes while constructing
            self._fit_axes()
            self._layout_title()

    def apply_theme(self, theme: Theme | None = None) -> None:
        """Colours for `theme` (default: the one this widget's palette asks for)."""
        theme = theme if theme is not None else theme_for(self.palette())
        if theme == self.theme:
            return
        self.theme = theme
        self.setBackground(theme.background)
        self.negative.setOpts(brush=pg.mkBrush(theme.negative), pen=None)
        self.positive.setOpts(brush=pg.mkBrush(theme.positive), pen=None)
        axis_pen = pg.mkPen(mix(theme.muted, 0.7, theme.background))
        tick_font = QtGui.QFont(self.font())
        tick_font.setPointSize(8)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(axis_pen)
            axis.setTextPen(pg.mkPen(theme.muted))
            axis.setTickFont(tick_font)
            axis.setStyle(maxTickLevel=1)  # major and minor ticks; the finest ones crowd a small plot
        self.zero.setPen(pg.mkPen(theme.muted, width=1, style=QtCore.Qt.PenStyle.DashLine))
        self._compact = None
        self._fit_axes()
        self._layout_title()

    def close(self) -> bool:
        self._theme_ready = False  # pyqtgraph's close() clears the plot: no more restyling
        return super().close()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        palette_events = (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and self._theme_ready:  # not while constructed
            self.apply_theme()

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        if self._theme_ready:
            self.apply_theme()
        super().showEvent(event)
