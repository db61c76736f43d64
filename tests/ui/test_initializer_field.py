"""An initializer with its own settings (from a `.keras` file) shows in its field with those
settings, can be swapped for a plain name and chosen back, and undo restores it."""

from __future__ import annotations

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.property_editor import PropertyEditor

FAN_OUT = {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}
SHOWN = "variance_scaling(scale=2.0, mode='fan_out')"


def test_a_configured_initializer_is_shown_swapped_and_chosen_back(qtbot):
    spec = lesson_spec()
    doc = Document(spec.with_layer(1, spec.layers[1].with_params(kernel_initializer=FAN_OUT)))
    editor = PropertyEditor(doc)
    qtbot.addWidget(editor)
    editor.show()
    doc.select_layer(1)
    field = editor.field("kernel_initializer")
    assert field.currentText() == SHOWN
    assert editor.error_text("kernel_initializer") == ""

    field.setCurrentText("he_normal")
    assert doc.spec.layers[1].get("kernel_initializer") == "he_normal"
    doc.undo_stack.undo()
    assert doc.spec.layers[1].get("kernel_initializer") == FAN_OUT
    assert editor.field("kernel_initializer").currentText() == SHOWN

    editor.field("kernel_initializer").setCurrentText("orthogonal")
    editor.field("kernel_initializer").setCurrentText(SHOWN)  # chosen back: the settings, not a bare name
    assert doc.spec.layers[1].get("kernel_initializer") == FAN_OUT
