"""Editors for layer parameters: one widget factory per editor id that a parameter kind names.

A kind in `nnstudio.core.layers.params` says which editor it wants (`ParamKind.editor`); EDITORS
maps that id to a factory. An editor shows values without emitting anything and reports what a
person does through two callbacks: `commit(value)` for a usable value, `refuse(reason)` for text
that does not parse or a value the kind refuses (the reason is shown at the field; nothing is
pushed). A new kind with a new editor id needs its factory here; a test walks every kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

from nnstudio.core.layers.nested import NestedLayer
from nnstudio.core.layers.params import FloatRange, Integer, OptionalChoice, OptionalName, Param
from nnstudio.core.layers.registry import layer_type, layer_types

INT_LIMIT = 2**31 - 1
NONE_TEXT = "None"

Commit = Callable[[Any], None]
Refuse = Callable[[str], None]


class ParamEditor(Protocol):
    """The widget that edits one parameter, and how to show a value in it."""

    @property
    def widget(self) -> QWidget: ...

    @property
    def hint(self) -> str:
        """What values fit, for the tooltip ("" when the widget shows it)."""
        ...

    def show(self, value: Any, keep_typed: bool) -> None:
        """Show `value` without emitting; with `keep_typed`, text being typed (refused) stays."""


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.001 as 0.001 (not 0.00100000)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(8)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:.8g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class IntEditor:
    """A spin box over the kind's range."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse) -> None:
        kind = param.kind
        assert isinstance(kind, Integer), kind
        low, high = kind.minimum, min(kind.maximum, INT_LIMIT)
        self.widget = QSpinBox()
        self.widget.setRange(low, high)
        self.widget.setGroupSeparatorShown(True)
        self.widget.setAccelerated(True)
        self.widget.valueChanged.connect(lambda value: commit(int(value)))
        self.hint = f"{low:,} to {high:,}"

    def show(self, value: Any, keep_typed: bool) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and self.widget.value() != value:
            with QSignalBlocker(self.widget):
                self.widget.setValue(value)


class FloatEditor:
    """A spin box for a number in the kind's range (open ends kept just inside)."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse) -> None:
        kind = param.kind
        assert isinstance(kind, FloatRange), kind
        low = kind.minimum if kind.minimum is not None else -1e12
        high = kind.maximum if kind.maximum is not None else 1e12
        if kind.min_open:
            low += 1e-6
        if kind.max_open:
            high -= 1e-6
        self.widget = FloatSpinBox()
        self.widget.setRange(low, high)
        self.widget.setSingleStep(0.01 if high - low <= 1 else 0.1)
        self.widget.valueChanged.connect(lambda value: commit(float(value)))
        self.hint = f"in {kind.describe()}"

    def show(self, value: Any, keep_typed: bool) -> None:
        if _is_number(value) and self.widget.value() != value:
            with QSignalBlocker(self.widget):
                self.widget.setValue(float(value))


class ChoiceEditor:
    """A combo box of the kind's names (a value from a file that is not one of them is shown too,
    and flagged by validation); with `none_first`, "None" comes first and stands for None."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse, none_first: bool = False) -> None:
        self.none_first = none_first
        self.widget = QComboBox()
        choices = list(getattr(param.kind, "choices", ()))
        self.widget.addItems(([NONE_TEXT] if none_first else []) + choices)
        self.widget.setMaxVisibleItems(16)
        self.widget.currentTextChanged.connect(lambda text: commit(self._value(text)) if text else None)
        self.hint = ""

    def _value(self, text: str) -> Any:
        return None if self.none_first and text == NONE_TEXT else text

    def show(self, value: Any, keep_typed: bool) -> None:
        text = NONE_TEXT if value is None and self.none_first else str(value)
        with QSignalBlocker(self.widget):
            if self.widget.findText(text) < 0:
                self.widget.addItem(text)
            if self.widget.currentText() != text:
                self.widget.setCurrentText(text)


def optional_choice_editor(param: Param, commit: Commit, refuse: Refuse) -> ChoiceEditor:
    assert isinstance(param.kind, (OptionalName, OptionalChoice)), param.kind
    return ChoiceEditor(param, commit, refuse, none_first=True)


