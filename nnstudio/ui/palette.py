"""The layer palette: every registered layer type under its family, with a filter box on top.

Families come in the registry's order under their titles (a header a person can fold); each entry
shows the type's icon, name and help. Typing in the filter box keeps the types whose name (or, after
those, whose help) holds the text, case-insensitively, and marks the best match: Enter appends it,
Down moves into the list at it, Esc clears the box. In the list, Enter or a double-click appends the
entry, Up from the first entry goes back to the box, typing goes on in the box.

Dragging an entry carries the mime type `application/x-nnstudio-layer` holding the class name as
UTF-8; the layer stack turns such a drop into `document.insert_layer`. Appending emits
`appendRequested(class_name)` (the main window appends).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOption,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.layers.base import Family, LayerType
from nnstudio.core.layers.registry import types_by_family
from nnstudio.ui.icons import layer_icon

LAYER_MIME = "application/x-nnstudio-layer"
ClassNameRole = Qt.ItemDataRole.UserRole + 1
SubtitleRole = Qt.ItemDataRole.UserRole + 2
FamilyRole = Qt.ItemDataRole.UserRole + 3
CountRole = Qt.ItemDataRole.UserRole + 4


def layer_mime_data(class_name: str) -> QMimeData:
    """The mime data a palette drag carries for `class_name`."""
    data = QMimeData()
    data.setData(LAYER_MIME, class_name.encode("utf-8"))
    data.setText(class_name)
    return data


def match_rank(layer_type: LayerType, text: str) -> int | None:
    """How well `layer_type` matches the filter `text` (lower is better), None if it does not:
    the name itself, a name starting with it, a name holding it, then a help text holding it."""
    needle = text.strip().casefold()
    if not needle:
        return 3
    name = layer_type.class_name.casefold()
    if name == needle:
        return 0
    if name.startswith(needle):
        return 1
    if needle in name:
        return 2
    if needle in layer_type.help.casefold():
        return 4
    return None


SUBTITLE_LINES = 2  # lines of a layer's short help under its name in the palette


class PaletteDelegate(QStyledItemDelegate):
    """Paints a family header (chevron, title, count) or a layer entry (icon, name, muted help)."""

    ICON = 20
    PAD = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        height = option.fontMetrics.height()
        if index.data(FamilyRole) is not None:
            return QSize(120, height + 10)
        # the name, and under it what the layer does in smaller, muted lines
        small = QFontMetrics(self.small_font(option.font)).height()
        return QSize(120, max(self.ICON, height + SUBTITLE_LINES * small) + 8)

    @staticmethod
    def small_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.88))
        return small

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        painter.save()
        if index.data(FamilyRole) is not None:
            self._paint_header(painter, opt, index)
        else:
            self._paint_layer(painter, opt, index)
        painter.restore()

    def _paint_header(
        self, painter: QPainter, opt: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        widget = opt.widget
        palette = opt.palette
        painter.fillRect(opt.rect, palette.color(QPalette.ColorRole.AlternateBase))
        if opt.state & QStyle.StateFlag.State_HasFocus and widget is not None and widget.hasFocus():
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRect(opt.rect.adjusted(0, 0, -1, -1))
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(opt.rect.bottomLeft(), opt.rect.bottomRight())
        expanded = bool(opt.state & QStyle.StateFlag.State_Open)
        arrow = QStyleOption()
        arrow.rect = QRect(opt.rect.left() + self.PAD - 2, opt.rect.center().y() - 5, 10, 10)
        arrow.palette = palette
        element = (
            QStyle.PrimitiveElement.PE_IndicatorArrowDown
            if expanded
            else QStyle.PrimitiveElement.PE_IndicatorArrowRight
        )
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawPrimitive(element, arrow, painter, widget)
        font = QFont(opt.font)
        font.setWeight(QFont.Weight.Bold)
        font.setPointSizeF(max(6.0, opt.font.pointSizeF() * 0.9))
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        text_rect = opt.rect.adjusted(self.PAD + 14, 0, -self.PAD, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, opt.text.upper())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(index.data(CountRole))
        )

    def _paint_layer(
        self, painter: QPainter, opt: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        widget = opt.widget
        style = widget.style() if widget is not None else None
        title, subtitle, icon = opt.text, index.data(SubtitleRole) or "", index.data(Qt.ItemDataRole.DecorationRole)
        opt.text = ""
        opt.icon = QIcon()
        if style is not None:  # background, selection and focus as the style draws them
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = opt.rect.adjusted(self.PAD, 0, -self.PAD, 0)
        icon_rect = QRect(rect.left(), rect.center().y() - self.ICON // 2 + 1, self.ICON, self.ICON)
        if isinstance(icon, QIcon):
            icon.paint(painter, icon_rect)
        left = icon_rect.right() + self.PAD
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        active = opt.state & QStyle.StateFlag.State_Active
        group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        muted_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        title_font = QFont(opt.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        tfm = QFontMetrics(title_font)
        small = self.small_font(opt.font)
        sfm = QFontMetrics(small)
        width = max(0, rect.right() - left)
        lines = len(subtitle_lines(subtitle, sfm, width)) if subtitle else 0
        top = opt.rect.top() + (opt.rect.height() - tfm.height() - lines * sfm.height()) // 2
        painter.setFont(title_font)
        painter.setPen(opt.palette.color(group, text_role))
        painter.drawText(
            QRect(left, top, width, tfm.height()),
            Qt.AlignmentFlag.AlignVCenter,
            tfm.elidedText(title, Qt.TextElideMode.ElideRight, width),
        )
        painter.setFont(small)
        painter.setPen(opt.palette.color(group, muted_role))
        for i, line in enumerate(subtitle_lines(subtitle, sfm, width) if subtitle else []):
            painter.drawText(
                QRect(left, top + tfm.height() + i * sfm.height(), width, sfm.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                line,
            )


def short_help(text: str) -> str:
    """What a layer does in a few words: its help up to the first colon, semicolon or bracket."""
    for mark in (":", ";", " ("):
        text = text.split(mark, 1)[0]
    return text.strip().rstrip(".,")


def subtitle_lines(text: str, metrics: QFontMetrics, width: int, most: int = SUBTITLE_LINES) -> list[str]:
    """`short_help(text)` wrapped at spaces into at most `most` lines of `width` pixels; what does not
    fit is cut after a whole word with "…" (never in the middle of a word; the tooltip holds it all)."""
    words = short_help(text).split(" ")
    lines: list[str] = []
    while words and len(lines) < most:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
            line += " " + words.pop(0)
        lines.append(line)
    if words:  # more than fits: the last line ends after a whole word, with an ellipsis
        last = lines[-1].split(" ")
        while len(last) > 1 and metrics.horizontalAdvance(" ".join(last) + "…") > width:
            last.pop()
        lines[-1] = " ".join(last).rstrip(",;:") + "…"
    return lines


class PaletteTree(QTreeWidget):
    """The families and their layer types; entries drag out as `LAYER_MIME` (objectName `paletteTree`)."""

    appendRequested = Signal(str)
    leftAtTop = Signal()  # Up from the first entry
    typed = Signal(str)  # printable text typed while the list has the focus

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paletteTree")
        self.setAccessibleName("Layer types")
        self.setHeaderHidden(True)
        self.setColumnCount(1)
        self.setRootIsDecorated(False)
        self.setIndentation(0)
        self.setExpandsOnDoubleClick(False)
        self.setUniformRowHeights(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setItemDelegate(PaletteDelegate(self))
        self.itemClicked.connect(self._clicked)
        self.itemDoubleClicked.connect(lambda item, _column: self._append(item))

    # -- drag ----------------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        names = [item.data(0, ClassNameRole) for item in items if item.data(0, ClassNameRole)]
        return layer_mime_data(names[0]) if names else QMimeData()

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    # -- mouse and keyboard --------------------------------------------------------------------

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, FamilyRole) is not None:
            item.setExpanded(not item.isExpanded())

    def _append(self, item: QTreeWidgetItem | None) -> None:
        if item is not None and item.data(0, ClassNameRole):
            self.appendRequested.emit(item.data(0, ClassNameRole))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            if item.data(0, FamilyRole) is not None:
                item.setExpanded(not item.isExpanded())
            else:
                self._append(item)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Up and item is not None and item is self._first_visible():
            self.leftAtTop.emit()
            event.accept()
            return
        text = event.text()
        if text and text.isprintable() and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            self.typed.emit(text)
            event.accept()
            return
        super().keyPressEvent(event)

    def _first_visible(self) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            header = self.topLevelItem(i)
            if header is not None and not header.isHidden():
                return header
        return None


class LayerPalette(QWidget):
    """The filter box and the grouped list of layer types (objectName `layerPalette`)."""

    appendRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setAccessibleName("Layer palette")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("paletteFilter")
        self.filter.setAccessibleName("Filter layers")
        self.filter.setPlaceholderText("Filter layers…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setToolTip(
            "Type part of a layer's name (or of what it does). Enter appends the best match, "
            "Down moves into the list, Esc clears."
        )
        self.tree = PaletteTree(self)
        self.empty = QLabel(self)
        self.empty.setObjectName("paletteNoMatch")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setStyleSheet("color: palette(placeholder-text); padding: 12px;")
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)
        self.setFocusProxy(self.filter)

        self._types: dict[str, LayerType] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._headers: list[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]] = []
        self._folded: set[str] = set()  # families a person folded, restored when the filter is cleared
        for family, types in types_by_family().items():
            if types:
                self._add_family(family, types)
        self.tree.expandAll()

        self.filter.textChanged.connect(self._apply_filter)
        self.filter.installEventFilter(self)
        self.tree.appendRequested.connect(self.appendRequested)
        self.tree.leftAtTop.connect(self.filter.setFocus)
        self.tree.typed.connect(self._type_on)
        self.tree.itemExpanded.connect(lambda item: self._remember_fold(item, False))
        self.tree.itemCollapsed.connect(lambda item: self._remember_fold(item, True))

    def _add_family(self, family: Family, types: tuple[LayerType, ...]) -> None:
        header = QTreeWidgetItem(self.tree, [family.title])
        header.setData(0, FamilyRole, family.name)
        header.setData(0, CountRole, len(types))
        header.setFlags(Qt.ItemFlag.ItemIsEnabled)
        header.setToolTip(0, f"{family.title}: {len(types)} layer types. Click to fold or unfold.")
        entries = []
        for layer_type in types:
            name = layer_type.class_name
            item = QTreeWidgetItem(header, [name])
            item.setIcon(0, layer_icon(name))
            item.setData(0, ClassNameRole, name)
            item.setData(0, SubtitleRole, layer_type.help)
            item.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, layer_type.help)
            item.setToolTip(
                0,
                f"<b>{name}</b> <span style='color:gray'>· {family.title}</span>"
                f"<p style='margin-top:4px'>{layer_type.help}</p>"
                "<p style='color:gray'>Drag into the layer stack, or double-click (Enter) to append.</p>",
            )
            item.setStatusTip(0, f"{name}: {layer_type.help}")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self._types[name] = layer_type
            self._items[name] = item
            entries.append(item)
        self._headers.append((header, entries))

    # -- api ---------------------------------------------------------------------------------

    def class_names(self) -> list[str]:
        """Every layer type in the palette, in palette order."""
        return list(self._items)

    def visible_class_names(self) -> list[str]:
        """The layer types the filter lets through, in palette order."""
        return [name for name, item in self._items.items() if not item.isHidden()]

    def family_titles(self) -> list[str]:
        """The headers the filter leaves, in palette order."""
        return [header.text(0) for header, _ in self._headers if not header.isHidden()]

    def item_for(self, class_name: str) -> QTreeWidgetItem:
        """The entry of `class_name` (KeyError if the palette has none)."""
        return self._items[class_name]

    def mime_data_for(self, class_name: str) -> QMimeData:
        """What dragging `class_name`'s entry carries (through the same path a real drag uses)."""
        return self.tree.mimeData([self.item_for(class_name)])

    def current_class(self) -> str | None:
        """The layer type of the entry the list's cursor is on (None on a family header or nothing)."""
        item = self.tree.currentItem()
        name = item.data(0, ClassNameRole) if item is not None else None
        return name or None

    def best_match(self) -> str | None:
        """The type Enter in the filter box appends: the best-ranked visible one, first in palette order."""
        ranked = [
            (rank, n, name)
            for n, (name, layer_type) in enumerate(self._types.items())
            if (rank := match_rank(layer_type, self.filter.text())) is not None
        ]
        return min(ranked)[2] if ranked else None

    # -- filtering -----------------------------------------------------------------------------

    def _apply_filter(self, text: str) -> None:
        filtering = bool(text.strip())
        shown = 0
        for header, entries in self._headers:
            visible = 0
            for item in entries:
                hit = match_rank(self._types[item.data(0, ClassNameRole)], text) is not None
                item.setHidden(not hit)
                visible += hit
            shown += visible
            header.setHidden(visible == 0)
            header.setData(0, CountRole, f"{visible} of {len(entries)}" if filtering else len(entries))
            folded = header.data(0, FamilyRole) in self._folded
            with QSignalBlocker(self.tree):  # an unfold by the filter is not a person's
                header.setExpanded(filtering or not folded)
        self.empty.setText(f"No layer matches “{text.strip()}”." if not shown else "")
        self.empty.setVisible(not shown)
        self.tree.setVisible(bool(shown))
        best = self.best_match() if filtering else None
        if best is not None:
            self.tree.setCurrentItem(self._items[best])
            self.tree.scrollToItem(self._items[best])
        elif not filtering:
            self.tree.clearSelection()
            self.tree.scrollToTop()

    def _remember_fold(self, header: QTreeWidgetItem, folded: bool) -> None:
        family = header.data(0, FamilyRole)
        if family is None or self.filter.text().strip():
            return
        if folded:
            self._folded.add(family)
        else:
            self._folded.discard(family)

    def _type_on(self, text: str) -> None:
        self.filter.setFocus()
        self.filter.insert(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.filter and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key == Qt.Key.Key_Down:
                self._enter_list()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                best = self.best_match() if self.filter.text().strip() else None
                if best is not None:
                    self.appendRequested.emit(best)
                return True
            if key == Qt.Key.Key_Escape and self.filter.text():
                self.filter.clear()
                return True
        return super().eventFilter(watched, event)

    def _enter_list(self) -> None:
        """Focus the list at the best match, or at its first visible entry."""
        best = self.best_match() if self.filter.text().strip() else None
        target = self._items[best] if best is not None else None
        if target is None:
            target = next((self._items[n] for n in self.visible_class_names()), None)
        if target is not None:
            self.tree.setCurrentItem(target)
        self.tree.setFocus()
