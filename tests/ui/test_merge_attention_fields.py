"""The merging and attention types' settings in the property editor: Dot's axes typed as one axis
or a pair, MultiHeadAttention's attention axes and output shape typed or None, each edit undoable,
and text the kind cannot take kept with the reason."""

from __future__ import annotations

from nnstudio.core.spec import ModelSpec
from nnstudio.services.document import Document
from nnstudio.ui.property_editor import PropertyEditor


def _open(qtbot, class_name: str, **params) -> tuple[Document, PropertyEditor]:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4, 6]))
    spec = spec.inserted(1, spec.new_layer(class_name, **params))
    document = Document(spec)
    document.select_layer(1)
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show()
    return document, editor


def retype(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_dot_axes_are_one_axis_or_one_for_each_input(qtbot):
    document, editor = _open(qtbot, "Dot", axes=1)
    axes = editor.field("axes")
    assert axes.text() == "1"
    retype(qtbot, axes, "2, 1")
    assert document.spec.layers[1].get("axes") == [2, 1]
    retype(qtbot, axes, "-1")
    assert document.spec.layers[1].get("axes") == -1
    retype(qtbot, axes, "1, 2, 3")
    assert editor.error_text("axes") == "enter one axis, or two (one for each input), not 3"
    # what was typed stays with the reason; what "1, 2" applied on the way is taken back
    assert axes.text() == "1, 2, 3" and document.spec.layers[1].get("axes") == -1
    document.undo_stack.undo()  # the typing in the field is one step: back to where it began
    assert document.spec.layers[1].get("axes") == 1


def test_attention_axes_and_output_shape_take_none_or_sizes(qtbot):
    document, editor = _open(qtbot, "MultiHeadAttention", num_heads=2, key_dim=8)
    layer = lambda: document.spec.layers[1]  # noqa: E731 - the current spec's layer
    for name in ("attention_axes", "value_dim", "output_shape"):  # None: an empty field that says so
        assert editor.field(name).text() == "" and editor.field(name).placeholderText() == "e.g. None"
    retype(qtbot, editor.field("attention_axes"), "1, 2")
    assert layer().get("attention_axes") == [1, 2]
    retype(qtbot, editor.field("attention_axes"), "None")
    assert layer().get("attention_axes") is None
    retype(qtbot, editor.field("output_shape"), "4, 16")
    assert layer().get("output_shape") == [4, 16]
    retype(qtbot, editor.field("output_shape"), "0")
    assert "positive integers" in editor.error_text("output_shape") and layer().get("output_shape") == [4, 16]
    retype(qtbot, editor.field("value_dim"), "32")
    assert layer().get("value_dim") == 32
    assert document.undo_stack.undoText() == "Set value_dim of multi_head_attention to 32"
