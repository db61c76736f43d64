"""The engine session: one Keras engine process for the whole application, builds and training alike.

`EngineSession` is the Qt side of `EngineWorker` (see `engine_worker.py` for the job policies):
it runs the worker's loop in one QThread and turns its reports into signals, delivered queued to
the GUI thread. The GUI thread only calls the non-blocking `submit` and `cancel`; it waits on the
engine nowhere except in `shutdown()`. `ModelService` (builds, exports, loads) and
`TrainingService` (training) are thin layers over one session.

The engine begins importing Keras as soon as it runs. The application spawns it first thing
(`nnstudio.engine.boot.spawn`, before it builds the window) and hands it to `start(spawned)`;
without one, the worker thread spawns it.

`shutdown()` is quiet and deterministic: running and waiting jobs are dropped without failure
signals, and once it returns the session emits nothing more (signals the worker had queued but the
GUI thread had not yet delivered are discarded). `restart()` is a shutdown and a start; it emits
`restarted` so the services can say what their dropped jobs became.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from nnstudio.core.weights import Weights
from nnstudio.engine.boot import DEFAULT_LOAD_MEMORY_LIMIT
from nnstudio.engine.client import EngineClient
from nnstudio.services.engine_worker import (
    DEFAULT_OP_TIMEOUT_S,
    DEFAULT_START_TIMEOUT_S,
    EngineWorker,
    Inbox,
    Job,
)
from nnstudio.services.thread_priority import make_this_thread_yield


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable `name`, else `default`."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class _Bridge(QObject):
    """The worker's `Reports` as signals; lives in the worker thread, so every emit is queued."""

    stateReported = Signal(str, str)
    jobStarted = Signal(object)
    jobProgress = Signal(object, object, object)  # job, value, weights
    jobFinished = Signal(object, object)  # job, value
    jobFailed = Signal(object, str, object)  # job, message, layer name
    done = Signal()

    def __init__(self, worker_args: dict[str, Any], client: EngineClient, debug_delays: dict[str, float]) -> None:
        super().__init__()
        self.worker = EngineWorker(worker_args.pop("inbox"), self, client=client, **worker_args)
        self.worker.debug_delays = debug_delays

    # Reports, called by the worker on its thread
    def state(self, state: str, message: str) -> None:
        self.stateReported.emit(state, message)

    def started(self, job: Job) -> None:
        self.jobStarted.emit(job)

    def progress(self, job: Job, value: Any, weights: Weights | None) -> None:
        self.jobProgress.emit(job, value, weights)

    def finished(self, job: Job, value: Any) -> None:
        self.jobFinished.emit(job, value)

    def failed(self, job: Job, message: str, layer_name: str | None) -> None:
        self.jobFailed.emit(job, message, layer_name)

    @Slot()
    def run(self) -> None:
        make_this_thread_yield()
        try:
            self.worker.run()
        finally:
            self.done.emit()


