"""The model service: a worker thread that drives the Keras engine process for the window.

The GUI thread only calls the non-blocking methods (`request_build`, `export_keras`,
`load_keras`, ...), which put a job in a small locked inbox and wake the worker; results come
back as Qt signals, delivered queued to the GUI thread. The worker thread (`_EngineWorker.run`)
owns the `EngineClient` and waits, with `multiprocessing.connection.wait`, on three things at
once: the engine's pipe (a reply), the engine process's sentinel (its death) and the inbox's
wake pipe (a new job or `shutdown`). The GUI thread never waits on the engine, except in
`shutdown()`, which joins the worker when the window closes.

Policies
- Newest build wins: the inbox holds at most one build; a newer `request_build` replaces a
  pending one (the replaced request is never sent and never answered). A result whose request is
  older than the newest requested build is dropped (its shared memory unlinked unread), so only
  the newest build's result or failure is delivered. Exports and loads are queued in order.
- Cancelling a long build: when a build has run for `cancel_after_s` (default 5 s) and a newer
  build is waiting, the engine is killed and restarted, and the newest build is sent to the new
  engine; `engineStateChanged("restarting", ...)` says so. Builds shorter than that finish and
  their stale result is dropped (restarting costs a Keras import, seconds).
- Engine death (crash, out of memory, killed from outside): `engineStateChanged("restarting",
  "Keras engine stopped unexpectedly; restarting…")`, a new engine, and the build that was
  running or waiting is sent again (once: a build that kills two engines in a row fails with a
  message instead). An export or load that was running fails with a message and is not re-sent
  (a hostile file must not crash engines in a loop).
- A hanging engine: an engine that has not loaded Keras within `start_timeout_s` (default 90 s,
  or `$NNSTUDIO_ENGINE_START_TIMEOUT`) is killed and a new one started ("restarting", with the
  reason). An op (build, export, load) that runs longer than `op_timeout_s` (default 180 s, or
  `$NNSTUDIO_ENGINE_OP_TIMEOUT`) with nothing newer waiting is failed with a message and its
  engine replaced. After `MAX_FAILED_STARTS` engines in a row die, hang or fail before they are
  ready, the state becomes "failed" with the reason and waiting requests fail; the next request
  tries again with a fresh engine. Keras failing to import is "failed" at once (a new engine
  would fail the same way).
- Every exception in the worker is caught and reported as a signal; the thread lives on.
- `shutdown()` is quiet and deterministic: it drops running and waiting work without failure
  signals, and once it returns the service emits nothing more (signals the worker had queued
  but the GUI thread had not yet delivered are discarded).

States (`engineStateChanged(state, message)`): "starting" (first engine, Keras loading),
"ready", "busy" (an op is running), "restarting", "failed".
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from nnstudio.core.spec import ModelSpec
from nnstudio.engine.client import EngineClient, EngineDied
from nnstudio.engine.process import DEFAULT_LOAD_MEMORY_LIMIT
from nnstudio.engine.protocol import ERROR, PROGRESS, BuildFailure, BuildResult, LoadResult, Reply
from nnstudio.services.inbox import WakeInbox

STARTING, READY, BUSY, RESTARTING, FAILED = "starting", "ready", "busy", "restarting", "failed"
DIED_MESSAGE = "Keras engine stopped unexpectedly; restarting…"
CANCEL_MESSAGE = "Cancelling a long Keras build; restarting the engine…"
MAX_FAILED_STARTS = 3
DEFAULT_START_TIMEOUT_S = 90.0  # spawn + first Keras import (seconds normally; a busy machine is slower)
DEFAULT_OP_TIMEOUT_S = 180.0  # one build, export or load with nothing newer waiting


def ready_message(info: dict) -> str:
    """ "Keras 3.15.1 ready (TensorFlow 2.21.0)" from the engine's ping answer (parts it lacks left out)."""
    text = f"Keras {info.get('keras_version', '')} ready".replace("  ", " ")
    backend, version = info.get("backend", ""), info.get("backend_version", "")
    if backend and version:
        text += f" ({BACKEND_NAMES.get(backend, backend)} {version})"
    return text


BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch", "numpy": "NumPy", "openvino": "OpenVINO"}


@dataclass
class _Job:
    kind: str  # "build", "export", "load_keras", "warmup"
    request_id: int
    args: dict[str, Any] = field(default_factory=dict)
    weights: Any = None
    attempts: int = 0


class _Inbox(WakeInbox):
    """Jobs from the GUI thread to the worker: the newest build, and exports and loads in order."""

    def __init__(self) -> None:
        super().__init__()
        self.build: _Job | None = None  # the newest pending build
        self.others: list[_Job] = []
        self.latest_build_id = 0

    def put_build(self, job: _Job) -> None:
        with self.lock:
            self.build = job
            self.latest_build_id = max(self.latest_build_id, job.request_id)
        self.wake()

    def requeue_build(self, job: _Job) -> bool:
        """Put back a build whose engine died, unless a newer one is waiting."""
        with self.lock:
            if self.build is not None or job.request_id < self.latest_build_id:
                return False
            self.build = job
            return True

    def put(self, job: _Job) -> None:
        with self.lock:
            self.others.append(job)
        self.wake()

    def take(self) -> _Job | None:
        """Exports and loads first (in order), then the newest build."""
        with self.lock:
            if self.others:
                return self.others.pop(0)
            job, self.build = self.build, None
            return job

    def has_work(self) -> bool:
        with self.lock:
            return bool(self.others) or self.build is not None

    def is_stale(self, job: _Job) -> bool:
        with self.lock:
            return job.kind == "build" and job.request_id < self.latest_build_id


