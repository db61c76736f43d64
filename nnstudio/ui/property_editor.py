"""The property editor: the selected layer's name and settings, generated from the core's catalog.

Each catalog parameter gets the widget its kind calls for — a QSpinBox with the catalog's range
for an int, a QDoubleSpinBox for a float, a QComboBox with every Keras choice (activations,
initializers), a QCheckBox for a bool, a line edit for a shape ("28, 28"). Every edit goes to the
document as an undoable command (`set_param`, `rename_layer`); consecutive edits of one field
merge into one undo step. A value that cannot be used (a shape that does not parse, a name in
use) is kept in its field with the reason under it and a red border, and nothing is pushed; a
value the core's analysis rejects (a Reshape that does not fit) is shown the same way.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.catalog import LAYER_TYPES, Param
from nnstudio.core.validation import check_value
from nnstudio.services.document import Document
from nnstudio.ui.icons import ERROR_COLOR, error_color, layer_icon

INT_LIMIT = 2**31 - 1
INVALID_STYLE = f'*[invalid="true"] {{ border: 1px solid {ERROR_COLOR}; border-radius: 4px; }}'


def parse_shape(text: str) -> list[int]:
    """`"28, 28"`, `"(28, 28)"`, `"28 28"` or `"20,"` -> [28, 28]; ValueError with a readable reason."""
    cleaned = text.strip().strip("()[]").strip()
    parts = [p for p in re.split(r"[,\s]+", cleaned) if p]
    if not parts:
        raise ValueError("Enter the sizes, separated by commas, e.g. 28, 28")
    values = []
    for part in parts:
        if not re.fullmatch(r"-?\d+", part):
            raise ValueError(f"'{part}' is not a whole number; enter sizes such as 28, 28")
        values.append(int(part))
    return values


def format_shape_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark a field invalid (red border through the `invalid` property) or valid again."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.001 as 0.001 (not 0.00100000)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(8)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:.8g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"


class PropertyEditor(QWidget):
    """Settings of the selected layer (objectName `propertyEditor`)."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("propertyEditor")
        self.document = document
        self._index = -1
        self._class_name: str | None = None
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._local_errors: dict[str, str] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        self.header = QWidget(self)
        self.header.setObjectName("propertyHeader")
        header_layout = QHBoxLayout(self.header)
        header_layout.setContentsMargins(12, 10, 12, 8)
        header_layout.setSpacing(10)
        self.icon_label = QLabel(self.header)
        self.icon_label.setFixedSize(32, 32)
        self.title = QLabel(self.header)
        self.title.setObjectName("propertyTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(title_font)
        self.subtitle = QLabel(self.header)
        self.subtitle.setObjectName("propertySubtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header_layout.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        header_layout.addLayout(titles, 1)
        outer.addWidget(self.header)

        self.problem = QLabel(self)
        self.problem.setObjectName("layerProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(
            f"QLabel#layerProblem {{ color: {error_color(self.palette()).name()}; background: rgba(220, 38, 38, 0.08);"
            " border-radius: 4px; padding: 6px 8px; margin: 0 12px 6px 12px; }"
        )
        self.problem.hide()
        outer.addWidget(self.problem)

        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroller, 1)

        self.placeholder = QLabel("Select a layer to see and edit its settings.", self)
        self.placeholder.setObjectName("propertyPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: palette(placeholder-text); padding: 24px;")
        outer.addWidget(self.placeholder, 1)

        document.selectionChanged.connect(lambda _index: self._sync())
        document.changed.connect(lambda _spec: self._sync())
        self._sync()

    # -- api for tests and the window -------------------------------------------------------------

    def field(self, name: str) -> QWidget:
        """The editing widget of `name` ("name" or a catalog parameter) for the selected layer."""
        return self.fields[name]

    def error_text(self, name: str) -> str:
        """The message shown under field `name` ("" when none)."""
        label = self.errors.get(name)
        return label.text() if label is not None and not label.isHidden() else ""

    @property
    def layer_index(self) -> int:
        return self._index

    # -- building -------------------------------------------------------------------------------

    def _sync(self) -> None:
        index = self.document.selected_index
        layers = self.document.spec.layers
        layer = layers[index] if 0 <= index < len(layers) else None
        class_name = layer.class_name if layer is not None else None
        if index != self._index or class_name != self._class_name:
            self._build(index, class_name)
        self._refresh()

    def _build(self, index: int, class_name: str | None) -> None:
        self._index = index
        self._class_name = class_name
        self.fields.clear()
        self.errors.clear()
        self._local_errors.clear()
        old = self.scroller.takeWidget()
        if old is not None:
            old.deleteLater()
        if class_name is None:
            self.header.hide()
            self.scroller.hide()
            self.problem.hide()
            self.placeholder.show()
            return
        self.placeholder.hide()
        self.header.show()
        self.scroller.show()
        layer_type = LAYER_TYPES.get(class_name)
        self.icon_label.setPixmap(layer_icon(class_name).pixmap(QSize(32, 32), self.devicePixelRatioF()))

        form_widget = QWidget()
        form_widget.setObjectName("propertyForm")
        form = QFormLayout(form_widget)
        form.setContentsMargins(12, 4, 12, 12)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        name_edit = QLineEdit()
        name_edit.setObjectName("field_name")
        name_edit.setToolTip("The layer's name: Keras shows it in the summary and stores its weights under it.")
        name_edit.textEdited.connect(self._on_name_edited)
        self._add_row(form, "name", "name", name_edit)
        if layer_type is not None:
            for param in layer_type.params:
                self._add_row(form, param.name, param.name, self._make_field(param))
        self.scroller.setWidget(form_widget)

    def _add_row(self, form: QFormLayout, key: str, label_text: str, widget: QWidget) -> None:
        widget.setStyleSheet(INVALID_STYLE)
        widget.setProperty("invalid", False)
        error = QLabel()
        error.setObjectName(f"error_{key}")
        error.setWordWrap(True)
        error.setStyleSheet(f"color: {error_color(self.palette()).name()}; font-size: 90%;")
        error.hide()
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(error)
        label = QLabel(label_text)
        label.setToolTip(widget.toolTip())
        label.setBuddy(widget)
        form.addRow(label, cell)
        self.fields[key] = widget
        self.errors[key] = error

    def _make_field(self, param: Param) -> QWidget:
        tip = f"<b>{param.name}</b><br>{param.help}"
        widget: QWidget
        if param.kind == "int":
            widget = spin = QSpinBox()
            low = int(param.minimum) if param.minimum is not None else 0
            high = int(param.maximum) if param.maximum is not None else INT_LIMIT
            spin.setRange(low, min(high, INT_LIMIT))
            spin.setGroupSeparatorShown(True)
            spin.setAccelerated(True)
            spin.valueChanged.connect(lambda value, key=param.name: self._set(key, int(value)))
            tip += f"<br><span style='color:gray'>{low:,} to {min(high, INT_LIMIT):,}</span>"
        elif param.kind == "float":
            widget = number = FloatSpinBox()
            lowest = float(param.minimum) if param.minimum is not None else -1e12
            highest = float(param.maximum) if param.maximum is not None else 1e12
            if param.exclusive_maximum:
                highest -= 1e-6
            number.setRange(lowest, highest)
            number.setSingleStep(0.01 if highest - lowest <= 1 else 0.1)
            number.valueChanged.connect(lambda value, key=param.name: self._set(key, float(value)))
            closing = ")" if param.exclusive_maximum else "]"
            tip += f"<br><span style='color:gray'>in [{param.minimum:g}, {param.maximum:g}{closing}</span>"
        elif param.kind == "choice":
            widget = combo = QComboBox()
            combo.addItems(list(param.choices))
            combo.setMaxVisibleItems(16)
            combo.currentTextChanged.connect(lambda text, key=param.name: self._on_choice(key, text))
        elif param.kind == "bool":
            widget = check = QCheckBox()
            check.toggled.connect(lambda checked, key=param.name: self._set(key, bool(checked)))
        else:  # shape
            widget = line = QLineEdit()
            line.setPlaceholderText("e.g. 28, 28")
            line.textEdited.connect(lambda text, p=param: self._on_shape_edited(p, text))
        widget.setObjectName(f"field_{param.name}")
        widget.setToolTip(tip)
        widget.setStatusTip(param.help)
        return widget

    # -- showing the document -----------------------------------------------------------------------

    def _refresh(self) -> None:
        layer = self.document.selected_layer()
        if layer is None or self._class_name is None:
            return
        self.title.setText(layer.name)
        layer_type = LAYER_TYPES.get(layer.class_name)
        self.subtitle.setText(f"{layer.class_name} · {layer_type.help}" if layer_type else layer.class_name)
        name_edit = self.fields["name"]
        assert isinstance(name_edit, QLineEdit)
        if "name" not in self._local_errors and name_edit.text() != layer.name:
            with QSignalBlocker(name_edit):
                name_edit.setText(layer.name)
        if layer_type is not None:
            for param in layer_type.params:
                self._show_value(param, layer.get(param.name))
        self._show_errors()

    def _show_value(self, param: Param, value: Any) -> None:
        widget = self.fields.get(param.name)
        if widget is None:
            return
        with QSignalBlocker(widget):
            if isinstance(widget, QSpinBox):
                if isinstance(value, int) and not isinstance(value, bool) and widget.value() != value:
                    widget.setValue(value)
            elif isinstance(widget, QDoubleSpinBox):
                if isinstance(value, (int, float)) and not isinstance(value, bool) and widget.value() != value:
                    widget.setValue(float(value))
            elif isinstance(widget, QComboBox):
                text = str(value)
                if widget.findText(text) < 0:
                    widget.addItem(text)  # a value from a file that Keras does not know: shown, and flagged
                if widget.currentText() != text:
                    widget.setCurrentText(text)
            elif isinstance(widget, QCheckBox):
                if widget.isChecked() != bool(value):
                    widget.setChecked(bool(value))
            elif isinstance(widget, QLineEdit):
                try:
                    same = parse_shape(widget.text()) == list(value)
                except (ValueError, TypeError):
                    same = False
                if not same and param.name not in self._local_errors:  # a refused text stays as typed
                    widget.setText(format_shape_text(value))

    def _show_errors(self) -> None:
        issues = self.document.summary().issues_for(self._index)
        by_field: dict[str, str] = {}
        general = []
        for issue in issues:
            if issue.field in self.fields:
                by_field.setdefault(issue.field, _strip_layer(issue.message))
            else:
                general.append(_strip_layer(issue.message))
        by_field.update(self._local_errors)
        for key, widget in self.fields.items():
            message = by_field.get(key, "")
            label = self.errors[key]
            label.setText(message)
            label.setVisible(bool(message))
            set_invalid(widget, bool(message))
        self.problem.setText("\n".join(general))
        self.problem.setVisible(bool(general))

    # -- editing ------------------------------------------------------------------------------------

    def _set(self, key: str, value: Any) -> None:
        if self._index < 0:
            return
        self._local_errors.pop(key, None)
        reason = self.document.set_param(self._index, key, value)
        if reason:
            self._local_errors[key] = reason
        self._show_errors()

    def _on_choice(self, key: str, text: str) -> None:
        if text:
            self._set(key, text)

    def _on_shape_edited(self, param: Param, text: str) -> None:
        try:
            value = parse_shape(text)
        except ValueError as exc:
            self._local_errors[param.name] = str(exc)
            self._show_errors()
            return
        problem = check_value(param, value)
        if problem:
            self._local_errors[param.name] = problem
            self._show_errors()
            return
        self._set(param.name, value)

    def _on_name_edited(self, text: str) -> None:
        if self._index < 0:
            return
        reason = self.document.can_rename(self._index, text)
        if reason:
            self._local_errors["name"] = reason
            self._show_errors()
            return
        self._local_errors.pop("name", None)
        self.document.rename_layer(self._index, text)
        self._show_errors()


def _strip_layer(message: str) -> str:
    """'dense: units must be …' -> 'units must be …' (the editor already says which layer)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and " " not in head else message
