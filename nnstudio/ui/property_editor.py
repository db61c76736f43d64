"""The property editor: the selected layer's name and settings, generated from the layer registry.

Each parameter gets the editor its kind names (`nnstudio.ui.param_editors`) — a QSpinBox with the
kind's range for an int, a QDoubleSpinBox for a float, a QComboBox with every Keras choice
(activations, initializers), a QCheckBox for a bool, a line edit for a shape ("None, 8"). Every edit goes to the
document as an undoable command (`set_param`, `rename_layer`); consecutive edits of one field
merge into one undo step. A value that cannot be used (a shape that does not parse, a name in
use) is kept in its field with the reason under it and a red border, and nothing is pushed; a
value the core's analysis rejects (a Reshape that does not fit) is shown the same way.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.layers.params import Param, ShapeKind
from nnstudio.core.layers.registry import layer_types
from nnstudio.services.document import Document
from nnstudio.ui.icons import ERROR_COLOR, error_color, layer_icon
from nnstudio.ui.param_editors import ParamEditor, make_editor

INVALID_STYLE = f'*[invalid="true"] {{ border: 1px solid {ERROR_COLOR}; border-radius: 4px; }}'


def parse_shape(text: str) -> list[int]:
    """`"28, 28"`, `"(28, 28)"`, `"28 28"` or `"20,"` -> [28, 28]; ValueError with a readable reason."""
    return list(ShapeKind(wildcard=True).parse_text(text))


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark a field invalid (red border through the `invalid` property) or valid again."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


class PropertyEditor(QWidget):
    """Settings of the selected layer (objectName `propertyEditor`)."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("propertyEditor")
        self.document = document
        self._index = -1
        self._class_name: str | None = None
        self.fields: dict[str, QWidget] = {}
        self.editors: dict[str, ParamEditor] = {}
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
        self.editors.clear()
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
        layer_type = layer_types().get(class_name)
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
        editor = make_editor(param, partial(self._set, param.name), partial(self._refuse, param.name))
        self.editors[param.name] = editor
        widget = editor.widget
        tip = f"<b>{param.name}</b><br>{param.help}"
        if editor.hint:
            tip += f"<br><span style='color:gray'>{editor.hint}</span>"
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
        layer_type = layer_types().get(layer.class_name)
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
        editor = self.editors.get(param.name)
        if editor is not None:  # a refused text stays as typed
            editor.show(value, keep_typed=param.name in self._local_errors)

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

    def _refuse(self, key: str, reason: str) -> None:
        """Text that does not parse, or a value its kind refuses: the reason at the field, nothing pushed."""
        self._local_errors[key] = reason
        self._show_errors()

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
