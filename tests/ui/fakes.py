"""Stand-ins for the window's services: the tests emit what the engine would answer."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from nnstudio.core.summary import analyze
from nnstudio.engine.protocol import BuildResult


class FakeBuilds(QObject):
    """The ModelService's interface without an engine: the test emits the results."""

    engineStateChanged = Signal(str, str)
    buildStarted = Signal(int)
    buildFinished = Signal(object)
    buildFailed = Signal(object)
    exportFinished = Signal(str)
    exportFailed = Signal(str)
    keras_loaded = Signal(object)
    loadFailed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.restarts = 0
        self.builds: list = []
        self.exports: list = []
        self.loads: list = []

    def start(self) -> None:
        self.started = True

    def restart_engine(self) -> None:
        self.restarts += 1
        self.started = True

    def request_build(self, spec, weights=None) -> int:
        self.builds.append((spec, weights))
        return len(self.builds)

    def export_keras(self, spec, path, weights=None) -> int:
        self.exports.append((spec, path, weights))
        return len(self.exports)

    def load_keras(self, path, known_spec=None) -> int:
        self.loads.append(path)
        return len(self.loads)

    def answer(self, spec=None, params_delta: int = 0, elapsed_ms: float = 42.0, weights=None) -> BuildResult:
        """Emit a BuildResult that matches the analytic summary of `spec` (the last requested one)."""
        spec = spec if spec is not None else self.builds[-1][0]
        summary = analyze(spec)
        rows = [
            {
                "name": r.name,
                "type": r.class_name,
                "output_shape": [None, *r.output_shape],
                "params": r.params + params_delta,
                "trainable": r.trainable,
                "non_trainable": r.non_trainable,
            }
            for r in summary.rows
        ]
        result = BuildResult(
            len(self.builds),
            spec,
            rows,
            summary.total_params + params_delta * len(rows),
            summary.trainable_params,
            summary.non_trainable_params,
            weights if weights is not None else {},
            elapsed_ms,
        )
        self.buildFinished.emit(result)
        return result


class FakeTraining(QObject):
    """The TrainingService's interface without an engine; `play` runs a training as the engine would."""

    stateChanged = Signal(str, str)
    progress = Signal(int, int, object, float)
    progressDetail = Signal(object)
    epochFinished = Signal(int, object)
    weightsUpdated = Signal(object)
    dataView = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    resetDone = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list = []
        self.history: dict = {}
        self.epochs_done = 0
        self.spec = None
        self.running = False
        self.last_result = None

    def start(self, spec, data=None, epochs=10, batch_size=32, validation_split=0.2, weights=None):
        self.calls.append(("start", spec, data, epochs, batch_size, validation_split, weights))
        self.spec, self.running, self.history, self.epochs_done = spec, True, {}, 0
        return len(self.calls)

    def resume(self, spec, data=None, epochs=10, batch_size=32, validation_split=0.2, weights=None):
        self.calls.append(("resume", spec, data, epochs, weights))
        self.running = True
        return len(self.calls)

    def stop(self):
        self.calls.append(("stop",))

    def reset(self, spec=None):
        self.calls.append(("reset",))
        self.history, self.spec, self.epochs_done = {}, None, 0
        return len(self.calls)

    def forget_run(self):
        self.calls.append(("discard",))
        self.history, self.spec, self.epochs_done = {}, None, 0

    def restore_run(self, spec, history, epochs_done):
        self.calls.append(("restore",))
        self.spec, self.history, self.epochs_done = spec, dict(history), epochs_done

    def is_training(self):
        return self.running

    def play(self, epochs=3, weights=None):
        """Run `epochs` as the engine reports them, ending with `weights` (made up when None)."""
        import numpy as np

        for epoch in range(1, epochs + 1):
            logs = {"loss": 1.0 / epoch, "val_loss": 1.2 / epoch}
            for key, value in logs.items():
                self.history.setdefault(key, []).append(value)
            self.epochs_done = epoch
            self.progressDetail.emit(
                {
                    "epoch": epoch,
                    "epochs": epochs,
                    "batch": 4,
                    "batches": 4,
                    "logs": {"loss": 1.0 / epoch},
                    "eta": 65.0 * (epochs - epoch),
                    "samples_per_s": 1000.0,
                    "epochs_done": [],
                }
            )
            self.epochFinished.emit(epoch, logs)
        if weights is None and self.spec is not None:
            weights = {
                layer.name: [np.ones((2, 2), "float32")] for layer in self.spec.layers if layer.class_name == "Dense"
            }
        self.running = False
        if weights:
            self.weightsUpdated.emit(weights)
        self.finished.emit(dict(self.history))
