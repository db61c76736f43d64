"""The canvas's drawing of convolution and pooling layers: feature-map blocks and kernel tiles.

One pyqtgraph item, `FeatureMapItem`, draws every layer whose drawer says `neurons=False`
(layout.py) and the input feeding them:

- each layer's output as a block of feature maps: a front face as tall as the layer's column
  (the canvas's size scale, so pooling visibly shrinks it) and a depth that grows with the
  channels; faint lines join the corners of consecutive blocks where one shrinks into the next;
- each convolution's filters between its input and its block: a mosaic of kernel tiles, one tile
  per filter, one cell per tap of its window, coloured by sign and strength like the Dense
  weights (feature_maps.py). Zoomed in far enough, every cell shows its input channels one by one.

The item is fed numpy arrays: a mosaic is one RGBA image (QImage) per layer, drawn scaled, never
one item per weight. Sizes are worked out in pixels at paint time, so tiles stay square while the
view's axes are scaled differently; `geometry()` gives the same layout for hover texts.

A big model has hundreds of blocks, and Qt's raster engine takes most of a paint to fill and outline
them. A paint draws only the blocks that reach its exposed rect, in scene units on the painter's own
transform (one pixel pens); a view painted again is kept as one image and drawn from it while it
stays (headers made in steps, lines rasterised in slices and hovers repaint the canvas many times
between two pans or zooms). The image is made of the same drawing on clear pixels: where shapes'
antialiased edges meet, a channel may round one or two steps otherwise than when drawn straight.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.ui.canvas import feature_maps as F
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme, mix

TILE_SHARE = 0.62  # of the room between two blocks, the mosaic's width at most
TILE_HEIGHT_SHARE = 0.94  # of the layer's column height, the mosaic's height at most
CHANNEL_CELL_PX = 5.0  # a cell shows its input channels when each would get this many pixels
MIN_CHANNEL_DETAIL_PX = 14.0  # and the cell is at least this big
MAX_DETAIL_TILES = 400  # at most this many tiles drawn channel by channel in one frame
NEURON_ROOM_PX = 14.0  # how far a column of neurons reaches right of its centre


@dataclass
class MapBlock:
    """One layer's feature maps as drawn, in scene units: the front face and the oblique depth."""

    column: int
    x0: float
    x1: float
    y0: float  # bottom of the front face
    y1: float  # top of the front face
    dx: float  # depth offset (back face = front face moved by dx, dy)
    dy: float
    shape: F.MapShape


@dataclass
class TileBlock:
    """One convolution's mosaic of kernel tiles, in scene units (top left corner, cell size)."""

    column: int
    x0: float
    y1: float
    cell_w: float
    cell_h: float
    mosaic: F.Mosaic
    layout: F.TileLayout

    @property
    def width(self) -> float:
        return self.mosaic.cells[1] * self.cell_w

    @property
    def height(self) -> float:
        return self.mosaic.cells[0] * self.cell_h


def data_format_of(spec, column) -> str:
    """The data format of a column's layer (the input's: that of the layer it feeds)."""
    if spec is None:
        return "channels_last"
    index = column.layer_index if column.kind != "input" else 1
    if index >= len(spec.layers):
        return "channels_last"
    return str(spec.layers[index].params.get("data_format", "channels_last"))


def map_columns(columns, spec) -> list[tuple[int, F.MapShape, F.TileLayout | None]]:
    """The columns drawn as feature maps, whatever the scale: (index, shape of its maps, layout of
    its kernel tiles or None)."""
    found = []
    for ci, col in enumerate(columns):
        if col.neurons or col.shape is None or col.n == 0:
            continue
        shape = F.map_shape(col.shape, data_format_of(spec, col))
        if shape is not None:
            found.append((ci, shape, F.tile_layout(col) if col.kind == "conv" else None))
    return found


def geometry(columns, spec, ppx: float, ppy: float, maps: list | None = None) -> tuple[list[MapBlock], list[TileBlock]]:
    """The blocks and mosaics of every column drawn as feature maps, for a view of `ppx` × `ppy`
    pixels per scene unit; `maps`: what `map_columns` gives for them (made here if None)."""
    blocks: list[MapBlock] = []
    mosaics: list[TileBlock] = []
    placed: dict[int, MapBlock] = {}
    for ci, shape, layout in map_columns(columns, spec) if maps is None else maps:
        col = columns[ci]
        prev = columns[ci - 1] if ci > 0 else None
        nxt = columns[ci + 1] if ci + 1 < len(columns) else None
        if prev is not None:
            spacing_px = (col.x - prev.x) * ppx
        elif nxt is not None:
            spacing_px = (nxt.x - col.x) * ppx
        else:
            spacing_px = 120.0
        height_px = col.height * ppy
        depth_share = min(max(math.log2(shape.channels + 1) / 9.0, 0.15), 1.0)
        depth_px = min(0.12 * spacing_px, 0.3 * height_px, 18.0 * spacing_px / 100.0 + 4.0) * depth_share
        face_h_px = max(height_px - depth_px, 1.0)
        width_px = max(3.0, min(0.14 * spacing_px, face_h_px, 40.0))
        left_px = -(width_px + depth_px) / 2
        block = MapBlock(
            ci,
            col.x + left_px / ppx,
            col.x + (left_px + width_px) / ppx,
            -col.height / 2,
            -col.height / 2 + face_h_px / ppy,
            depth_px / ppx,
            depth_px / ppy,
            shape,
        )
        blocks.append(block)
        placed[ci] = block
        if layout is None or prev is None:
            continue
        before = placed.get(ci - 1)
        start = before.x1 + before.dx if before is not None else prev.x + NEURON_ROOM_PX / ppx
        room_px = (block.x0 - start) * ppx
        if room_px <= 4:
            continue
        width = TILE_SHARE * room_px
        mosaic = F.choose_mosaic(layout, width, TILE_HEIGHT_SHARE * height_px, max_cell_px=height_px / 12)
        rows, cols = mosaic.cells
        cell_w, cell_h = mosaic.cell_px / ppx, mosaic.cell_px / ppy
        centre = (start + block.x0) / 2
        mosaics.append(TileBlock(ci, centre - cols * cell_w / 2, rows * cell_h / 2, cell_w, cell_h, mosaic, layout))
    return blocks, mosaics


