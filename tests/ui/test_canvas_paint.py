"""What the canvas's paints cost and what they show: feature-map blocks culled to the exposed rect,
a steady view drawn again from one image, pixels equal to a straightforward drawing, and headers off
screen hidden until a pan or a zoom brings them near."""

from __future__ import annotations

import math
import time
from collections import Counter

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import conv_drawer as C
from nnstudio.ui.canvas import feature_maps as F
from nnstudio.ui.canvas import headers as H
from tests.ui.test_canvas_incremental import deep_spec
from tests.ui.test_feature_maps import weights_for

SIZE = (700, 450)


def conv_spec(blocks: int = 10) -> ModelSpec:
    """Input 16×16×3, then `blocks` times Conv2D (padding same), BatchNormalization, ReLU, and a
    MaxPooling2D half way: 3 * blocks + 2 feature-map columns side by side."""
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[16, 16, 3]))
    for b in range(blocks):
        spec = spec.inserted(len(spec.layers), spec.new_layer("Conv2D", filters=4 + b % 3, padding="same"))
        spec = spec.inserted(len(spec.layers), spec.new_layer("BatchNormalization"))
        spec = spec.inserted(len(spec.layers), spec.new_layer("ReLU"))
        if b == blocks // 2:
            spec = spec.inserted(len(spec.layers), spec.new_layer("MaxPooling2D"))
    return spec


@pytest.fixture
def canvas(qtbot):
    spec = conv_spec()
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*SIZE)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(spec), spec)
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):
        canvas.set_weights(weights_for(spec))
    qtbot.waitUntil(lambda: canvas.headers_complete() and not canvas.busy(), timeout=10_000)
    canvas.hide()  # from here on only the tests paint it
    forget(canvas)
    return canvas


def forget(canvas: NetworkCanvas) -> None:
    """The maps item as if it had never painted (what it keeps depends on the paints before), on
    the view's current range (which pyqtgraph would otherwise take on at the next paint)."""
    canvas.view.updateMatrix()
    canvas.maps.set_theme(canvas.maps.theme)


class CountingPainter:
    """A QPainter that counts its draw calls by name, and under "faces" the blocks' faces they draw
    (a polygon each, or a run of fronts in one drawRects); everything else passes through."""

    def __init__(self, painter: QtGui.QPainter) -> None:
        self._painter = painter
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str):
        attr = getattr(self._painter, name)
        if not name.startswith("draw"):
            return attr

        def counted(*args, **kwargs):
            self.calls[name] += 1
            if name in ("drawPolygon", "drawRects"):
                self.calls["faces"] += 1 if name == "drawPolygon" else len(args[0])
            return attr(*args, **kwargs)

        return counted


def paint_maps(canvas: NetworkCanvas, exposed: QtCore.QRectF | None = None) -> tuple[np.ndarray, Counter]:
    """The maps item painted alone, as the view paints it, on a white image of the viewport's size:
    its pixels and the painter's draw calls."""
    item = canvas.maps
    size = canvas.viewport().size()
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setTransform(item.deviceTransform(canvas.viewportTransform()))
    option = QtWidgets.QStyleOptionGraphicsItem()
    option.exposedRect = exposed if exposed is not None else item.boundingRect()
    counting = CountingPainter(painter)
    try:
        item.paint(counting, option)
    finally:
        painter.end()
    return pixels(image), counting.calls


def pixels(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4).astype(int).copy()


