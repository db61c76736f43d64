"""The property editor: widgets generated from the catalog, edits as undoable commands, and problems
shown at the field without losing what was typed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit

from nnstudio.core.catalog import ACTIVATIONS, INITIALIZERS, LAYER_TYPES
from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.param_editors import NumberField
from nnstudio.ui.property_editor import PropertyEditor, parse_shape


@pytest.fixture
def doc(qapp):
    return Document()


@pytest.fixture
def editor(qtbot, doc):
    widget = PropertyEditor(doc)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def retype(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_nothing_selected_shows_a_hint(editor, doc):
    assert editor.objectName() == "propertyEditor"
    assert editor.placeholder.isVisible()
    assert editor.fields == {}
    doc.select_layer(1)
    assert not editor.placeholder.isVisible()
    assert editor.title.text() == "dense"


def test_dense_fields_come_from_the_catalog(editor, doc):
    doc.select_layer(1)
    assert list(editor.fields) == ["name", "units", "activation", "use_bias", "kernel_initializer", "bias_initializer"]
    units = editor.field("units")
    assert isinstance(units, NumberField) and units.minimum() == 1 and units.maximum() == 1_000_000
    assert units.value() == 64
    activation = editor.field("activation")
    assert isinstance(activation, QComboBox)
    assert [activation.itemText(i) for i in range(activation.count())] == list(ACTIVATIONS)
    assert activation.currentText() == "relu"
    kernel = editor.field("kernel_initializer")
    assert [kernel.itemText(i) for i in range(kernel.count())] == list(INITIALIZERS)
    assert isinstance(editor.field("use_bias"), QCheckBox) and editor.field("use_bias").isChecked()
    assert isinstance(editor.field("name"), QLineEdit) and editor.field("name").text() == "dense"
    assert "Number of neurons" in units.toolTip()


@pytest.mark.parametrize("class_name", list(LAYER_TYPES))
def test_every_layer_type_gets_its_widgets(qtbot, class_name):
    spec = lesson_spec()
    if class_name != "Input":
        spec = spec.inserted(3, spec.new_layer(class_name))
    document = Document(spec)
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    document.select_layer(0 if class_name == "Input" else 3)
    widgets = {
        "int": NumberField,
        "float": NumberField,
        "choice": QComboBox,
        "optional_choice": QComboBox,
        "bool": QCheckBox,
        "shape": QLineEdit,
        "int_tuple": QLineEdit,
        "axis": QLineEdit,
        "axes": QLineEdit,
        "optional_int": QLineEdit,
        "optional_float": QLineEdit,
        "permutation": QLineEdit,
        "int_pairs": QLineEdit,
        "axis_pair": QLineEdit,
        "optional_axes": QLineEdit,
        "optional_shape": QLineEdit,
        "optional_floats": QLineEdit,
        "nested_layers": QLineEdit,
        "nested_layer": QComboBox,
    }
    for param in LAYER_TYPES[class_name].params:
        assert isinstance(editor.field(param.name), widgets[param.kind.editor]), param.name
        assert param.help in editor.field(param.name).toolTip()


def test_edits_are_undoable_commands(editor, doc, qtbot):
    doc.select_layer(1)
    retype(qtbot, editor.field("units"), "128")
    assert doc.spec.layers[1].get("units") == 128
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Set units of dense to 128"
    editor.field("activation").setCurrentText("tanh")
    editor.field("use_bias").click()
    editor.field("kernel_initializer").setCurrentText("he_normal")
    layer = doc.spec.layers[1]
    assert (layer.get("activation"), layer.get("use_bias"), layer.get("kernel_initializer")) == (
        "tanh",
        False,
        "he_normal",
    )
    assert doc.undo_stack.count() == 4
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert editor.field("use_bias").isChecked() and editor.field("kernel_initializer").currentText() == "glorot_uniform"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert editor.field("units").value() == 64 and editor.field("activation").currentText() == "relu"
    assert doc.spec == lesson_spec()


def test_float_fields(qtbot):
    spec = lesson_spec()
    spec = spec.inserted(3, spec.new_layer("Dropout"))
    spec = spec.inserted(4, spec.new_layer("BatchNormalization"))
    doc = Document(spec)
    editor = PropertyEditor(doc)
    qtbot.addWidget(editor)
    doc.select_layer(3)
    rate = editor.field("rate")
    assert rate.maximum() < 1.0 and rate.minimum() == 0.0
    rate.setValue(0.25)
    assert doc.spec.layers[3].get("rate") == 0.25
    assert doc.undo_stack.undoText() == "Set rate of dropout to 0.25"
    doc.select_layer(4)
    assert editor.field("epsilon").text() == "0.001"
    editor.field("momentum").setValue(0.9)
    assert doc.spec.layers[4].get("momentum") == pytest.approx(0.9)


def test_rename_and_refused_names_keep_the_text(editor, doc, qtbot):
    doc.select_layer(1)
    name = editor.field("name")
    retype(qtbot, name, "hidden")
    assert doc.spec.layers[1].name == "dense"  # typed, not yet confirmed
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert doc.spec.layers[1].name == "hidden"
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Rename dense to hidden"
    assert editor.title.text() == "hidden"

    retype(qtbot, name, "dense_1")  # in use by the next layer
    assert name.text() == "dense_1"
    assert "already used" in editor.error_text("name")
    assert name.property("invalid") is True
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert doc.spec.layers[1].name == "hidden"  # neither "dense_" on the way nor the name in use
    retype(qtbot, name, "out")
    assert editor.error_text("name") == "" and name.property("invalid") is False
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert doc.spec.layers[1].name == "out"


def test_shape_field_parses_and_refuses_with_the_reason(editor, doc, qtbot):
    doc.select_layer(0)
    shape = editor.field("shape")
    assert shape.text() == "20"
    retype(qtbot, shape, "28, 28")
    assert doc.spec.layers[0].get("shape") == [28, 28]
    assert doc.undo_stack.undoText() == "Set shape of input_layer to 28, 28"
    retype(qtbot, shape, "28, x")
    error = editor.findChild(QLabel, "error_shape")
    assert error.isVisible() and "not a whole number" in error.text()
    assert shape.text() == "28, x" and shape.property("invalid") is True
    assert doc.spec.layers[0].get("shape") == [28, 28]  # what "28," applied on the way is taken back
    retype(qtbot, shape, "0")
    assert "positive integers" in editor.error_text("shape")
    doc.undo_stack.undo()  # an undo elsewhere does not wipe what is being typed
    assert shape.text() == "0"
    retype(qtbot, shape, "(7,)")
    assert editor.error_text("shape") == "" and doc.spec.layers[0].get("shape") == [7]


def test_analysis_problems_show_at_their_field(qtbot):
    spec = lesson_spec()
    spec = spec.inserted(3, spec.new_layer("Reshape", target_shape=[3, 7]))
    doc = Document(spec)
    editor = PropertyEditor(doc)
    qtbot.addWidget(editor)
    doc.select_layer(3)
    assert "target_shape" in editor.error_text("target_shape")
    retype(qtbot, editor.field("target_shape"), "2, 5")
    assert editor.error_text("target_shape") == ""


def test_problems_without_a_field_show_above_the_form(qtbot):
    spec = lesson_spec().removed(0)  # no Input
    doc = Document(spec)
    editor = PropertyEditor(doc)
    qtbot.addWidget(editor)
    editor.show()
    doc.select_layer(0)
    assert editor.problem.isVisible() and "must be an Input" in editor.problem.text()


def test_units_out_of_range_from_a_file_is_flagged(qtbot):
    spec = lesson_spec()
    spec = spec.with_layer(1, spec.layers[1].with_params(units=0))
    doc = Document(spec)
    editor = PropertyEditor(doc)
    qtbot.addWidget(editor)
    doc.select_layer(1)
    assert "positive integer" in editor.error_text("units")
    retype(qtbot, editor.field("units"), "5")
    assert editor.error_text("units") == "" and doc.spec.layers[1].get("units") == 5


def test_selection_change_rebuilds_and_keys_follow(editor, doc, qtbot):
    doc.select_layer(0)
    assert list(editor.fields) == ["name", "shape", "dtype"]
    doc.select_layer(2)
    assert editor.field("units").value() == 10
    doc.remove_layer(2)
    assert editor.layer_index == 1 and editor.field("name").text() == "dense"
    qtbot.keyClick(editor.field("units"), Qt.Key.Key_Up)
    assert doc.spec.layers[1].get("units") == 65


def test_a_class_shown_before_takes_its_form_back_with_the_new_layers_values(editor, doc, qtbot):
    """Selecting a layer of a class shown before reuses its form (building one takes ~15 ms for a
    Conv2D): the same widgets, the selected layer's values and problems, edits applied to it."""
    doc.select_layer(1)
    units = editor.field("units")
    doc.set_param(1, "units", 0)  # a problem at the field
    assert editor.error_text("units")
    doc.select_layer(0)
    assert list(editor.fields) == ["name", "shape", "dtype"]
    doc.select_layer(2)
    assert editor.field("units") is units, "the Dense form, taken back"
    assert units.value() == 10 and editor.field("name").text() == "dense_1"
    assert editor.error_text("units") == "" and units.property("invalid") is False
    assert editor.title.text() == "dense_1"
    qtbot.keyClick(units, Qt.Key.Key_Up)
    assert doc.spec.layers[2].get("units") == 11 and doc.spec.layers[1].get("units") == 0


