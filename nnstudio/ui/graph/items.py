"""The graph view's items: a layer as a box with an input and an output port, a connection as a curve,
a collapsed group of repeated blocks as a stack of cards (`GroupItem`), an expanded one as a frame
behind its layers (`GroupFrame`).

Items only draw and say what they are (`NodeItem.layer_id`, `EdgeItem.source` / `target`,
`GroupItem.block_group`); every edit goes through the view's handlers to the document. Seen from far
(a big graph zoomed out, the overview) a box is drawn as a plain tile: hundreds stay cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.graph_blocks import BlockGroup
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.spec import TensorRef
from nnstudio.ui.icons import error_color, icon_path, layer_icon

NODE_WIDTH = 176.0
NODE_HEIGHT = 60.0
PORT_RADIUS = 5.0
EDGE_Z = 0
NODE_Z = 2
FRAME_Z = -1
FAR = 0.4  # below this scale a box is a plain tile (its text would be unreadable anyway)
NEAR = 0.6  # below this scale a box shows its name alone (its smaller lines would be unreadable)
FRAME_MARGIN = 16.0
FRAME_HEADER = 24.0


@cache
def family_color(class_name: str) -> QColor:
    """The colour of a type's family: the fill of its icon's tile."""
    try:
        text = icon_path(layer_type(class_name).icon).read_text("utf-8")
    except (KeyError, OSError):
        return QColor("#6b7385")
    found = re.search(r'fill="(#[0-9a-fA-F]{6})"', text)
    return QColor(found.group(1)) if found else QColor("#6b7385")


@dataclass(frozen=True)
class Scheme:
    """The colours items paint with, read once from a palette (hundreds of items paint every frame)."""

    base: QColor
    text: QColor
    muted: QColor
    accent: QColor
    border: QColor
    accent_text: QColor
    error: QColor
    shadow: QColor


_schemes: dict[int, Scheme] = {}


def _colors(widget: QWidget | None) -> Scheme:
    """The colours of `widget`'s palette (the application's when there is no widget), made once per palette."""
    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    key = palette.cacheKey()
    scheme = _schemes.get(key)
    if scheme is None:
        role = QPalette.ColorRole
        base = palette.color(role.Base)
        scheme = Scheme(
            base=base,
            text=palette.color(role.Text),
            muted=palette.color(role.PlaceholderText),
            accent=palette.color(role.Highlight),
            border=palette.color(role.Mid),
            accent_text=palette.color(role.HighlightedText),
            error=error_color(palette),
            shadow=QColor(0, 0, 0, 28 if base.lightness() > 128 else 70),
        )
        if len(_schemes) > 8:  # palettes come and go with the theme
            _schemes.clear()
        _schemes[key] = scheme
    return scheme


@dataclass(frozen=True)
class _Lines:
    """A box's words as painted at one font: the fonts and the elided lines (made once, not every frame)."""

    font_key: str
    title_font: QFont
    small_font: QFont
    title: str
    description: str
    detail: str


def _fonts(widget: QWidget | None) -> tuple[QFont, QFont, QFont]:
    """The widget's font, its bold (DemiBold) and its smaller variant."""
    font = QFont(widget.font() if widget is not None else QFont())
    bold = QFont(font)
    bold.setWeight(QFont.Weight.DemiBold)
    small = QFont(font)
    small.setPointSizeF(max(6.0, font.pointSizeF() * 0.88))
    return font, bold, small


