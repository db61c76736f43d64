"""The training service: a worker thread that drives fitting in a Keras engine process.

The GUI thread calls `start`, `resume`, `stop`, `reset`: each puts a job in a small locked inbox
and wakes the worker; nothing here waits on the engine except `shutdown`. The worker thread
(`_TrainWorker.run`) owns an `EngineClient` of its own (the engine code is the same as the
model service's, with `nnstudio.engine.training_ops` registered; a separate process keeps builds
quick while a model trains). It waits on the engine's pipe, the engine's death and the inbox at
once, and turns the engine's replies into signals, delivered queued to the GUI thread:

- `progress(epoch, batch, logs, eta_s)`: at most 20 a second (the engine throttles);
  `progressDetail(update)` carries the whole update dict (`epochs`, `batches`, `samples_per_s`, ...).
- `epochFinished(epoch, logs)`: once for every epoch, none lost to throttling.
- `weightsUpdated(weights)`: a snapshot (layer name -> arrays) every `weights_interval` seconds
  (through shared memory) and once at the end.
- `finished(history)`: the session's whole history (every epoch since the last Start or Reset).
- `failed(message)`: a data problem (CSV cell, sizes), a Keras error, or the engine's death.
- `stateChanged(state, message)`: "idle", "starting" (Keras loading), "training", "stopping".

Stop takes effect after the batch that is running (the engine checks for a cancel after every
batch). Resume goes on with the same Keras model, optimizer state included, counting epochs on;
Reset forgets the trained model and emits freshly initialised weights.
"""

from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nnstudio.core.csv_data import DataConfig
from nnstudio.core.spec import ModelSpec
from nnstudio.engine.client import EngineClient, EngineDied
from nnstudio.engine.protocol import ERROR, PROGRESS, Reply
from nnstudio.services.inbox import WakeInbox

IDLE, STARTING, TRAINING, STOPPING = "idle", "starting", "training", "stopping"


@dataclass
class _Job:
    kind: str  # "train", "reset"
    request_id: int
    args: dict[str, Any] = field(default_factory=dict)
    weights: Any = None


class _Inbox(WakeInbox):
    """Jobs from the GUI thread to the worker, in order, and a pending Stop."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[_Job] = []
        self.stop_requested = False

    def put(self, job: _Job) -> None:
        with self.lock:
            self.jobs.append(job)
        self.wake()

    def request_stop(self) -> None:
        with self.lock:
            self.stop_requested = True
        self.wake()

    def take_stop(self) -> bool:
        with self.lock:
            requested, self.stop_requested = self.stop_requested, False
            return requested

    def take(self) -> _Job | None:
        with self.lock:
            return self.jobs.pop(0) if self.jobs else None


class _TrainWorker(QObject):
    """Lives in the service's QThread; `run` is its whole life."""

    stateChanged = Signal(str, str)
    reply = Signal(object, object, int)  # (kind, payload, request id) for the service to turn into signals
    finished = Signal()

    def __init__(self, inbox: _Inbox) -> None:
        super().__init__()
        self.inbox = inbox
        self.client = EngineClient()
        self.current: _Job | None = None
        self.started_engine = False

    @Slot()
    def run(self) -> None:
        try:
            while True:
                with self.inbox.lock:
                    if self.inbox.stopping:
                        break
                try:
                    self._step()
                except Exception as exc:  # the thread never dies of an exception
                    self.current = None
                    self.reply.emit("failed", f"training service error: {exc}\n{traceback.format_exc(limit=3)}", 0)
                    self.stateChanged.emit(IDLE, "")
        finally:
            with contextlib.suppress(Exception):
                if self.current is not None and self.client.is_alive():
                    self.client.cancel(self.current.request_id)
            with contextlib.suppress(Exception):
                self.client.close(timeout=5.0)
            self.finished.emit()

    @property
    def pid(self) -> int | None:
        return self.client.pid if self.client.is_alive() else None

    def _step(self) -> None:
        self.inbox.clear_wake()
        if self.current is None:
            job = self.inbox.take()
            if job is not None:
                self._send(job)  # a Stop pressed before it was sent still reaches it below
        if self.inbox.take_stop() and self.current is not None and self.client.is_alive():
            with contextlib.suppress(EngineDied):
                self.client.cancel(self.current.request_id)
            if self.current.kind == "train":
                self.stateChanged.emit(STOPPING, "Stopping after this batch…")
        if self.current is None and self.inbox.jobs:
            return
        waitables = [self.inbox.reader]
        # Whether the engine lives is for its pipe and sentinel to say: an engine that died since
        # the last look (is_alive() already False) must still wake this wait, or its death would
        # go unnoticed until the next request.
        if self.client.conn is not None:
            waitables += [self.client.conn, self.client.sentinel]
        ready = wait(waitables)
        if self.client.conn is not None and self.client.conn in ready:
            try:
                reply = self.client.receive(0)
            except EngineDied:
                self._engine_died()
                return
            self._deliver(reply)
        elif self.client.sentinel is not None and self.client.sentinel in ready and not self.client.is_alive():
            self._engine_died()

    def _send(self, job: _Job) -> None:
        if not self.client.is_alive():
            self.client.start()
            self.stateChanged.emit(STARTING, "Starting the Keras engine for training…")
        try:
            self.client.send(job.kind if job.kind != "reset" else "train_reset", job.request_id, job.args, job.weights)
        except EngineDied as exc:
            self.reply.emit("failed", str(exc), job.request_id)
            self.stateChanged.emit(IDLE, "")
            return
        self.current = job
        if job.kind == "train":
            self.stateChanged.emit(TRAINING, "Training…")

    def _deliver(self, reply: Reply) -> None:
        job = self.current
        if job is None or reply.request_id != job.request_id:
            return
        if reply.kind == PROGRESS:
            value = reply.value or {}
            if value.get("type") == "weights":
                if reply.weights:
                    self.reply.emit("weights", reply.weights, job.request_id)
            else:
                self.reply.emit("progress", value, job.request_id)
            return
        self.current = None
        if reply.kind == ERROR:
            message = reply.error.message if reply.error is not None else "training failed"
            self.reply.emit("failed", message, job.request_id)
        else:
            self.reply.emit("reset" if job.kind == "reset" else "result", reply.value, job.request_id)
        self.stateChanged.emit(IDLE, "")

    def _engine_died(self) -> None:
        self.client.kill()
        job, self.current = self.current, None
        self.reply.emit("engine_died", None, 0)
        if job is not None:
            self.reply.emit(
                "failed", "The Keras engine stopped during training; the last weights shown are kept.", job.request_id
            )
        self.stateChanged.emit(IDLE, "")


