"""One Keras engine process for the whole application: builds and training run in the same one."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QSettings, QTimer

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from tests.engines import KERAS_START_MS
from tests.proc_tree import children, cmdline, engines

pytestmark = [pytest.mark.engine, pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")]


def test_the_process_tree_holds_one_engine_through_a_build_and_a_training_run(
    qtbot, tmp_path, model_service, training_service
):
    seen: set[int] = set()
    at_once: list[int] = []

    def sample() -> None:
        current = engines()
        seen.update(current)
        at_once.append(len(current))

    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(20)
    window = MainWindow(
        Document(lesson_spec()),
        model_service,
        training_service,
        settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_START_MS):
            window.start_service()
        sample()
        built_by = engines()
        panel = window.training_panel
        assert panel is not None
        panel.epochs.setValue(3)
        with qtbot.waitSignal(training_service.finished, timeout=KERAS_START_MS):
            panel.train_button.click()
        sample()
        assert window.model_state.current().source == "trained"
        assert built_by == engines() == [model_service.engine_pid()] == [training_service.engine_pid()]
        assert seen == set(built_by) and max(at_once) == 1, (seen, at_once)
        helpers = [pid for pid in children(os.getpid()) if pid not in seen]
        assert all("resource_tracker" in cmdline(pid) for pid in helpers), helpers
    finally:
        sampler.stop()
        window.document.undo_stack.setClean()