class NodeItem(QGraphicsItem):
    """One layer: icon, name, the layer in words, its output shape; an input port left, an output port right.

    `set_labels` changes what it says in place (an edit that keeps the graph's structure)."""

    def __init__(
        self,
        layer_id: str,
        class_name: str,
        name: str,
        description: str,
        detail: str,
        problem: str | None,
        takes_inputs: bool,
    ) -> None:
        super().__init__()
        self.layer_id = layer_id
        self.takes_inputs = takes_inputs
        self.pending_source = False  # the layer a keyboard connection starts from
        self.drop_hint = False  # a palette item dragged next to it would branch from it
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setAcceptHoverEvents(True)
        self.setZValue(NODE_Z)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._hover = False
        self._labels: tuple = ()
        self._lines: _Lines | None = None
        self.set_labels(class_name, name, description, detail, problem)

    def labels(self) -> tuple[str, str, str, str, str | None]:
        """What it shows: class name, name, description, detail, problem."""
        return self._labels

    def set_labels(self, class_name: str, name: str, description: str, detail: str, problem: str | None) -> bool:
        """Show these words (and the type's icon and colour); whether anything changed (then it repaints)."""
        labels = (class_name, name, description, detail, problem)
        if labels == self._labels:
            return False
        self._labels = labels
        self.class_name, self.name, self.description, self.detail, self.problem = labels
        self._lines = None
        tip = f"<b>{name}</b> — {description}"
        if detail:
            tip += f"<br>{detail}" + (" parameters" if "·" in detail else "")
        if problem:
            tip += f"<br><span style='color:{error_color().name()}'>{_escape(problem)}</span>"
        self.setToolTip(tip)
        self.update()
        return True

    def rect(self) -> QRectF:
        return QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return _NODE_BOUNDS

    def input_port(self) -> QPointF:
        """The input port, in scene coordinates."""
        return self.mapToScene(QPointF(-NODE_WIDTH / 2, 0))

    def output_port(self) -> QPointF:
        """The output port, in scene coordinates."""
        return self.mapToScene(QPointF(NODE_WIDTH / 2, 0))

    def on_output_port(self, scene_pos: QPointF) -> bool:
        """Whether `scene_pos` is on (or right by) the output port, where a connection is dragged from."""
        local = self.mapFromScene(scene_pos)
        return abs(local.x() - NODE_WIDTH / 2) <= PORT_RADIUS + 6 and abs(local.y()) <= PORT_RADIUS + 8

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def _lines_for(self, widget: QWidget | None) -> _Lines:
        """The fonts and elided lines for `widget`'s font, made again only when the font or the words change."""
        key = widget.font().key() if widget is not None else ""
        lines = self._lines
        if lines is not None and lines.font_key == key:
            return lines
        _font, bold, small = _fonts(widget)
        rect = _NODE_RECT
        width = rect.right() - 8 - (rect.left() + 40)
        title = _fitted(bold, self.name, width)
        detail = "⚠ " + self.problem if self.problem else self.detail
        small_metrics = QFontMetricsF(small)
        lines = _Lines(
            key,
            title,
            small,
            # Keras's long names (conv2_block3_1_conv) differ at their ends; their group's frame says the stage
            QFontMetricsF(title).elidedText(self.name, Qt.TextElideMode.ElideLeft, width),
            small_metrics.elidedText(self.description, Qt.TextElideMode.ElideRight, width),
            small_metrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.width() - 20),
        )
        self._lines = lines
        return lines

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = _colors(widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        accent, border = colors.accent, colors.border
        family = family_color(self.class_name)
        rect = _NODE_RECT
        scale = option.levelOfDetailFromTransform(painter.worldTransform())
        if scale < FAR:
            _draw_tile(painter, rect, colors.base, family, accent if selected else border)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

        # shadow, body, family band
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.shadow)
        painter.drawRoundedRect(rect.translated(0, 2), 8, 8)
        painter.setBrush(colors.base)
        if self.problem:
            outline = QPen(colors.error, 1.6)
        elif selected:
            outline = QPen(accent, 2.2)
        elif self.pending_source or self.drop_hint:
            outline = QPen(accent, 1.6, Qt.PenStyle.DashLine)
        else:
            outline = QPen(border.lighter(115) if self._hover else border, 1.0)
        painter.setPen(outline)
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(family)
        painter.drawPath(_band())

        # icon and words (seen from a little further, the name alone: the smaller lines would not be legible)
        lines = self._lines_for(widget)
        layer_icon(self.class_name).paint(painter, _ICON_RECT)
        painter.setFont(lines.title_font)
        painter.setPen(colors.error if self.problem else colors.text)
        painter.drawText(_TITLE_RECT, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, lines.title)
        if scale >= NEAR:
            painter.setFont(lines.small_font)
            painter.setPen(colors.muted)
            painter.drawText(
                _DESCRIPTION_RECT, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, lines.description
            )
            painter.setPen(colors.error if self.problem else colors.muted)
            painter.drawText(_DETAIL_RECT, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, lines.detail)

        # ports
        painter.setPen(QPen(colors.base, 1.5))
        painter.setBrush(accent if selected else border.darker(115))
        if self.takes_inputs:
            painter.drawEllipse(QPointF(rect.left(), 0), PORT_RADIUS, PORT_RADIUS)
        painter.setBrush(accent if (selected or self._hover) else border.darker(115))
        painter.drawEllipse(QPointF(rect.right(), 0), PORT_RADIUS, PORT_RADIUS)