class TrainingService(QObject):
    """Trains models in a Keras engine process; see the module docstring."""

    stateChanged = Signal(str, str)
    progress = Signal(int, int, object, float)  # epoch (1-based), batch (1-based), logs, eta seconds
    progressDetail = Signal(object)  # the engine's whole update dict
    epochFinished = Signal(int, object)  # epoch (1-based, counting on across Resume), logs
    weightsUpdated = Signal(object)  # dict[layer name, list[np.ndarray]]
    finished = Signal(object)  # history: dict[metric, list[float]] since the last Start/Reset
    failed = Signal(str)
    resetDone = Signal(object)  # freshly initialised weights (empty when no spec was given)

    def __init__(self, parent: QObject | None = None, *, weights_interval: float = 0.25) -> None:
        super().__init__(parent)
        self.weights_interval = weights_interval
        self.progress_interval = 0.05
        self._inbox: _Inbox | None = None
        self._thread: QThread | None = None
        self._worker: _TrainWorker | None = None
        self._state = IDLE
        self._busy = False
        self.history: dict[str, list[float]] = {}
        self.epochs_done = 0
        self.weights: dict | None = None  # the newest trained weights (None: nothing trained)
        self.spec: ModelSpec | None = None  # the spec those weights belong to
        self.last_result: Any = None
        self._live_id = 0  # the newest training run
        self._discarded: set[int] = set()  # runs whose messages no longer count

    # -- life ------------------------------------------------------------------------------------

    def start_thread(self) -> None:
        """Start the worker thread (the engine itself starts with the first request)."""
        if self._thread is not None:
            return
        self._inbox = _Inbox()
        self._worker = _TrainWorker(self._inbox)
        self._thread = QThread()
        self._thread.setObjectName("nnstudio-training-service")
        self._worker.moveToThread(self._thread)
        self._worker.stateChanged.connect(self._on_state)
        self._worker.reply.connect(self._on_reply)
        self._worker.finished.connect(self._thread.quit)
        self._thread.started.connect(self._worker.run)
        self._thread.start()

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop training, the engine and the worker, and wait for them (window close). Idempotent."""
        if self._thread is None:
            return
        assert self._inbox is not None
        self._inbox.stop()
        if not self._thread.wait(int(timeout_s * 1000)):
            if self._worker is not None:
                with contextlib.suppress(Exception):
                    self._worker.client.kill()
            self._thread.quit()
            self._thread.wait(int(timeout_s * 1000))
        self._inbox.close()
        self._thread.deleteLater()
        self._thread = None
        self._worker = None
        self._busy = False

    def engine_pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    # -- requests (GUI thread; none of them blocks) ----------------------------------------------

    def start(
        self,
        spec: ModelSpec,
        data: DataConfig | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.2,
        weights: dict | None = None,
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
    ) -> int:
        """Go on training for `epochs` more with the trained model (its weights and optimizer state)."""
        if self.spec is not None and self.spec.layers != spec.layers:
            # another architecture: the trained weights do not fit it, start afresh
            self.discard_weights()
            return self._train(spec, data, epochs, batch_size, validation_split, None, resume=False)
        # the same model (compile settings may differ: the engine then starts a new optimizer
        # from the trained weights, and the epochs count on)
        return self._train(spec, data, epochs, batch_size, validation_split, self.weights, resume=True)

    def trained_weights_for(self, spec: ModelSpec) -> dict | None:
        """The trained weights if they belong to `spec`'s layers (for Export), else None."""
        if self.weights is not None and self.spec is not None and self.spec.layers == spec.layers:
            return self.weights
        return None

    def stop(self) -> None:
        """End training after the batch that is running."""
        if self._inbox is not None:
            self._inbox.request_stop()

    def reset(self, spec: ModelSpec | None = None) -> int:
        """Forget the trained model and its history; `resetDone` brings new weights for `spec`."""
        inbox = self._require_started()
        self.stop()
        if self._busy:
            self._discarded.add(self._live_id)
        self.history = {}
        self.epochs_done = 0
        self.weights = None
        self.spec = None
        request_id = inbox.new_id()
        inbox.put(_Job("reset", request_id, {"spec": spec}))
        return request_id

    def discard_weights(self) -> None:
        """Forget the trained weights without asking the engine (the architecture changed).

        A run still going on is not counted any more: stop it; its last messages are ignored.
        """
        if self._busy:
            self._discarded.add(self._live_id)
        self.weights = None
        self.spec = None
        self.history = {}
        self.epochs_done = 0

    # -- state -----------------------------------------------------------------------------------

    def is_training(self) -> bool:
        return self._busy

    def has_trained_weights(self) -> bool:
        """Whether trained weights exist that an edit of the architecture would lose."""
        return self.weights is not None and self.epochs_done > 0

    def state(self) -> str:
        return self._state

    # -- internals -------------------------------------------------------------------------------

    def _train(self, spec, data, epochs, batch_size, validation_split, weights, resume) -> int:
        inbox = self._require_started()
        request_id = inbox.new_id()
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
        self._busy = True
        self._live_id = request_id
        inbox.put(_Job("train", request_id, args, weights or None))
        return request_id

    def _require_started(self) -> _Inbox:
        if self._thread is None:
            self.start_thread()
        assert self._inbox is not None
        return self._inbox

    @Slot(str, str)
    def _on_state(self, state: str, message: str) -> None:
        self._state = state
        self.stateChanged.emit(state, message)

    @Slot(object, object, int)
    def _on_reply(self, kind: str, payload: Any, request_id: int) -> None:
        if request_id in self._discarded:  # a run discarded while it ran (edit, Reset): only its end matters
            if kind in ("result", "failed"):
                self._discarded.discard(request_id)
                self._busy = request_id != self._live_id and self._busy
            return
        if kind == "progress":
            for done in payload.get("epochs_done", ()):
                self._record_epoch(done["epoch"], done["logs"])
            self.progressDetail.emit(payload)
            self.progress.emit(
                int(payload.get("epoch", 0)),
                int(payload.get("batch", 0)),
                payload.get("logs", {}),
                float(payload.get("eta", 0.0)),
            )
        elif kind == "weights":
            self.weights = payload
            self.weightsUpdated.emit(payload)
        elif kind == "result":
            self._busy = False
            self.last_result = payload
            self.epochs_done = payload.epochs_done
            if payload.weights:
                self.weights = payload.weights
            self.finished.emit({k: list(v) for k, v in self.history.items()})
        elif kind == "reset":
            self._busy = False
            self.resetDone.emit(payload.weights if payload is not None else {})
            if payload is not None and payload.weights:
                self.weightsUpdated.emit(payload.weights)
        elif kind == "failed":
            self._busy = False
            self.failed.emit(str(payload))
        elif kind == "engine_died":
            self._busy = False

    def _record_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs_done = max(self.epochs_done, epoch)
        self.epochFinished.emit(epoch, logs)
