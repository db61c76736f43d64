"""Connections drawn as a handful of pyqtgraph items, one per colour/width bin, fed by numpy.

Never one item per weight: every edge of a bin, across all layers, is one segment of a single
PlotCurveItem with connect="pairs" (drawn with QPainter.drawLines).

Rasterising a few thousand wide lines takes Qt 60-100 ms, and QPainter holds the GIL meanwhile, so
above SYNC_SEGMENTS the lines are rasterised in slices of about SLICE_MS between events, into a new
image, while the previous image stays on screen until the new one is complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.ui.canvas.layout import MAGNITUDE_BINS, SIGN_CLASSES, Lod
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme, mix

# Colour-blind-safe diverging pair (blue / orange) and a grey for mixes: see theme.py; these are
# the light theme's colours.
POSITIVE = LIGHT_THEME.positive
NEGATIVE = LIGHT_THEME.negative
MIXED = LIGHT_THEME.mixed
WIDTHS = (1.01, 1.4, 2.0, 3.0)  # pixels, by |w| bin
THIN_WIDTHS = (1.01, 1.01, 1.01, 1.4)  # where edges crowd
# Strength of the hue mixed into the background, by |w| bin. Pens are opaque: Qt's raster
# engine draws translucent or antialiased lines about ten times slower than opaque ones.
STRENGTHS = (0.22, 0.42, 0.68, 0.95)
PENDING = LIGHT_THEME.pending
IDENTITY = LIGHT_THEME.identity

PENDING_BIN = -1
IDENTITY_BIN = -2

SYNC_SEGMENTS = 300  # up to this many connections are rasterised at once, inside paint()
SLICE_MS = 5.0  # above it: slices of about this long, one per turn of the event loop
CHUNK = 64  # segments drawn between two looks at the clock


def bin_sign(bin_index: int) -> str:
    """ "positive", "negative" or "mixed"."""
    return SIGN_CLASSES[bin_index // MAGNITUDE_BINS]


def sign_colour(sign: str, theme: Theme = LIGHT_THEME) -> str:
    return {"positive": theme.positive, "negative": theme.negative, "mixed": theme.mixed}[sign]


def bin_colour(bin_index: int, density: float = 1.0, theme: Theme = LIGHT_THEME) -> QtGui.QColor:
    """The (opaque) pen colour of an edge bin; density < 1 pales it where edges crowd."""
    # where lines crowd, weak weights fade much faster than strong ones, so the strong stand out
    strength = STRENGTHS[bin_index % MAGNITUDE_BINS] ** (1.0 + 2.5 * (1.0 - density)) * (0.3 + 0.7 * density)
    strength = max(strength, 0.1)  # faint, but still of its hue
    if bin_sign(bin_index) == "mixed":
        strength *= 0.6
    return mix(sign_colour(bin_sign(bin_index), theme), strength, theme.background)


def bin_pen(bin_index: int, density: float = 1.0, theme: Theme = LIGHT_THEME) -> QtGui.QPen:
    if bin_index == PENDING_BIN:
        return pg.mkPen(mix(theme.pending, 0.12 + 0.6 * density, theme.background), width=1.01)
    if bin_index == IDENTITY_BIN:
        return pg.mkPen(theme.identity, width=1.01)
    widths = WIDTHS if density > 0.6 else THIN_WIDTHS
    return pg.mkPen(bin_colour(bin_index, density, theme), width=widths[bin_index % MAGNITUDE_BINS])


def bin_order() -> list[tuple[int, int]]:
    """Drawing order of (bin, half): pending and identity first, mixed, then by rising |w| so
    strong ones lie on top. Each sign bin is drawn in two halves, blue-orange-orange-blue, so
    that neither hue always covers the other."""
    order = [(PENDING_BIN, 0), (PENDING_BIN, 1), (IDENTITY_BIN, 0), (IDENTITY_BIN, 1)]
    order += [(2 * MAGNITUDE_BINS + m, h) for m in range(MAGNITUDE_BINS) for h in (0, 1)]
    for m in range(MAGNITUDE_BINS):
        pos, neg = m, MAGNITUDE_BINS + m
        order += [(pos, 0), (neg, 0), (neg, 1), (pos, 1)]
    return order


def draw_pairs(painter: QtGui.QPainter, xs: np.ndarray, ys: np.ndarray, buffer: PrimitiveArray) -> None:
    """Draw the segments (xs[2i], ys[2i]) - (xs[2i+1], ys[2i+1]) with one drawLines call.

    The segments go through `buffer`, which the caller keeps alive: pyqtgraph's drawargs() hands
    QPainter a bare pointer into the array's memory, and a temporary array freed before drawLines
    reads it draws whatever lies there next (stray lines from the corner of the canvas)."""
    segments = arrayToLineSegments(xs, ys, "pairs", False, out=buffer)
    if len(segments):
        painter.drawLines(*segments.drawargs())


_EMPTY = (np.zeros(0), np.zeros(0))
_EMPTY_KEYS = (np.zeros(0, np.int32), np.zeros(0, np.int64))


@dataclass
class EdgePlan:
    """What EdgeLayer shows for one level of detail: per (bin, half) the x and y of the segment
    ends (connect="pairs"), per bin the (link, edge) of each segment, and the crowding density."""

    lines: dict  # (bin, half) -> (xs, ys)
    keys: dict  # bin -> (link numbers, edge numbers)
    density: float


def plan_edges(lod: Lod, px_per_unit_y: float = 1.0) -> EdgePlan:
    """Sort the edges of `lod` into their bins (numpy only: safe in a worker thread)."""
    parts_link, parts_edge, parts_bin = [], [], []
    x0s, x1s, y0s, y1s = [], [], [], []
    busiest = 0.0
    for li, ll in enumerate(lod.links):
        m = len(ll.src)
        if not m:
            continue
        bins = ll.bins if ll.bins is not None else np.full(m, PENDING_BIN if ll.kind == "dense" else IDENTITY_BIN)
        if ll.kind == "dense":
            # lines per screen pixel along the column: the crowding a person sees
            lo = min(float(ll.y0.min()), float(ll.y1.min()))
            hi = max(float(ll.y0.max()), float(ll.y1.max()))
            span_px = max((hi - lo) * px_per_unit_y, 20.0)
            busiest = max(busiest, m / span_px)
        parts_link.append(np.full(m, li, dtype=np.int32))
        parts_edge.append(np.arange(m, dtype=np.int64))
        parts_bin.append(bins)
        x0s.append(np.full(m, ll.x0))
        x1s.append(np.full(m, ll.x1))
        y0s.append(ll.y0)
        y1s.append(ll.y1)
    # a dense mesh of lines reads as a cloud: pale the colours as edges per pair grow
    density = float(np.clip(np.sqrt(0.45 / max(busiest, 1e-9)), 0.0, 1.0))
    lines: dict = {}
    keys: dict = {}
    if not parts_bin:
        return EdgePlan(lines, keys, density)
    link = np.concatenate(parts_link)
    edge = np.concatenate(parts_edge)
    bins = np.concatenate(parts_bin).astype(np.int64)
    x0, x1 = np.concatenate(x0s), np.concatenate(x1s)
    y0, y1 = np.concatenate(y0s), np.concatenate(y1s)
    half = (edge + link) % 2
    code = bins * 2 + half
    order = np.argsort(code, kind="stable")
    sorted_code = code[order]
    for b, h in bin_order():
        lo, hi = np.searchsorted(sorted_code, [2 * b + h, 2 * b + h + 1])
        if hi <= lo:
            continue
        sel = order[lo:hi]
        xs = np.empty(2 * len(sel))
        ys = np.empty(2 * len(sel))
        xs[0::2], xs[1::2] = x0[sel], x1[sel]
        ys[0::2], ys[1::2] = y0[sel], y1[sel]
        lines[(b, h)] = (xs, ys)
        old = keys.get(b)
        new = (link[sel], edge[sel])
        keys[b] = new if old is None else (np.concatenate([old[0], new[0]]), np.concatenate([old[1], new[1]]))
    return EdgePlan(lines, keys, density)


class EdgeLayer(pg.GraphicsObject):
    """All connections of the canvas: one pg.PlotCurveItem per colour/width bin (connect="pairs",
    fed by numpy), painted through one raster cache.

    On screen the bins are drawn once per change of data into an image the size of the viewport,
    and every repaint after that (expose, hover, selection, a pan before the level of detail is
    recomputed) is one blit; when the view moves, the stale image is shown moved until the
    debounced level-of-detail update brings new data. Exporters (PNG, SVG) get vector lines.
    """

    def __init__(self, z: float = -10) -> None:
        super().__init__()
        self.setZValue(z)
        self.items: dict[tuple[int, int], pg.PlotCurveItem] = {}  # (bin, half) -> item
        # for tests and hover: per bin, (link number in lod.links, edge number in that LinkLod)
        self.keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for key in bin_order():
            item = pg.PlotCurveItem(connect="pairs", pen=bin_pen(key[0]), antialias=False, skipFiniteCheck=True)
            item.setSegmentedLineMode("on")
            self.items[key] = item
            self.keys[key[0]] = (np.zeros(0, np.int32), np.zeros(0, np.int64))
        self.density = 1.0
        self.theme = LIGHT_THEME
        self._pens: dict[tuple, QtGui.QPen] = {}
        self._item_pens: dict[tuple, QtGui.QPen] = {}  # (bin, half) -> the cached pen it was given
        self._bounds = QtCore.QRectF(0, 0, 1, 1)
        self._version = 0
        self._cache: tuple | None = None  # (key = (version, size, dpr), transform, image)
        self.renders = 0  # how many times the lines were rasterised (for tests and benchmarks)
        self.progressive = True  # False: always rasterise at once inside paint()
        self._raster: tuple | None = None  # (key, transform, image, painter, chunk iterator) in progress
        # the QLineF buffer handed to QPainter.drawLines: owned here, so that it outlives the call
        self._segments = PrimitiveArray(QtCore.QLineF, 4)
        self._raster_timer = QtCore.QTimer(self)
        self._raster_timer.setInterval(0)
        self._raster_timer.timeout.connect(self._raster_step)

    # -- data ---------------------------------------------------------------------------------

    def pen(self, bin_index: int) -> QtGui.QPen:
        """The pen that draws bin `bin_index` now."""
        return self.items[(bin_index, 0)].opts["pen"]

    def segment_count(self) -> int:
        return sum(len(k[0]) for k in self.keys.values())

    def set_bounds(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.prepareGeometryChange()
        self._bounds = QtCore.QRectF(x0, y0, max(x1 - x0, 1e-9), max(y1 - y0, 1e-9))

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def update_lod(self, lod: Lod, px_per_unit_y: float = 1.0) -> None:
        """Take the edges of `lod`; px_per_unit_y (screen pixels per scene unit, vertically)
        measures how crowded each mesh is on screen, which pales weak weights."""
        self.apply_plan(plan_edges(lod, px_per_unit_y))

    def apply_plan(self, plan: EdgePlan) -> None:
        """Show the edges of a plan made by `plan_edges` (which may run in another thread)."""
        self.density = plan.density
        for key, item in self.items.items():
            xs, ys = plan.lines.get(key, _EMPTY)
            pen = self._pen(key[0])
            if self._item_pens.get(key) is not pen:  # setPen copies the pen: skip it when unchanged
                item.setPen(pen)
                self._item_pens[key] = pen
            if len(xs) or (item.xData is not None and len(item.xData)):
                item.setData(x=xs, y=ys)
        self.keys = {b: plan.keys.get(b, _EMPTY_KEYS) for b in self.keys}
        self._version += 1
        self._stop_raster()  # the slices in progress draw data that is gone
        self.update()

    def _pen(self, bin_index: int) -> QtGui.QPen:
        """The pen of a bin at the current density and theme; the same object while they last."""
        key = (bin_index, round(self.density, 3))
        pen = self._pens.get(key)
        if pen is None:
            if len(self._pens) > 2000:
                self._pens.clear()
            pen = self._pens[key] = bin_pen(bin_index, self.density, self.theme)
        return pen

    def set_theme(self, theme: Theme) -> None:
        """Recolour every bin for `theme` (the lines are rasterised again)."""
        if theme == self.theme:
            return
        self.theme = theme
        self._pens.clear()
        for key, item in self.items.items():
            item.setPen(self._pen(key[0]))
            self._item_pens[key] = self._pen(key[0])
        self._version += 1
        self._stop_raster()
        self.update()

    def settled(self) -> bool:
        """The lines on screen are those of the current data (no slice of a raster left)."""
        if self._raster is not None:
            return False
        if not self.progressive or self.segment_count() <= SYNC_SEGMENTS or self._cache is None:
            return True  # the next paint draws them at once
        return self._cache[0][0] == self._version

    # -- painting -----------------------------------------------------------------------------

    def _draw_vector(self, p: QtGui.QPainter, antialias: bool) -> None:
        for item in self.items.values():
            if item.xData is None or not len(item.xData):
                continue
            item.setExportMode(True, {"antialias": antialias})
            try:
                item.paint(p, None, None)
            finally:
                item.setExportMode(False)

    def _chunks(self, tr: QtGui.QTransform, chunk: int):
        """(pen, x, y) of at most `chunk` segments at a time, in drawing order, with coordinates
        mapped to device pixels by numpy (Qt's wide non-antialiased lines under a scaling
        transform leave seams)."""
        for item in self.items.values():
            x, y = item.xData, item.yData
            if x is None or not len(x):
                continue
            dx = tr.m11() * x + tr.m21() * y + tr.dx()
            dy = tr.m12() * x + tr.m22() * y + tr.dy()
            pen = item.opts["pen"]
            for s in range(0, len(dx), 2 * chunk):
                yield pen, dx[s : s + 2 * chunk], dy[s : s + 2 * chunk]

    def _draw_device(self, q: QtGui.QPainter, tr: QtGui.QTransform) -> None:
        """Rasterise every bin at once."""
        q.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        for pen, dx, dy in self._chunks(tr, 1 << 30):
            q.setPen(pen)
            draw_pairs(q, dx, dy, self._segments)

    @staticmethod
    def _new_image(size: tuple[int, int], dpr: float) -> QtGui.QImage:
        image = QtGui.QImage(
            max(1, round(size[0] * dpr)), max(1, round(size[1] * dpr)), QtGui.QImage.Format.Format_ARGB32_Premultiplied
        )
        image.setDevicePixelRatio(dpr)
        image.fill(0)
        return image

    def _start_raster(self, key: tuple, tr: QtGui.QTransform, size: tuple[int, int], dpr: float) -> None:
        self._stop_raster()
        image = self._new_image(size, dpr)
        q = QtGui.QPainter(image)
        q.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        self._raster = (key, QtGui.QTransform(tr), image, q, self._chunks(tr, CHUNK))
        self._raster_timer.start()

    def _stop_raster(self) -> None:
        self._raster_timer.stop()
        if self._raster is not None:
            self._raster[3].end()
            self._raster = None

    def _raster_step(self) -> None:
        """Draw the next slice of lines; when all are drawn, the new image replaces the old."""
        if self._raster is None:
            self._raster_timer.stop()
            return
        key, tr, image, q, chunks = self._raster
        t0 = time.perf_counter()
        for pen, dx, dy in chunks:
            q.setPen(pen)
            draw_pairs(q, dx, dy, self._segments)
            if (time.perf_counter() - t0) * 1000 >= SLICE_MS:
                return  # the rest in the next turn of the event loop
        q.end()
        self._raster = None
        self._raster_timer.stop()
        self.renders += 1
        self._cache = (key, tr, image)
        self.update()

    def paint(self, p: QtGui.QPainter, *args) -> None:
        if self._exportOpts is not False:  # PNG / SVG export: real vector lines
            # Qt's raster engine takes seconds for a few thousand antialiased wide lines; a 2x
            # image of plain lines looks as smooth. Vector devices (SVG) are not rasterised here.
            antialias = bool(self._exportOpts.get("antialias", True))
            if isinstance(p.device(), QtGui.QImage | QtGui.QPixmap) and self.segment_count() > 300:
                antialias = False
            self._draw_vector(p, antialias)
            return
        device = p.device()
        if device is None:
            self._draw_vector(p, False)
            return
        dpr = float(device.devicePixelRatioF()) if hasattr(device, "devicePixelRatioF") else 1.0
        size = (device.width(), device.height())
        tr = p.transform()
        key = (self._version, size, dpr)
        if self._cache is None or self._cache[0] != key:
            # on screen big meshes are rasterised in slices; grab() and render() get them at once
            on_screen = isinstance(device, QtWidgets.QWidget)
            if not self.progressive or not on_screen or self.segment_count() <= SYNC_SEGMENTS:
                self._stop_raster()
                image = self._new_image(size, dpr)
                q = QtGui.QPainter(image)
                self._draw_device(q, tr)
                q.end()
                self.renders += 1
                self._cache = (key, tr, image)
            elif self._raster is None or self._raster[0] != key:
                self._start_raster(key, tr, size, dpr)  # meanwhile the previous image stays
        if self._cache is None:
            return
        _, old_tr, image = self._cache
        p.save()
        inverted, ok = old_tr.inverted()
        rel = inverted * tr if ok else QtGui.QTransform()
        if abs(rel.m11() - 1) < 1e-6 and abs(rel.m22() - 1) < 1e-6 and abs(rel.m12()) + abs(rel.m21()) < 1e-9:
            # same scale: an exact pixel blit (a resampled blit leaves seams)
            p.setTransform(QtGui.QTransform.fromTranslate(round(rel.dx()), round(rel.dy())))
        else:
            p.setTransform(rel)  # zooming: show the stale image scaled until the new detail arrives
            p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(0, 0, image)
        p.restore()
