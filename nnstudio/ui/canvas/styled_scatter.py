"""A pyqtgraph ScatterPlotItem fed by style codes, with no Python work per point.

`ScatterPlotItem.setData` looks every point's (symbol, size, pen, brush) up in its symbol atlas one
by one (a few microseconds each: thousands of neurons take tens of milliseconds). The canvas draws
from a small table of styles, so `StyledScatter.set_points` takes an integer code per point, finds
the atlas entry of each distinct (style, symbol, size) once, and fills pyqtgraph's record array with
numpy. What is stored (`data`, the atlas, the bounds) is what `setData` would have stored.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

SIZE_STEPS = 2  # sizes are distinct per half pixel (the canvas rounds them so)


class StyledScatter(pg.ScatterPlotItem):
    """ScatterPlotItem (pxMode) with `set_points`, the vectorised equivalent of `setData`."""

    _spare: np.ndarray | None = None  # records of an earlier call, reused (see _records)

    def _records(self, n: int) -> np.ndarray:
        """n records of pyqtgraph's dtype whose object fields hold None. numpy sets each object
        field of a new record array one by one (about 0.1 ms per thousand points), so the last
        call's array is reused when it has room: only what set_points does not write is reset."""
        spare = self._spare
        if spare is None or len(spare) < n or len(spare) > 4 * max(n, 256):
            spare = self._spare = np.empty(max(n, 256) * 3 // 2, dtype=self.data.dtype)
        data = spare[:n]
        for name in ("pen", "data", "item"):
            if data[name].any():
                data[name] = None
        return data

    def set_points(
        self,
        x: np.ndarray,
        y: np.ndarray,
        size: np.ndarray,
        symbol_codes: np.ndarray,
        style_codes: np.ndarray,
        symbols: np.ndarray,
        brushes: np.ndarray,
        pen: QtGui.QPen,
    ) -> None:
        """Show points at (x, y) of `size` pixels: point i as symbols[symbol_codes[i]] filled with
        brushes[style_codes[i]] (object arrays) and outlined with `pen`."""
        n = len(x)
        data = self._records(n)
        data["x"], data["y"], data["size"] = x, y, size
        data["visible"] = True
        data["hovered"] = False
        data["symbol"] = symbols[symbol_codes]
        data["brush"] = brushes[style_codes]
        self.opts["pen"] = pen  # every point's (its `pen` field stays None: the default, as setData(pen=) leaves it)
        if n:
            steps = np.round(np.asarray(size, dtype=np.float64) * SIZE_STEPS).astype(np.int64)
            key = (np.asarray(style_codes, np.int64) * len(symbols) + symbol_codes) * (steps.max() + 1) + steps
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            coords = self.fragmentAtlas[
                [(data["symbol"][i], data["size"][i], pen, data["brush"][i]) for i in first.tolist()]
            ]
            rects = np.asarray(coords, dtype=np.int64).reshape(-1, 4)[inverse.reshape(-1)]
            source = data["sourceRect"]
            source["x"], source["y"], source["w"], source["h"] = rects.T
        self.data = data
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.bounds = [None, None]
        self._maybeRebuildAtlas()
        self._updateMaxSpotSizes(data=data)
        self.invalidate()
        self.sigPlotChanged.emit(self)
