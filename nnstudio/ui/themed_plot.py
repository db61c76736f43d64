"""ThemedPlotWidget: a pyqtgraph plot in the application's light or dark colours, following palette changes.

The background, axes, tick labels, axis titles and the legend take the canvas theme's colours
(`canvas/theme.py`), so a plot never stays white in the dark theme.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.ui.canvas.theme import Theme, mix, theme_for

AXES = ("left", "bottom")


class ThemedPlotWidget(pg.PlotWidget):
    """A PlotWidget whose colours follow the palette (light or dark)."""

    # Qt sends palette and resize events while the widget is constructed: restyle only once it is whole
    _theme_ready = False

    def __init__(self, parent: QtWidgets.QWidget | None = None, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.theme: Theme | None = None
        self._legend: pg.LegendItem | None = None
        self.apply_theme()
        self._theme_ready = True

    def add_legend_above(self, columns: int = 2) -> pg.LegendItem:
        """A legend in the row above the plot (where a title would be), never over the curves;
        `plot(..., name=...)` adds its entries."""
        item = self.getPlotItem()
        legend = pg.LegendItem(colCount=columns, horSpacing=18, verSpacing=-4)
        item.layout.removeItem(item.titleLabel)
        item.titleLabel.hide()
        item.layout.addItem(legend, 0, 1, QtCore.Qt.AlignmentFlag.AlignRight)
        item.legend = legend
        self._legend = legend
        if self.theme is not None:
            self._style_legend(self.theme)
        return legend

    def apply_theme(self, theme: Theme | None = None) -> None:
        """Colours for `theme` (default: the one this widget's palette asks for)."""
        theme = theme if theme is not None else theme_for(self.palette())
        if theme == self.theme:
            return
        self.theme = theme
        self.setBackground(theme.background)
        axis_pen = pg.mkPen(mix(theme.muted, 0.7, theme.background))
        item = self.getPlotItem()
        for name in AXES:
            axis = item.getAxis(name)
            axis.setPen(axis_pen)
            axis.setTextPen(pg.mkPen(theme.muted))
            label = axis.labelText
            if label:
                axis.setLabel(label, color=theme.muted)
        self._style_legend(theme)

    def setLabel(self, axis: str, text: str | None = None, **kwargs) -> None:  # noqa: N802 (pyqtgraph's name)
        """pyqtgraph's setLabel, in the theme's muted ink unless a colour is given."""
        if self.theme is not None and "color" not in kwargs:
            kwargs["color"] = self.theme.muted
        self.getPlotItem().setLabel(axis, text, **kwargs)

    def _style_legend(self, theme: Theme) -> None:
        legend = self._legend
        if legend is None:
            return
        legend.setLabelTextColor(theme.ink)
        for _sample, label in legend.items:  # entries added before: their text in the new colour
            label.setText(label.text, color=theme.ink)

    def close(self) -> bool:
        self._theme_ready = False  # pyqtgraph's close() clears the plot: no more restyling
        return super().close()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        palette_events = (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and self._theme_ready:
            self.apply_theme()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt's name)
        if self._theme_ready:
            self.apply_theme()
        super().showEvent(event)