def test_the_scroll_area_fits_the_form_on_show_not_the_longest_kept(editor, doc, qtbot):
    doc.insert_layer(2, "LSTM")  # a long form
    doc.select_layer(2)
    long_height = editor.pages.currentWidget().sizeHint().height()
    doc.select_layer(0)  # an Input: three rows
    short = editor.pages.currentWidget()
    assert short.sizeHint().height() < long_height / 2
    editor.resize(editor.width(), short.sizeHint().height() + editor.header.height() + 80)
    qtbot.waitUntil(lambda: editor.scroller.viewport().height() > short.sizeHint().height())
    assert editor.scroller.verticalScrollBar().maximum() == 0, "nothing to scroll to below the Input's form"
    doc.select_layer(2)
    qtbot.waitUntil(lambda: editor.scroller.verticalScrollBar().maximum() > 0)


def test_a_prepared_form_is_the_one_its_layer_shows_and_the_form_on_show_stays_as_it_was(
    editor, doc, qtbot, monkeypatch
):
    """An open makes the form of the layer it is about to select in a step of its own: the layer's
    selection then shows that form, built once; the form on show meanwhile keeps its fields and size."""
    spec = lesson_spec()
    doc.load(spec.inserted(2, spec.new_layer("LSTM")), None, {})  # a long form, not made yet
    doc.select_layer(0)
    shown_fields = dict(editor.fields)
    short = editor.pages.currentWidget()
    made: list[str] = []
    new_form = PropertyEditor._new_form
    monkeypatch.setattr(PropertyEditor, "_new_form", lambda self, i, c: made.append(c) or new_form(self, i, c))
    editor.prepare_form(2)
    assert made == ["LSTM"]
    assert editor.fields == shown_fields and editor.field("shape") is shown_fields["shape"]
    assert editor.pages.currentWidget() is short and editor.layer_index == 0
    editor.resize(editor.width(), short.sizeHint().height() + editor.header.height() + 80)
    qtbot.waitUntil(lambda: editor.scroller.viewport().height() > short.sizeHint().height())
    assert editor.scroller.verticalScrollBar().maximum() == 0, "the hidden LSTM form does not size the stack"
    editor.prepare_form(2)
    editor.prepare_form(99)  # no such layer: nothing
    doc.select_layer(2)
    assert made == ["LSTM"], "the selection shows the prepared form"
    assert editor.field("units").value() == doc.spec.layers[2].get("units")


