"""Editors for layer parameters: one widget factory per editor id that a parameter kind names.

A kind in `nnstudio.core.layers.params` says which editor it wants (`ParamKind.editor`); EDITORS
maps that id to a factory. An editor shows values without emitting anything and reports what a
person does through two callbacks: `commit(value)` for a usable value, `refuse(reason)` for text
that does not parse or a value the kind refuses (the reason is shown at the field; nothing is
pushed). A new kind with a new editor id needs its factory here; a test walks every kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from nnstudio.core.layers.nested import NestedLayer
from nnstudio.core.layers.params import MAX_UNITS, FloatRange, Integer, OptionalChoice, OptionalName, Param
from nnstudio.core.layers.registry import layer_type, layer_types

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


class NumberField(QLineEdit):
    """A line edit for one number that keeps exactly what is typed: a spin box would swallow the
    `-` of `-5`, put the old value back for `0` and cap `1000000000` at its maximum, all without a
    word. Up/Down (Page Up/Down: ten steps) and the wheel, while the field has focus, step within
    [minimum, maximum] as a spin box does. `edited(text)` carries what a person typed or stepped to;
    `setText` (showing a value) emits nothing."""

    edited = Signal(str)

    def __init__(self, minimum: float, maximum: float, step: float, integer: bool) -> None:
        super().__init__()
        self._minimum, self._maximum, self._step, self._integer = minimum, maximum, step, integer
        self.textEdited.connect(self.edited)

    def minimum(self) -> float:
        return self._minimum

    def maximum(self) -> float:
        return self._maximum

    def format(self, value: float) -> str:
        """`value` as the field shows it: 64, 0.001, 1e-05."""
        if self._integer:
            return str(int(value))
        return f"{value:.8g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"

    def parse(self, text: str) -> int | float:
        """The number in `text` (`1,000,000` and `1_000_000` too); ValueError when there is none."""
        cleaned = text.strip().replace("_", "")
        if self._integer:
            cleaned = cleaned.replace(",", "").replace(" ", "")
            if not re.fullmatch(r"[+-]?\d+", cleaned):
                raise ValueError(text)
            return int(cleaned)
        return float(cleaned)

    def value(self) -> int | float | None:
        """The number typed in the field, or None when its text is not a number."""
        try:
            return self.parse(self.text())
        except ValueError:
            return None

    def setValue(self, value: float) -> None:  # noqa: N802 - a spin box's name
        """Put `value` in the field as a person would (it is edited: `edited` is emitted)."""
        text = self.format(value)
        self.setText(text)
        self.edited.emit(text)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - a spin box's name
        """One step up or down per `steps`, kept within [minimum, maximum]; a completed edit."""
        current = self.value()
        start = current if current is not None and math.isfinite(current) else self._minimum
        value = min(max(start + steps * self._step, self._minimum), self._maximum)
        self.setValue(int(value) if self._integer else round(value, 10))
        self.editingFinished.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        steps = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1, Qt.Key.Key_PageUp: 10, Qt.Key.Key_PageDown: -10}
        step = steps.get(Qt.Key(event.key()))
        if step is not None and not self.isReadOnly():
            self.stepBy(step)
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self.hasFocus() and event.angleDelta().y():
            self.stepBy(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class NumberEditor:
    """A number field (`NumberField`) whose text the parameter's kind checks: text that is not a
    number, or a number the kind refuses, is kept as typed with the reason in Keras's words
    (`units must be a positive integer. Received: units=-5`) and nothing is applied."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse) -> None:
        self.param = param
        self.widget = self._field(param)
        self.widget.edited.connect(lambda text: self._edited(text, commit, refuse))

    def _field(self, param: Param) -> NumberField:
        raise NotImplementedError

    def _edited(self, text: str, commit: Commit, refuse: Refuse) -> None:
        value: Any
        try:
            value = self.widget.parse(text)
        except ValueError:
            value = text.strip()  # the kind says what it takes, in its words: "... Received: units='-'"
        problem = self.param.check(value)
        if problem:
            refuse(problem + self._beyond_keras(value))
            return
        commit(value)

    def _beyond_keras(self, value: Any) -> str:
        """Why a value Keras itself would take is refused (nnstudio's own limit), or ""."""
        return ""

    def show(self, value: Any, keep_typed: bool) -> None:
        if keep_typed or not _is_number(value) or self.widget.value() == value:
            return
        with QSignalBlocker(self.widget):
            self.widget.setText(self.widget.format(value))


class IntEditor(NumberEditor):
    """A whole number: any integer may be typed, the kind's range is checked (see NumberEditor)."""

    def _field(self, param: Param) -> NumberField:
        kind = param.kind
        assert isinstance(kind, Integer), kind
        self.hint = f"a whole number from {kind.minimum:,} to {kind.maximum:,}"
        if kind.maximum == MAX_UNITS:
            self.hint += " (nnstudio's limit on a layer's size; Keras's own is higher)"
        field = NumberField(kind.minimum, kind.maximum, 1, integer=True)
        field.setPlaceholderText(f"e.g. {param.default}" if _is_number(param.default) else "a whole number")
        return field

    def _beyond_keras(self, value: Any) -> str:
        kind = self.param.kind
        assert isinstance(kind, Integer), kind
        if _is_number(value) and value > kind.maximum:
            return (
                f"\n{kind.maximum:,} is nnstudio's limit, not Keras's: it keeps a layer small enough to draw and build."
            )
        return ""


class FloatEditor(NumberEditor):
    """A number in the kind's range: any number may be typed, the range is checked (see NumberEditor)."""

    def _field(self, param: Param) -> NumberField:
        kind = param.kind
        assert isinstance(kind, FloatRange), kind
        low = kind.minimum if kind.minimum is not None else -1e12
        high = kind.maximum if kind.maximum is not None else 1e12
        if kind.min_open:
            low += 1e-6
        if kind.max_open:
            high -= 1e-6
        self.hint = f"in {kind.describe()}"
        return NumberField(low, high, 0.01 if high - low <= 1 else 0.1, integer=False)


class ChoiceEditor:
    """A combo box of the kind's names (a value from a file that is not one of them is shown too,
    and flagged by validation); with `none_first`, "None" comes first and stands for None."""

    def __init__(self, param: Param, commit: Commit, refuse: Refuse, none_first: bool = False) -> None:
        self.none_first = none_first
        self.kind = param.kind
        self.widget = QComboBox()
        choices = list(getattr(param.kind, "choices", ()))
        self.widget.addItems(([NONE_TEXT] if none_first else []) + choices)
        self.widget.setMaxVisibleItems(16)
        self.widget.currentTextChanged.connect(lambda text: commit(self._value(text)) if text else None)
        self.hint = ""
        self._other: dict[str, Any] = {}  # texts shown for values that are not one of the names

    def _value(self, text: str) -> Any:
        if text in self._other:  # an initializer with its own settings, chosen again
            return self._other[text]
        return None if self.none_first and text == NONE_TEXT else text

    def show(self, value: Any, keep_typed: bool) -> None:
        text = NONE_TEXT if value is None and self.none_first else self.kind.format_text(value)
        if not isinstance(value, str) and value is not None:
            self._other[text] = value
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
        self.widget.addItems(([NONE_TEXT] if kind.optional else []) + list(kind.choices()))
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