class EngineSession(QObject):
    """One Keras engine process driven by one worker thread; see the module docstring."""

    stateChanged = Signal(str, str)  # "starting", "ready", "busy", "restarting", "failed"; message
    jobStarted = Signal(object)  # Job
    jobProgress = Signal(object, object, object)  # Job, value, Weights | None
    jobFinished = Signal(object, object)  # Job, value (its weights put back from shared memory)
    jobFailed = Signal(object, str, object)  # Job, message, layer name | None
    restarted = Signal()  # restart(): every job running or waiting was dropped

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        cancel_after_s: float = 5.0,
        start_timeout_s: float | None = None,
        op_timeout_s: float | None = None,
        load_memory_limit: int | None = DEFAULT_LOAD_MEMORY_LIMIT,
    ) -> None:
        super().__init__(parent)
        self.cancel_after_s = cancel_after_s
        self.load_memory_limit = load_memory_limit
        self._start_timeout_s = start_timeout_s or env_seconds("NNSTUDIO_ENGINE_START_TIMEOUT", DEFAULT_START_TIMEOUT_S)
        self._op_timeout_s = op_timeout_s or env_seconds("NNSTUDIO_ENGINE_OP_TIMEOUT", DEFAULT_OP_TIMEOUT_S)
        self._inbox: Inbox | None = None
        self._thread: QThread | None = None
        self._bridge: _Bridge | None = None
        self._state = ("", "")
        self._closed = False  # after shutdown(), jobs are refused instead of starting a new engine
        self._quit_hooked = False
        self._debug_delays: dict[str, float] = {}
        self.stateChanged.connect(self._remember_state)

    # -- life ------------------------------------------------------------------------------------

    def start(self, spawned: tuple[Any, Any, str] | None = None) -> None:
        """Spawn the engine (it starts importing Keras at once) and the worker thread. Returns at once.

        `spawned`: an engine the application started earlier with `nnstudio.engine.boot.spawn`
        (process, pipe end, prefix), adopted instead of spawning one."""
        if self._thread is not None:
            return
        self._closed = False
        app = QCoreApplication.instance()
        if app is not None and not self._quit_hooked:
            # A forgotten shutdown() must not leave a running QThread behind at exit (Qt aborts).
            app.aboutToQuit.connect(self.shutdown)
            self._quit_hooked = True
        client = EngineClient(spawned)  # without `spawned`, the worker spawns the engine off this thread
        self._inbox = Inbox()
        worker_args: dict[str, Any] = {
            "inbox": self._inbox,
            "cancel_after_s": self.cancel_after_s,
            "start_timeout_s": self._start_timeout_s,
            "op_timeout_s": self._op_timeout_s,
        }
        bridge = self._bridge = _Bridge(worker_args, client, self._debug_delays)
        thread = self._thread = QThread()
        thread.setObjectName("nnstudio-engine-session")
        bridge.moveToThread(thread)
        bridge.stateReported.connect(self.stateChanged)
        bridge.jobStarted.connect(self.jobStarted)
        bridge.jobProgress.connect(self.jobProgress)
        bridge.jobFinished.connect(self.jobFinished)
        bridge.jobFailed.connect(self.jobFailed)
        # Direct: the QThread object lives in the GUI thread, which may be blocked in shutdown()'s wait.
        bridge.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # Queued: `run` starts once the thread's event loop runs, so `done -> quit` ends it.
        thread.started.connect(bridge.run, Qt.ConnectionType.QueuedConnection)
        thread.start()

    @Slot()
    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop the worker and the engine and wait for both (window close, tests). Idempotent and quiet."""
        self._closed = True
        thread, bridge, inbox = self._thread, self._bridge, self._inbox
        if thread is None or bridge is None or inbox is None:
            return
        inbox.stop()
        if not thread.wait(int(timeout_s * 1000)):
            bridge.worker.client.kill()  # stuck somewhere unexpected: end the engine under it
            thread.quit()
            thread.wait(int(timeout_s * 1000))
        for signal, target in (
            (bridge.stateReported, self.stateChanged),
            (bridge.jobStarted, self.jobStarted),
            (bridge.jobProgress, self.jobProgress),
            (bridge.jobFinished, self.jobFinished),
            (bridge.jobFailed, self.jobFailed),
        ):
            signal.disconnect(target)
        # Signals the worker emitted before it stopped wait in this thread's queue as meta-call
        # events for this object: drop them, so nothing arrives after shutdown returns.
        QCoreApplication.removePostedEvents(self, QEvent.Type.MetaCall)
        inbox.close()
        thread.deleteLater()
        bridge.deleteLater()
        self._thread = self._bridge = self._inbox = None

    def restart(self) -> None:
        """End the engine and what it was doing, and start a fresh one; `restarted` says so."""
        self.shutdown()
        self.start()
        self.restarted.emit()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    # -- jobs (GUI thread; none of them blocks) --------------------------------------------------

    def new_id(self) -> int:
        """A fresh request id (0 once shut down)."""
        inbox = self._require_started()
        return inbox.new_id() if inbox is not None else 0

    def submit(self, job: Job) -> int:
        """Queue `job` by its lane's policy (starting the session on first use); its request id, or
        -1 once shut down (the job is dropped)."""
        inbox = self._require_started()
        if inbox is None:
            return -1
        if not job.request_id:
            job.request_id = inbox.new_id()
        inbox.put(job)
        return job.request_id

    def cancel(self, request_id: int) -> None:
        """Ask job `request_id` (training) to stop after the batch that runs, or as soon as it is sent."""
        if self._inbox is not None:
            self._inbox.cancel(request_id)

    def is_stale(self, job: Job) -> bool:
        """Whether a newer build was asked for than `job`."""
        return self._inbox is not None and self._inbox.is_stale(job)

    # -- state -----------------------------------------------------------------------------------

    def engine_pid(self) -> int | None:
        """The engine process's id while one runs (for tests and diagnostics)."""
        return self._bridge.worker.pid if self._bridge is not None else None

    def state(self) -> tuple[str, str]:
        """The last (state, message) reported."""
        return self._state

    def timeouts(self) -> tuple[float, float]:
        """(start_timeout_s, op_timeout_s) in force."""
        return self._start_timeout_s, self._op_timeout_s

    def set_timeouts(self, start_timeout_s: float | None = None, op_timeout_s: float | None = None) -> None:
        """Change the start and op timeouts; applies to what runs now too."""
        if start_timeout_s:
            self._start_timeout_s = float(start_timeout_s)
        if op_timeout_s:
            self._op_timeout_s = float(op_timeout_s)
        if self._bridge is not None and self._inbox is not None:
            self._bridge.worker.start_timeout_s, self._bridge.worker.op_timeout_s = self.timeouts()
            self._inbox.wake()  # recompute the worker's wait

    def set_debug_delay(self, op: str, seconds: float) -> None:
        """Tests: make every `op` ("build", "export", "load_keras", "train", or "start": the Keras
        import of each new engine) sleep `seconds` in the engine first. Applies to ops sent from now on."""
        self._debug_delays[op] = float(seconds)  # the worker shares this dict

    @Slot(str, str)
    def _remember_state(self, state: str, message: str) -> None:
        self._state = (state, message)

    def _require_started(self) -> Inbox | None:
        if self._closed:
            return None
        if self._inbox is None:
            self.start()
        return self._inbox