def reference(canvas: NetworkCanvas) -> np.ndarray:
    """The blocks, links and mosaics drawn the plain way: every polygon mapped to pixels one by one,
    every mosaic whole (its images and channel detail are the item's own)."""
    item = canvas.maps
    transform = item.deviceTransform(canvas.viewportTransform())
    ppx, ppy = abs(transform.m11()), abs(transform.m22())
    blocks, mosaics = C.geometry(item.columns, item.spec, ppx, ppy)
    image = QtGui.QImage(canvas.viewport().size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    pen = QtGui.QPen(QtGui.QColor(item.theme.identity), 1.0, QtCore.Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    painter.setPen(pen)
    for line in item._links(blocks, ppx):
        painter.drawLine(transform.map(QtCore.QLineF(*line)))
    pen = QtGui.QPen(QtGui.QColor(item.theme.outline), 1.0)
    pen.setCosmetic(True)
    painter.setPen(pen)
    for block in blocks:
        # a block narrower than SMOOTH_BLOCK_PX is drawn without antialiasing (its outlines would cost most)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, (block.x1 - block.x0) * ppx >= C.SMOOTH_BLOCK_PX)
        # a side or top face thinner than MIN_FACE_PX is a sliver the front face's outline covers: not drawn
        thickness = (abs(block.dx) * ppx, abs(block.dy) * ppy, C.MIN_FACE_PX)
        for polygon, brush, thick in zip(
            C.faces_of(block), item._shades(item.columns[block.column]), thickness, strict=True
        ):
            if thick >= C.MIN_FACE_PX:
                painter.setBrush(brush)
                painter.drawPolygon(transform.map(polygon))
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
    viewport = QtCore.QRectF(image.rect())
    for tiles in mosaics:
        corner = transform.map(QtCore.QPointF(tiles.x0, tiles.y1))
        far = transform.map(QtCore.QPointF(tiles.x0 + tiles.width, tiles.y1 - tiles.height))
        target = QtCore.QRectF(corner, far).normalized()
        C.draw_image(painter, target, item._image(tiles), viewport)
        kernel = item.columns[tiles.column].figure
        if isinstance(kernel, F.KernelTiles) and kernel.layout.channels > 1:
            item._paint_channels(painter, target, tiles, kernel, viewport)  # zoomed in: each input channel
    painter.end()
    return pixels(image)


def device_boxes(canvas: NetworkCanvas) -> list[QtCore.QRectF]:
    """Each block's extent (front face and depth) in pixels."""
    item = canvas.maps
    transform = item.deviceTransform(canvas.viewportTransform())
    blocks, _ = C.geometry(item.columns, item.spec, abs(transform.m11()), abs(transform.m22()))
    return [
        transform.mapRect(QtCore.QRectF(QtCore.QPointF(b.x0, b.y0), QtCore.QPointF(b.x1 + b.dx, b.y1 + b.dy)))
        for b in blocks
    ]


def faces_drawn(canvas: NetworkCanvas) -> list[int]:
    """Per block (in device_boxes' order), how many of its faces are drawn: the front, and the side
    and top when at least MIN_FACE_PX thick."""
    item = canvas.maps
    transform = item.deviceTransform(canvas.viewportTransform())
    ppx, ppy = abs(transform.m11()), abs(transform.m22())
    blocks, _ = C.geometry(item.columns, item.spec, ppx, ppy)
    return [1 + (abs(b.dx) * ppx >= C.MIN_FACE_PX) + (abs(b.dy) * ppy >= C.MIN_FACE_PX) for b in blocks]


# fitted; zoomed in twice; zoomed out sideways until the blocks overlap (their order then shows)
@pytest.mark.parametrize("zoom", [(1.0, 1.0), (0.5, 0.5), (0.2, 0.2), (7.0, 1.0)])
def test_the_maps_paint_the_pixels_of_a_plain_drawing(canvas, zoom):
    canvas.view.scaleBy(zoom)
    forget(canvas)
    if zoom[0] > 1:
        boxes = device_boxes(canvas)
        assert any(a.intersects(b) for a, b in zip(boxes, boxes[1:], strict=False))
        assert any(box.width() < C.SMOOTH_BLOCK_PX for box in boxes), "narrow blocks, drawn crisp"
    drawn, calls = paint_maps(canvas)
    assert calls["faces"] > 0, "drawn straight"
    if zoom[0] > 1:  # blocks too narrow for their depth to show: runs of fronts alone, one call each
        assert 0 < calls["drawRects"] < calls["faces"]
    plain = reference(canvas)
    assert (plain != 255).any(), "the view shows blocks"
    assert np.array_equal(drawn, plain)


def test_blocks_outside_the_exposed_rect_are_not_painted(canvas):
    boxes = device_boxes(canvas)
    assert len(boxes) > 20
    left = min(b.left() for b in boxes)
    strip = QtCore.QRectF(left, 0, 60, canvas.viewport().height())  # the first few columns
    faces = faces_drawn(canvas)
    reaching = [
        i for i, b in enumerate(boxes) if b.intersects(strip.adjusted(-C.CULL_MARGIN_PX, 0, C.CULL_MARGIN_PX, 0))
    ]
    assert 0 < len(reaching) < len(boxes) // 2

    item = canvas.maps
    exposed = item.deviceTransform(canvas.viewportTransform()).inverted()[0].mapRect(strip)
    part, calls = paint_maps(canvas, exposed)
    assert calls["faces"] == sum(faces[i] for i in reaching), "the faces of each block reaching the strip, no more"
    whole, whole_calls = paint_maps(canvas)
    assert whole_calls["faces"] == sum(faces)
    assert sum(faces) > len(boxes), "the blocks' depth shows"
    inside = strip.toAlignedRect().intersected(QtCore.QRect(0, 0, part.shape[1], part.shape[0]))
    rows, cols = slice(inside.top(), inside.bottom() + 1), slice(inside.left(), inside.right() + 1)
    assert np.array_equal(part[rows, cols], whole[rows, cols]), "what the strip shows is the whole paint's"


def test_a_view_that_stays_is_painted_again_from_one_image(canvas):
    first, calls = paint_maps(canvas)
    assert calls["faces"] > 0 and calls["drawImage"] > 0  # blocks and kernel mosaics
    kept, calls = paint_maps(canvas)
    assert calls == Counter(drawImage=1), "one image, whatever the number of blocks"
    # the image is composed once onto clear pixels: edges of shapes may round otherwise by a step or two
    assert np.abs(kept - first).max() <= 4
    assert (np.abs(kept - first).max(axis=2) > 0).mean() < 0.05

    again, calls = paint_maps(canvas)
    assert calls == Counter(drawImage=1) and np.array_equal(again, kept)
    canvas.maps.set_theme(canvas.maps.theme)  # anything that changes the drawing drops the image
    _, calls = paint_maps(canvas)
    assert calls["faces"] > 0


def test_views_painted_twice_each_are_kept_from_their_first_paint(canvas):
    def pan_and_paint(times: int) -> list[Counter]:
        canvas.view.translateBy(x=0.37)
        canvas.view.updateMatrix()
        return [paint_maps(canvas)[1] for _ in range(times)]

    first, second = pan_and_paint(2)
    assert first["faces"] > 0 and second == Counter(drawImage=1)
    first, second = pan_and_paint(2)  # the view before had two paints: as zooming with the wheel does
    assert first == Counter(drawImage=1) and second == Counter(drawImage=1)
    (only,) = pan_and_paint(1)
    assert only == Counter(drawImage=1)
    (only,) = pan_and_paint(1)  # the view before had one paint (a drag, a zoom by keys): drawn straight
    assert only["faces"] > 0


def test_an_export_paints_vectors_never_the_kept_image(canvas, tmp_path):
    for _ in range(2):
        paint_maps(canvas)
    assert canvas.maps._raster is not None, "the view's paint is kept"
    path = tmp_path / "canvas.svg"
    canvas.export_svg(path)
    text = path.read_text()
    assert text.count("<path") + text.count("<polygon") >= 3 * len(device_boxes(canvas))


def test_headers_off_screen_are_hidden_and_a_pan_brings_them_back_at_once(qtbot):
    spec = deep_spec(20)  # 61 columns
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(900, 500)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(spec), spec)
    qtbot.waitUntil(lambda: canvas.headers_complete() and not canvas.busy(), timeout=10_000)
    first = canvas.columns[2]
    canvas.view.scaleBy((0.12, 0.12), center=QtCore.QPointF(first.x, 0.0))
    qtbot.waitUntil(lambda: canvas.lod is not None and not canvas._lod_timer.isActive() and not canvas.busy())
    qtbot.waitUntil(canvas.headers_complete, timeout=10_000)

    headers = canvas.column_headers
    rooms = headers.rooms
    assert rooms is not None
    with_room = [i for i, room in enumerate(rooms) if room != 0]
    shown = [i for i, item in enumerate(canvas.headers) if item.isVisible()]
    assert set(shown) <= set(with_room)
    assert 0 < len(shown) < len(with_room) // 2, "most headers with room lie off screen, hidden"

    view = QtCore.QRectF(canvas.viewport().rect())
    canvas.grab()  # the shown headers take their transform for the view
    for i in with_room:
        item = canvas.headers[i]
        x = canvas.view.mapViewToDevice(QtCore.QPointF(headers._header_x[i], 0.0)).x()
        half = item.textItem.boundingRect().width() / 2
        reaches = x + half >= view.left() - H.OFF_VIEW_PX and x - half <= view.right() + H.OFF_VIEW_PX
        assert item.isVisible() == reaches, (i, x, half)
        if reaches:
            assert item.mapRectToDevice(item.boundingRect()).intersects(view.adjusted(-60, -60, 60, 60))

    far = max(with_room)
    assert not canvas.headers[far].isVisible()
    (x0, x1), _ = canvas.view.viewRange()
    canvas.view.translateBy(x=headers._header_x[far] - (x0 + x1) / 2)  # no event handled in between
    assert canvas.headers[far].isVisible(), "a pan shows the headers it brings into view"
    assert not canvas.headers[min(with_room)].isVisible()


def test_kernel_tiles_are_coloured_between_events_before_a_zoom_asks_for_them(canvas, qtbot):
    kernels = [(ci, c.figure) for ci, c in enumerate(canvas.columns) if isinstance(c.figure, F.KernelTiles)]
    assert len(kernels) == 10
    canvas.maps.set_theme(canvas.maps.theme)
    assert not canvas.maps._tile_rgba, "nothing coloured inside the call that changed the drawing"
    qtbot.waitUntil(lambda: all((ci, id(k)) in canvas.maps._tile_rgba for ci, k in kernels))
    for ci, kernel in kernels:
        assert np.array_equal(canvas.maps._tile_rgba[(ci, id(kernel))], F.tile_rgba(kernel, canvas.maps._colours()))


def test_a_big_kernels_tiles_are_coloured_a_part_at_a_time(canvas, qtbot, monkeypatch):
    """A kernel of many cells (ConvNeXtXLarge's: millions) is coloured in parts, one or more per
    step between events, and its colours are those of the kernel coloured whole."""
    kernels = [(ci, c.figure) for ci, c in enumerate(canvas.columns) if isinstance(c.figure, F.KernelTiles)]
    monkeypatch.setattr(C, "PREPARE_PART_CELLS", 16)  # a tile or two a part
    monkeypatch.setattr(C, "PREPARE_STEP_MS", 0.0)  # one part a step
    maps = canvas.maps
    steps: list[int] = []
    prepare = maps._prepare_tiles
    monkeypatch.setattr(maps, "_prepare_tiles", lambda: (steps.append(1), prepare()))
    maps._tiles_timer.timeout.disconnect()
    maps._tiles_timer.timeout.connect(maps._prepare_tiles)
    maps.set_theme(maps.theme)
    qtbot.waitUntil(lambda: all((ci, id(k)) in maps._tile_rgba for ci, k in kernels))
    parts = sum(-(-k.absolute.shape[0] // max(1, 16 // math.prod(k.layout.plane))) for _ci, k in kernels)
    assert parts > 2 * len(kernels)
    assert len(steps) >= parts, "each part of each kernel was coloured on a step of its own"
    for ci, kernel in kernels:
        assert np.array_equal(maps._tile_rgba[(ci, id(kernel))], F.tile_rgba(kernel, maps._colours()))


class Clock:
    """conv_drawer's `time`: a monotonic clock the test moves, and the real `perf_counter`."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.perf_counter = time.perf_counter

    def monotonic(self) -> float:
        return self.now


def drawn_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """The rows and columns (first, last) of an image's drawn (not white) pixels."""
    rows, cols = np.nonzero((image[:, :, :3] < 250).any(axis=2))
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_while_the_view_is_zoomed_its_kept_image_scaled_stands_in_until_the_zoom_rests(canvas, monkeypatch):
    """Each step of a zoom by the wheel would draw every block at a new scale (a big model's 770: 20-30
    ms a step): the image kept of the view, scaled, stands in while the scale keeps changing, and the
    blocks are drawn at the scale reached once it has stayed ZOOM_REST_S."""
    clock = Clock()
    monkeypatch.setattr(C, "time", clock)
    item = canvas.maps

    def zoom_and_paint(factor: float, after_s: float) -> tuple[np.ndarray, Counter]:
        clock.now += after_s
        canvas.view.scaleBy((factor, factor))
        canvas.view.updateMatrix()
        return paint_maps(canvas)

    def drawn_at_this_scale() -> bool:  # the image kept is of the view at its present scale
        transform = item.deviceTransform(canvas.viewportTransform())
        return item._raster is not None and item._raster[0][1:3] == (transform.m11(), transform.m22())

    canvas.view.scaleBy((1.6, 1.6))  # zoomed out: the blocks take part of the view, with room around
    forget(canvas)
    for _ in range(2):
        paint_maps(canvas)  # the view kept as an image
    zoom_and_paint(0.9, after_s=5.0)
    assert drawn_at_this_scale(), "a first step after a rest is drawn at its scale"
    image, second = zoom_and_paint(0.9, after_s=0.02)
    assert second == Counter(drawImage=1) and not drawn_at_this_scale(), "the next steps: the image, scaled"
    plain = reference(canvas)
    assert np.abs(np.array(drawn_box(image)) - np.array(drawn_box(plain))).max() <= 3, "where the blocks are now"
    _, third = zoom_and_paint(1.2, after_s=0.02)
    assert third == Counter(drawImage=1) and not drawn_at_this_scale() and item._rest_timer.isActive()
    clock.now += C.ZOOM_REST_S + 0.01  # the scale has rested: the timer's repaint draws the blocks
    drawn, rested = paint_maps(canvas)
    assert rested["faces"] > 0 and np.array_equal(drawn, reference(canvas))


def test_a_view_of_many_blocks_is_kept_as_an_image_from_its_first_paint(qtbot):
    """A big model's view is painted again in parts right after (its edges and headers come in
    steps): its first paint already makes the image the others are drawn from."""
    spec = conv_spec(blocks=60)
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*SIZE)
    canvas.set_model(analyze(spec), spec)
    forget(canvas)
    item = canvas.maps
    transform = item.deviceTransform(canvas.viewportTransform())
    blocks, _ = C.geometry(item.columns, item.spec, abs(transform.m11()), abs(transform.m22()))
    assert len(blocks) >= C.RASTER_FIRST_BLOCKS
    first, calls = paint_maps(canvas)
    assert calls == Counter(drawImage=1), "drawn into the image, which is painted"
    plain = reference(canvas)
    assert (np.abs(first - plain).max(axis=2) > 0).mean() < 0.05, "what a plain drawing shows"
    _, calls = paint_maps(canvas)
    assert calls == Counter(drawImage=1)