def test_a_form_prepared_a_few_rows_at_a_time_is_kept_once_whole_and_shown_by_its_selection(editor, doc, monkeypatch):
    """An open makes the form of the layer it will select a few rows per turn: `prepare_form(i, rows)`
    says False until the form is whole, keeps it then, and the selection shows that form."""
    spec = lesson_spec()
    doc.load(spec.inserted(2, spec.new_layer("LSTM")), None, {})
    doc.select_layer(0)
    shown = editor.pages.currentWidget()
    made: list[str] = []
    new_form = PropertyEditor._new_form
    monkeypatch.setattr(PropertyEditor, "_new_form", lambda self, i, c: made.append(c) or new_form(self, i, c))
    kept = editor.kept_forms
    calls = 1
    while not editor.prepare_form(2, rows=3):
        assert editor.kept_forms == kept, "a form half made is not kept"
        assert editor.pages.currentWidget() is shown and not editor.field("shape").isHidden()
        calls += 1
    steps = 1 + len(LAYER_TYPES["LSTM"].params) + 1  # the name, each setting, the end
    assert made == ["LSTM"] and calls == -(-steps // 3)
    assert editor.kept_forms == kept + 1 and editor.prepare_form(2, rows=3)
    doc.select_layer(2)
    assert made == ["LSTM"] and editor.field("units").isVisible()
    assert editor.field("units").value() == doc.spec.layers[2].get("units")


def test_forms_made_ahead_come_a_few_rows_per_call_the_head_s_class_first(editor, doc, monkeypatch):
    """After an open the window calls `prepare_next_form` on idle turns: each call adds a few rows to
    the form of a class that has none (the output layer's class first, then the commonest), so no turn
    makes a long form whole; a class selected while its form is half made gets that form, finished."""
    spec = lesson_spec()
    lstm = spec.new_layer("LSTM")
    spec = spec.inserted(2, lstm).inserted(3, spec.new_layer("Dropout"))
    doc.load(spec, None, {})
    doc.select_layer(0)
    made: list[str] = []
    new_form = PropertyEditor._new_form
    monkeypatch.setattr(PropertyEditor, "_new_form", lambda self, i, c: made.append(c) or new_form(self, i, c))
    pages = editor.kept_forms
    calls = 0
    while editor.kept_forms == pages:  # the head's class: a Dense, 6 rows
        assert editor.prepare_next_form()
        calls += 1
    assert made == ["Dense"] and calls > 1
    assert editor.prepare_next_form() and made == ["Dense", "LSTM"]  # the commonest next (LSTM, Dropout: one each)
    assert editor.kept_forms == pages + 1, "the LSTM form, 15 rows, is not whole after one call"
    doc.select_layer(2)
    assert made == ["Dense", "LSTM"], "its selection finishes the half-made form"
    assert editor.field("units").value() == lstm.get("units") and editor.field("recurrent_dropout").isVisible()
    while editor.prepare_next_form():
        pass
    assert made == ["Dense", "LSTM", "Dropout"] and editor.kept_forms == pages + 3
    assert editor.layer_index == 2 and editor.fields["units"] is editor.field("units")


def test_a_name_typed_but_not_confirmed_goes_to_no_other_layer(editor, doc, qtbot):
    """A name typed in one layer's form, then another layer selected without Enter: neither the layer
    now shown nor any other takes it, whichever class the new selection has."""
    for other in (0, 2):  # an Input (another form), a Dense (the same form)
        doc.select_layer(1)
        retype(qtbot, editor.field("name"), "typed")
        doc.select_layer(other)
        assert [layer.name for layer in doc.spec.layers] == ["input_layer", "dense", "dense_1"]
        assert editor.field("name").text() == doc.spec.layers[other].name
        editor.field("name").clearFocus()
        assert [layer.name for layer in doc.spec.layers] == ["input_layer", "dense", "dense_1"]


@pytest.mark.parametrize(
    ("text", "value"), [("20", [20]), ("28, 28", [28, 28]), ("(28, 28)", [28, 28]), ("4 5", [4, 5]), ("3,", [3])]
)
def test_parse_shape(text, value):
    assert parse_shape(text) == value


@pytest.mark.parametrize("text", ["", "x", "2.5", "(,)"])
def test_parse_shape_refuses(text):
    with pytest.raises(ValueError):
        parse_shape(text)


def test_input_takes_a_varying_size_and_a_dtype(editor, doc, qtbot):
    doc.select_layer(0)
    shape = editor.field("shape")
    retype(qtbot, shape, "None, 20")
    assert doc.spec.layers[0].get("shape") == [None, 20]
    assert editor.error_text("shape") == "" and doc.summary().ok
    assert doc.summary().rows[0].output_shape == (None, 64)
    retype(qtbot, shape, "20, None")  # the Dense after it needs the last size
    assert "needs a size" in doc.summary().issues_for(1)[0].message and editor.error_text("shape") == ""
    retype(qtbot, shape, "None, 20")
    dtype = editor.field("dtype")
    assert isinstance(dtype, QComboBox)
    assert [dtype.itemText(i) for i in range(dtype.count())] == ["float32", "float16", "float64", "int32", "int64"]
    dtype.setCurrentText("int32")
    assert doc.spec.layers[0].get("dtype") == "int32" and doc.spec.layers[0].params["dtype"] == "int32"
    assert doc.undo_stack.undoText() == "Set dtype of input_layer to int32"
    dtype.setCurrentText("float32")
    assert "dtype" not in doc.spec.layers[0].params  # the default is not held: the file stays as before
    assert "None" in shape.toolTip()
