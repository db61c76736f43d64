"""Keras's MNIST convnet, written by Keras, in the real window: it opens with its weights, the
canvas draws its filters from them, it trains in the Training tab on synthetic images, and File ▸
Export writes the weights on screen bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from nnstudio.services.document import Document
from nnstudio.ui.canvas.feature_maps import KernelTiles
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.summary_table import CONFIRMED
from tests.test_mnist_convnet import DESCRIBE, ENV, ROOT, WRITE_CONVNET, arrays

pytestmark = pytest.mark.engine
KERAS_TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, model_service, training_service):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(Document(), model_service, training_service, settings=settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w, model_service, training_service
    w.document.undo_stack.setClean()


def test_the_mnist_convnet_opens_draws_trains_and_exports(window, qtbot, tmp_path):
    w, service, training = window
    path = tmp_path / "mnist_convnet.keras"
    written = subprocess.run(
        [sys.executable, "-c", WRITE_CONVNET, str(path)], capture_output=True, text=True, env=ENV, cwd=ROOT
    )
    assert written.returncode == 0, written.stderr
    out = subprocess.run(
        [sys.executable, "-c", DESCRIBE, str(path), str(tmp_path / "file.npz")],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    file_weights = arrays(tmp_path / "file.npz")

    with qtbot.waitSignal(w.kerasSettled, timeout=KERAS_TIMEOUT_MS):
        w.start_service()
    with qtbot.waitSignal(service.keras_loaded, timeout=KERAS_TIMEOUT_MS):
        assert w.files.open_path(path)
    assert [layer.class_name for layer in w.document.spec.layers] == [
        "Input",
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]

    def drawn_from(kernel: np.ndarray, name: str) -> bool:
        col = next((c for c in w.canvas.columns if c.name == name), None)
        return (
            col is not None and isinstance(col.figure, KernelTiles) and np.array_equal(col.figure.per_channel, kernel)
        )

    qtbot.waitUntil(
        lambda: w.summary_table.state == CONFIRMED and drawn_from(file_weights[0], "conv2d"), timeout=KERAS_TIMEOUT_MS
    )
    assert drawn_from(file_weights[2], "conv2d_1")
    assert w.summary_table.totals_text().startswith("Total params: 34,826 (136.04 KB)")

    panel = w.training_panel
    panel.source.setCurrentIndex(panel.source.findData("synthetic"))
    panel.samples.setValue(64)
    panel.epochs.setValue(1)
    panel.batch_size.setValue(32)
    with qtbot.waitSignal(training.finished, timeout=KERAS_TIMEOUT_MS) as done:
        panel.train_button.click()
    assert len(done.args[0]["loss"]) == 1
    trained = w.model_state.current()
    assert not np.array_equal(trained["conv2d"][0], file_weights[0]), "training moved the first kernel"
    qtbot.waitUntil(lambda: drawn_from(trained["conv2d"][0], "conv2d"), timeout=KERAS_TIMEOUT_MS)

    exported = tmp_path / "trained.keras"
    with qtbot.waitSignal(service.exportFinished, timeout=KERAS_TIMEOUT_MS):
        assert w.files.export_keras(exported)
    out = subprocess.run(
        [sys.executable, "-c", DESCRIBE, str(exported), str(tmp_path / "exported.npz")],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    on_screen = [a for layer in w.document.spec.layers[1:] for a in trained.get(layer.name, [])]
    for ours, theirs in zip(arrays(tmp_path / "exported.npz"), on_screen, strict=True):
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
