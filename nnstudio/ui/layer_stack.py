"""The layer stack: the model's layers top to bottom, a drop target for the palette, reorderable by drag.

`LayerStackModel` is a thin adapter over `document.spec.layers` (napari's habit): it never changes
the spec itself. A drop becomes `document.insert_layer` (a palette entry) or `document.move_layer`
(a row of the stack) in `dropMimeData`, so drag and drop is testable without a mouse. A placement
the document refuses emits `dropRefused(reason)`, which the view shows in a banner — never silently.

`LayerStackView` (objectName `layerStack`) adds the keys: Delete removes, Ctrl+D duplicates,
Ctrl+Up / Ctrl+Down move; and keeps its selection in step with the document's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.memo import IdentityMemo
from nnstudio.core.shapes import format_shape
from nnstudio.core.spec import LayerSpec
from nnstudio.core.summary import LayerRow
from nnstudio.core.validation import Issue
from nnstudio.services.document import Document
from nnstudio.ui.icons import error_color, error_icon, layer_icon
from nnstudio.ui.palette import LAYER_MIME
from nnstudio.ui.row_runs import row_runs

ROW_MIME = "application/x-nnstudio-row"
# A run of changed rows up to this long is announced row by row: a view repaints a row's own rect for
# a row alone but its whole viewport for a range (a dozen rows of a big model: ~8 ms an edit)
ROWS_ANNOUNCED_ONE_BY_ONE = 8

ClassNameRole = Qt.ItemDataRole.UserRole + 1
LayerNameRole = Qt.ItemDataRole.UserRole + 2
DescriptionRole = Qt.ItemDataRole.UserRole + 3  # "Dense(64, relu)"
ShapeRole = Qt.ItemDataRole.UserRole + 4  # "(None, 64)" or ""
ParamsRole = Qt.ItemDataRole.UserRole + 5  # 1344 (int) or None
ErrorRole = Qt.ItemDataRole.UserRole + 6  # the first problem's message, or None
ReadsRole = Qt.ItemDataRole.UserRole + 7  # in a graph: "← dense, dense_1", what the layer reads ("" in a chain)


_DESCRIPTIONS: IdentityMemo[str] = IdentityMemo()  # an edit or an open's reading thread met these layers


def describe(layer: LayerSpec) -> str:
    """A layer in a few characters, as one would write it: Dense(64, relu), Input(20), Dropout(0.5).
    Kept per layer spec (an edit shares its untouched layers with the spec before it)."""
    return _DESCRIPTIONS.get(layer, None, lambda: _described(layer))


def _described(layer: LayerSpec) -> str:
    kind = layer_types().get(layer.class_name)
    try:
        args = kind.brief(kind.values(layer.params)) if kind is not None else []
    except (KeyError, TypeError, ValueError):  # odd values from a hand-made spec: show the class bare
        args = []
    return f"{layer.class_name}({', '.join(args)})"


@dataclass(frozen=True)
class StackRow:
    """What one row of the stack shows, made once per document change (a view asks for every row's
    roles on each layout and paint, and a model may have hundreds of layers)."""

    layer: LayerSpec
    description: str  # describe(layer)
    reads: str  # in a graph: "← dense, dense_1" ("" in a chain)
    shape: str  # "(None, 64)" or ""
    params: int | None
    problems: tuple[Issue, ...]
    # the summary's row it was made from (the analysis keeps an untouched layer's row object)
    source: LayerRow | None = field(default=None, compare=False)


class LayerStackModel(QAbstractListModel):
    """One row per layer of `document.spec`, in order; drops become document edits.

    On a document change only the rows whose name, words, shape, parameters, problems or inputs
    changed are announced (`dataChanged`); a reset only when layers were added, removed or moved."""

    dropRefused = Signal(str)

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._layers = document.spec.layers
        self._names: dict[str, str] = {}  # layer id -> name in a graph (what the rows' reads say)
        self._spec = document.spec
        self._summary = document.summary()
        self._by_index: dict[int, LayerRow] = {}  # the summary's rows by layer index
        self._rows: list[StackRow | None] = self._make_rows(document.spec, self._summary, [])
        document.changed.connect(self._on_changed)

    # -- reading ---------------------------------------------------------------------------------

    def _on_changed(self, spec) -> None:
        new = spec.layers
        old_layers, old_rows, old_by_index = self._layers, self._rows, self._by_index
        rows = self._make_rows(spec, self.document.summary(), old_rows)
        if len(new) == len(old_layers) and all(a.id == b.id for a, b in zip(old_layers, new, strict=True)):
            self._layers = new
            self._rows = rows
            by_index = self._by_index
            changed = [
                i
                for i, (a, b) in enumerate(zip(old_rows, rows, strict=True))
                if (a is not None and a is not b and a != b)
                or (a is None and (old_layers[i] is not new[i] or old_by_index.get(i) is not by_index.get(i)))
            ]
            for first, last in row_runs(changed):
                if last - first < ROWS_ANNOUNCED_ONE_BY_ONE:  # a view repaints a range whole, a row alone
                    for row in range(first, last + 1):
                        self.dataChanged.emit(self.index(row), self.index(row))
                else:
                    self.dataChanged.emit(self.index(first), self.index(last))
        else:
            self.beginResetModel()
            self._layers = new
            self._rows = rows
            self.endResetModel()

    def _make_rows(self, spec, summary, old: list[StackRow | None]) -> list[StackRow | None]:
        """The rows of `spec` and `summary`, made as they are first asked for (`row_view`): a model
        may have a thousand layers, of which a view shows a few dozen. The rows of `old` that were
        made are made again now, to tell which changed; one whose layer, summary row and problems
        are those it was made from (and no layer was renamed) is that row."""
        names = {layer.id: layer.name for layer in spec.layers} if spec.is_functional else {}
        renamed = names != self._names
        self._names = names
        self._spec, self._summary = spec, summary
        self._by_index = {summary_row.index: summary_row for summary_row in summary.rows}
        position = {id(layer): i for i, layer in enumerate(spec.layers)}
        rows: list[StackRow | None] = [None] * len(spec.layers)
        for before in old:
            if before is None:
                continue
            i = position.get(id(before.layer))  # old holds the layers: their ids stay theirs
            if i is not None and spec.layers[i] is before.layer:
                rows[i] = self._made_row(i, None if renamed else before)
        return rows

    def _made_row(self, i: int, before: StackRow | None) -> StackRow:
        """Row `i` of the spec and summary last taken; `before` (the row of the same layer as it was)
        when nothing it shows changed, and its words where the layer is the same."""
        spec, summary = self._spec, self._summary
        layer = spec.layers[i]
        summary_row = self._by_index.get(i)
        problems = tuple(summary.issues_for(i))
        if (
            before is not None
            and summary_row is not None
            and before.source is summary_row
            and before.problems == problems
        ):
            return before
        if before is None:
            description, reads = describe(layer), (_reads(layer, self._names) if spec.is_functional else "")
        else:
            description, reads = before.description, before.reads
        if i == 0 and is_input(layer.class_name):
            shape = "" if summary.input_shape is None else format_shape(summary.input_shape)
            params = None
        else:
            shaped = summary_row is not None and summary_row.output_shape is not None
            shape = summary_row.shape_text if summary_row is not None and shaped else ""
            params = summary_row.params if summary_row is not None and shaped else None
        return StackRow(layer, description, reads, shape, params, problems, summary_row)

    def row_view(self, row: int) -> StackRow:
        """What row `row` shows."""
        view = self._rows[row]
        if view is None:
            view = self._rows[row] = self._made_row(row, None)
        return view

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._layers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        view = self.row_view(index.row())
        layer = view.layer
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{layer.name} — {view.description}" + (f" {view.reads}" if view.reads else "")
        if role == Qt.ItemDataRole.EditRole or role == LayerNameRole:
            return layer.name
        if role == ClassNameRole:
            return layer.class_name
        if role == ReadsRole:
            return view.reads
        if role == DescriptionRole:
            return view.description + (f"  {view.reads}" if view.reads else "")
        problems = view.problems
        if role == ErrorRole:
            return problems[0].message if problems else None
        if role == Qt.ItemDataRole.DecorationRole:
            return error_icon() if problems else layer_icon(layer.class_name)
        if role == Qt.ItemDataRole.ForegroundRole:
            return error_color() if problems else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(view)
        if role == ShapeRole:
            return view.shape
        if role == ParamsRole:
            return view.params
        return None

    def _tooltip(self, view: StackRow) -> str:
        head = f"<b>{view.layer.name}</b> — {view.description}"
        if view.reads:
            head += f"<br>reads {_escape(view.reads[2:])}"
        if view.problems:
            lines = "".join(f"<li>{_escape(p.message)}</li>" for p in view.problems)
            return f"{head}<ul style='color:{error_color().name()}; margin-left:-20px'>{lines}</ul>"
        return head

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # drops go between rows, never onto one
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    # -- drag and drop ---------------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME, ROW_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            data.setData(ROW_MIME, QByteArray(f"{id(self.document)}:{rows[0]}".encode()))
            data.setText(self._layers[rows[0]].name)
        return data

    def removeRows(self, row: int, count: int, parent=QModelIndex()) -> bool:  # noqa: B008, N802
        # After an internal move Qt's startDrag "removes the source rows" of a MoveAction; the move
        # already happened in the document, so nothing may be removed here.
        return False

    def canDropMimeData(self, data: QMimeData, action, row, column, parent) -> bool:  # noqa: N802
        return data.hasFormat(LAYER_MIME) or data.hasFormat(ROW_MIME)

    def drop_row(self, row: int, parent: QModelIndex | None = None) -> int:
        """The position a drop lands at: before `row`, before the row under the mouse, or at the end."""
        if row >= 0:
            return min(row, len(self._layers))
        if parent is not None and parent.isValid():
            return parent.row()
        return len(self._layers)

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent) -> bool:  # noqa: N802
        if action == Qt.DropAction.IgnoreAction:
            return True
        target = self.drop_row(row, parent)
        if data.hasFormat(ROW_MIME):
            source = self._source_row(data)
            if source is None:
                self.dropRefused.emit(FOREIGN_ROW)
                return False
            destination = target if target <= source else target - 1  # its index after the move
            if destination == source:
                return False  # dropped where it was: nothing to do
            reason = self.document.move_layer(source, destination)
        elif data.hasFormat(LAYER_MIME):
            reason = self.document.insert_layer(target, _class_name(data))
        else:
            return False
        if reason:
            self.dropRefused.emit(reason)
            return False
        return True

    def drop_problem(self, data: QMimeData, target: int) -> str | None:
        """Why dropping `data` before row `target` would be refused, or None (asked while dragging)."""
        if data.hasFormat(ROW_MIME):
            source = self._source_row(data)
            if source is None:
                return FOREIGN_ROW
            destination = target if target <= source else target - 1
            return None if destination == source else self.document.can_move(source, destination)
        if data.hasFormat(LAYER_MIME):
            return self.document.can_insert(target, _class_name(data))
        return None

    def _source_row(self, data: QMimeData) -> int | None:
        """The dragged row, or None when it comes from another document."""
        owner, _, row = bytes(data.data(ROW_MIME).data()).decode("ascii", "replace").partition(":")
        if owner != str(id(self.document)) or not row.isdigit() or int(row) >= len(self._layers):
            return None
        return int(row)


FOREIGN_ROW = "That layer belongs to another model; drag from the palette instead"


def _reads(layer: LayerSpec, names: dict[str, str]) -> str:
    """In a graph, what `layer` reads ("← dense, dense_1"; an unconnected layer "← nothing")."""
    if is_input(layer.class_name):
        return ""
    kind = layer_types().get(layer.class_name)
    reads = []
    for call in layer.inbound:
        for position, ref in enumerate(call):
            role = kind.input_role(position, len(call)) if kind is not None else ""
            reads.append(names.get(ref.layer, ref.layer) + (f" ({role})" if role else ""))
    return "← " + (", ".join(reads) if reads else "nothing")


def _class_name(data: QMimeData) -> str:
    return bytes(data.data(LAYER_MIME).data()).decode("utf-8", "replace").strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


KEPT_WIDTHS = 8192  # rows' measured words kept by the delegate (a model of 1000 layers, a few fonts)


@dataclass(frozen=True)
class _RowFonts:
    """A row's fonts (name in bold, words, the right side smaller) and their metrics, for one view font."""

    key: str
    bold: QFont
    small: QFont
    bold_metrics: QFontMetrics
    metrics: QFontMetrics
    small_metrics: QFontMetrics
    gap: int  # between the name and the words

    @classmethod
    def of(cls, font: QFont) -> _RowFonts:
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
        metrics = QFontMetrics(font)
        return cls(
            font.key(), bold, small, QFontMetrics(bold), metrics, QFontMetrics(small), metrics.horizontalAdvance("  ")
        )


