"""The summary table: Keras's `model.summary()` as a live Qt table.

Rows come at once from the core's analytic summary (a functional model's in Keras's order, its
Inputs included, with a Connected to column) on every document change; when the Keras
build of the same spec arrives, the rows are compared with Keras's own and the table is marked
confirmed (or shows the disagreement, which would be a bug). A row whose layer is at fault is
shown in red with the message as its tooltip. Selecting a row selects the layer everywhere.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QBrush, QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from nnstudio.core.error_text import cause_line
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import LayerRow, Summary, analyze, count_with_size, summary_text
from nnstudio.engine.protocol import BuildFailure, BuildResult
from nnstudio.services.document import Document
from nnstudio.ui.row_runs import row_runs
from nnstudio.ui.style import current_colors
from nnstudio.ui.turns import Turns

HEADERS = ("Layer (type)", "Output Shape", "Param #")
FIT_LATER_ROWS = 100  # a new table of this many rows has its columns fitted on a turn of their own
FUNCTIONAL_HEADERS = (*HEADERS, "Connected to")

CONFIRMED = "confirmed"
STATE_LEGEND = (  # the state line's tooltip: what its marks mean
    "◌ analytic: nnstudio's own shapes and parameter counts, shown at once while Keras builds the model\n"
    "✓ confirmed: Keras built the model and its summary says the same\n"
    "⚠ Keras disagrees with nnstudio's numbers (a bug in nnstudio)\n"
    "✗ the model cannot be built: the reason follows"
)
PENDING = "pending"
MISMATCH = "mismatch"
FAILED = "failed"
INVALID = "invalid"


_SHAPE_TEXTS: dict[tuple, str] = {}  # one output's shape -> its text: a big model's layers share a few shapes
SHAPE_TEXTS_KEPT = 4096


def keras_shape_text(shape: Any) -> str:
    """Keras's shape text from a BuildResult row's output shape: a list like [None, 64] or a string."""
    if isinstance(shape, list):
        key = tuple(shape)
        try:
            text = _SHAPE_TEXTS.get(key)
        except TypeError:  # a list of lists: several outputs
            text = None
        else:
            if text is None:
                if len(_SHAPE_TEXTS) >= SHAPE_TEXTS_KEPT:
                    _SHAPE_TEXTS.clear()
                text = _SHAPE_TEXTS[key] = "(" + ", ".join("None" if d is None else str(d) for d in key) + ")"
            return text
    if shape is None:
        return "?"
    if isinstance(shape, str):
        return shape
    if shape and all(isinstance(d, list) for d in shape):  # several outputs
        return "[" + ", ".join(keras_shape_text(s) for s in shape) + "]"
    parts = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(parts) + ")"


def compare_rows(summary: Summary, keras_rows: list[dict]) -> list[str]:
    """Every way Keras's rows differ from the analytic ones, as short sentences (empty when they agree)."""
    problems: list[str] = []
    if len(keras_rows) != len(summary.rows):
        problems.append(f"Keras has {len(keras_rows)} rows, the analytic summary {len(summary.rows)}")
    for row, k in zip(summary.rows, keras_rows, strict=False):
        name = k.get("name")
        if name != row.name:
            problems.append(f"row {row.name}: Keras names it {name}")
            continue
        kind = k.get("type")
        if kind is not None and kind != row.type_name:
            problems.append(f"{row.name}: type {row.type_name} vs Keras {kind}")
        shape = keras_shape_text(k.get("output_shape"))
        if shape != row.shape_text:
            problems.append(f"{row.name}: shape {row.shape_text} vs Keras {shape}")
        params = k.get("params")
        if params is not None and params != row.params:
            problems.append(f"{row.name}: {row.params:,} params vs Keras {params:,}")
    return problems