_NODE_RECT = QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
_NODE_BOUNDS = _NODE_RECT.adjusted(-PORT_RADIUS - 3, -4, PORT_RADIUS + 3, 4)
_ICON_RECT = QRectF(_NODE_RECT.left() + 12, _NODE_RECT.top() + 10, 20, 20).toRect()
_TEXT_LEFT = _NODE_RECT.left() + 40
_TEXT_WIDTH = _NODE_RECT.right() - 8 - _TEXT_LEFT
_TITLE_RECT = QRectF(_TEXT_LEFT, _NODE_RECT.top() + 7, _TEXT_WIDTH, 18)
_DESCRIPTION_RECT = QRectF(_TEXT_LEFT, _NODE_RECT.top() + 23, _TEXT_WIDTH, 16)
_DETAIL_RECT = QRectF(_NODE_RECT.left() + 12, _NODE_RECT.top() + 39, _NODE_RECT.width() - 20, 16)


@cache
def _band() -> QPainterPath:
    """A box's family band: its left 5 units, rounded as the box."""
    band = QPainterPath()
    band.addRoundedRect(_NODE_RECT, 8, 8)
    strip = QPainterPath()
    strip.addRect(QRectF(_NODE_RECT.left(), _NODE_RECT.top(), 5, _NODE_RECT.height()))
    return band.intersected(strip)


class EdgeItem(QGraphicsPathItem):
    """A connection from `source` (a layer's output tensor) to layer `target`'s input, or to the
    model's output (`target` None, drawn to an output tag)."""

    def __init__(self, source: TensorRef, target: str | None, points: list[QPointF], label: str = "") -> None:
        super().__init__()
        self.source = source
        self.target = target
        self.label = label
        self.drop_hint = False
        self.near_selection = False  # it enters or leaves the selected layer
        self.editable = True  # False: it stands for connections inside a collapsed group
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(EDGE_Z)
        self._hover = False
        self.set_points(points)
        self.setToolTip("Click to select, Delete to cut; drop a layer here to insert it")

    def set_points(self, points: list[QPointF]) -> None:
        """A smooth curve leaving and entering horizontally through `points` (ports and bends)."""
        path = QPainterPath(points[0])
        for a, b in zip(points, points[1:], strict=False):
            dx = max(30.0, (b.x() - a.x()) * 0.5)
            path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        self.setPath(path)
        self._end = points[-1]
        self._bounds = path.boundingRect().adjusted(-8, -8, 8, 8)  # asked for on every paint and hit test
        self._shape: QPainterPath | None = None

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)  # easy to click and to drop on
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = _colors(widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        accent = colors.accent
        plain = colors.muted
        if selected or self.drop_hint:
            color = accent
        elif self.near_selection:
            color = QColor(accent)
            color.setAlpha(150)
        else:
            color = plain.darker(120) if self._hover else plain
        painter.setBrush(Qt.BrushStyle.NoBrush)
        dash = Qt.PenStyle.DashLine if self.drop_hint else Qt.PenStyle.SolidLine
        if option.levelOfDetailFromTransform(painter.worldTransform()) < FAR:
            painter.setPen(QPen(color, 0, dash))  # a cosmetic line of one pixel, not antialiased
            painter.drawPath(self.path())
            return
        width = 2.6 if (selected or self.drop_hint) else (2.0 if self.near_selection else 1.5)
        pen = QPen(color, width, dash)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.drawPath(self.path())
        # the arrow head at the reading end
        tip = self._end
        head = QPolygonF([tip, QPointF(tip.x() - 9, tip.y() - 4.5), QPointF(tip.x() - 9, tip.y() + 4.5)])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        painter.drawPolygon(head)
        if self.label:
            small = QFont(widget.font() if widget is not None else QFont())
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
            painter.setFont(small)
            painter.setPen(color)
            painter.drawText(
                QRectF(tip.x() - 70, tip.y() - 17, 60, 14),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.label,
            )


class OutputTag(QGraphicsItem):
    """A small tag right of the layer that gives one of the model's outputs: `output 2`, or the
    output's key in a model that gives a dict."""

    WIDTH = 64.0
    HEIGHT = 24.0

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.setZValue(NODE_Z)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-self.WIDTH / 2, -self.HEIGHT / 2, self.WIDTH, self.HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = _colors(widget)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = colors.accent
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(self.boundingRect(), self.HEIGHT / 2, self.HEIGHT / 2)
        painter.setPen(colors.accent_text)
        font = QFont(widget.font() if widget is not None else QFont())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        room = int(self.WIDTH - self.HEIGHT / 2)
        text = QFontMetricsF(font).elidedText(self.text, Qt.TextElideMode.ElideRight, room)  # a dict's key may be long
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, text)


