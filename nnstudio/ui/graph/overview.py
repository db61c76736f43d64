"""The graph's overview: a small view of the whole scene in the graph view's corner, the part shown
in the graph view drawn as a rectangle; a click or a drag moves the graph view there.

It shows only when the graph does not fit the graph view. It is a picture of the graph view's scene
(every box a tile of its family's colour at that scale), rendered when the graph, the zoom or the size change, so
that scrolling only moves the rectangle over it, however big the graph. The picture is rendered in
the event loop's next turn, not in the step that built the graph (hundreds of boxes take a while).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPalette, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView

from nnstudio.ui.graph.items import EdgeItem, GroupFrame, GroupItem, NodeItem, family_color

if TYPE_CHECKING:
    from nnstudio.ui.graph.view import GraphView

WIDTH = 240  # at most; less in a small graph view
HEIGHT = 150
MARGIN = 10
NEEDED_FROM = 1.5  # shown when the graph is this many times wider (or taller) than the view


class GraphOverview(QGraphicsView):
    """The overview (objectName `graphOverview`) of `graph`'s scene, over its viewport's lower right corner
    (a child of the graph view, not of its viewport, which moves its children when it scrolls)."""

    moved = Signal(QPointF)  # the graph view was centred on this scene point

    def __init__(self, graph: GraphView) -> None:
        self.blank = QGraphicsScene()  # its own coordinates are the graph's; the graph is its picture
        super().__init__(self.blank, graph)
        self.blank.setParent(self)
        self.picture: QPixmap | None = None
        self._drawn: tuple | None = None  # what the picture shows: the graph's build, scene and size
        self._due: tuple | None = None  # what the next picture is to show
        self._picture_timer = QTimer(self)
        self._picture_timer.setSingleShot(True)
        self._picture_timer.timeout.connect(self._draw_picture)
        self.setObjectName("graphOverview")
        self.setAccessibleName("Graph overview")
        self.setToolTip("The whole graph: click or drag to move the view")
        self.graph = graph
        self.setInteractive(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.Box)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.hide()

    def needed(self) -> bool:
        """Whether the graph is wider or taller than the graph view shows, by more than half the view (a
        graph just a little bigger scrolls, and the overview would hide part of what is in view)."""
        scene = self.graph.sceneRect()
        if scene.isEmpty() or not self.graph.nodes and not self.graph.group_items:
            return False
        shown = self.graph.mapToScene(self.graph.viewport().rect()).boundingRect()
        return scene.width() > shown.width() * NEEDED_FROM or scene.height() > shown.height() * NEEDED_FROM

    def refresh(self) -> None:
        """Show (fitted to the whole scene) or hide, as the graph and the graph view's size and zoom ask;
        the picture is drawn again only when the graph was rebuilt or the overview's size changed."""
        if not self.needed():
            self.hide()
            return
        area = self.graph.viewport().geometry()
        scene = self.graph.sceneRect()
        height = max(40, min(HEIGHT, int(area.height() * 0.3)))
        width = max(60, min(WIDTH, int(area.width() * 0.3), int(height * scene.width() / scene.height())))
        height = max(40, min(height, int(width * scene.height() / scene.width()) + 8))
        self.setFixedSize(width, height)
        self.move(area.right() - width - MARGIN, area.bottom() - height - MARGIN)
        self.blank.setSceneRect(scene)
        self.setSceneRect(scene)
        self.fitInView(scene, Qt.AspectRatioMode.KeepAspectRatio)
        self.show()
        self.raise_()
        drawn = (self.graph.builds, scene, self.size())
        if drawn != self._drawn:
            self._due = drawn
            self._picture_timer.start(0)
        self.viewport().update()

    def _draw_picture(self) -> None:
        due = self._due
        if due is None or due == self._drawn or not self.isVisible() or due[0] != self.graph.builds:
            return  # hidden since, or the graph was rebuilt again (a newer picture is due)
        self.picture = self._render(due[1])
        self._drawn = due
        self.viewport().update()

    def picture_pending(self) -> bool:
        """Whether the picture is still to be rendered for the graph shown now."""
        return self._picture_timer.isActive()

    def _render(self, scene: QRectF) -> QPixmap:
        """The graph's scene drawn where this view shows `scene`: at that scale every box is a tile of its
        family's colour and every connection a hairline, drawn straight from the items' geometry (the
        items' own painting, hundreds of Python calls, is not needed for a picture this small)."""
        ratio = self.devicePixelRatioF()
        picture = QPixmap(self.viewport().size() * ratio)
        picture.setDevicePixelRatio(ratio)
        palette = self.palette()
        picture.fill(palette.color(QPalette.ColorRole.Window))
        painter = QPainter(picture)
        target = QRectF(self.mapFromScene(scene).boundingRect())
        painter.translate(target.topLeft())
        painter.scale(target.width() / scene.width(), target.height() / scene.height())
        painter.translate(-scene.topLeft())
        tint = QColor(palette.color(QPalette.ColorRole.Highlight))
        tint.setAlpha(40)
        lines = QPainterPath()
        tiles: list[tuple[QRectF, QColor]] = []
        for item in self.graph.scene().items(Qt.SortOrder.AscendingOrder):
            if isinstance(item, EdgeItem):
                lines.addPath(item.path())
            elif isinstance(item, GroupFrame):
                painter.fillRect(item.boundingRect(), tint)
            elif isinstance(item, NodeItem | GroupItem):
                tiles.append((item.sceneBoundingRect(), family_color(item.class_name)))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.PlaceholderText), 0))
        painter.drawPath(lines)
        for rect, color in tiles:
            painter.fillRect(rect, color)
        painter.end()
        return picture

    def visible_area(self) -> QRectF:
        """The part of the scene the graph view shows, in scene coordinates."""
        return self.graph.mapToScene(self.graph.viewport().rect()).boundingRect()

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        painter.fillRect(rect, self.palette().color(QPalette.ColorRole.Window))
        if self.picture is not None:
            painter.save()
            painter.resetTransform()
            painter.drawPixmap(0, 0, self.picture)
            painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        accent = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        fill = QColor(accent)
        fill.setAlpha(40)
        pen = QPen(accent, 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRect(self.visible_area())

    def _go(self, event: QMouseEvent) -> None:
        point = self.mapToScene(event.position().toPoint())
        self.graph.centerOn(point)
        self.viewport().update()
        self.moved.emit(point)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self._go(event)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        self.graph.wheelEvent(event)