def faces_of(block: MapBlock) -> tuple[QtGui.QPolygonF, QtGui.QPolygonF, QtGui.QPolygonF]:
    """The side, top and front faces of a block, in scene units, in the order they are painted."""
    return face_of(block, 0), face_of(block, 1), face_of(block, 2)


def face_of(block: MapBlock, k: int) -> QtGui.QPolygonF:
    """A block's side (0), top (1) or front (2) face, in scene units."""
    x0, x1, y0, y1, dx, dy = block.x0, block.x1, block.y0, block.y1, block.dx, block.dy
    point = QtCore.QPointF
    if k == 0:
        corners = [point(x1, y0), point(x1 + dx, y0 + dy), point(x1 + dx, y1 + dy), point(x1, y1)]
    elif k == 1:
        corners = [point(x0, y1), point(x1, y1), point(x1 + dx, y1 + dy), point(x0 + dx, y1 + dy)]
    else:
        corners = [point(x0, y0), point(x1, y0), point(x1, y1), point(x0, y1)]
    return QtGui.QPolygonF(corners)


class SceneLayout:
    """What FeatureMapItem paints at one scale, in scene units: the blocks with their faces and
    brushes, the mosaics, the links; and which of them a paint's exposed rect reaches."""

    def __init__(self, scale, blocks: list[MapBlock], mosaics: list[TileBlock], shades: list, links: list) -> None:
        self.scale = scale
        self.blocks, self.mosaics, self.shades, self.links = blocks, mosaics, shades, links
        self._faces: dict[tuple[int, bool], tuple] = {}  # (block, slivers) -> faces and brushes, once painted
        self._lines: list[QtCore.QLineF] | None = None  # the links as lines, once painted
        # each block's extent (front face and depth) and each link's, as x0, x1, y0, y1 rows
        corners = np.array([(b.x0, b.x1, b.y0, b.y1, b.dx, b.dy) for b in blocks], dtype=float).reshape(-1, 6)
        x0, x1, y0, y1, dx, dy = corners.T
        depth_x, depth_y = np.maximum(dx, 0.0), np.maximum(dy, 0.0)
        # a narrow block is drawn without antialiasing: its outlines would cost most of the paint
        # (a model of 800 blocks of 3 px) and their smoothing is not seen at that size
        self.smooth: list[bool] = ((x1 - x0) * scale[0] >= SMOOTH_BLOCK_PX).tolist()
        thin = (np.abs(dx) * scale[0] < MIN_FACE_PX) & (np.abs(dy) * scale[1] < MIN_FACE_PX)
        self._front_alone: list[bool] = thin.tolist()  # its side and top not drawn (see `faces`)
        self._fronts: dict[int, QtCore.QRectF] | None = None  # front_alone's rects, made at its first call
        self._front_rects = np.stack([x0, np.minimum(y0, y1), x1 - x0, np.abs(y1 - y0)], axis=1)  # x, y, w, h
        self._block_boxes = np.stack([x0, x1 + depth_x, np.minimum(y0, y0 + dy), y1 + depth_y], axis=1)
        ends = np.array(links, dtype=float).reshape(-1, 4)  # x1, y1, x2, y2
        self._link_boxes = np.stack(
            [
                np.minimum(ends[:, 0], ends[:, 2]),
                np.maximum(ends[:, 0], ends[:, 2]),
                np.minimum(ends[:, 1], ends[:, 3]),
                np.maximum(ends[:, 1], ends[:, 3]),
            ],
            axis=1,
        )

    def extent(self, transform: QtGui.QTransform) -> QtCore.QRectF:
        """The device rect of everything drawn (with room for the pens), on `transform`."""
        boxes = [self._block_boxes, self._link_boxes]
        boxes += [np.array([[t.x0, t.x0 + t.width, t.y1 - t.height, t.y1] for t in self.mosaics]).reshape(-1, 4)]
        rows = np.concatenate(boxes)
        if not len(rows):
            return QtCore.QRectF()
        box = QtCore.QRectF(
            QtCore.QPointF(rows[:, 0].min(), rows[:, 2].min()), QtCore.QPointF(rows[:, 1].max(), rows[:, 3].max())
        )
        m = CULL_MARGIN_PX
        return transform.mapRect(box).adjusted(-m, -m, m, m)

    def faces(self, i: int, slivers: bool = False) -> tuple[tuple[QtGui.QPolygonF, QtGui.QBrush], ...]:
        """Block i's faces (`faces_of`) with their brushes, in painting order, but (unless `slivers`,
        for a vector export that may be zoomed into) a side or top face thinner than MIN_FACE_PX at
        this scale, which the front face's outline covers: a model of a thousand layers fitted in
        the view has blocks of 3 px with depths of 0.1 px."""
        key = (i, slivers)
        found = self._faces.get(key)
        if found is None:
            block, (ppx, ppy) = self.blocks[i], self.scale
            thick = (abs(block.dx) * ppx >= MIN_FACE_PX, abs(block.dy) * ppy >= MIN_FACE_PX, True)
            # only the faces drawn are made (a fitted big model: a thousand fronts alone)
            found = self._faces[key] = tuple(
                (face_of(block, k), brush)
                for k, (brush, drawn) in enumerate(zip(self.shades[i], thick, strict=True))
                if drawn or slivers
            )
        return found

    def front_alone(self, i: int) -> tuple[QtCore.QRectF, QtGui.QBrush] | None:
        """Block i's front face as a rect, with its brush, when its side and top are too thin to be
        drawn at this scale (`faces` would give the front alone); else None."""
        if not self._front_alone[i]:
            return None
        if self._fronts is None:  # all at once: a fitted big model's first paint wants hundreds
            alone = np.flatnonzero(self._front_alone).tolist()
            rects = self._front_rects[alone].tolist()
            self._fronts = {j: QtCore.QRectF(*rect) for j, rect in zip(alone, rects, strict=True)}
        return self._fronts[i], self.shades[i][2]

    def shown(self, transform: QtGui.QTransform, clip: QtCore.QRectF | None) -> list[int]:
        """The indices of the blocks that reach into `clip` (device pixels), in painting order."""
        return _reaching(self._block_boxes, transform, clip)

    def shown_links(self, transform: QtGui.QTransform, clip: QtCore.QRectF | None) -> list[QtCore.QLineF]:
        """The links that reach into `clip`."""
        if self._lines is None:
            self._lines = [QtCore.QLineF(*link) for link in self.links]
        lines = self._lines
        return [lines[i] for i in _reaching(self._link_boxes, transform, clip)]