class SummaryModel(QAbstractTableModel):
    """The table model: one row per summary row (a Sequential model's Input excluded, like Keras);
    a functional model's table has Keras's Connected to column."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._summary: Summary | None = None
        self._rows: tuple[LayerRow, ...] = ()
        self._keras_errors: dict[str, str] = {}  # layer name -> Keras's build error
        # (row, column) -> its text: the columns sized to their contents ask for every row's text on
        # each layout, and a model may have hundreds of rows
        self._texts: dict[tuple[int, int], str] = {}

    # -- data ------------------------------------------------------------------------------

    @property
    def headers(self) -> tuple[str, ...]:
        """The column titles: Keras's, with Connected to for a functional model."""
        return FUNCTIONAL_HEADERS if self._summary is not None and self._summary.functional else HEADERS

    def set_summary(self, summary: Summary) -> None:
        """Show `summary`: only the rows that changed are announced (`dataChanged`), a reset only when
        rows were added, removed or reordered, or the columns changed."""
        old, new = self._rows, summary.rows
        same_columns = self._summary is not None and self._summary.functional == summary.functional
        if len(old) == len(new) and same_columns and all(a.name == b.name for a, b in zip(old, new, strict=True)):
            errors = set(self._keras_errors)
            changed = [
                i for i, (a, b) in enumerate(zip(old, new, strict=True)) if (a is not b and a != b) or a.name in errors
            ]
            self._summary = summary
            self._keras_errors = {}
            self._rows = new
            self._forget_texts(changed)
            self._announce(changed)
        else:
            self.beginResetModel()
            self._summary = summary
            self._keras_errors = {}
            self._texts = {}
            self._rows = new
            self.endResetModel()

    def set_keras_error(self, layer_name: str | None, message: str) -> None:
        names = set(self._keras_errors) | ({layer_name} if layer_name else set())
        self._keras_errors = {layer_name: message} if layer_name else {}
        changed = [i for i, row in enumerate(self._rows) if row.name in names]
        self._forget_texts(changed)
        self._announce(changed)

    def _forget_texts(self, rows: list[int]) -> None:
        for row in rows:
            for column in range(len(self.headers)):
                self._texts.pop((row, column), None)

    def _announce(self, rows: list[int]) -> None:
        """dataChanged for `rows` (sorted), one signal per run of consecutive rows."""
        last_column = len(self.headers) - 1
        for first, last in row_runs(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def summary(self) -> Summary | None:
        return self._summary

    def layer_row(self, row: int) -> LayerRow:
        return self._rows[row]

    def row_of_layer(self, layer_index: int) -> int:
        for i, row in enumerate(self._rows):
            if row.index == layer_index:
                return i
        return -1

    def error_of(self, row: LayerRow) -> str | None:
        return row.error or self._keras_errors.get(row.name)

    def cell_text(self, row: int, column: int) -> str:
        """The text shown in the cell at (`row`, `column`)."""
        key = (row, column)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._text(self._rows[row], column)
        return text

    def _text(self, row: LayerRow, column: int) -> str:
        if column == 0:
            return f"{row.name} ({row.type_name})"
        if column == 1:
            return "error" if self.error_of(row) and row.output_shape is None else row.shape_text
        if column == 3:
            return row.connected_text
        return "—" if row.output_shape is None else f"{row.params:,}"

    # -- QAbstractTableModel -------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                right = Qt.AlignmentFlag.AlignRight if section == 2 else Qt.AlignmentFlag.AlignLeft
                return int(right | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES or not index.isValid() or index.row() >= len(self._rows):
            return None  # the roles first: a view asks for many that no cell has
        row = self._rows[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return self.cell_text(index.row(), column)
        if role == _ALIGNMENT:
            return _RIGHT if column == 2 else _LEFT
        error = self.error_of(row)
        if role == _FOREGROUND:
            return QBrush(QColor(current_colors().error)) if error else None
        if role == _TOOLTIP:
            if error:
                return error
            return f"{row.name}: {row.trainable:,} trainable, {row.non_trainable:,} non-trainable parameters"
        return row.index  # UserRole


_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROLES = frozenset((_DISPLAY, _ALIGNMENT, _FOREGROUND, _TOOLTIP, Qt.ItemDataRole.UserRole))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class SummaryTable(QWidget):
    """The summary dock's content: the table, Keras's totals and the confirmation mark."""

    confirmedChanged = Signal(bool)  # True once the Keras build of the current spec agrees

    def __init__(self, document: Document, parent: QWidget | None = None, turns: Turns | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryTable")
        self._turns = turns if turns is not None else Turns(self)  # a big table's columns are fitted on one
        self._document = document
        self._spec: ModelSpec | None = None
        self._state = PENDING
        self._syncing = False
        self.mismatches: list[str] = []

        self.model = SummaryModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("summaryTableView")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 10)  # compact rows
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        # The other columns are as wide as their texts, measured here rather than by the header's
        # ResizeToContents, which measures every row again whenever any row changes.
        self.model.modelReset.connect(self._on_reset)
        self.model.dataChanged.connect(self._widen_columns)

        self.totals = QLabel(self)
        self.totals.setObjectName("summaryTotals")
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("summaryState")
        self.state_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.totals)
        layout.addWidget(self.state_label)

        self.copy_action = QAction("Copy as Keras Summary", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.setStatusTip("Copy the table as the text model.summary() prints")
        self.copy_action.triggered.connect(self.copy_summary)
        self.addAction(self.copy_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.addAction(self.copy_action)

        self.view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        document.changed.connect(self._on_document_changed)
        document.selectionChanged.connect(self._on_selection_changed)
        self._on_document_changed(document.spec)
        self._on_selection_changed(int(document.selected_index))

    @Slot()
    def _on_reset(self) -> None:
        if self.model.rowCount() >= FIT_LATER_ROWS:
            self._turns.ask(self._fit_columns)  # after the step that filled it
        else:
            self._fit_columns()

    def fitting(self) -> bool:
        """Whether the columns of a new table are still to be fitted (on the next turn of the event loop)."""
        return self._turns.waiting(self._fit_columns)

    def fit_pending_columns(self) -> None:
        """Fit the columns of a new table now, if that is still to be done (before something reads them)."""
        self._turns.run_now(self._fit_columns)

    @Slot()
    def _fit_columns(self) -> None:
        """Every column but the first (which stretches) as wide as its widest cell or its title."""
        self._turns.drop(self._fit_columns)
        header = self.view.horizontalHeader()
        for column in range(1, self.model.columnCount()):
            header.resizeSection(
                column, max(self._widest_cell(column, range(self.model.rowCount())), header.sectionSizeHint(column))
            )

    @Slot(QModelIndex, QModelIndex)
    def _widen_columns(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        """Rows changed: a column widens when one of their texts no longer fits."""
        header = self.view.horizontalHeader()
        rows = range(top_left.row(), bottom_right.row() + 1)
        for column in range(max(1, top_left.column()), bottom_right.column() + 1):
            needed = self._widest_cell(column, rows)
            if needed > header.sectionSize(column):
                header.resizeSection(column, needed)

    def _widest_cell(self, column: int, rows: range) -> int:
        """The width the view asks for the widest of these cells of `column`: their texts are
        measured by the font, and the view sizes only the widest (asking the view for every cell,
        as resizeColumnToContents does, goes through the style: ~25 ms for 400 rows)."""
        if not rows:
            return 0
        self.view.ensurePolished()  # as the view measures it once shown (its style sheet applied)
        first_with: dict[str, int] = {}  # each text once (many rows share a shape or a count)
        for row in rows:
            first_with.setdefault(self.model.cell_text(row, column), row)
        advance = self.view.fontMetrics().horizontalAdvance
        widest = first_with[max(first_with, key=advance)]
        return self.view.sizeHintForIndex(self.model.index(widest, column)).width()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_columns()

    # -- state -----------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """PENDING, CONFIRMED, MISMATCH, FAILED or INVALID."""
        return self._state

    def summary(self) -> Summary | None:
        return self.model.summary()

    def totals_text(self) -> str:
        return self.totals.text()

    def _set_state(self, state: str, text: str) -> None:
        was_confirmed = self._state == CONFIRMED
        self._state = state
        self.state_label.setText(text)
        self.state_label.setToolTip(STATE_LEGEND)
        self.state_label.setProperty("state", state)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        if was_confirmed != (state == CONFIRMED):
            self.confirmedChanged.emit(state == CONFIRMED)

    # -- document --------------------------------------------------------------------------------

    @Slot(object)
    def _on_document_changed(self, spec: ModelSpec) -> None:
        self._spec = spec
        summary = self._document.summary() if spec is self._document.spec else analyze(spec)
        self._syncing = True
        try:
            self.model.set_summary(summary)
        finally:
            self._syncing = False
        self.totals.setText(
            "\n".join(
                (
                    f"Total params: {count_with_size(summary.total_params, summary.total_bytes)}",
                    f"Trainable params: {count_with_size(summary.trainable_params, summary.trainable_bytes)}",
                    f"Non-trainable params: {count_with_size(summary.non_trainable_params, summary.non_trainable_bytes)}",
                )
            )
        )
        self.mismatches = []
        if summary.ok:
            self._set_state(PENDING, "◌ analytic, waiting for Keras")
        else:
            first = summary.issues[0].message
            more = f" (and {len(summary.issues) - 1} more)" if len(summary.issues) > 1 else ""
            self._set_state(INVALID, f"✗ {first}{more}")
        self._on_selection_changed(int(self._document.selected_index))

    @Slot(int)
    def _on_selection_changed(self, layer_index: int) -> None:
        row = self.model.row_of_layer(layer_index) if layer_index is not None else -1
        selection = self.view.selectionModel()
        current = selection.currentIndex()
        if (row < 0 and not current.isValid()) or (current.isValid() and current.row() == row):
            return
        self._syncing = True
        try:
            if row < 0:
                selection.clear()
            else:
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                selection.setCurrentIndex(self.model.index(row, 0), flags)
                self.view.scrollTo(self.model.index(row, 0))
        finally:
            self._syncing = False

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        layer_index = self.model.layer_row(current.row()).index
        if int(self._document.selected_index) != layer_index:
            self._document.select_layer(layer_index)

    def copy_summary(self) -> str:
        """Put the summary on the clipboard as Keras prints it; returns the text."""
        summary = self.model.summary()
        text = summary_text(summary) if summary is not None else ""
        QGuiApplication.clipboard().setText(text)
        return text

    # -- Keras results ---------------------------------------------------------------------------

    @Slot(object)
    def on_build_finished(self, result: BuildResult) -> None:
        """A BuildResult arrived: confirm the table when it is for the spec on screen."""
        summary = self.model.summary()
        if summary is None or result.spec != self._spec:
            return  # stale: the document moved on, a newer build is coming
        self.mismatches = compare_rows(summary, list(result.rows))
        totals = (result.total_params, result.trainable_params, result.non_trainable_params)
        if totals != (summary.total_params, summary.trainable_params, summary.non_trainable_params):
            self.mismatches.append(f"totals {summary.total_params:,} vs Keras {result.total_params:,}")
        ms = f" in {result.elapsed_ms:.0f} ms"
        if self.mismatches:
            self._set_state(MISMATCH, "⚠ Keras disagrees: " + "; ".join(self.mismatches))
        else:
            self._set_state(CONFIRMED, f"✓ confirmed by Keras (built{ms})")

    @Slot(object)
    def on_build_failed(self, failure: BuildFailure) -> None:
        """A BuildFailure arrived: mark the layer at fault when it is for the spec on screen."""
        if failure.spec != self._spec:
            return
        self.model.set_keras_error(failure.layer_name, cause_line(failure.message))
        where = f" ({failure.layer_name})" if failure.layer_name else ""
        self._set_state(FAILED, f"✗ Keras could not build the model{where}: {cause_line(failure.message)}")
        self.state_label.setToolTip(f"{failure.message}\n\n{STATE_LEGEND}")  # the whole text under its cause
