"""Keras's IMDB bidirectional LSTM, written by Keras, in the window with the real engine: it opens with
the file's own weights, the canvas draws its table and gate bands from them, the Training tab
trains it on made-up token ids, and Export writes the trained weights bit for bit."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from nnstudio.services.document import Document
from nnstudio.ui.canvas.overlay import block_means
from nnstudio.ui.main_window import MainWindow

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 180_000
WRITE = (
    "import sys; from pathlib import Path; from tests.keras_io.recurrent_examples import save_keras_model; "
    "save_keras_model('imdb_bidirectional_lstm', Path(sys.argv[1]))"
)


def stored_weights(path: Path) -> dict[str, list[np.ndarray]]:
    """The IMDB model's weights as a .keras file stores them (h5py, no Keras), in get_weights() order."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as h5:

        def group(where: str) -> list[np.ndarray]:
            found = h5[where]
            return [found[str(i)][()] for i in range(len(found))]

        both = [f"layers/{{}}/{side}/cell/vars" for side in ("forward_layer", "backward_layer")]
        return {
            "embedding": group("layers/embedding/vars"),
            "bidirectional": [a for w in both for a in group(w.format("bidirectional"))],
            "bidirectional_1": [a for w in both for a in group(w.format("bidirectional_1"))],
            "dense": group("layers/dense/vars"),
        }


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        len(a[k]) == len(b[k])
        and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a[k], b[k], strict=True))
        for k in a
    )


def test_keras_s_imdb_lstm_opens_draws_trains_and_exports(
    qtbot, tmp_path, monkeypatch, model_service, training_service
):
    written = subprocess.run(
        [sys.executable, "-c", WRITE, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert written.returncode == 0, written.stderr[-2000:]
    path = tmp_path / "imdb_bidirectional_lstm.keras"
    from_file = stored_weights(path)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(), model_service, training_service, settings=settings)
    qtbot.addWidget(window)
    try:
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.load_canvas()
        with qtbot.waitSignal(window.kerasSettled, timeout=TIMEOUT_MS):
            window.start_service()
        with qtbot.waitSignal(model_service.keras_loaded, timeout=TIMEOUT_MS):
            assert window.files.open_path(path)
        assert [layer.name for layer in window.document.spec.layers] == [
            "input_layer",
            "embedding",
            "bidirectional",
            "bidirectional_1",
            "dense",
        ]

        def on_screen() -> dict:
            weights = window.model_state.current()
            return {} if weights is None else dict(weights.to_wire())

        # the file's own weights arrive from the engine and are drawn
        qtbot.waitUntil(lambda: same(on_screen(), from_file), timeout=TIMEOUT_MS)
        canvas = window.canvas
        qtbot.waitUntil(lambda: not canvas.pending and len(canvas.overlays.plans) == 3, timeout=TIMEOUT_MS)
        table, first, second = canvas.overlays.plans
        np.testing.assert_array_equal(table.heatmaps[0].values, block_means(from_file["embedding"][0].T).mean)
        assert len(first.heatmaps) == len(second.heatmaps) == 2 * 4 * 3  # two directions, 4 gates, 3 parts
        kernel = from_file["bidirectional_1"][0]  # forward input weights of the second Bidirectional
        np.testing.assert_array_equal(second.heatmaps[3].values, block_means(kernel[:, 64:128].T).mean)  # gate f
        assert len(canvas.overlays.images) == 1 + 2 * 24

        panel = window.training_panel
        panel.samples.setValue(128)
        panel.epochs.setValue(1)
        with qtbot.waitSignal(training_service.finished, timeout=TIMEOUT_MS):
            panel.train_button.click()
        qtbot.waitUntil(lambda: on_screen() and not same(on_screen(), from_file), timeout=TIMEOUT_MS)
        trained = on_screen()
        assert not np.array_equal(trained["embedding"][0], from_file["embedding"][0])

        out = tmp_path / "trained.keras"
        with qtbot.waitSignal(model_service.exportFinished, timeout=TIMEOUT_MS):
            assert window.files.export_keras(out)
        assert same(stored_weights(out), trained)
    finally:
        window.document.undo_stack.setClean()
