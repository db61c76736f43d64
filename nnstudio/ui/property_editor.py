"""The property editor: the selected layer's name and settings, generated from the layer registry.

Each parameter gets the editor its kind names (`nnstudio.ui.param_editors`) — a number field that
keeps what is typed for an int or a float, a QComboBox with every Keras choice (activations,
initializers), a QCheckBox for a bool, a line edit for a shape ("None, 8"). Every edit goes to the
document as an undoable command (`set_param`, `rename_layer`); consecutive edits of one field
merge into one undo step. A value that cannot be used (a number the layer type refuses, a shape
that does not parse) is kept in its field with the reason under it, in Keras's words, and a red
border; it is not applied, and what the typing applied on the way there (`1`, `10`, ... of
`1000000000`) is taken back. A value the core's analysis rejects (a Reshape that does not fit, a
model over the parameter budget) is shown the same way; a limit that is nnstudio's, not Keras's,
says so. A name is applied only when it is valid and confirmed (Enter or leaving the field);
Escape puts the layer's name back.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.layers.nested import NAME_PATTERN
from nnstudio.core.layers.params import Param, ShapeKind
from nnstudio.core.layers.registry import layer_types
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import budget_issue
from nnstudio.core.validation import param_budget
from nnstudio.services.document import Document
from nnstudio.ui.icons import error_color, layer_icon
from nnstudio.ui.param_editors import ParamEditor, make_editor

KEPT_FORMS = 12  # settings forms kept for the classes shown last
PREPARED_ROWS_PER_TURN = 3  # rows a form made ahead of its selection gets per idle turn (~1-3 ms each)
BUDGET_NOTE = "\nThe budget is nnstudio's limit, not Keras's: it keeps a model small enough to build and train here."


def parse_shape(text: str) -> list[int]:
    """`"28, 28"`, `"(28, 28)"`, `"28 28"` or `"20,"` -> [28, 28]; ValueError with a readable reason."""
    return list(ShapeKind(wildcard=True).parse_text(text))


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark a field invalid (the application's style sheet draws a red frame round a widget whose
    `invalid` property is true) or valid again."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


@dataclass
class _Form:
    """A built settings form and its widgets by field."""

    widget: QWidget
    fields: dict[str, QWidget]
    editors: dict[str, ParamEditor]
    errors: dict[str, QLabel]


@dataclass
class _FormBuild:
    """A form being made: `add_rows` adds the rows still to come, some or all."""

    form: _Form
    rows: Iterator[None]

    whole: bool = False

    def add_rows(self, count: int | None) -> bool:
        """Add up to `count` more rows (all when None); True when the form is whole."""
        added = 0
        while not self.whole and (count is None or added < count):
            self.whole = next(self.rows, _WHOLE) is _WHOLE
            added += 1
        return self.whole


_WHOLE = object()  # what a form's rows give when the last is added


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
        self._typed_from: dict[str, Any] = {}  # field -> its value before the typing going on began
        self._typed_text: dict[str, str | None] = {}  # field -> the text it held at its last edit
        self._nested: tuple = ()  # the classes of the wrapped layers the form shows
        # the forms built so far, by layer class and wrapped classes: selecting a layer of a class
        # shown before takes its form back instead of building one (~15 ms for a Conv2D's)
        self._forms: OrderedDict[tuple, _Form] = OrderedDict()
        self._form: _Form | None = None
        self._building: dict[tuple, _FormBuild] = {}  # forms made on turns of their own, not whole yet
        self._wanted: tuple[ModelSpec | None, list[tuple[tuple, int]]] = (None, [])  # a spec's classes to prepare

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
        # the forms are pages of one stack: showing another never re-parents a form (which would
        # polish every widget of it again under the application's style sheet, ~12 ms)
        self.pages = QStackedWidget()
        # the page on show between two forms: a stack always shows one of its pages, and a form
        # is made as a hidden page (its rows then show with it, in the step that shows it)
        self._blank = QWidget()
        _size_to(self._blank, shown=False)
        self.pages.addWidget(self._blank)
        self.scroller.setWidget(self.pages)
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

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._keep_header_whole()

    def _keep_header_whole(self) -> None:
        """The header as tall as its wrapped description needs at this width, however short the dock
        (a layout's minimum does not follow a wrapped label by itself): the fields scroll instead."""
        self.header.setMinimumHeight(max(0, self.header.heightForWidth(max(self.width(), 1))))

    # -- building -------------------------------------------------------------------------------

    def _sync(self) -> None:
        index = self.document.selected_index
        layers = self.document.spec.layers
        layer = layers[index] if 0 <= index < len(layers) else None
        class_name = layer.class_name if layer is not None else None
        nested = _nested_classes(layer)
        if index != self._index or class_name != self._class_name or nested != self._nested:
            self._nested = nested
            self._build(index, class_name)
        self._refresh()
        self._keep_header_whole()

    def _build(self, index: int, class_name: str | None) -> None:
        """Show the form of layer `index` (of `class_name`): the one its class had before, else a new one."""
        self._index = index
        self._class_name = class_name
        self._local_errors.clear()
        self._typed_from.clear()
        self._typed_text.clear()
        # no field is on show while the old form is put away: a name typed there and left unconfirmed
        # says so as its field loses the focus, and is dropped (it was not for the layer now selected)
        self._form = None
        self.fields, self.editors, self.errors = {}, {}, {}
        shown = self.pages.currentWidget()
        if shown is not None and shown is not self._blank:  # kept, hidden, for the next layer of its class
            _size_to(shown, shown=False)
            self.pages.setCurrentWidget(self._blank)
        if class_name is None:
            self.header.hide()
            self.scroller.hide()
            self.problem.hide()
            self.placeholder.show()
            return
        self.placeholder.hide()
        self.header.show()
        self.scroller.show()
        self.icon_label.setPixmap(layer_icon(class_name).pixmap(QSize(32, 32), self.devicePixelRatioF()))
        form = self._kept_form(index, class_name, self._nested)
        self._form = form
        self.fields, self.editors, self.errors = form.fields, form.editors, form.errors
        _size_to(form.widget, shown=True)
        self.pages.setCurrentWidget(form.widget)

    @property
    def kept_forms(self) -> int:
        """The number of whole settings forms kept (one per layer class shown or prepared)."""
        return len(self._forms)

    def prepare_form(self, index: int, rows: int | None = None) -> bool:
        """Make the form of layer `index`'s class, unless one is kept, for its selection to come: its
        next `rows` rows (all when None), so that a caller can spread a form (15-40 ms for a Conv2D's)
        over turns of its own. True once the form is kept whole (or there is no such layer)."""
        layers = self.document.spec.layers
        if not 0 <= index < len(layers):
            return True
        key = (layers[index].class_name, _nested_classes(layers[index]))
        return key in self._forms or self._add_rows(key, index, rows)

    def prepare_next_form(self) -> bool:
        """Add a few rows to a form of one of the model's layer classes that has none kept (the output
        layer's class first, its head being what is edited most, then the commonest); the form is
        kept once whole. False when every class has one, or when one more would put away a kept form.
        The window calls it on idle turns after an open: a first selection of a class then shows a
        kept form, and no turn spends more than a few rows' time (a Conv2D's whole form: 20-40 ms)."""
        half_made = next(iter(self._building), None)
        wanted = (half_made, -1) if half_made is not None else self._class_without_form()
        if wanted is None:
            return False
        self._add_rows(*wanted, PREPARED_ROWS_PER_TURN)
        return True

    def _add_rows(self, key: tuple, index: int, rows: int | None) -> bool:
        """Add `rows` more rows (all when None) to the form of `key` being made (started for layer `index`
        when none is); True when it is whole, and then kept."""
        build = self._building.get(key)
        if build is None:
            build = self._building[key] = self._new_form(index, key[0])
        if not build.add_rows(rows):
            return False
        del self._building[key]
        self._keep(key, build.form)
        return True

    def _class_without_form(self) -> tuple[tuple, int] | None:
        """The key (class, wrapped classes) and first layer of the model's class to prepare next."""
        spec = self.document.spec
        if len(self._forms) >= KEPT_FORMS or not spec.layers:
            return None
        if self._wanted[0] is not spec:
            first_index: dict[tuple, int] = {}
            counts: Counter[tuple] = Counter()
            for index, layer in enumerate(spec.layers):
                key = (layer.class_name, _nested_classes(layer))
                first_index.setdefault(key, index)
                counts[key] += 1
            last = spec.layers[-1]
            order = [(last.class_name, _nested_classes(last))] + [key for key, _count in counts.most_common()]
            self._wanted = (spec, [(key, first_index[key]) for key in dict.fromkeys(order)])
        return next(((key, index) for key, index in self._wanted[1] if key not in self._forms), None)

    def _kept_form(self, index: int, class_name: str, nested: tuple) -> _Form:
        """The kept form for layers of `class_name` (with `nested` wrapped classes), made when none is."""
        key = (class_name, nested)
        form = self._forms.get(key)
        if form is None:  # made whole now (a form half made on turns of its own is finished)
            self._add_rows(key, index, None)
            form = self._forms[key]
        self._forms.move_to_end(key)
        return form

    def _keep(self, key: tuple, form: _Form) -> None:
        """Keep `form` (hidden, a page already) as the one of `key`, putting away the form used longest
        ago beyond KEPT_FORMS."""
        self._forms[key] = form
        while len(self._forms) > KEPT_FORMS:
            _key, dropped = self._forms.popitem(last=False)
            self.pages.removeWidget(dropped.widget)
            dropped.widget.deleteLater()

    def _new_form(self, index: int, class_name: str) -> _FormBuild:
        """A form for layers of `class_name` (layer `index` gives the wrapped layers' rows), whose
        rows are added by the build's `add_rows`. It is a hidden page of the stack from the start: each
        row is then styled as it is added (adding a whole form to the stack styled all its widgets in
        one step, 5-12 ms for a Conv2D's)."""
        form = _Form(QWidget(), {}, {}, {})
        form.widget.setObjectName("propertyForm")
        _size_to(form.widget, shown=False)  # until it is shown
        self.pages.addWidget(form.widget)
        return _FormBuild(form, self._rows(form, index, class_name))

    def _rows(self, form: _Form, index: int, class_name: str) -> Iterator[None]:
        """Add `form`'s rows, one per step."""
        layout = QFormLayout(form.widget)
        layout.setContentsMargins(12, 4, 12, 12)
        layout.setHorizontalSpacing(12)
        layout.setVerticalSpacing(6)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layer_type = layer_types().get(class_name)
        nested_entries = {}
        if layer_type is not None:  # read with the first row: the model may change before the last one
            layer = self.document.spec.layers[index]
            nested_entries = {p.name: layer.get(p.name) for p in layer_type.params if p.kind.nested}

        name_edit = QLineEdit()
        name_edit.setObjectName("field_name")
        name_edit.setToolTip("The layer's name: Keras shows it in the summary and stores its weights under it.")
        name_edit.textEdited.connect(self._on_name_edited)
        name_edit.editingFinished.connect(partial(self._on_name_left, name_edit))
        revert = QShortcut(QKeySequence(Qt.Key.Key_Escape), name_edit, context=Qt.ShortcutContext.WidgetShortcut)
        revert.activated.connect(self._revert_name)
        self._add_row(form, layout, "name", "name", name_edit)
        yield
        for param in layer_type.params if layer_type is not None else ():
            self._add_row(form, layout, param.name, param.name, self._make_field(form, param))
            entry = nested_entries.get(param.name)
            if isinstance(entry, dict):
                self._add_nested_rows(form, layout, param.name, entry)
            yield

    def _add_nested_rows(self, form: _Form, layout: QFormLayout, key: str, entry: dict[str, Any]) -> None:
        """The wrapped layer's name and settings in a box below its class, as fields `key.name`, `key.units`, ..."""
        inner = layer_types().get(str(entry.get("class_name")))
        if inner is None:
            return
        box = QGroupBox(f"{key}: {inner.class_name}")
        box.setObjectName(f"nested_{key}")
        box.setToolTip(inner.help)
        inner_form = QFormLayout(box)
        inner_form.setContentsMargins(8, 6, 8, 8)
        inner_form.setVerticalSpacing(6)
        inner_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        name_edit = QLineEdit()
        name_edit.setObjectName(f"field_{key}.name")
        name_edit.setToolTip("The wrapped layer's name (Keras calls its copies forward_… and backward_…).")
        name_edit.textEdited.connect(partial(self._on_nested_name_edited, key))
        name_edit.editingFinished.connect(partial(self._on_nested_name_left, key, name_edit))
        self._add_row(form, inner_form, f"{key}.name", "name", name_edit)
        for param in inner.params:
            field = f"{key}.{param.name}"
            editor = make_editor(param, partial(self._set_nested, key, param.name), partial(self._refuse, field))
            form.editors[field] = editor
            widget = editor.widget
            tip = f"<b>{param.name}</b> of the wrapped {inner.class_name}<br>{param.help}"
            if editor.hint:
                tip += f"<br><span style='color:gray'>{editor.hint}</span>"
            widget.setObjectName(f"field_{field}")
            widget.setToolTip(tip)
            widget.setStatusTip(param.help)
            self._add_row(form, inner_form, field, param.name, widget)
        layout.addRow(box)

    def _add_row(self, form: _Form, layout: QFormLayout, key: str, label_text: str, widget: QWidget) -> None:
        widget.setProperty("invalid", False)
        error = QLabel()
        error.setObjectName(f"error_{key}")
        error.setWordWrap(True)
        error.setProperty("fieldError", True)  # the application's style sheet: red, a little smaller
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
        if isinstance(widget, QLineEdit) and key != "name" and not key.endswith(".name"):
            widget.editingFinished.connect(partial(self._typing_done, key))
        layout.addRow(label, cell)
        form.fields[key] = widget
        form.errors[key] = error

    def _make_field(self, form: _Form, param: Param) -> QWidget:
        editor = make_editor(param, partial(self._set, param.name), partial(self._refuse, param.name))
        form.editors[param.name] = editor
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
                entry = layer.get(param.name)
                if param.kind.nested and isinstance(entry, dict):
                    self._show_nested(param.name, entry)
        self._show_errors()

    def _show_nested(self, key: str, entry: dict[str, Any]) -> None:
        inner = layer_types().get(str(entry.get("class_name")))
        name_edit = self.fields.get(f"{key}.name")
        shown = str(entry.get("name", ""))
        if isinstance(name_edit, QLineEdit) and f"{key}.name" not in self._local_errors and name_edit.text() != shown:
            with QSignalBlocker(name_edit):
                name_edit.setText(shown)
        for param in inner.params if inner is not None else ():
            field = f"{key}.{param.name}"
            editor = self.editors.get(field)
            if editor is not None:
                editor.show(entry.get(param.name, param.default), keep_typed=field in self._local_errors)

    def _show_value(self, param: Param, value: Any) -> None:
        editor = self.editors.get(param.name)
        if editor is not None:  # a refused text stays as typed
            editor.show(value, keep_typed=param.name in self._local_errors)

    def _show_errors(self) -> None:
        summary = self.document.summary()
        issues = summary.issues_for(self._index)
        budget = param_budget()
        over_budget = budget_issue(summary, budget).message if summary.total_params > budget else None
        by_field: dict[str, str] = {}
        general = []
        for issue in issues:
            if issue.field in self.fields:
                message = _strip_layer(issue.message)
                if issue.message == over_budget:
                    message += BUDGET_NOTE
                by_field.setdefault(issue.field, message)
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

    def _current(self, key: str) -> Any:
        """The document's value of field `key` (`units`, or `layer.units` of a wrapped layer)."""
        layer = self.document.selected_layer()
        if layer is None:
            return None
        head, _dot, part = key.partition(".")
        value = layer.get(head)
        return value.get(part) if part and isinstance(value, dict) else value

    def _set(self, key: str, value: Any) -> None:
        if self._index < 0:
            return
        self._typing(key)
        self._local_errors.pop(key, None)
        reason = self.document.set_param(self._index, key, value)
        if reason:
            self._local_errors[key] = reason
        self._show_errors()

    def _set_nested(self, key: str, part: str, value: Any) -> None:
        """A setting of the wrapped layer in parameter `key` changed."""
        if self._index < 0:
            return
        field = f"{key}.{part}"
        if part != "name":
            self._typing(field)
        self._local_errors.pop(field, None)
        reason = self.document.set_nested_param(self._index, key, part, value)
        if reason:
            self._local_errors[field] = reason
        self._show_errors()

    def _refuse(self, key: str, reason: str) -> None:
        """Text that does not parse, or a value its kind refuses: the reason at the field, and what
        this typing applied on the way (`1`, `10`, ... of `1000000000`) taken back."""
        self._local_errors[key] = reason
        self._typing(key)
        if self._current(key) != self._typed_from[key]:
            head, _dot, part = key.partition(".")
            start = self._typed_from[key]
            if part:
                self.document.set_nested_param(self._index, head, part, start)
            else:
                self.document.set_param(self._index, key, start)  # merges with the typing's step: no step left
            self._local_errors[key] = reason  # the document's change re-read the fields; the reason stays
        self._show_errors()

    def _typing(self, key: str) -> None:
        """Note where the typing in field `key` began: the value before it, kept while each text
        typed goes on from the one before (`1`, `10`, `100`, ...); a text typed over the field
        (select all, type) begins anew from the value it replaces."""
        widget = self.fields.get(key)
        text = widget.text() if isinstance(widget, QLineEdit) else None
        before = self._typed_text.get(key)
        if key not in self._typed_from or text is None or before is None or not text.startswith(before):
            self._typed_from[key] = self._current(key)
        self._typed_text[key] = text

    def _typing_done(self, key: str) -> None:
        """The field was left or Enter pressed: what it applied is settled."""
        self._typed_from.pop(key, None)
        self._typed_text.pop(key, None)

    def _on_nested_name_edited(self, key: str, text: str) -> None:
        """Said at once whether the typed name would do; applied only when confirmed."""
        field = f"{key}.name"
        reason = _name_problem(text)
        if reason:
            self._local_errors[field] = reason
        else:
            self._local_errors.pop(field, None)
        self._show_errors()

    def _on_nested_name_left(self, key: str, edit: QLineEdit) -> None:
        """A wrapped layer's name field was left or Enter pressed (a field of the form on show)."""
        if edit is self.fields.get(f"{key}.name"):
            self._on_nested_name_confirmed(self._index, key)

    def _on_nested_name_confirmed(self, index: int, key: str) -> None:
        field = f"{key}.name"
        edit = self.fields.get(field)
        if index != self._index or not isinstance(edit, QLineEdit) or field in self._local_errors:
            return
        self._set_nested(key, "name", edit.text())

    def _on_name_edited(self, text: str) -> None:
        """Said at once whether the typed name would do (free, well formed); applied only when
        confirmed, so that a half-typed name is never given to the layer."""
        if self._index < 0:
            return
        reason = self.document.can_rename(self._index, text)
        if reason:
            self._local_errors["name"] = reason
        else:
            self._local_errors.pop("name", None)
        self._show_errors()

    def _revert_name(self) -> None:
        """Escape in the name field: the layer's name back, and no reason left."""
        layer = self.document.selected_layer()
        edit = self.fields.get("name")
        if layer is None or not isinstance(edit, QLineEdit):
            return
        self._local_errors.pop("name", None)
        with QSignalBlocker(edit):
            edit.setText(layer.name)
        self._show_errors()

    def apply_typed_names(self) -> None:
        """Apply the names typed but not yet confirmed (as Enter would), before a save, export or close
        acts on the model: what a person typed is not lost. An invalid name stays with its reason."""
        self._on_name_confirmed(self._index)
        for field in self.fields:
            if field.endswith(".name"):
                self._on_nested_name_confirmed(self._index, field.removesuffix(".name"))

    def _on_name_left(self, edit: QLineEdit) -> None:
        """The name field was left or Enter pressed: confirmed, if it is the form on show's (a form
        being put away says so too, when the selection has moved on)."""
        if edit is self.fields.get("name"):
            self._on_name_confirmed(self._index)

    def _on_name_confirmed(self, index: int) -> None:
        """Enter, or the name field left: a valid name is applied; an invalid one stays with its reason."""
        edit = self.fields.get("name")
        if index != self._index or not isinstance(edit, QLineEdit) or "name" in self._local_errors:
            return
        layer = self.document.selected_layer()
        if layer is None or layer.name == edit.text():
            return
        reason = self.document.rename_layer(self._index, edit.text())
        if reason:
            self._local_errors["name"] = reason
        self._show_errors()


def _size_to(page: QWidget, shown: bool) -> None:
    """Let the page on show alone size the stack (a hidden form's policy is Ignored: the scroll
    area then scrolls as far as the form on show needs, not as the longest form kept)."""
    policy = QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Ignored
    page.setSizePolicy(policy, policy)
    if shown:
        page.adjustSize()


def _name_problem(text: str) -> str | None:
    if NAME_PATTERN.match(text):
        return None
    return f"a layer name must start with a letter or _ and hold only letters, digits, _ . -. Received: name={text!r}"


def _nested_classes(layer: Any) -> tuple:
    """The classes of the layers `layer` wraps (None where it wraps none), in parameter order."""
    kind = layer_types().get(layer.class_name) if layer is not None else None
    if kind is None:
        return ()
    found = []
    for param in kind.params:
        if param.kind.nested:
            entry = layer.get(param.name)
            found.append(entry.get("class_name") if isinstance(entry, dict) else None)
    return tuple(found)


def _strip_layer(message: str) -> str:
    """'dense: units must be …' -> 'units must be …' (the editor already says which layer)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and " " not in head else message