class _EngineWorker(QObject):
    """Lives in the service's QThread; `run` is its whole life."""

    stateChanged = Signal(str, str)
    buildStarted = Signal(int)
    buildFinished = Signal(object)
    buildFailed = Signal(object)
    exportFinished = Signal(str)
    exportFailed = Signal(str)
    loaded = Signal(object)
    loadFailed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        inbox: _Inbox,
        cancel_after_s: float,
        load_memory_limit: int | None,
        start_timeout_s: float = DEFAULT_START_TIMEOUT_S,
        op_timeout_s: float = DEFAULT_OP_TIMEOUT_S,
    ) -> None:
        super().__init__()
        self.inbox = inbox
        self.cancel_after_s = cancel_after_s
        self.start_timeout_s = start_timeout_s
        self.op_timeout_s = op_timeout_s
        self.load_memory_limit = load_memory_limit
        self.client = EngineClient()
        self.pid: int | None = None
        self.inflight: _Job | None = None
        self.sent_at = 0.0
        self.ready = False
        self.failed_starts = 0
        self.broken: str | None = None  # why the engine cannot be started (state "failed")
        self.debug_delays: dict[str, float] = {}  # tests: op ("start" = the Keras import) -> seconds

    # -- the loop --------------------------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        try:
            self._start_engine(STARTING, "Loading Keras…")
            errors = 0
            while not self.inbox.stopping:
                try:
                    self._step()
                    errors = 0
                except Exception as exc:  # never let the thread die
                    errors += 1
                    self._internal_error(exc)
                    if errors >= 5:
                        self.stateChanged.emit(FAILED, f"The model service stopped after repeated errors: {exc}")
                        break
        finally:
            self._stop_engine()
            self.pid = None
            self.finished.emit()

    def _step(self) -> None:
        if self.inflight is None and self.client.process is None and self.inbox.has_work():
            # no engine (it failed to start before): a new request tries again
            self.failed_starts = 0
            self.broken = None
            self._start_engine(RESTARTING, "Starting the Keras engine again…")
        if self.inflight is None and self.ready:
            job = self.inbox.take()
            if job is not None:
                self._send(job)
        timeout = self._time_left()
        if timeout is not None and timeout <= 0:
            self._out_of_time()
            return
        waitables = [self.inbox.reader]
        if self.client.conn is not None:
            waitables += [self.client.conn, self.client.sentinel]
        ready = wait(waitables, timeout)
        self.inbox.clear_wake()
        if self.inbox.stopping:
            return
        if self.client.conn is not None and (self.client.conn in ready or self.client.sentinel in ready):
            self._receive()

    def _time_left(self) -> float | None:
        """Seconds until the running op must be given up (None: nothing runs)."""
        job = self.inflight
        if job is None:
            return None
        if job.kind == "warmup":
            limit = self.start_timeout_s
        elif job.kind == "build" and self.inbox.is_stale(job):
            limit = min(self.cancel_after_s, self.op_timeout_s)
        else:
            limit = self.op_timeout_s
        return limit - (time.monotonic() - self.sent_at)

    def _out_of_time(self) -> None:
        job = self.inflight
        if job is None:
            return
        if job.kind == "warmup":
            self._engine_failed_to_start(f"did not load Keras within {self.start_timeout_s:g} s")
        elif job.kind == "build" and self.inbox.is_stale(job):
            self._cancel_running_build()
        else:
            self.inflight = None
            with contextlib.suppress(Exception):
                self.client.kill()
            self.pid = None
            what = _WHAT.get(job.kind, "operation")
            self._fail_job(
                job, f"Keras did not finish this {what} within {self.op_timeout_s:g} s; the engine was restarted."
            )
            self._start_engine(
                RESTARTING, f"A Keras {what} ran longer than {self.op_timeout_s:g} s; restarting the engine…"
            )

    # -- engine life -----------------------------------------------------------------------------

    def _start_engine(self, state: str, message: str) -> None:
        self.ready = False
        self.stateChanged.emit(state, message)
        args: dict[str, Any] = {"import_keras": True}
        if self.debug_delays.get("start"):
            args["debug_delay_s"] = self.debug_delays["start"]
        try:
            self.client.start()
            self.pid = self.client.pid
            self.client.send("ping", 0, args)
        except Exception as exc:
            self._engine_failed_to_start(f"could not be started ({exc})")
            return
        self.inflight = _Job("warmup", 0)
        self.sent_at = time.monotonic()

    def _stop_engine(self) -> None:
        """End the engine; running and waiting work is dropped without a word (shutdown is quiet)."""
        self.inflight = None
        with contextlib.suppress(Exception):
            self.client.kill()  # no state to save; an export writes atomically

    def _engine_failed_to_start(self, reason: str) -> None:
        """An engine `reason` ("did not load Keras within 90 s") before it was ready: retry or give up."""
        with contextlib.suppress(Exception):
            self.client.kill()
        self.pid = None
        self.inflight = None
        self.failed_starts += 1
        if self.failed_starts >= MAX_FAILED_STARTS:
            message = (
                f"The Keras engine failed to start {self.failed_starts} times (last: it {reason}). "
                "The next edit or file action tries again."
            )
            self.broken = message
            self.stateChanged.emit(FAILED, message)
            self._fail_pending(message)
        else:
            self._start_engine(
                RESTARTING,
                f"The Keras engine {reason}; restarting it (try {self.failed_starts + 1} of {MAX_FAILED_STARTS})…",
            )

    def _on_engine_died(self) -> None:
        job, self.inflight = self.inflight, None
        with contextlib.suppress(Exception):
            self.client.kill()
        self.pid = None
        if job is not None and job.kind == "warmup":
            self._engine_failed_to_start("stopped while loading Keras")
            return
        if job is not None:
            job.attempts += 1
            if job.kind == "build":
                if job.attempts >= 2:
                    self._fail_job(job, "The Keras engine stopped twice while building this model (out of memory?).")
                else:
                    self.inbox.requeue_build(job)
            else:
                self._fail_job(job, "The Keras engine stopped while working on this file (too large or damaged?).")
        self._start_engine(RESTARTING, DIED_MESSAGE)

    def _cancel_running_build(self) -> None:
        self.inflight = None
        with contextlib.suppress(Exception):
            self.client.kill()
        self.pid = None
        self._start_engine(RESTARTING, CANCEL_MESSAGE)

    # -- messages --------------------------------------------------------------------------------

    def _send(self, job: _Job) -> None:
        if self.broken is not None:
            self._fail_job(job, self.broken)
            return
        args = dict(job.args)
        if self.debug_delays.get(job.kind):
            args["debug_delay_s"] = self.debug_delays[job.kind]
        self.inflight = job
        self.sent_at = time.monotonic()
        if job.kind == "build":
            self.buildStarted.emit(job.request_id)
        self.stateChanged.emit(BUSY, _BUSY_TEXT.get(job.kind, "Working…"))
        try:
            self.client.send(job.kind, job.request_id, args, job.weights)
        except EngineDied:
            self._on_engine_died()

    def _receive(self) -> None:
        job = self.inflight
        stale = job is not None and self.inbox.is_stale(job)
        try:
            reply = self.client.receive(0, unpack=not stale)
        except EngineDied:
            self._on_engine_died()
            return
        except TimeoutError:
            return  # the sentinel fired first; the pipe's EOF comes next
        if reply.kind == PROGRESS:
            return
        if job is None or reply.request_id != job.request_id:
            return  # not the reply we wait for (cannot happen with one op at a time)
        self.inflight = None
        if job.kind == "warmup":
            self._warmed_up(reply)
            return
        self.failed_starts = 0
        if not self.inbox.has_work():
            self.stateChanged.emit(READY, "Keras ready")
        if stale:
            return
        self._deliver(job, reply)

    def _warmed_up(self, reply: Reply) -> None:
        if reply.kind == ERROR:
            message = reply.error.message if reply.error else "unknown error"
            self.broken = f"Keras could not be loaded: {message}"
            with contextlib.suppress(Exception):
                self.client.kill()  # the next request starts a fresh engine and tries again
            self.pid = None
            self.stateChanged.emit(FAILED, self.broken)
            self._fail_pending(self.broken)
            return
        self.ready = True
        self.failed_starts = 0
        self.stateChanged.emit(READY, ready_message(reply.value or {}))

    def _deliver(self, job: _Job, reply: Reply) -> None:
        error = reply.error.message if reply.kind == ERROR and reply.error else None
        value = reply.value
        if job.kind == "build":
            if isinstance(value, BuildResult):
                self.buildFinished.emit(value)
            elif isinstance(value, BuildFailure):
                self.buildFailed.emit(value)
            else:
                layer = reply.error.layer_name if reply.error else None
                self.buildFailed.emit(
                    BuildFailure(job.request_id, job.args["spec"], error or "Keras returned nothing", layer)
                )
        elif job.kind == "export":
            if error is None:
                self.exportFinished.emit(str(job.args["path"]))
            else:
                self.exportFailed.emit(error)
        elif job.kind == "load_keras":
            if error is None and isinstance(value, LoadResult):
                self.loaded.emit((value.spec, value.weights))
            else:
                self.loadFailed.emit(error or "Keras returned nothing")

    # -- failures --------------------------------------------------------------------------------

    def _fail_job(self, job: _Job, message: str) -> None:
        if job.kind == "build":
            if not self.inbox.is_stale(job):
                self.buildFailed.emit(BuildFailure(job.request_id, job.args["spec"], message, None))
        elif job.kind == "export":
            self.exportFailed.emit(message)
        elif job.kind == "load_keras":
            self.loadFailed.emit(message)

    def _fail_inflight(self, message: str) -> None:
        job, self.inflight = self.inflight, None
        if job is not None and job.kind != "warmup":
            self._fail_job(job, message)

    def _fail_pending(self, message: str) -> None:
        while (job := self.inbox.take()) is not None:
            self._fail_job(job, message)

    def _internal_error(self, exc: Exception) -> None:
        detail = "".join(traceback.format_exception_only(exc)).strip()
        with contextlib.suppress(Exception):
            self._fail_inflight(f"Internal error in the model service: {detail}")
        with contextlib.suppress(Exception):
            self.client.kill()
        self.pid = None
        self.ready = False
        self.stateChanged.emit(RESTARTING, f"Internal error in the model service ({detail}); restarting the engine…")
        with contextlib.suppress(Exception):
            self._start_engine(RESTARTING, DIED_MESSAGE)


