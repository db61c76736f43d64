"""The new layer types in the property editor: padding typed as Keras takes it, Keras's words at the
field for what a layer cannot take, and the fix taken as an undoable edit."""

from __future__ import annotations

import pytest

from nnstudio.core.spec import ModelSpec
from nnstudio.services.document import Document
from nnstudio.ui.property_editor import PropertyEditor


def _document(input_shape: list[int], class_name: str, **params) -> Document:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=input_shape))
    spec = spec.inserted(1, spec.new_layer(class_name, **params))
    document = Document(spec)
    document.select_layer(1)
    return document


@pytest.fixture
def open_editor(qtbot):
    def make(document: Document) -> PropertyEditor:
        editor = PropertyEditor(document)
        qtbot.addWidget(editor)
        editor.show()
        return editor

    return make


def retype(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_groups_that_do_not_divide_the_channels_are_marked_with_keras_s_words(qtbot, open_editor):
    document = _document([8], "GroupNormalization", groups=3)
    editor = open_editor(document)
    assert editor.error_text("groups") == "Number of groups (3) must be a multiple of the number of channels (8)."
    retype(qtbot, editor.field("groups"), "4")
    assert document.spec.layers[1].get("groups") == 4 and editor.error_text("groups") == ""
    document.undo_stack.undo()
    assert document.spec.layers[1].get("groups") == 3 and "must be a multiple" in editor.error_text("groups")


def test_padding_is_typed_as_one_number_per_axis_or_per_side(qtbot, open_editor):
    document = _document([28, 28, 1], "ZeroPadding2D")
    editor = open_editor(document)
    padding = editor.field("padding")
    assert padding.text() == "1"
    retype(qtbot, padding, "2, 3")
    assert document.spec.layers[1].get("padding") == [[2, 2], [3, 3]]
    retype(qtbot, padding, "0, 1, 2, 3")
    assert document.spec.layers[1].get("padding") == [[0, 1], [2, 3]]
    retype(qtbot, padding, "1, 2, 3")
    assert editor.error_text("padding") == "enter 1, 2 or 4 whole numbers, not 3"
    # what was typed stays with the reason; what "1, 2" applied on the way is taken back
    assert padding.text() == "1, 2, 3" and document.spec.layers[1].get("padding") == [[0, 1], [2, 3]]


def test_a_cropping_bigger_than_the_image_is_refused_at_the_field(qtbot, open_editor):
    document = _document([4, 5, 3], "Cropping2D")
    editor = open_editor(document)
    retype(qtbot, editor.field("cropping"), "2, 0")
    assert document.spec.layers[1].get("cropping") == [[2, 2], [0, 0]]
    assert editor.error_text("cropping").startswith(
        "Values in `cropping` argument should be smaller than the corresponding spatial dimension of the input."
    )


def test_relu_s_cap_takes_none_or_a_number(qtbot, open_editor):
    document = _document([5], "ReLU")
    editor = open_editor(document)
    cap = editor.field("max_value")
    assert cap.text() == "" and cap.placeholderText() == "e.g. None"  # no cap
    retype(qtbot, cap, "6")
    assert document.spec.layers[1].get("max_value") == 6.0
    retype(qtbot, cap, "-1")
    assert (
        editor.error_text("max_value")
        == "max_value must be None or a finite number in [0, inf). Received: max_value=-1.0"
    )
    assert document.spec.layers[1].get("max_value") == 6.0


def test_a_permutation_that_skips_an_axis_says_so(qtbot, open_editor):
    document = _document([5, 3], "Permute")
    editor = open_editor(document)
    retype(qtbot, editor.field("dims"), "1, 3")
    assert "must be consecutive and start from 1. Received dims=(1, 3)" in editor.error_text("dims")
    retype(qtbot, editor.field("dims"), "2, 1")
    assert document.spec.layers[1].get("dims") == [2, 1] and editor.error_text("dims") == ""