class LayerDelegate(QStyledItemDelegate):
    """Icon, `name` in bold, the layer in words, and its output shape and parameters on the right."""

    ICON = 22
    PAD = 8

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.detail = 0  # 0: shape and params on the right, 1: shape only, 2: nothing
        self._fonts_by_key: dict[str, _RowFonts] = {}
        self._widths: dict[tuple[str, str, str], int] = {}  # (name, description, font key) -> width

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return QSize(200, max(self.ICON, option.fontMetrics.height()) + 2 * self.PAD + 2)

    @staticmethod
    def _right_options(index: QModelIndex | QPersistentModelIndex) -> list[str]:
        if index.data(ErrorRole):
            return ["error"]
        shape = index.data(ShapeRole) or ""
        params = index.data(ParamsRole)
        return [f"{shape}  ·  {params:,}" if params is not None else shape, shape]

    def _fonts(self, font: QFont) -> _RowFonts:
        """The row's fonts and their metrics for the view's `font` (made once per font)."""
        key = font.key()
        fonts = self._fonts_by_key.get(key)
        if fonts is None:
            fonts = self._fonts_by_key[key] = _RowFonts.of(font)
        return fonts

    def _words_width(self, name: str, description: str, fonts: _RowFonts) -> int:
        """The width of a row's name and description side by side (kept per texts and font: each
        repaint of a long model's rows measured them again)."""
        key = (name, description, fonts.key)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= KEPT_WIDTHS:
                self._widths.clear()
            width = self._widths[key] = (
                fonts.bold_metrics.horizontalAdvance(name)
                + 2
                + fonts.gap
                + fonts.metrics.horizontalAdvance(description)
                + 2
            )
        return width

    def detail_that_fits(self, index: QModelIndex, font: QFont, row_width: int) -> int:
        """The most the right side of this row can say at `row_width` (see `detail`)."""
        fonts = self._fonts(font)
        sfm = fonts.small_metrics
        room = row_width - 2 * self.PAD - self.ICON - self.PAD - 3
        needed = self._words_width(index.data(LayerNameRole) or "", index.data(DescriptionRole) or "", fonts)
        for level, option in enumerate(self._right_options(index)):
            if option and needed + self.PAD + sfm.horizontalAdvance(option) <= room:
                return level
        return 2

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()
        widget = opt.widget
        painter.save()
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Active if opt.state & QStyle.StateFlag.State_Active else QPalette.ColorGroup.Inactive
        )
        text = opt.palette.color(group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        muted = opt.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        error = index.data(ErrorRole)
        if error and not selected:
            text = error_color(opt.palette)

        rect = opt.rect.adjusted(self.PAD, 0, -self.PAD, 0)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        icon_rect = QRect(rect.left(), rect.center().y() - self.ICON // 2 + 1, self.ICON, self.ICON)
        if isinstance(icon, QIcon):
            icon.paint(painter, icon_rect)
        left = icon_rect.right() + self.PAD + 2

        fonts = self._fonts(opt.font)
        bold, small = fonts.bold, fonts.small
        bfm, nfm, sfm = fonts.bold_metrics, fonts.metrics, fonts.small_metrics

        name = index.data(LayerNameRole) or ""
        description = index.data(DescriptionRole) or ""
        gap = fonts.gap
        needed = self._words_width(name, description, fonts)
        # What the right side says, most first; it gives way to the layer's own words when narrow, and
        # every row says as much as the narrowest one (the view sets `detail`).
        options = self._right_options(index)
        if not error:
            options = options[self.detail :]
        right_text = ""
        for candidate in options:
            if candidate and needed + self.PAD + sfm.horizontalAdvance(candidate) <= rect.right() - left:
                right_text = candidate
                break
        right_width = sfm.horizontalAdvance(right_text) if right_text else 0
        available = max(0, rect.right() - left - right_width - (self.PAD if right_text else 0))

        name_width = min(bfm.horizontalAdvance(name) + 2, available)
        vcenter = Qt.AlignmentFlag.AlignVCenter
        painter.setFont(bold)
        painter.setPen(text)
        painter.drawText(
            QRect(left, opt.rect.top(), name_width, opt.rect.height()),
            Qt.AlignmentFlag.AlignLeft | vcenter,
            bfm.elidedText(name, Qt.TextElideMode.ElideRight, name_width),
        )
        desc_left = left + name_width + gap
        desc_width = max(0, left + available - desc_left)
        painter.setFont(opt.font)
        painter.setPen(text if error and not selected else muted)
        painter.drawText(
            QRect(desc_left, opt.rect.top(), desc_width, opt.rect.height()),
            Qt.AlignmentFlag.AlignLeft | vcenter,
            nfm.elidedText(description, Qt.TextElideMode.ElideRight, desc_width),
        )
        if right_text:
            painter.setFont(small)
            painter.setPen(error_color(opt.palette) if error and not selected else muted)
            painter.drawText(
                QRect(rect.right() - right_width, opt.rect.top(), right_width, opt.rect.height()),
                Qt.AlignmentFlag.AlignRight | vcenter,
                right_text,
            )
        painter.restore()


class LayerStackView(QListView):
    """The model's layers, top to bottom (objectName `layerStack`)."""

    BANNER_MS = 5000

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerStack")
        self.setAccessibleName("Layer stack")
        self.document = document
        self.stack_model = LayerStackModel(document, self)
        self.setModel(self.stack_model)
        self.setItemDelegate(LayerDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setUniformItemSizes(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)

        self.banner = QLabel(self.viewport())
        self.banner.setObjectName("dropRefusedBanner")
        self.banner.setWordWrap(True)
        self.banner.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.banner.setStyleSheet(
            "QLabel#dropRefusedBanner { background: #fdecec; color: #9b1c1c; border: 1px solid #f5b5b5;"
            " border-radius: 6px; padding: 6px 10px; }"
        )
        self.banner.hide()
        self._banner_timer = QTimer(self)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.timeout.connect(self.banner.hide)

        self.empty_hint = "Drag layers here from the palette,\nstarting with an Input."

        self.remove_action = self._action("Remove Layer", QKeySequence(Qt.Key.Key_Delete), self.remove_selected)
        self.duplicate_action = self._action("Duplicate Layer", QKeySequence("Ctrl+D"), self.duplicate_selected)
        self.move_up_action = self._action("Move Up", QKeySequence("Ctrl+Up"), lambda: self.move_selected(-1))
        self.move_down_action = self._action("Move Down", QKeySequence("Ctrl+Down"), lambda: self.move_selected(1))

        self._fits: dict[tuple, int] = {}  # a row's texts -> the detail it can show (see _update_detail)
        self._fits_at: tuple[int, str] | None = None  # the width and font they were measured at
        self.graph_actions: list[QAction] = []  # the window's graph edits (Add Branch, Connect, …), for the menu
        self._syncing = False
        self._drag_pos = QPoint()
        self.stack_model.dropRefused.connect(self.show_refusal)
        self.stack_model.modelAboutToBeReset.connect(self._begin_sync)
        self.stack_model.modelReset.connect(self._end_sync)
        self.selectionModel().currentChanged.connect(self._on_current_changed)
        document.selectionChanged.connect(self._select_row)
        document.changed.connect(self._on_document_changed)
        self._select_row(document.selected_index)
        self._update_actions()
        self._update_detail()

    def _action(self, text: str, shortcut: QKeySequence, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the keys go through keyPressEvent
        action.triggered.connect(slot)
        return action

    # -- actions ---------------------------------------------------------------------------------

    def remove_selected(self) -> None:
        row = self.document.selected_index
        if row >= 0:
            self.document.remove_layer(row)

    def duplicate_selected(self) -> None:
        row = self.document.selected_index
        if row >= 0:
            self._report(self.document.duplicate_layer(row))

    def move_selected(self, delta: int) -> None:
        row = self.document.selected_index
        if row < 0:
            return
        destination = row + delta
        if not 0 <= destination < len(self.document.spec.layers):
            return
        self._report(self.document.move_layer(row, destination))

    def _report(self, reason: str | None) -> None:
        if reason:
            self.show_refusal(reason)

    def _update_actions(self) -> None:
        row = self.document.selected_index
        count = len(self.document.spec.layers)
        self.remove_action.setEnabled(row >= 0)
        self.duplicate_action.setEnabled(row >= 0 and self.document.can_duplicate(row) is None)
        self.move_up_action.setEnabled(row > 0 and self.document.can_move(row, row - 1) is None)
        self.move_down_action.setEnabled(0 <= row < count - 1 and self.document.can_move(row, row + 1) is None)

    # -- dragging over the stack -------------------------------------------------------------------

    def _drop_target(self) -> int:
        """Where the drop indicator says a drop lands (valid during a drag move)."""
        index = self.indexAt(self._drag_pos)
        position = self.dropIndicatorPosition()
        if not index.isValid() or position == QAbstractItemView.DropIndicatorPosition.OnViewport:
            return self.stack_model.rowCount()
        if position == QAbstractItemView.DropIndicatorPosition.BelowItem:
            return index.row() + 1
        return index.row()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        super().dragMoveEvent(event)
        if not event.isAccepted():
            return
        self._drag_pos = event.position().toPoint()
        reason = self.stack_model.drop_problem(event.mimeData(), self._drop_target())
        if reason:  # say why here, while dragging, and show the "no" cursor
            event.ignore()
            if self.banner.text() != f"⚠  {reason}" or not self.banner.isVisible():
                self.show_refusal(reason)
        elif self.banner.isVisible():
            self.banner.hide()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        super().dragLeaveEvent(event)
        self.banner.hide()

    # -- the refusal banner ----------------------------------------------------------------------

    def show_refusal(self, reason: str) -> None:
        """Show why a drop or a move was refused, in a banner at the bottom of the stack."""
        self.banner.setText(f"⚠  {reason}")
        self.banner.setToolTip(reason)
        self._place_banner()
        self.banner.show()
        self.banner.raise_()
        self._banner_timer.start(self.BANNER_MS)

    def _place_banner(self) -> None:
        area = self.viewport().rect().adjusted(8, 8, -8, -8)
        width = max(80, area.width())
        height = self.banner.heightForWidth(width)
        height = max(height, self.banner.sizeHint().height())
        self.banner.setGeometry(area.left(), area.bottom() - height, width, height)

    def _update_detail(self) -> None:
        """Let every row show as much on its right as the most crowded row can (what each row can
        show is kept per row text and width: an edit measures only the rows it changed)."""
        delegate = self.itemDelegate()
        if not isinstance(delegate, LayerDelegate):
            return
        width = self.viewport().width()
        font = self.font()
        if self._fits_at != (width, font.key()):
            self._fits_at = (width, font.key())
            self._fits = {}
        fits = self._fits
        model = self.stack_model
        detail = 0
        for row in range(model.rowCount()):
            view = model.row_view(row)
            if view.problems:
                continue
            key = (view.layer.name, view.description, view.reads, view.shape, view.params)
            level = fits.get(key)
            if level is None:
                level = fits[key] = delegate.detail_that_fits(model.index(row), font, width)
            detail = max(detail, level)
            if detail == 2:  # the least there is: no other row can ask for less
                break
        if len(fits) > 4 * max(64, model.rowCount()):  # texts of rows long gone
            self._fits = {}
        if detail != delegate.detail:
            delegate.detail = detail
            self.viewport().update()

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:  # noqa: N802
        # QListView lays every row out again on any change of data (its list mode does so for rows
        # that may change size); these rows are all of one size (setUniformItemSizes), so a change
        # repaints the rows it names: a big model's edit no longer lays out a thousand rows
        QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_detail()
        if self.banner.isVisible():
            self._place_banner()

    # -- selection -------------------------------------------------------------------------------

    def _begin_sync(self) -> None:
        self._syncing = True

    def _end_sync(self) -> None:
        self._syncing = False
        self._select_row(self.document.selected_index)

    def _select_row(self, row: int) -> None:
        selection = self.selectionModel()
        current = selection.currentIndex()
        valid = 0 <= row < self.stack_model.rowCount()
        if (current.row() == row and selection.isRowSelected(row)) if valid else not current.isValid():
            self._update_actions()  # the selection is as it was: only what may be done with it
            return
        self._syncing = True
        try:
            if valid:
                index = self.stack_model.index(row)
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                self.scrollTo(index)
            else:
                selection.clearSelection()
                selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        finally:
            self._syncing = False
        self._update_actions()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._syncing:
            self.document.select_layer(current.row() if current.isValid() else -1)

    # -- keys, menu, painting --------------------------------------------------------------------

    def _key_action(self, event: QKeyEvent) -> QAction | None:
        pressed = QKeySequence(event.keyCombination())
        for action in (self.remove_action, self.duplicate_action, self.move_up_action, self.move_down_action):
            if action.shortcut().matches(pressed) == QKeySequence.SequenceMatch.ExactMatch:
                return action
        if event.key() == Qt.Key.Key_Backspace and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            return self.remove_action
        return None

    def _on_document_changed(self, _spec: object) -> None:
        self._update_actions()
        self._update_detail()

    def event(self, event: QEvent) -> bool:
        # Keep our keys when the window defines the same shortcuts (Edit ▸ Delete): the focused stack wins.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._key_action(event) is not None
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        action = self._key_action(event)
        if action is not None:
            self._update_actions()
            if action.isEnabled():
                action.trigger()
            elif action is not self.remove_action:
                self._explain_disabled(action)
            event.accept()
            return
        super().keyPressEvent(event)

    def _explain_disabled(self, action: QAction) -> None:
        row = self.document.selected_index
        if row < 0:
            return
        if action is self.duplicate_action:
            self._report(self.document.can_duplicate(row))
        elif action is self.move_up_action and row > 0:
            self._report(self.document.can_move(row, row - 1))
        elif action is self.move_down_action and row < len(self.document.spec.layers) - 1:
            self._report(self.document.can_move(row, row + 1))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        index = self.indexAt(event.pos())
        if index.isValid():
            self.document.select_layer(index.row())
        self._update_actions()
        menu = QMenu(self)
        for action in (self.duplicate_action, self.move_up_action, self.move_down_action):
            menu.addAction(action)
        if self.graph_actions:
            menu.addSeparator()
            for action in self.graph_actions:
                menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.exec(event.globalPos())

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.stack_model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self.empty_hint)
            painter.end()
