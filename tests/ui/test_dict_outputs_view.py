"""A model that gives a dict shows each output's key on its tag in the graph, and the tags follow
when an output is toggled off and back on."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.keras_archive import parse_keras_config
from nnstudio.services.document import Document
from nnstudio.ui.graph.items import OutputTag
from nnstudio.ui.main_window import MainWindow
from tests.core.test_dict_io import document
from tests.ui.fakes import FakeBuilds, FakeTraining


def tags(window: MainWindow) -> list[str]:
    return sorted(item.text for item in window.graph_view.graph_scene.items() if isinstance(item, OutputTag))


def test_output_tags_say_the_dict_keys(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    spec = parse_keras_config(json.dumps(document()).encode())
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(spec), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: tags(window) == ["kind", "price"])
    tag = next(item for item in window.graph_view.graph_scene.items() if isinstance(item, OutputTag))
    assert repr(tag.text) in tag.toolTip()

    window.document.select_layer(window.document.spec.position_of("kind"))
    window.app_actions["edit.toggle_output"].trigger()
    qtbot.waitUntil(lambda: tags(window) == ["price"])
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: tags(window) == ["kind", "price"])
    window.document.undo_stack.setClean()
