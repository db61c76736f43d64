"""The training service: fitting in the application's engine session, seen through signals.

The GUI thread calls `start`, `resume`, `stop`, `reset`; each makes a job in the session's
training lane (in order; see `engine_worker.py`) and returns at once. The engine's replies come
back as signals, delivered to the GUI thread:

- `progress(epoch, batch, logs, eta_s)`: at most 20 a second (the engine throttles);
  `progressDetail(update)` carries the whole update dict (`epochs`, `batches`, `samples_per_s`, ...).
- `epochFinished(epoch, logs)`: once for every epoch, none lost to throttling.
- `weightsUpdated(weights)`: a snapshot (layer name -> arrays) every `weights_interval` seconds
  (through shared memory) and the final weights; the model state keeps them, this service does not.
- `dataView(view)`: the data on a plane and the model's predictions over it
  (`nnstudio.core.data_plane`: `PlaneData` when a run starts, `PlaneSurface` with the snapshots and
  at the end, `PlaneEvaluation` after training).
- `finished(history)`: the session's whole history (every epoch since the last Start or Reset).
- `failed(message)`: a data problem (CSV cell, sizes), a Keras error, or the engine's death.
- `stateChanged(state, message)`: "idle", "training", "stopping".

Stop takes effect after the batch that is running (the engine checks for a cancel after every
batch). Resume goes on with the same Keras model, optimizer state included, counting epochs on;
Reset forgets the trained model and emits freshly initialised weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from nnstudio.core.spec import ModelSpec
from nnstudio.core.weights import Weights
from nnstudio.services.engine_session import EngineSession
from nnstudio.services.engine_worker import TRAINING, Job

if TYPE_CHECKING:  # numpy (the data module needs it) loads after the window is shown
    from nnstudio.core.csv_data import DataConfig

IDLE, TRAINING_STATE, STOPPING = "idle", "training", "stopping"
RESTARTED_MESSAGE = "The Keras engine was restarted; training stopped."


class TrainingService(QObject):
    """Trains models in the session's Keras engine; see the module docstring."""

    stateChanged = Signal(str, str)
    progress = Signal(int, int, object, float)  # epoch (1-based), batch (1-based), logs, eta seconds
    progressDetail = Signal(object)  # the engine's whole update dict
    epochFinished = Signal(int, object)  # epoch (1-based, counting on across Resume), logs
    weightsUpdated = Signal(object)  # Weights
    dataView = Signal(object)  # PlaneData, PlaneSurface or PlaneEvaluation
    finished = Signal(object)  # history: dict[metric, list[float]] since the last Start/Reset
    failed = Signal(str)
    resetDone = Signal(object)  # freshly initialised Weights (empty when no spec was given)

    def __init__(
        self, session: EngineSession, parent: QObject | None = None, *, weights_interval: float = 0.25
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.weights_interval = weights_interval
        self.progress_interval = 0.05
        self._state = IDLE
        self.history: dict[str, list[float]] = {}
        self.epochs_done = 0
        self.spec: ModelSpec | None = None  # the spec being (or last) trained
        self.last_result: Any = None
        self._live_id = 0  # the newest training run
        self._discarded: set[int] = set()  # runs whose messages no longer count
        self._ids: set[int] = set()  # this service's jobs still waiting or running
        session.jobStarted.connect(self._on_started)
        session.jobProgress.connect(self._on_progress)
        session.jobFinished.connect(self._on_finished)
        session.jobFailed.connect(self._on_failed)
        session.restarted.connect(self._on_restarted)

    def engine_pid(self) -> int | None:
        return self.session.engine_pid()

    # -- requests (GUI thread; none of them blocks) ----------------------------------------------

    def start(
        self,
        spec: ModelSpec,
        data: DataConfig | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.2,
        weights: Weights | None = None,
    ) -> int:
        """Train `spec` from `weights` (or fresh ones) for `epochs`; the history starts anew."""
        self.history = {}
        self.epochs_done = 0
        return self._train(spec, data, epochs, batch_size, validation_split, weights, resume=False)

    def resume(
        self,
        spec: ModelSpec,
        data: DataConfig | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.2,
        weights: Weights | None = None,
    ) -> int:
        """Go on training for `epochs` more with the trained model (its optimizer state too).

        `weights` are the trained weights, for an engine that no longer holds the model (restarted).
        """
        if self.spec is not None and self.spec.layers != spec.layers:
            # another architecture: the trained weights do not fit it, start afresh
            self.forget_run()
            return self._train(spec, data, epochs, batch_size, validation_split, None, resume=False)
        # the same model (compile settings may differ: the engine then starts a new optimizer
        # from the trained weights, and the epochs count on)
        return self._train(spec, data, epochs, batch_size, validation_split, weights, resume=True)

    def stop(self) -> None:
        """End training after the batch that is running."""
        if self._live_id in self._ids:
            self.session.cancel(self._live_id)
            if self._state == TRAINING_STATE:
                self._set_state(STOPPING, "Stopping after this batch…")

    def reset(self, spec: ModelSpec | None = None) -> int:
        """Forget the trained model and its history; `resetDone` brings new weights for `spec`."""
        self.stop()
        if self.is_training():
            self._discarded.add(self._live_id)
        self.history = {}
        self.epochs_done = 0
        self.spec = None
        return self._submit(Job("train_reset", TRAINING, args={"spec": spec}))

    def forget_run(self) -> None:
        """Forget the training (its spec, history and epochs) without asking the engine: the
        architecture changed. A run still going on no longer counts (stop it); its last messages
        are ignored."""
        if self.is_training():
            self._discarded.add(self._live_id)
        self.spec = None
        self.history = {}
        self.epochs_done = 0

    def restore_run(self, spec: ModelSpec, history: dict[str, list[float]], epochs_done: int) -> None:
        """Take back a run that `forget_run` forgot (an undo brought its layers back): its spec,
        history and epochs, so that Resume goes on from its weights, counting on."""
        self.spec = spec
        self.history = {key: list(values) for key, values in history.items()}
        self.epochs_done = epochs_done

    # -- state -----------------------------------------------------------------------------------

    def is_training(self) -> bool:
        """Whether the newest run waits or runs in the engine (a discarded one until it has stopped)."""
        return self._live_id in self._ids

    def state(self) -> str:
        return self._state

    # -- internals -------------------------------------------------------------------------------

    def _train(
        self,
        spec: ModelSpec,
        data: DataConfig | None,
        epochs: int,
        batch_size: int,
        validation_split: float,
        weights: Weights | None,
        resume: bool,
    ) -> int:
        from nnstudio.core.csv_data import DataConfig

        args = {
            "spec": spec,
            "data": data or DataConfig(),
            "epochs": int(epochs),
            "batch_size": int(batch_size),
            "validation_split": float(validation_split),
            "resume": resume,
            "initial_epoch": self.epochs_done if resume else 0,
            "snapshot_every": self.weights_interval,
            "progress_interval": self.progress_interval,
        }
        self.spec = spec
        request_id = self._submit(Job("train", TRAINING, args=args, weights=weights or None))
        self._live_id = request_id
        return request_id

    def _submit(self, job: Job) -> int:
        request_id = self.session.submit(job)
        if request_id > 0:
            self._ids.add(request_id)
        return request_id

    def _set_state(self, state: str, message: str) -> None:
        self._state = state
        self.stateChanged.emit(state, message)

    def _counts(self, job: Job) -> bool:
        """Whether a message about `job` is this service's and still counts."""
        if job.request_id not in self._ids:
            return False
        return job.request_id not in self._discarded

    def _ended(self, job: Job) -> None:
        self._ids.discard(job.request_id)
        self._discarded.discard(job.request_id)
        if self._live_id not in self._ids and self._state != IDLE:
            self._set_state(IDLE, "")

    @Slot(object)
    def _on_started(self, job: Job) -> None:
        if job.op == "train" and self._counts(job):
            self._set_state(TRAINING_STATE, "Training…")

    @Slot(object, object, object)
    def _on_progress(self, job: Job, value: Any, weights: Weights | None) -> None:
        if not self._counts(job):
            return
        value = value or {}
        if value.get("type") == "weights":
            if weights:
                self.weightsUpdated.emit(weights)
            return
        if value.get("type") == "data":
            if value.get("view") is not None:
                self.dataView.emit(value["view"])
            return
        for done in value.get("epochs_done", ()):
            self._record_epoch(done["epoch"], done["logs"])
        self.progressDetail.emit(value)
        self.progress.emit(
            int(value.get("epoch", 0)), int(value.get("batch", 0)), value.get("logs", {}), float(value.get("eta", 0.0))
        )

    @Slot(object, object)
    def _on_finished(self, job: Job, value: Any) -> None:
        if job.request_id not in self._ids:
            return
        counts = self._counts(job)
        self._ended(job)
        if not counts:
            return
        if job.op == "train_reset":
            weights = value.weights if value is not None else {}
            self.resetDone.emit(weights)
            return
        self.last_result = value
        self.epochs_done = value.epochs_done
        if value.weights:
            self.weightsUpdated.emit(value.weights)
        self.finished.emit({k: list(v) for k, v in self.history.items()})

    @Slot(object, str, object)
    def _on_failed(self, job: Job, message: str, _layer_name: str | None) -> None:
        if job.request_id not in self._ids:
            return
        counts = self._counts(job)
        self._ended(job)
        if counts:
            self.failed.emit(message)

    @Slot()
    def _on_restarted(self) -> None:
        """The session dropped every job: a run that was going on has ended."""
        running = self.is_training()
        self._ids.clear()
        self._discarded.clear()
        if self._state != IDLE:
            self._set_state(IDLE, "")
        if running:
            self.failed.emit(RESTARTED_MESSAGE)

    def _record_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs_done = max(self.epochs_done, epoch)
        self.epochFinished.emit(epoch, logs)
