"""Placing and editing recurrent layers in the window as a person does: drops from the palette, typing
in the property editor, the wrapped layer of a Bidirectional edited in its own fields, problems
marked at the field in Keras's words."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox

from nnstudio.core.spec import ModelSpec
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.param_editors import NumberField
from tests.ui.fakes import FakeBuilds, FakeTraining
from tests.ui.test_main_window import table_texts


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    # closing with unsaved edits asks: Discard (the window is closed by the test's teardown)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[None, 8]))
    document = Document(spec)
    window = MainWindow(document, FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_service()
    yield window
    document.undo_stack.setClean()


def drop(window, class_name: str) -> int:
    """Drop `class_name` from the palette at the end of the model, select it, and return its row."""
    stack, palette = window.layer_stack, window.palette_widget
    model = stack.model()
    assert model.dropMimeData(palette.mime_data_for(class_name), Qt.DropAction.CopyAction, -1, 0, QModelIndex())
    row = model.rowCount() - 1
    stack.setCurrentIndex(model.index(row))
    return row


def retype(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_placing_an_lstm_and_a_units_value_over_the_budget_is_marked_at_the_field(window, qtbot):
    row = drop(window, "LSTM")
    properties = window.property_editor
    units = properties.field("units")
    assert isinstance(units, NumberField) and units.value() == 32
    assert isinstance(properties.field("recurrent_activation"), QComboBox)
    assert "forget gate" in properties.field("unit_forget_bias").toolTip()
    retype(qtbot, units, "16")
    assert table_texts(window) == [["lstm (LSTM)", "(None, 16)", f"{4 * (8 * 16 + 16 * 16 + 16):,}"]]
    retype(qtbot, units, "999999")  # 4 trillion weights
    assert "over the budget" in properties.error_text("units") and units.property("invalid") is True
    assert window.document.spec.layers[row].get("units") == 999999  # kept as typed, with the reason
    retype(qtbot, units, "64")
    assert properties.error_text("units") == "" and units.property("invalid") is False


def test_a_following_layer_refuses_several_outputs_in_keras_s_words(window, qtbot):
    drop(window, "GRU")
    window.property_editor.field("return_state").click()
    drop(window, "Dense")
    problems = window.document.summary().issues_for(2)
    assert problems and "expects 1 input(s), but it received 2 input tensors" in problems[0].message
    assert "expects 1 input(s)" in window.property_editor.problem.text()
    window.layer_stack.setCurrentIndex(window.layer_stack.model().index(1))
    window.property_editor.field("return_state").click()
    assert window.document.summary().ok


def test_the_wrapped_layer_of_a_bidirectional_is_edited_in_its_own_fields(window, qtbot):
    row = drop(window, "Bidirectional")
    properties = window.property_editor
    assert properties.field("layer").currentText() == "LSTM"
    assert isinstance(properties.findChild(QGroupBox, "nested_layer"), QGroupBox)
    inner_units = properties.field("layer.units")
    retype(qtbot, inner_units, "16")
    assert window.document.spec.layers[row].get("layer")["units"] == 16
    assert window.app_actions["edit.undo"].text() == "&Undo Set layer.units of bidirectional to 16"
    assert table_texts(window)[-1] == [
        "bidirectional (Bidirectional)",
        "(None, 32)",
        f"{2 * 4 * (8 * 16 + 16 * 16 + 16):,}",
    ]

    go_backwards = properties.field("layer.go_backwards")
    assert isinstance(go_backwards, QCheckBox)
    go_backwards.click()
    assert "`go_backwards`" in properties.error_text("layer.go_backwards")
    go_backwards.click()
    assert properties.error_text("layer.go_backwards") == ""

    properties.field("layer").setCurrentText("GRU")  # the form follows the wrapped class
    wrapped = window.document.spec.layers[row].get("layer")
    assert wrapped["class_name"] == "GRU" and wrapped["name"] == "gru" and wrapped["units"] == 16
    assert isinstance(properties.field("layer.reset_after"), QCheckBox)
    assert "layer.unit_forget_bias" not in properties.fields
    properties.field("merge_mode").setCurrentText("None")
    assert window.document.spec.layers[row].get("merge_mode") is None
    assert table_texts(window)[-1][1] == "[(None, 16), (None, 16)]"

    properties.field("backward_layer").setCurrentText("SimpleRNN")  # an explicit backward layer
    backward = window.document.spec.layers[row].get("backward_layer")
    assert backward["class_name"] == "SimpleRNN" and backward["go_backwards"] is True
    retype(qtbot, properties.field("backward_layer.units"), "16")
    assert window.document.summary().ok
    properties.field("backward_layer.return_sequences").click()
    assert 'same value for attribute "return_sequences"' in properties.error_text("backward_layer.return_sequences")

    while window.document.undo_stack.canUndo():
        window.app_actions["edit.undo"].trigger()
    assert len(window.document.spec.layers) == 1


def test_the_training_tab_says_an_embedding_model_learns_from_token_ids():
    from nnstudio.core.csv_data import DataConfig
    from nnstudio.core.project import load_project
    from nnstudio.core.summary import analyze
    from nnstudio.ui.training_panel import describe_data
    from tests.keras_io.recurrent_examples import EXAMPLES

    spec = load_project(EXAMPLES["imdb_bidirectional_lstm"])[0]
    text = describe_data(analyze(spec), spec, DataConfig(samples=100), 0.2)
    assert text.startswith("100 made-up samples (8 token ids 0–19,999 in, 1 out)")
    gru = load_project(EXAMPLES["gru_stack"])[0]
    assert "(8×8 numbers in, 1 out)" in describe_data(analyze(gru), gru, DataConfig(samples=100), 0.2)