class GroupItem(QGraphicsItem):
    """A collapsed group of repeated blocks: one box, drawn as a stack of cards, with the group's label
    (`conv2 block ×3`), its size in layers and its output shape and parameters; ports like a layer's.
    Double-click (or Enter) expands it."""

    def __init__(self, group: BlockGroup, class_name: str, shape: str, params: str, problem: str | None = None) -> None:
        super().__init__()
        self.block_group = group
        self.holds_selection = False  # the selected layer is inside
        self.setZValue(NODE_Z)
        self.setAcceptHoverEvents(True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._hover = False
        self._labels: tuple = ()
        self.set_labels(class_name, shape, params, problem)

    def labels(self) -> tuple[str, str, str, str | None]:
        """What it shows: its band's class name, output shape, parameters, problem."""
        return self._labels

    def set_labels(self, class_name: str, shape: str, params: str, problem: str | None) -> bool:
        """Show these (an edit inside the group that kept its structure); whether anything changed."""
        labels = (class_name, shape, params, problem)
        if labels == self._labels:
            return False
        self._labels = labels
        self.class_name = class_name  # the type most of its layers have: the colour of its band
        self.output_shape = shape  # the output shape of its last layer
        self.param_text = params  # its parameters, in few characters
        self.problem = problem
        group = self.block_group
        tip = f"<b>{_escape(group.label)}</b> — {group.count} repeated blocks, {len(group.members)} layers"
        if shape:
            tip += f"<br>output {shape}, {params or 'no'} parameters"
        if problem:
            tip += f"<br><span style='color:{error_color().name()}'>{_escape(problem)}</span>"
        self.setToolTip(tip + "<br>Double-click or press Enter to expand")
        self.update()
        return True

    def rect(self) -> QRectF:
        return QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.rect().adjusted(-PORT_RADIUS - 3, -10, PORT_RADIUS + 9, 4)

    def input_port(self) -> QPointF:
        return self.mapToScene(QPointF(-NODE_WIDTH / 2, 0))

    def output_port(self) -> QPointF:
        return self.mapToScene(QPointF(NODE_WIDTH / 2, 0))

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = _colors(widget)
        base, text, muted, accent, border = colors.base, colors.text, colors.muted, colors.accent, colors.border
        family = family_color(self.class_name)
        rect = self.rect()
        if self.problem:
            edge = QPen(colors.error, 1.6)
        elif self.holds_selection:
            edge = QPen(accent, 2.2)
        else:
            edge = QPen(border.lighter(115) if self._hover else border, 1.0)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < FAR:
            for step in (2, 1):
                _draw_tile(painter, rect.translated(4 * step, -4 * step), base.darker(104 + 3 * step), family, border)
            _draw_tile(painter, rect, base, family, edge.color())
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # the cards behind: it holds several blocks
        for step in (2, 1):
            painter.setPen(QPen(border, 1.0))
            painter.setBrush(base.darker(104 + 3 * step))
            painter.drawRoundedRect(rect.translated(4 * step, -4 * step), 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 28 if base.lightness() > 128 else 70))
        painter.drawRoundedRect(rect.translated(0, 2), 8, 8)
        painter.setBrush(base)
        painter.setPen(edge)
        painter.drawRoundedRect(rect, 8, 8)
        band = QPainterPath()
        band.addRoundedRect(rect, 8, 8)
        strip = QPainterPath()
        strip.addRect(QRectF(rect.left(), rect.top(), 5, rect.height()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(family)
        painter.drawPath(band.intersected(strip))

        font = QFont(widget.font() if widget is not None else QFont())
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.88))
        left = rect.left() + 12
        width = rect.right() - 8 - left
        painter.setFont(bold)
        painter.setPen(colors.error if self.problem else text)
        painter.drawText(
            QRectF(left, rect.top() + 7, width, 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetricsF(bold).elidedText("⊞ " + self.block_group.label, Qt.TextElideMode.ElideRight, width),
        )
        painter.setFont(small)
        painter.setPen(muted)
        size = f"{len(self.block_group.members)} layers" + (f" · {self.param_text}" if self.param_text else "")
        painter.drawText(
            QRectF(left, rect.top() + 23, width, 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetricsF(small).elidedText(size, Qt.TextElideMode.ElideRight, width),
        )
        detail = "⚠ " + self.problem if self.problem else self.output_shape
        painter.setPen(colors.error if self.problem else muted)
        painter.drawText(
            QRectF(left, rect.top() + 39, width, 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetricsF(small).elidedText(detail, Qt.TextElideMode.ElideRight, width),
        )
        painter.setPen(QPen(base, 1.5))
        painter.setBrush(accent if self.holds_selection else border.darker(115))
        painter.drawEllipse(QPointF(rect.left(), 0), PORT_RADIUS, PORT_RADIUS)
        painter.drawEllipse(QPointF(rect.right(), 0), PORT_RADIUS, PORT_RADIUS)


class GroupFrame(QGraphicsItem):
    """An expanded group: a tinted frame behind its layers, its label in a header; double-clicking the
    header collapses it again."""

    def __init__(self, group: BlockGroup, around: QRectF) -> None:
        super().__init__()
        self.block_group = group
        self._rect = around.adjusted(-FRAME_MARGIN, -FRAME_MARGIN - FRAME_HEADER, FRAME_MARGIN, FRAME_MARGIN)
        self.setZValue(FRAME_Z)
        self.setToolTip(f"<b>{_escape(group.label)}</b><br>Double-click the header to collapse it")

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def header(self) -> QRectF:
        """The strip with the label, in scene coordinates (the frame is not moved)."""
        return QRectF(self._rect.left(), self._rect.top(), self._rect.width(), FRAME_HEADER + 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colors = _colors(widget)
        accent = QColor(colors.accent)
        fill = QColor(accent)
        fill.setAlpha(18)
        line = QColor(accent)
        line.setAlpha(120)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(line, 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, 12, 12)
        font = QFont(widget.font() if widget is not None else QFont())
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(colors.accent)
        text = f"⊟ {self.block_group.label} — {len(self.block_group.members)} layers (double-click here to collapse)"
        header = self.header().adjusted(12, 2, -12, 0)
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        if header.width() > 2 * QFontMetricsF(font).horizontalAdvance(text) + 200:  # a long frame: at its end too
            painter.drawText(header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)


def _fitted(font: QFont, text: str, width: float, least: float = 0.75) -> QFont:
    """`font`, made up to `least` times smaller so that `text` fits in `width` (a long name stays whole)."""
    needed = QFontMetricsF(font).horizontalAdvance(text)
    if needed <= width:
        return font
    smaller = QFont(font)
    smaller.setPointSizeF(font.pointSizeF() * max(least, width / needed))
    return smaller


def _draw_tile(painter: QPainter, rect: QRectF, fill: QColor, band: QColor, outline: QColor) -> None:
    """A box seen from far: a tile with its family's band, no text, no antialiasing."""
    painter.setPen(QPen(outline, 0))
    painter.setBrush(fill)
    painter.drawRect(rect)
    painter.fillRect(QRectF(rect.left(), rect.top(), 8, rect.height()), band)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
