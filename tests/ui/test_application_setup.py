"""What `make_application` sets up for the window's process beyond Qt's names and style."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnstudio.app import GUI_SWITCH_INTERVAL_S


@pytest.mark.cli
def test_the_window_process_hands_the_interpreter_to_the_gui_thread_sooner():
    script = "import sys; from nnstudio.app import make_application; make_application(); print(sys.getswitchinterval())"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split()[-1]) == pytest.approx(GUI_SWITCH_INTERVAL_S)
    assert GUI_SWITCH_INTERVAL_S < 0.005, "below Python's default"


def test_a_model_opened_is_left_out_of_later_collections_once_its_views_have_it(qtbot, tmp_path, monkeypatch):
    import gc
    from pathlib import Path

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from nnstudio.app import freeze_opened_models
    from nnstudio.services.document import Document
    from nnstudio.ui.main_window import MainWindow
    from tests.ui.fakes import FakeBuilds, FakeTraining

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    freeze_opened_models(window)
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    examples = Path(__file__).resolve().parents[2] / "resources" / "examples"
    try:
        gc.unfreeze()
        broken = tmp_path / "broken.nnstudio"
        broken.write_text("{ not json")
        with qtbot.waitSignal(window.files.openFinished, timeout=10_000) as refused:
            window.files.open_in_background(broken)
        assert refused.args[1]
        qtbot.waitUntil(window.views_current, timeout=10_000)
        assert gc.get_freeze_count() == 0, "a refused file changes nothing"
        with qtbot.waitSignal(window.files.openFinished, timeout=10_000) as opened:
            window.files.open_in_background(examples / "mnist_convnet.nnstudio")
        assert opened.args[1] == ""
        views_done = not window.graph_view.laying_out() and not window.summary_table.fitting()
        assert gc.get_freeze_count() > 0 and views_done, "frozen as the open ends, its views done"
        qtbot.waitUntil(window.views_current, timeout=10_000)  # the Weights dock for the first layer, a turn later
        frozen = gc.get_freeze_count()
        window.document.set_param(1, "filters", 16)  # an edit freezes nothing more
        qtbot.waitUntil(window.views_current, timeout=10_000)
        assert gc.get_freeze_count() <= frozen, "what the edit replaced was freed (frozen or not), nothing added"
    finally:
        gc.unfreeze()  # the test process's objects back in the collections
        window.document.undo_stack.setClean()
