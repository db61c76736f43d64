"""The layer palette: every registered layer type, with its icon, name and help, ready to drag.

Dragging an entry carries the mime type `application/x-nnstudio-layer` holding the class name
as UTF-8; the layer stack turns such a drop into `document.insert_layer`. Double-click or
Enter emits `appendRequested(class_name)` for keyboard users (the main window appends).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from nnstudio.core.layers.registry import all_types, family
from nnstudio.ui.icons import layer_icon

LAYER_MIME = "application/x-nnstudio-layer"
ClassNameRole = Qt.ItemDataRole.UserRole + 1
SubtitleRole = Qt.ItemDataRole.UserRole + 2


def layer_mime_data(class_name: str) -> QMimeData:
    """The mime data a palette drag carries for `class_name`."""
    data = QMimeData()
    data.setData(LAYER_MIME, class_name.encode("utf-8"))
    data.setText(class_name)
    return data


class TwoLineDelegate(QStyledItemDelegate):
    """Paints an entry as an icon, a title and a muted second line (elided to fit)."""

    ICON = 24
    PAD = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        fm = option.fontMetrics
        return QSize(160, max(self.ICON, fm.height() * 2 + 2) + 2 * self.PAD - 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget else None
        title, subtitle, icon = opt.text, index.data(SubtitleRole) or "", index.data(Qt.ItemDataRole.DecorationRole)
        opt.text = ""
        opt.icon = QIcon()
        painter.save()
        if style:  # background, selection and focus as the style draws them
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = opt.rect.adjusted(self.PAD, 0, -self.PAD, 0)
        icon_rect = QRect(rect.left(), rect.center().y() - self.ICON // 2 + 1, self.ICON, self.ICON)
        if isinstance(icon, QIcon):
            icon.paint(painter, icon_rect)
        text_left = icon_rect.right() + self.PAD + 2
        text_width = max(0, rect.right() - text_left)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Active if opt.state & QStyle.StateFlag.State_Active else QPalette.ColorGroup.Inactive
        )
        text_color = opt.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = opt.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        title_font = QFont(opt.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        small_font = QFont(opt.font)
        small_font.setPointSizeF(max(6.0, opt.font.pointSizeF() * 0.88))
        tfm, sfm = QFontMetrics(title_font), QFontMetrics(small_font)
        total = tfm.height() + (sfm.height() if subtitle else 0)
        top = opt.rect.top() + (opt.rect.height() - total) // 2
        painter.setFont(title_font)
        painter.setPen(text_color)
        painter.drawText(
            QRect(text_left, top, text_width, tfm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            tfm.elidedText(title, Qt.TextElideMode.ElideRight, text_width),
        )
        if subtitle:
            painter.setFont(small_font)
            painter.setPen(muted)
            painter.drawText(
                QRect(text_left, top + tfm.height(), text_width, sfm.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                sfm.elidedText(subtitle, Qt.TextElideMode.ElideRight, text_width),
            )
        painter.restore()


class LayerPalette(QListWidget):
    """The list of layer types to drag into the stack (objectName `layerPalette`)."""

    appendRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setAccessibleName("Layer palette")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(TwoLineDelegate(self))
        self.setToolTip("")
        for layer_type in all_types():
            item = QListWidgetItem(layer_icon(layer_type.class_name), layer_type.class_name)
            item.setData(ClassNameRole, layer_type.class_name)
            item.setData(SubtitleRole, layer_type.help)
            item.setToolTip(
                f"<b>{layer_type.class_name}</b> <span style='color:gray'>· "
                f"{family(layer_type.family).title}</span>"
                f"<p style='margin-top:4px'>{layer_type.help}</p>"
                "<p style='color:gray'>Drag into the layer stack, or double-click to append.</p>"
            )
            item.setStatusTip(f"{layer_type.class_name}: {layer_type.help}")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.addItem(item)
        self.itemDoubleClicked.connect(self._append)

    # -- api ---------------------------------------------------------------------------------

    def class_names(self) -> list[str]:
        return [self.item(i).data(ClassNameRole) for i in range(self.count())]

    def item_for(self, class_name: str) -> QListWidgetItem:
        """The entry of `class_name` (KeyError if the palette has none)."""
        for i in range(self.count()):
            if self.item(i).data(ClassNameRole) == class_name:
                return self.item(i)
        raise KeyError(class_name)

    def mime_data_for(self, class_name: str) -> QMimeData:
        """What dragging `class_name`'s entry carries (through the same path a real drag uses)."""
        return self.mimeData([self.item_for(class_name)])

    # -- drag ----------------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        items = list(items)
        if not items:
            return QMimeData()
        return layer_mime_data(items[0].data(ClassNameRole))

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    # -- keyboard ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self._append(self.currentItem())
            event.accept()
            return
        super().keyPressEvent(event)

    def _append(self, item: QListWidgetItem) -> None:
        if item is not None:
            self.appendRequested.emit(item.data(ClassNameRole))
