"""Fields that say what they do (issue 15): what a person types stays in the field; a value Keras would
refuse is marked there in Keras's words and not applied; nnstudio's own limits say they are nnstudio's;
a name is applied only when it is valid and confirmed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.property_editor import PropertyEditor


@pytest.fixture
def doc(qapp):
    spec = lesson_spec()
    return Document(spec.inserted(2, spec.new_layer("Dropout")))  # input_layer, dense, dropout, dense_1


@pytest.fixture
def editor(qtbot, doc):
    widget = PropertyEditor(doc)
    qtbot.addWidget(widget)
    widget.show()
    doc.select_layer(1)
    return widget


def type_over(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_a_minus_sign_is_kept_and_keras_refusal_shown_at_the_field(editor, doc, qtbot):
    units = editor.field("units")
    type_over(qtbot, units, "-5")
    assert units.text() == "-5"  # the "-" is not swallowed
    assert editor.error_text("units") == "units must be a positive integer. Received: units=-5"
    assert units.property("invalid") is True
    assert doc.spec.layers[1].get("units") == 64 and doc.undo_stack.count() == 0


def test_zero_is_kept_and_refused_in_keras_words(editor, doc, qtbot):
    units = editor.field("units")
    type_over(qtbot, units, "0")
    assert units.text() == "0"  # not silently put back to 64
    assert editor.error_text("units") == "units must be a positive integer. Received: units=0"
    assert doc.spec.layers[1].get("units") == 64
    qtbot.keyClick(units, Qt.Key.Key_Tab)  # leaving the field keeps what was typed and why
    assert units.text() == "0" and "Received: units=0" in editor.error_text("units")
    type_over(qtbot, units, "32")
    assert editor.error_text("units") == "" and doc.spec.layers[1].get("units") == 32


def test_a_billion_is_not_capped_and_the_limit_says_it_is_nnstudios(editor, doc, qtbot):
    units = editor.field("units")
    type_over(qtbot, units, "1000000000")
    assert units.text() == "1000000000"
    message = editor.error_text("units")
    assert message.startswith("units must be at most 1,000,000. Received: units=1000000000")
    assert "nnstudio's limit, not Keras's" in message
    # nothing typed on the way (1, 10, ... 1,000,000) is left applied, and no undo step remains
    assert doc.spec.layers[1].get("units") == 64 and doc.undo_stack.count() == 0


def test_the_parameter_budget_is_explained_at_the_field(editor, doc, qtbot):
    doc.set_param(1, "units", 200)
    doc.select_layer(3)  # dense_1: 200 inputs, 201 weights per unit
    units = editor.field("units")
    type_over(qtbot, units, "999999")
    assert doc.spec.layers[3].get("units") == 999999  # Keras would take it: applied, and marked
    message = editor.error_text("units")
    assert "over the budget of 100,000,000" in message and "nnstudio's limit, not Keras's" in message


def test_typing_a_number_applies_it_as_one_undo_step_and_arrows_step(editor, doc, qtbot):
    units = editor.field("units")
    type_over(qtbot, units, "128")
    assert doc.spec.layers[1].get("units") == 128
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Set units of dense to 128"
    qtbot.keyClick(units, Qt.Key.Key_Up)
    assert units.text() == "129" and doc.spec.layers[1].get("units") == 129
    type_over(qtbot, units, "1")
    for _ in range(3):
        qtbot.keyClick(units, Qt.Key.Key_Down)  # stepping stops at the kind's minimum
    assert units.text() == "1" and doc.spec.layers[1].get("units") == 1


def test_a_float_out_of_range_is_kept_and_refused(editor, doc, qtbot):
    doc.select_layer(2)
    rate = editor.field("rate")
    type_over(qtbot, rate, "1.5")
    assert rate.text() == "1.5"
    assert editor.error_text("rate") == "rate must be in the range [0, 1). Received: rate=1.5"
    assert doc.spec.layers[2].get("rate") == 0.5
    type_over(qtbot, rate, "abc")
    assert editor.error_text("rate") == "rate must be a finite number. Received: rate='abc'"
    type_over(qtbot, rate, "0.25")
    assert editor.error_text("rate") == "" and doc.spec.layers[2].get("rate") == 0.25


def test_a_half_typed_name_that_shows_name_taken_is_never_applied(editor, doc, qtbot):
    doc.select_layer(3)  # dense_1; "dense" is taken by layer 2
    name = editor.field("name")
    assert isinstance(name, QLineEdit)
    type_over(qtbot, name, "dense")  # "dens" on the way is free, "dense" is taken
    assert "already used" in editor.error_text("name")
    assert doc.spec.layers[3].name == "dense_1"  # "dens" was never applied
    other = editor.field("units")
    other.setFocus()  # focus out: a name in use is not applied, the text and reason stay
    qtbot.waitUntil(lambda: not name.hasFocus())
    assert doc.spec.layers[3].name == "dense_1" and name.text() == "dense"
    assert "already used" in editor.error_text("name")
    assert doc.undo_stack.count() == 0

    name.setFocus()
    qtbot.keyClick(name, Qt.Key.Key_Escape)  # Escape puts the layer's name back
    assert name.text() == "dense_1" and editor.error_text("name") == ""
    type_over(qtbot, name, "dense_out")
    assert doc.spec.layers[3].name == "dense_1" and editor.error_text("name") == ""
    other.setFocus()  # leaving the field confirms a valid name
    qtbot.waitUntil(lambda: doc.spec.layers[3].name == "dense_out")
    assert doc.undo_stack.undoText() == "Rename dense_1 to dense_out"


def test_a_wrapped_layers_fields_keep_what_is_typed_and_its_name_waits_for_enter(qtbot):
    spec = lesson_spec()
    spec = spec.with_layer(0, spec.layers[0].with_params(shape=[None, 8]))
    spec = spec.inserted(1, spec.new_layer("Bidirectional"))
    doc = Document(spec)
    editor = PropertyEditor(doc)
    qtbot.addWidget(editor)
    editor.show()
    doc.select_layer(1)
    wrapped = lambda: doc.spec.layers[1].get("layer")  # noqa: E731 - the current spec's wrapped layer
    units_before = wrapped()["units"]
    type_over(qtbot, editor.field("layer.units"), "1000000000")
    assert editor.field("layer.units").text() == "1000000000"
    assert editor.error_text("layer.units").startswith("units must be at most 1,000,000. Received: units=1000000000")
    assert wrapped()["units"] == units_before and doc.undo_stack.count() == 0

    name = editor.field("layer.name")
    old_name = wrapped()["name"]
    type_over(qtbot, name, "my_lstm")
    assert wrapped()["name"] == old_name  # not yet: Enter or leaving the field applies it
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert wrapped()["name"] == "my_lstm"
    type_over(qtbot, name, "9bad")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert wrapped()["name"] == "my_lstm" and "Received: name='9bad'" in editor.error_text("layer.name")
