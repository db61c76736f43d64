"""A TimeDistributed placed and edited in the window as a person does: the wrapped layer's class
chosen in its box, its own settings typed in their fields, problems marked at the wrapped field."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QGroupBox

from nnstudio.core.spec import ModelSpec
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining
from tests.ui.test_main_window import table_texts
from tests.ui.test_recurrent_editing import drop, retype


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[5, 8, 8, 3]))
    document = Document(spec)
    window = MainWindow(document, FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_service()
    yield window
    document.undo_stack.setClean()


def test_the_wrapped_layer_of_a_time_distributed_is_chosen_and_edited_in_its_own_fields(window, qtbot):
    row = drop(window, "TimeDistributed")
    properties = window.property_editor
    assert properties.field("layer").currentText() == "Dense"
    assert isinstance(properties.findChild(QGroupBox, "nested_layer"), QGroupBox)
    assert table_texts(window)[-1] == ["time_distributed (TimeDistributed)", "(None, 5, 8, 8, 8)", "32"]

    properties.field("layer").setCurrentText("Conv2D")  # the form follows the wrapped class
    wrapped = window.document.spec.layers[row].get("layer")
    assert wrapped["class_name"] == "Conv2D" and wrapped["name"] == "conv2d"
    retype(qtbot, properties.field("layer.filters"), "4")
    assert window.document.spec.layers[row].get("layer")["filters"] == 4
    assert table_texts(window)[-1] == ["time_distributed (TimeDistributed)", "(None, 5, 6, 6, 4)", "112"]

    retype(qtbot, properties.field("layer.kernel_size"), "9, 9")  # larger than a frame
    assert "Computed output size would be zero or negative" in properties.error_text("layer.kernel_size")
    retype(qtbot, properties.field("layer.kernel_size"), "3, 3")
    assert properties.error_text("layer.kernel_size") == "" and window.document.summary().ok

    properties.field("layer").setCurrentText("Flatten")
    assert table_texts(window)[-1] == ["time_distributed (TimeDistributed)", "(None, 5, 192)", "0"]
    while window.document.undo_stack.canUndo():
        window.app_actions["edit.undo"].trigger()
    assert len(window.document.spec.layers) == 1