class BoolEditor:
    """A check box."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse) -> None:
        self.widget = QCheckBox()
        self.widget.toggled.connect(lambda checked: commit(bool(checked)))
        self.hint = ""

    def show(self, value: Any, keep_typed: bool) -> None:
        if self.widget.isChecked() != bool(value):
            with QSignalBlocker(self.widget):
                self.widget.setChecked(bool(value))


class TextEditor:
    """A line edit whose text the kind parses (a shape "None, 8", a kernel size "3, 3", an axis);
    text that does not parse, or a value the kind refuses, is kept as typed with the reason."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse) -> None:
        self.param = param
        self.widget = QLineEdit()
        self.widget.setPlaceholderText(f"e.g. {param.kind.format_text(param.default)}")
        self.widget.textEdited.connect(lambda text: self._edited(text, commit, refuse))
        self.hint = param.kind.describe()

    def _edited(self, text: str, commit: Commit, refuse: Refuse) -> None:
        try:
            value = self.param.kind.parse_text(text)
        except ValueError as exc:
            refuse(str(exc))
            return
        problem = self.param.check(value)
        if problem:
            refuse(problem)
            return
        commit(value)

    def show(self, value: Any, keep_typed: bool) -> None:
        try:
            same = self.param.kind.parse_text(self.widget.text()) == value
        except (ValueError, TypeError):
            same = False
        if not same and not keep_typed:
            with QSignalBlocker(self.widget):
                self.widget.setText(self.param.kind.format_text(value))


class NestedLayerEditor:
    """The class of a wrapped layer (Bidirectional's `layer`): a combo box of the classes the kind
    takes ("None" first when it is optional). Choosing another class commits a new entry of that
    class that keeps the settings both classes have (units, activation, return_sequences, ...);
    the property editor shows the wrapped layer's own settings below it."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse) -> None:
        kind = param.kind
        assert isinstance(kind, NestedLayer), kind
        self.kind = kind
        self.value: Any = param.default
        self.widget = QComboBox()
        self.widget.addItems(([NONE_TEXT] if kind.optional else []) + list(kind.classes))
        self.widget.currentTextChanged.connect(lambda text: commit(self._switched(text)) if text else None)
        self.hint = kind.describe()

    def _switched(self, text: str) -> Any:
        if text == NONE_TEXT:
            return None
        new = layer_type(text)
        old = self.value if isinstance(self.value, dict) else {}
        settings = new.defaults()
        for param in new.params:  # what both classes have, where it fits the new one
            if param.name in old and param.check(old[param.name]) is None:
                settings[param.name] = old[param.name]
        name = old.get("name")
        old_stem = layer_types()[old["class_name"]].name_stem if old.get("class_name") in layer_types() else ""
        if not name:
            name, settings["go_backwards"] = f"backward_{new.name_stem}", True  # a new backward layer
        elif old_stem and re.fullmatch(rf"(backward_)?{re.escape(old_stem)}(_\d+)?", name):
            name = name.replace(old_stem, new.name_stem, 1)  # Keras's automatic name follows the class
        return {"class_name": new.class_name, "name": name, **new.stored(settings)}

    def show(self, value: Any, keep_typed: bool) -> None:
        self.value = value
        text = NONE_TEXT if value is None else str(value.get("class_name")) if isinstance(value, dict) else str(value)
        with QSignalBlocker(self.widget):
            if self.widget.findText(text) < 0:
                self.widget.addItem(text)
            if self.widget.currentText() != text:
                self.widget.setCurrentText(text)


EditorFactory = Callable[[Param, Commit, Refuse], ParamEditor]

EDITORS: dict[str, EditorFactory] = {
    "int": IntEditor,
    "float": FloatEditor,
    "choice": ChoiceEditor,
    "optional_choice": optional_choice_editor,
    "bool": BoolEditor,
    "shape": TextEditor,
    "int_tuple": TextEditor,
    "axis": TextEditor,
    "optional_int": TextEditor,
    "optional_float": TextEditor,
    "axes": TextEditor,
    "permutation": TextEditor,
    "int_pairs": TextEditor,
    "axis_pair": TextEditor,
    "optional_axes": TextEditor,
    "optional_shape": TextEditor,
    "optional_floats": TextEditor,
    "nested_layers": TextEditor,  # listed; typing is refused with the reason
    "nested_layer": NestedLayerEditor,
}


def make_editor(param: Param, commit: Commit, refuse: Refuse) -> ParamEditor:
    """The editor for `param`, as its kind asks (KeyError for an editor id without a factory)."""
    return EDITORS[param.kind.editor](param, commit, refuse)