_BUSY_TEXT = {
    "build": "Building with Keras…",
    "export": "Exporting…",
    "load_keras": "Loading the file's weights…",
}
_WHAT = {"build": "build", "export": "export", "load_keras": "file load"}


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class ModelService(QObject):
    """Builds, exports and loads models in the Keras engine; see the module docstring."""

    engineStateChanged = Signal(str, str)
    buildStarted = Signal(int)
    buildFinished = Signal(object)  # BuildResult
    buildFailed = Signal(object)  # BuildFailure
    exportFinished = Signal(str)
    exportFailed = Signal(str)
    keras_loaded = Signal(object)  # (ModelSpec, weights)
    loadFailed = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        cancel_after_s: float = 5.0,
        load_memory_limit: int | None = DEFAULT_LOAD_MEMORY_LIMIT,
        start_timeout_s: float | None = None,
        op_timeout_s: float | None = None,
    ) -> None:
        super().__init__(parent)
        self._cancel_after_s = cancel_after_s
        self._start_timeout_s = start_timeout_s or _env_seconds(
            "NNSTUDIO_ENGINE_START_TIMEOUT", DEFAULT_START_TIMEOUT_S
        )
        self._op_timeout_s = op_timeout_s or _env_seconds("NNSTUDIO_ENGINE_OP_TIMEOUT", DEFAULT_OP_TIMEOUT_S)
        self._load_memory_limit = load_memory_limit
        self._inbox: _Inbox | None = None
        self._thread: QThread | None = None
        self._worker: _EngineWorker | None = None
        self._state = ""
        self._message = ""
        self._quit_hooked = False
        self._closed = False  # after shutdown(), requests are ignored instead of starting a new engine
        self.engineStateChanged.connect(self._remember_state)
        self._debug_delays: dict[str, float] = {}  # tests: see set_debug_delay

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread, which spawns the engine and loads Keras. Returns at once."""
        if self._thread is not None:
            return
        self._closed = False
        app = QCoreApplication.instance()
        if app is not None and not self._quit_hooked:
            # A forgotten shutdown() must not leave a running QThread behind at exit (Qt aborts).
            app.aboutToQuit.connect(self._on_about_to_quit)
            self._quit_hooked = True
        self._inbox = _Inbox()
        self._worker = _EngineWorker(
            self._inbox, self._cancel_after_s, self._load_memory_limit, self._start_timeout_s, self._op_timeout_s
        )
        self._worker.debug_delays = self._debug_delays
        self._thread = QThread()
        self._thread.setObjectName("nnstudio-model-service")
        self._worker.moveToThread(self._thread)
        w = self._worker
        w.stateChanged.connect(self.engineStateChanged)
        w.buildStarted.connect(self.buildStarted)
        w.buildFinished.connect(self.buildFinished)
        w.buildFailed.connect(self.buildFailed)
        w.exportFinished.connect(self.exportFinished)
        w.exportFailed.connect(self.exportFailed)
        w.loaded.connect(self.keras_loaded)
        w.loadFailed.connect(self.loadFailed)
        # Direct: the QThread object lives in the GUI thread, which may be blocked in shutdown()'s wait.
        w.finished.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        # Queued: `run` starts once the thread's event loop runs, so `finished -> quit` ends it.
        self._thread.started.connect(w.run, Qt.ConnectionType.QueuedConnection)
        self._thread.start()

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop the worker and the engine and wait for both (window close, tests). Idempotent.

        Quiet: a running or waiting build, export or load is dropped without a failure signal, and
        no signal of this service is emitted after `shutdown` returns (ones the worker queued before
        it stopped are discarded). Afterwards requests are ignored (they return -1) until `start()`.
        """
        self._closed = True
        if self._thread is None:
            return
        assert self._inbox is not None
        self._inbox.stop()
        if not self._thread.wait(int(timeout_s * 1000)):
            # The worker is stuck somewhere unexpected: end the engine under it, then wait again.
            if self._worker is not None:
                with contextlib.suppress(Exception):
                    self._worker.client.kill()
            self._thread.quit()
            self._thread.wait(int(timeout_s * 1000))
        if self._worker is not None:
            self._disconnect(self._worker)
        # Signals the worker emitted before it stopped wait in this thread's queue as meta-call
        # events for this object: drop them, so nothing arrives after shutdown returns.
        QCoreApplication.removePostedEvents(self, QEvent.Type.MetaCall)
        self._inbox.close()
        self._thread.deleteLater()
        self._thread = None
        self._worker = None

    def _disconnect(self, w: _EngineWorker) -> None:
        pairs = [
            (w.stateChanged, self.engineStateChanged),
            (w.buildStarted, self.buildStarted),
            (w.buildFinished, self.buildFinished),
            (w.buildFailed, self.buildFailed),
            (w.exportFinished, self.exportFinished),
            (w.exportFailed, self.exportFailed),
            (w.loaded, self.keras_loaded),
            (w.loadFailed, self.loadFailed),
        ]
        for signal, target in pairs:
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(target)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    # -- requests (GUI thread; none of them blocks) ----------------------------------------------

    def request_build(self, spec: ModelSpec, weights: dict | None = None) -> int:
        """Ask for a Keras build of `spec`; returns its request id. A newer request replaces it.

        `weights` (layer name -> arrays), when given, are set into the layers they still fit.
        """
        inbox = self._require_started()
        if inbox is None:
            return -1
        request_id = inbox.new_id()
        args: dict[str, Any] = {"spec": spec}
        if weights:
            args["strict"] = False
        inbox.put_build(_Job("build", request_id, args, weights or None))
        return request_id

    def export_keras(self, spec: ModelSpec, path: str, weights: dict | None = None) -> int:
        """Build `spec` (with `weights`) in the engine and write a `.keras` file atomically."""
        inbox = self._require_started()
        if inbox is None:
            return -1
        request_id = inbox.new_id()
        inbox.put(_Job("export", request_id, {"spec": spec, "path": str(path)}, weights or None))
        return request_id

    def load_keras(self, path: str) -> int:
        """Load a `.keras` file in the engine (core checks first, then Keras safe mode, memory-capped)."""
        inbox = self._require_started()
        if inbox is None:
            return -1
        request_id = inbox.new_id()
        args: dict[str, Any] = {"path": str(path)}
        if self._load_memory_limit:
            args["memory_limit_bytes"] = self._load_memory_limit
        inbox.put(_Job("load_keras", request_id, args))
        return request_id

    def engine_pid(self) -> int | None:
        """The engine process's id while one runs (for tests and diagnostics)."""
        return self._worker.pid if self._worker is not None else None

    def state(self) -> tuple[str, str]:
        """The last (state, message) reported."""
        return self._state, self._message

    def timeouts(self) -> tuple[float, float]:
        """(start_timeout_s, op_timeout_s) in force."""
        return self._start_timeout_s, self._op_timeout_s

    def set_timeouts(self, start_timeout_s: float | None = None, op_timeout_s: float | None = None) -> None:
        """Change the start and op timeouts (see the module docstring); applies to what runs now too."""
        if start_timeout_s:
            self._start_timeout_s = float(start_timeout_s)
        if op_timeout_s:
            self._op_timeout_s = float(op_timeout_s)
        worker = self._worker
        if worker is not None:
            worker.start_timeout_s, worker.op_timeout_s = self._start_timeout_s, self._op_timeout_s
            if self._inbox is not None:
                self._inbox.wake()  # recompute the worker's wait

    def set_debug_delay(self, op: str, seconds: float) -> None:
        """Tests: make every `op` ("build", "export", "load_keras", or "start": the Keras import
        of each new engine) sleep `seconds` in the engine first. Applies to ops sent from now on."""
        self._debug_delays[op] = float(seconds)  # the worker shares this dict

    def set_debug_build_delay(self, seconds: float) -> None:
        """Tests: make every build sleep `seconds` in the engine before Keras runs."""
        self.set_debug_delay("build", seconds)

    @Slot()
    def _on_about_to_quit(self) -> None:
        self.shutdown()

    @Slot(str, str)
    def _remember_state(self, state: str, message: str) -> None:
        self._state, self._message = state, message

    def _require_started(self) -> _Inbox | None:
        """The inbox, starting the service on first use; None once shut down."""
        if self._closed:
            return None
        if self._inbox is None or self._thread is None:
            self.start()
        return self._inbox