PREPARE_STEP_MS = 6.0  # the kernels' tiles are coloured between events in steps of about this long
PREPARE_PART_CELLS = 1 << 16  # a big kernel's tiles are coloured this many cells at a time
MIN_FACE_PX = 0.5  # a block's side or top face thinner than this is not drawn
SMOOTH_BLOCK_PX = 6.0  # a block's front face narrower than this is drawn without antialiasing (on screen)
CULL_MARGIN_PX = 2.0  # a shape this close to the exposed rect may still touch it (pen, antialiasing)
RASTER_FIRST_BLOCKS = 150  # a view of this many blocks is kept as an image from its first paint
CACHE_EXPOSED_SHARE = 0.5  # a paint for at least this share of the item's part in view keeps its image
ZOOM_REST_S = 0.12  # a scale this long unchanged: the zoom rests, and the maps are drawn at it


def _same_scale(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return math.isclose(a[0], b[0], rel_tol=1e-9) and math.isclose(a[1], b[1], rel_tol=1e-9)


def _reaching(boxes: np.ndarray, transform: QtGui.QTransform, clip: QtCore.QRectF | None) -> list[int]:
    """The rows of `boxes` (x0, x1, y0, y1 in scene units) whose box, mapped by `transform` (a scale
    and a shift, as the view's), comes within CULL_MARGIN_PX of `clip`; all of them for another transform."""
    if clip is None or transform.type().value > QtGui.QTransform.TransformationType.TxScale.value:
        return list(range(len(boxes)))
    xs = boxes[:, :2] * transform.m11() + transform.dx()
    ys = boxes[:, 2:] * transform.m22() + transform.dy()
    m = CULL_MARGIN_PX
    inside = (
        (xs.max(axis=1) >= clip.left() - m)
        & (xs.min(axis=1) <= clip.right() + m)
        & (ys.max(axis=1) >= clip.top() - m)
        & (ys.min(axis=1) <= clip.bottom() + m)
    )
    return np.flatnonzero(inside).tolist()


def places_of(columns: list, spec) -> tuple:
    """What the blocks, mosaics and links of `columns` are laid out from: each column's place, size and
    kind, and the maps `map_columns` finds (their kernels' tiles laid out from the weights once they came).
    A pure function of the columns and the spec: a big model's is made in the thread that made its columns."""
    return tuple((c.x, c.height, c.kind, c.class_name, c.neurons, c.shape) for c in columns), map_columns(columns, spec)


def _exposed(viewport: QtCore.QRectF | None, option, transform: QtGui.QTransform) -> QtCore.QRectF | None:
    """The device rect a paint is for: the viewport, within the item's exposed rect (Qt gives it
    since the item uses the extended style option)."""
    clip = viewport
    exposed = option.exposedRect if isinstance(option, QtWidgets.QStyleOptionGraphicsItem) else None
    if exposed is not None and not exposed.isEmpty():
        mapped = transform.mapRect(exposed)
        clip = mapped if clip is None else clip.intersected(mapped)
    return clip


class FeatureMapItem(pg.GraphicsObject):
    """Feature-map blocks and kernel mosaics of every convolution and pooling layer (one item)."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: list = []
        self.spec = None
        self.pending = True
        self.theme: Theme = LIGHT_THEME
        self._images: dict = {}  # (column, kernels, mosaic) -> QImage, for the current theme
        self._channel_images: dict = {}  # (column, kernels, tile) -> QImage of its cells' channels
        self._tile_rgba: dict = {}  # (column, kernels) -> F.tile_rgba, for the current theme
        self._tile_parts: dict = {}  # (column, kernels) -> the first tiles' colours, a big kernel's in steps
        self._tiles_timer = QtCore.QTimer(self)  # colours the tiles of new kernels between events
        self._tiles_timer.setSingleShot(True)
        self._tiles_timer.setInterval(0)
        self._tiles_timer.timeout.connect(self._prepare_tiles)
        self._brushes: dict = {}  # column kind or stage class -> brushes of a block's faces
        self._bounds = QtCore.QRectF()
        # option.exposedRect: the part of the item a paint is for (a header's step repaints a few pixels)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._layout: SceneLayout | None = None  # of the last paint's scale
        self._raster: tuple | None = None  # (key, QImage): the last on-screen paint, drawn again while the view stays
        self._painted: tuple = (None, 0)  # the key of the last whole paint, and how many it had
        self._scale: tuple[float, float] = (0.0, 0.0)  # the last paint's, and when it changed
        self._scaled_at = -math.inf
        self._rest_timer = QtCore.QTimer(self)  # the drawing at the scale a zoom reached, once it rests
        self._rest_timer.setSingleShot(True)
        self._rest_timer.setInterval(int(ZOOM_REST_S * 1000))
        self._rest_timer.timeout.connect(self.update)
        # what the blocks' places are made from (`places_of`): the columns' and their maps (`map_columns`)
        self._places: tuple = ((), [])

    # -- what to draw -----------------------------------------------------------------------------

    def set_columns(
        self, columns: list, spec, pending: bool, same_places: bool = False, places: tuple | None = None
    ) -> None:
        """Draw the feature-map columns of `columns` (the canvas's current ones). `same_places`:
        they and their neighbours stand where the current ones stand (an edit elsewhere); `places`:
        `places_of(columns, spec)` when it was made already."""
        if columns is self.columns and spec is self.spec and pending == self.pending:
            return
        self.prepareGeometryChange()
        if places is None:
            places = places_of(columns, spec)
        if places != self._places and not same_places:  # else the weights came, or went: the blocks stay
            self._layout = None
        self._places = places
        self.columns, self.spec, self.pending = columns, spec, pending
        self._images, self._channel_images, self._tile_rgba, self._tile_parts = {}, {}, {}, {}
        self._raster = None
        if any(isinstance(c.figure, F.KernelTiles) for c in columns):
            self._tiles_timer.start()
        self._painted = (None, 0)
        if any(not c.neurons for c in columns):
            # links may reach any column, and a block a little beyond its column's place
            x0 = min(c.x for c in columns) - 1.0
            x1 = max(c.x for c in columns) + 1.0
            h = max(c.height for c in columns)
            self._bounds = QtCore.QRectF(x0, -h * 0.6, x1 - x0, h * 1.2)
        else:
            self._bounds = QtCore.QRectF()
        self.update()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._images, self._channel_images, self._brushes, self._tile_rgba = {}, {}, {}, {}
        self._tile_parts = {}
        self._layout = self._raster = None
        if any(isinstance(c.figure, F.KernelTiles) for c in self.columns):
            self._tiles_timer.start()
        self._painted = (None, 0)
        self.update()

    def has_maps(self) -> bool:
        return any(not c.neurons for c in self.columns)

    # -- QGraphicsItem ----------------------------------------------------------------------------

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name
        return self._bounds

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if not self.has_maps():
            return
        transform = painter.transform()
        ppx, ppy = abs(transform.m11()), abs(transform.m22())
        if ppx <= 0 or ppy <= 0 or self._stands_in(painter, transform):
            return
        layout = self._scene_layout(ppx, ppy)
        viewport = QtCore.QRectF(painter.viewport()) if painter.viewport().isValid() else None
        clip = _exposed(viewport, option, transform)
        if viewport is not None and self._cacheable(painter):
            area = layout.extent(transform).intersected(viewport).toAlignedRect()
            if area.isEmpty():
                return
            key = (layout, transform.m11(), transform.m22(), transform.dx(), transform.dy(), area, viewport)
            raster = self._raster
            whole = clip is None or clip.width() * clip.height() >= CACHE_EXPOSED_SHARE * area.width() * area.height()
            if whole:
                # A view painted again is kept as an image for the paints that follow. Its first
                # paint is drawn straight (an image costs a little more), unless the view before
                # was painted more than once (pyqtgraph's view paints twice after a wheel step) or
                # the blocks are many: a big model's view is painted again in parts at once (its
                # edges and headers come in steps), each a whole drawing were it not kept.
                fresh = self._painted[0] != key
                again = self._painted[1] >= 2 or len(layout.blocks) >= RASTER_FIRST_BLOCKS if fresh else True
                self._painted = (key, 1 if fresh else self._painted[1] + 1)
                if again and (raster is None or raster[0] != key):
                    raster = self._raster = (key, self._rasterise(transform, layout, viewport, area))
            if raster is not None and raster[0] == key:
                painter.save()
                painter.resetTransform()
                shown = QtCore.QRectF(area) if clip is None else QtCore.QRectF(area).intersected(clip.toAlignedRect())
                source = shown.translated(-area.left(), -area.top())
                painter.drawImage(shown, raster[1], source)
                painter.restore()
                return
        painter.save()
        self._draw(painter, transform, layout, viewport, clip)
        painter.restore()

    def _stands_in(self, painter: QtGui.QPainter, transform: QtGui.QTransform) -> bool:
        """While the view is being zoomed (its scale changed less than ZOOM_REST_S before), the image
        kept of the view before, scaled, stands in for a drawing at each new scale (a big model's 770
        blocks: 20-30 ms each); the drawing at the scale reached follows once the zoom rests. False
        when it does not stand in: no zoom going on, no image kept, or the view's scale is the image's."""
        scale = (transform.m11(), transform.m22())
        now = time.monotonic()
        zooming = now - self._scaled_at < ZOOM_REST_S
        if not _same_scale(scale, self._scale):  # a pan moves the view's range: its scale's last digits
            self._scale, self._scaled_at = scale, now
        raster = self._raster
        if not zooming or raster is None or not self._cacheable(painter):
            return False
        key, image = raster
        _layout, m11, m22, dx, dy, area, _viewport = key
        if _same_scale((m11, m22), scale):
            return False
        image_to_scene, invertible = QtGui.QTransform(m11, 0.0, 0.0, m22, dx, dy).inverted()
        if not invertible:
            return False
        target = transform.mapRect(image_to_scene.mapRect(QtCore.QRectF(area)))
        painter.save()
        painter.resetTransform()
        painter.drawImage(target, image, QtCore.QRectF(image.rect()))
        painter.restore()
        self._rest_timer.start()
        return True

    def _cacheable(self, painter: QtGui.QPainter) -> bool:
        """Paints on screen are kept as an image (not those of an export, nor vectors for SVG); the
        image has one pixel per device pixel, so on a high-density screen paints are drawn straight."""
        engine = painter.paintEngine()
        return (
            self._exportOpts is False  # pyqtgraph's: set while an exporter paints the scene
            and engine is not None
            and engine.type() == QtGui.QPaintEngine.Type.Raster
            and painter.device().devicePixelRatioF() == 1.0
        )

    def _rasterise(
        self, transform: QtGui.QTransform, layout: SceneLayout, viewport: QtCore.QRectF, area: QtCore.QRect
    ) -> QtGui.QImage:
        """What `_draw` paints in `area` (device pixels) of a view, as an image of that part."""
        size = area.size()
        old = self._raster[1] if self._raster is not None else None
        self._raster = None  # its image is drawn over: a view's image at most at any time
        if old is not None and old.size() == size:
            image = old  # no fresh pages of memory at each zoom step
        else:
            image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        shifted = transform * QtGui.QTransform.fromTranslate(-area.left(), -area.top())
        local = viewport.translated(-area.left(), -area.top())
        painter = QtGui.QPainter(image)
        try:
            painter.setTransform(shifted)
            self._draw(painter, shifted, layout, local, local)
        finally:
            painter.end()
        return image

    def _draw(
        self,
        painter: QtGui.QPainter,
        transform: QtGui.QTransform,
        layout: SceneLayout,
        viewport: QtCore.QRectF | None,
        clip: QtCore.QRectF | None,
    ) -> None:
        """The links, the blocks and the mosaics that reach into `clip` (device pixels); the painter
        on `transform` (scene units), which it leaves reset."""
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        # in scene units, on the painter's transform; the pens are cosmetic (one pixel at any zoom)
        lines = layout.shown_links(transform, clip)
        if lines:
            pen = QtGui.QPen(QtGui.QColor(self.theme.identity), 1.0, QtCore.Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLines(lines)
        pen = QtGui.QPen(QtGui.QColor(self.theme.outline), 1.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        # block after block, each side, top, then front: neighbouring blocks may overlap. A run of
        # blocks showing their front alone, alike, is one call (a fitted big model: a thousand fronts)
        slivers = self._exportOpts is not False  # pyqtgraph's: set while an exporter paints the scene
        smooth = True
        run: list[QtCore.QRectF] = []
        run_brush: QtGui.QBrush | None = None
        for i in layout.shown(transform, clip):
            front = None if slivers else layout.front_alone(i)
            if run and (front is None or front[1] is not run_brush or layout.smooth[i] is not smooth):
                painter.setBrush(run_brush)
                painter.drawRects(run)
                run = []
            if layout.smooth[i] is not smooth and not slivers:
                smooth = layout.smooth[i]
                painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, smooth)
            if front is not None:
                run_brush = front[1]
                run.append(front[0])
                continue
            for polygon, brush in layout.faces(i, slivers):
                painter.setBrush(brush)
                painter.drawPolygon(polygon)
        if run:
            painter.setBrush(run_brush)
            painter.drawRects(run)
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)  # cells: crisp, and faster
        for tiles in layout.mosaics:
            self._paint_mosaic(painter, transform, tiles, viewport, clip)

    def _scene_layout(self, ppx: float, ppy: float) -> SceneLayout:
        """The blocks and mosaics for `ppx` × `ppy` pixels per unit (`geometry`), with each block's
        faces and the links between blocks; kept while the scale lasts (a pan)."""
        if self._layout is None or self._layout.scale != (ppx, ppy):
            blocks, mosaics = geometry(self.columns, self.spec, ppx, ppy, self._places[1])
            shades = [self._shades(self.columns[b.column]) for b in blocks]
            self._layout = SceneLayout((ppx, ppy), blocks, mosaics, shades, self._links(blocks, ppx))
        return self._layout

    def _shades(self, col) -> tuple[QtGui.QBrush, QtGui.QBrush, QtGui.QBrush]:
        """The brushes of a block's side, top and front faces: the input's colour, a stage's marker
        fill, else a pale blue."""
        t = self.theme
        if col.kind == "input":
            key = "input"
        elif col.kind == "stage" and col.class_name in t.stage_fills:
            key = f"stage {col.class_name}"
        else:
            key = ""  # one set of brushes for every other block: a run of them is painted in one call
        found = self._brushes.get(key)
        if found is None:
            if key == "input":
                base = t.input_fill
            elif key:
                base = t.stage_fills[col.class_name]
            else:
                base = mix(t.positive, 0.10, t.background).name()
            found = tuple(QtGui.QBrush(c) for c in (mix(t.ink, 0.22, base), mix(t.ink, 0.12, base), QtGui.QColor(base)))
            self._brushes[key] = found
        return found

    def _links(self, blocks: list[MapBlock], ppx: float) -> list[tuple[float, float, float, float]]:
        """Faint lines from the corners of a block to the next column where no mosaic lies between
        (x1, y1, x2, y2 in scene units)."""
        lines: list[tuple[float, float, float, float]] = []
        by_column = {b.column: b for b in blocks}
        for block in blocks:
            nxt_index = block.column + 1
            if nxt_index >= len(self.columns):
                continue
            nxt = self.columns[nxt_index]
            if nxt.kind == "conv" or nxt.kind == "error" or nxt.shape is None:
                continue  # a convolution's mosaic fills the room before it
            x_from = block.x1 + block.dx
            ends = by_column.get(nxt_index)
            if ends is not None:
                x_to, top, bottom = ends.x0, ends.y1, ends.y0
            else:
                x_to, top, bottom = nxt.x - NEURON_ROOM_PX / max(ppx, 1e-9), nxt.height / 2, -nxt.height / 2
            for y_from, y_to in ((block.y1 + block.dy, top), (block.y0 + block.dy, bottom)):
                lines.append((x_from, y_from, x_to, y_to))
        return lines

    def _colours(self) -> dict[str, str]:
        t = self.theme
        return {"positive": t.positive, "negative": t.negative, "mixed": t.mixed, "background": t.background}

    def _image(self, tiles: TileBlock) -> QtGui.QImage:
        col = self.columns[tiles.column]
        kernel = col.figure if isinstance(col.figure, F.KernelTiles) else None
        # cells smaller than a pixel are averaged, not picked (no stripes of aliasing)
        factor = math.ceil(1.0 / tiles.mosaic.cell_px - 1e-9) if tiles.mosaic.cell_px < 1 else 1
        key = (tiles.column, id(kernel), tiles.mosaic.cols, tiles.mosaic.rows, factor)
        found = self._images.get(key)
        if found is None:
            if kernel is not None:
                rgba = F.arrange(self._tile_colours(tiles.column, kernel), tiles.mosaic)
            else:
                rgba = F.pending_rgba(tiles.layout, tiles.mosaic, self.theme.pending_fill)
            found = _qimage(F.downsample(rgba, factor))
            if len(self._images) > 4 * len(self.columns):  # zooming made many sizes: keep the newest
                self._images = {}
            self._images[key] = found
        return found

    def _tile_colours(self, column: int, kernel: F.KernelTiles) -> np.ndarray:
        """The tiles' colours (`F.tile_rgba`), for every mosaic zooming lays them out in."""
        found = self._tile_rgba.get((column, id(kernel)))
        if found is None:
            found = self._tile_rgba[(column, id(kernel))] = F.tile_rgba(kernel, self._colours())
            self._tile_parts.pop((column, id(kernel)), None)  # a paint wanted it before its parts were done
        return found

    def _prepare_tiles(self) -> None:
        """Colour the kernels' tiles between events, STEP_MS at a time, before a zoom asks for them
        (the first zoom into a big model would otherwise colour tens of kernels in one paint)."""
        start = time.perf_counter()
        colours = self._colours()

        def out_of_time() -> bool:
            if (time.perf_counter() - start) * 1000 < PREPARE_STEP_MS:
                return False
            self._tiles_timer.start()  # the rest on a later step
            return True

        for ci, col in enumerate(self.columns):
            kernel = col.figure
            key = (ci, id(kernel))
            if not isinstance(kernel, F.KernelTiles) or key in self._tile_rgba:
                continue
            # a big kernel (ConvNeXtXLarge's: millions of cells) a part of its tiles at a time
            parts = self._tile_parts.setdefault(key, [])
            total = kernel.absolute.shape[0]
            step = max(1, PREPARE_PART_CELLS // max(math.prod(kernel.layout.plane), 1))
            done = sum(len(part) for part in parts)
            while done < total:
                parts.append(F.tile_rgba(kernel, colours, done, min(total, done + step)))
                done += len(parts[-1])
                if done < total and out_of_time():
                    return
            self._tile_rgba[key] = parts[0] if len(parts) == 1 else np.concatenate(parts)
            del self._tile_parts[key]
            if out_of_time():
                return

    def _paint_mosaic(self, painter, transform: QtGui.QTransform, tiles: TileBlock, clip, exposed) -> None:
        """`clip`: the viewport (what is drawn of the images is cut to it alike in every paint);
        `exposed`: the part this paint is for (a mosaic outside it is skipped)."""
        top_left = transform.map(QtCore.QPointF(tiles.x0, tiles.y1))
        bottom_right = transform.map(QtCore.QPointF(tiles.x0 + tiles.width, tiles.y1 - tiles.height))
        target = QtCore.QRectF(top_left, bottom_right).normalized()
        if exposed is not None and not target.adjusted(-2, -2, 2, 2).intersects(exposed):
            return
        draw_image(painter, target, self._image(tiles), clip)
        col = self.columns[tiles.column]
        if isinstance(col.figure, F.KernelTiles) and col.figure.layout.channels > 1:
            self._paint_channels(painter, target, tiles, col.figure, clip)

    def _paint_channels(self, painter, target: QtCore.QRectF, tiles: TileBlock, kernel: F.KernelTiles, clip) -> None:
        """Zoomed in: every visible tile's cells split into their input channels."""
        cell = tiles.mosaic.cell_px
        g_rows, g_cols = F.channel_grid(kernel.layout.channels)
        if cell < MIN_CHANNEL_DETAIL_PX or cell / max(g_rows, g_cols) < CHANNEL_CELL_PX:
            return
        mosaic = tiles.mosaic
        ph, pw = mosaic.plane
        step_x, step_y = (pw + mosaic.gap) * cell, (ph + mosaic.gap) * cell
        seen = clip if clip is not None else target
        cols = range(
            max(0, math.floor((seen.left() - target.left()) / step_x)),
            min(mosaic.cols, math.ceil((seen.right() - target.left()) / step_x)),
        )
        rows = range(
            max(0, math.floor((seen.top() - target.top()) / step_y)),
            min(mosaic.rows, math.ceil((seen.bottom() - target.top()) / step_y)),
        )
        if len(cols) * len(rows) > MAX_DETAIL_TILES:
            return
        for c in cols:
            for r in rows:
                tile = c * mosaic.rows + r
                if tile >= kernel.layout.tiles:
                    continue
                rect = QtCore.QRectF(target.left() + c * step_x, target.top() + r * step_y, pw * cell, ph * cell)
                draw_image(painter, rect, self._channel_image(tiles.column, kernel, tile), clip)

    def _channel_image(self, column: int, kernel: F.KernelTiles, tile: int) -> QtGui.QImage:
        key = (column, id(kernel), tile)
        found = self._channel_images.get(key)
        if found is None:
            if len(self._channel_images) >= 4 * MAX_DETAIL_TILES:
                self._channel_images = {}
            found = _qimage(F.channel_rgba(kernel, tile, self._colours()))
            self._channel_images[key] = found
        return found

    # -- hover ------------------------------------------------------------------------------------

    def describe(self, x: float, y: float, ppx: float, ppy: float) -> str:
        """The tooltip for scene point (x, y) on a mosaic or a block, or ''."""
        if not self.has_maps():
            return ""
        kept = self._layout
        if kept is not None and all(
            math.isclose(a, b, rel_tol=1e-9) for a, b in zip(kept.scale, (ppx, ppy), strict=True)
        ):
            blocks, mosaics = kept.blocks, kept.mosaics  # the last paint's (a hover asks at each move)
        else:
            blocks, mosaics = geometry(self.columns, self.spec, ppx, ppy, self._places[1])
        for tiles in mosaics:
            if tiles.x0 <= x <= tiles.x0 + tiles.width and tiles.y1 - tiles.height <= y <= tiles.y1:
                return self._describe_tile(tiles, (tiles.y1 - y) / tiles.cell_h, (x - tiles.x0) / tiles.cell_w)
        for block in blocks:
            if block.x0 <= x <= block.x1 + block.dx and block.y0 <= y <= block.y1 + block.dy:
                return self._describe_block(block, (block.y1 - y) / max(block.y1 - block.y0, 1e-12))
        return ""

    def _describe_block(self, block: MapBlock, share: float) -> str:
        col = self.columns[block.column]
        shape = block.shape
        sizes = "×".join(str(d) for d in shape.spatial)
        head = f"{col.name} ({col.class_name})"
        lines = [head, f"{shape.text()}: {shape.channels:,} feature map{'s' if shape.channels != 1 else ''} of {sizes}"]
        if col.varying:
            lines.append("an axis varies in size; drawn as one step")
        channel = min(shape.channels - 1, max(0, int(share * shape.channels)))
        kernel = col.figure if isinstance(col.figure, F.KernelTiles) else None
        if kernel is not None and kernel.bias is not None and channel < kernel.bias.size:
            lines.append(f"channel {channel}: bias {kernel.bias[channel]:+.4f}")
        if col.activation and col.kind == "conv":
            lines.append(f"activation: {col.activation}")
        for key, values in col.stage_values.items():  # a stage's per-channel values (gamma, beta, ...)
            if values.size == shape.channels:
                lines.append(f"channel {channel}: {key} {values[channel]:+.4f}")
        return "\n".join(lines)

    def _describe_tile(self, tiles: TileBlock, row: float, col_f: float) -> str:
        col = self.columns[tiles.column]
        found = tiles.mosaic.cell_at(row, col_f, tiles.layout.tiles)
        if found is None:
            return ""
        tile, ir, ic = found
        where = F.plane_index(tiles.layout.window, ir, ic)
        if where is None:
            return ""
        tap = ", ".join(str(i) for i in where)
        kernel = col.figure if isinstance(col.figure, F.KernelTiles) else None
        head = f"{col.name}: filter {tile} of {tiles.layout.tiles:,}, tap ({tap})"
        if kernel is None:
            return f"{head}\nweights {'pending' if self.pending else 'not available'}"
        channels = kernel.layout.channels
        lines = [head]
        cell = tiles.mosaic.cell_px
        g_rows, g_cols = F.channel_grid(channels)
        if channels == 1:
            at = (tile, *where)
            weight = kernel.signed[at]
            lines.append(f"w = {weight:+.4f}")
        elif cell >= MIN_CHANNEL_DETAIL_PX and cell / max(g_rows, g_cols) >= CHANNEL_CELL_PX:
            sub = F.channel_at(channels, int((row % 1) * g_rows), int((col_f % 1) * g_cols))
            if sub is not None:
                at = (*where, sub, tile)
                weight = kernel.per_channel[at]
                lines.append(f"input channel {sub}: w = {weight:+.4f}")
        if channels > 1:
            at = (tile, *where)
            signed, absolute = kernel.signed[at], kernel.absolute[at]
            share = (1 + signed / absolute) / 2 * 100 if absolute > 0 else 50.0
            lines.append(
                f"{channels:,} input channels: sum w = {signed:+.4f}, mean |w| = {absolute / channels:.4f} "
                f"({share:.0f}% of |w| positive)"
            )
        if kernel.bias is not None and tile < kernel.bias.size:
            lines.append(f"bias of filter {tile}: {kernel.bias[tile]:+.4f}")
        return "\n".join(lines)


def draw_image(painter: QtGui.QPainter, target: QtCore.QRectF, image: QtGui.QImage, clip: QtCore.QRectF | None) -> None:
    """Draw `image` scaled into `target`, only the part inside `clip`: zoomed in, the target can be
    millions of pixels wide, and Qt's raster engine slows down with the size it is asked to fill."""
    if clip is None or clip.contains(target):
        painter.drawImage(target, image)
        return
    shown = target.intersected(clip.adjusted(-2, -2, 2, 2))
    if shown.isEmpty() or image.width() == 0 or image.height() == 0:
        return
    sx, sy = target.width() / image.width(), target.height() / image.height()
    source = QtCore.QRectF(
        (shown.left() - target.left()) / sx, (shown.top() - target.top()) / sy, shown.width() / sx, shown.height() / sy
    )
    painter.drawImage(shown, image, source)


def _qimage(rgba: np.ndarray) -> QtGui.QImage:
    """A QImage of an RGBA uint8 array, in the format Qt's raster engine draws fastest (a copy)."""
    data = np.ascontiguousarray(rgba)
    height, width = data.shape[:2]
    image = QtGui.QImage(data.data, width, height, width * 4, QtGui.QImage.Format.Format_RGBA8888)
    return image.convertToFormat(QtGui.QImage.Format.Format_ARGB32_Premultiplied)
