"""The engine session's worker: one loop, one Keras engine process, every job policy. No Qt.

`EngineWorker.run()` is the whole life of the worker thread (the Qt side, `EngineSession`, only
starts it and turns its reports into signals). It owns one `EngineClient` and waits, with
`multiprocessing.connection.wait`, on three things at once: the engine's pipe (a reply), the
engine process's sentinel (its death) and the inbox's wake pipe (a new job, a cancel or stop).
What it has to say goes to `Reports` (a Protocol: plain callbacks), so the loop and its policies
are testable without Qt and, with a stand-in client, without TensorFlow.

Jobs come in lanes, each with its policy:
- BUILDS, newest wins: the inbox holds at most one build; a newer one replaces a waiting one
  (never sent, never answered). A build result older than the newest requested build is dropped
  (its shared memory unlinked unread). A build that runs for `cancel_after_s` while a newer one
  waits is cancelled by restarting the engine.
- FILES (export, load), in order. Not sent again after an engine death (a hostile file must not
  crash engines in a loop).
- TRAINING (train, reset), in order, with progress replies and a cooperative cancel (`cancel`:
  the engine stops after the batch that runs). No op timeout: a run may take hours.
When the engine is free the next job is taken from FILES, then BUILDS, then TRAINING.

Engine life, written once for every lane:
- The first engine starts importing Keras at once (`EngineClient.start(preload_keras=True)`); a
  "ping" confirms it. An engine that has not loaded Keras within `start_timeout_s` is replaced;
  after `MAX_FAILED_STARTS` failures in a row the state becomes "failed", waiting jobs fail, and
  the next job tries again. Keras failing to import is "failed" at once.
- A job that runs longer than `op_timeout_s` (builds, files, reset) fails and its engine is replaced.
- Engine death: "restarting", a new engine; a running build is sent again once, other running
  jobs fail with a message that says what happened.
- Every exception in the loop is reported and the loop lives on (after five in a row it stops).

States reported: "starting" (first engine, Keras loading), "ready", "busy", "restarting", "failed".
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Protocol

from nnstudio.core.spec import ModelSpec
from nnstudio.core.weights import Weights
from nnstudio.engine.client import EngineClient, EngineDied
from nnstudio.engine.protocol import ERROR, PROGRESS, LoadResult, Reply
from nnstudio.services.inbox import WakeInbox

STARTING, READY, BUSY, RESTARTING, FAILED = "starting", "ready", "busy", "restarting", "failed"
BUILDS, FILES, TRAINING = "builds", "files", "training"
DIED_MESSAGE = "Keras engine stopped unexpectedly; restarting…"
CANCEL_MESSAGE = "Cancelling a long Keras build; restarting the engine…"
MAX_FAILED_STARTS = 3
DEFAULT_START_TIMEOUT_S = 90.0  # spawn + first Keras import (seconds normally; a busy machine is slower)
DEFAULT_OP_TIMEOUT_S = 180.0  # one build, export, load or reset with nothing newer waiting
DEATH_MESSAGES = {
    BUILDS: "The Keras engine stopped twice while building this model (out of memory?).",
    FILES: "The Keras engine stopped while working on this file (too large or damaged?).",
    TRAINING: "The Keras engine stopped during training; the last weights shown are kept.",
}
BUSY_TEXT = {
    "build": "Building with Keras…",
    "export": "Exporting…",
    "load_keras": "Loading the file's weights…",
    "train": "Training…",
    "train_reset": "Re-initialising the weights…",
}
WHAT = {"build": "build", "export": "export", "load_keras": "file load", "train_reset": "weight reset"}


@dataclass
class Job:
    """One request for the engine: its op, arguments and weights, and the lane whose policy it follows."""

    op: str  # an engine op: "build", "export", "load_keras", "train", "train_reset"
    lane: str  # BUILDS, FILES or TRAINING
    request_id: int = 0
    args: dict[str, Any] = field(default_factory=dict)
    weights: Weights | None = None
    attempts: int = 0
    # kept here, never sent: the spec this side holds for the answer's `spec`; an answer whose spec
    # equals it takes it instead, compared on the worker's thread (a spec of a thousand layers takes
    # milliseconds to compare, and the views then find the answer's spec is the document's at once)
    known_spec: ModelSpec | None = None

    @property
    def timed(self) -> bool:
        """Whether the op timeout applies (a training run may take as long as it takes)."""
        return self.op != "train"


class Reports(Protocol):
    """Where the worker says what happened (called on the worker's thread)."""

    def state(self, state: str, message: str) -> None: ...
    def started(self, job: Job) -> None: ...
    def progress(self, job: Job, value: Any, weights: Weights | None) -> None: ...
    def finished(self, job: Job, value: Any) -> None: ...
    def failed(self, job: Job, message: str, layer_name: str | None) -> None: ...


class Inbox(WakeInbox):
    """Jobs from the GUI thread to the worker, by lane, and the cancels asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.build: Job | None = None  # the newest waiting build
        self.files: deque[Job] = deque()
        self.training: deque[Job] = deque()
        self.latest_build_id = 0
        self.cancels: set[int] = set()

    def put(self, job: Job) -> None:
        with self.lock:
            if job.lane == BUILDS:
                self.build = job
                self.latest_build_id = max(self.latest_build_id, job.request_id)
            else:
                (self.files if job.lane == FILES else self.training).append(job)
        self.wake()

    def cancel(self, request_id: int) -> None:
        """Ask the engine to stop job `request_id` (now, or as soon as it is sent)."""
        with self.lock:
            self.cancels.add(request_id)
        self.wake()

    def take_cancel(self, request_id: int) -> bool:
        with self.lock:
            if request_id in self.cancels:
                self.cancels.discard(request_id)
                return True
            return False

    def requeue_build(self, job: Job) -> bool:
        """Put back a build whose engine died, unless a newer one is waiting."""
        with self.lock:
            if self.build is not None or job.request_id < self.latest_build_id:
                return False
            self.build = job
            return True

    def take(self) -> Job | None:
        """Files first (in order), then the newest build, then training (in order)."""
        with self.lock:
            if self.files:
                return self.files.popleft()
            if self.build is not None:
                job, self.build = self.build, None
                return job
            return self.training.popleft() if self.training else None

    def has_work(self) -> bool:
        with self.lock:
            return bool(self.files or self.training) or self.build is not None

    def is_stale(self, job: Job) -> bool:
        with self.lock:
            return job.lane == BUILDS and job.request_id < self.latest_build_id


class EngineWorker:
    """The loop of the engine session's worker thread; see the module docstring."""

    def __init__(
        self,
        inbox: Inbox,
        reports: Reports,
        *,
        cancel_after_s: float = 5.0,
        start_timeout_s: float = DEFAULT_START_TIMEOUT_S,
        op_timeout_s: float = DEFAULT_OP_TIMEOUT_S,
        client: EngineClient | None = None,
        new_client: Callable[[], EngineClient] = EngineClient,
    ) -> None:
        self.inbox = inbox
        self.reports = reports
        self.cancel_after_s = cancel_after_s
        self.start_timeout_s = start_timeout_s
        self.op_timeout_s = op_timeout_s
        self.client = client if client is not None else new_client()
        self.pid: int | None = None
        self.inflight: Job | None = None
        self.warming = False  # the engine's first "ping" (Keras loading) is running
        self.sent_at = 0.0
        self.ready = False
        self.failed_starts = 0
        self.broken: str | None = None  # why the engine cannot be started (state "failed")
        self.debug_delays: dict[str, float] = {}  # tests: op ("start" = the Keras import) -> seconds

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> None:
        """Serve jobs until the inbox is stopped; the engine ends with the loop."""
        try:
            self._start_engine(STARTING, "Loading Keras…")
            errors = 0
            while not self.inbox.stopping:
                try:
                    self.step()
                    errors = 0
                except Exception as exc:  # the thread never dies of an exception
                    errors += 1
                    self._internal_error(exc)
                    if errors >= 5:
                        self.reports.state(FAILED, f"The engine session stopped after repeated errors: {exc}")
                        break
        finally:
            self.inflight = None
            self.client.kill()  # no state to save; an export writes atomically
            self.pid = None

    def step(self) -> None:
        """Send what can be sent, then wait for the engine, its death, a new job or the time limit."""
        if self.inflight is None and not self.warming and self.client.process is None and self.inbox.has_work():
            # no engine (it failed to start before): a new job tries again
            self.failed_starts = 0
            self.broken = None
            self._start_engine(RESTARTING, "Starting the Keras engine again…")
        if self.inflight is None and self.ready:
            job = self.inbox.take()
            if job is not None:
                self._send(job)
        if self.inflight is not None and self.inbox.take_cancel(self.inflight.request_id):
            with contextlib.suppress(EngineDied):
                self.client.cancel(self.inflight.request_id)
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
        """Seconds until the running op must be given up (None: no limit)."""
        if self.warming:
            limit = self.start_timeout_s
        elif self.inflight is None or not self.inflight.timed:
            return None
        elif self.inbox.is_stale(self.inflight):
            limit = min(self.cancel_after_s, self.op_timeout_s)
        else:
            limit = self.op_timeout_s
        return limit - (time.monotonic() - self.sent_at)

    def _out_of_time(self) -> None:
        job = self.inflight
        if self.warming:
            self._engine_failed_to_start(f"did not load Keras within {self.start_timeout_s:g} s")
        elif job is not None and self.inbox.is_stale(job):
            self.inflight = None
            self._replace_engine(RESTARTING, CANCEL_MESSAGE)
        elif job is not None:
            self.inflight = None
            what = WHAT.get(job.op, "operation")
            self.reports.failed(
                job, f"Keras did not finish this {what} within {self.op_timeout_s:g} s; the engine was restarted.", None
            )
            self._replace_engine(
                RESTARTING, f"A Keras {what} ran longer than {self.op_timeout_s:g} s; restarting the engine…"
            )

    # -- engine life -----------------------------------------------------------------------------

    def _start_engine(self, state: str, message: str) -> None:
        """Start an engine (unless one was started for this worker already) and ask it to load Keras."""
        self.ready = False
        self.reports.state(state, message)
        args: dict[str, Any] = {"import_keras": True}
        if self.debug_delays.get("start"):
            args["debug_delay_s"] = self.debug_delays["start"]
        try:
            self.client.start(preload_keras=True)
            self.pid = self.client.pid
            self.client.send("ping", 0, args)
        except Exception as exc:
            self._engine_failed_to_start(f"could not be started ({exc})")
            return
        self.warming = True
        self.sent_at = time.monotonic()

    def _replace_engine(self, state: str, message: str) -> None:
        self.client.kill()
        self.pid = None
        self._start_engine(state, message)

    def _engine_failed_to_start(self, reason: str) -> None:
        """An engine `reason` ("did not load Keras within 90 s") before it was ready: retry or give up."""
        self.client.kill()
        self.pid = None
        self.warming = False
        self.failed_starts += 1
        if self.failed_starts >= MAX_FAILED_STARTS:
            message = (
                f"The Keras engine failed to start {self.failed_starts} times (last: it {reason}). "
                "The next edit or file action tries again."
            )
            self.broken = message
            self.reports.state(FAILED, message)
            self._fail_waiting(message)
        else:
            self._start_engine(
                RESTARTING,
                f"The Keras engine {reason}; restarting it (try {self.failed_starts + 1} of {MAX_FAILED_STARTS})…",
            )

    def _on_engine_died(self) -> None:
        """The engine ended: what it was doing is sent again (a build, once) or failed, then a new one starts."""
        job, self.inflight = self.inflight, None
        if self.warming:
            self._engine_failed_to_start("stopped while loading Keras")
            return
        if job is not None:
            job.attempts += 1
            if job.lane == BUILDS and job.attempts < 2:
                self.inbox.requeue_build(job)
            elif not self.inbox.is_stale(job):
                self.reports.failed(job, DEATH_MESSAGES[job.lane], None)
        self._replace_engine(RESTARTING, DIED_MESSAGE)

    # -- messages --------------------------------------------------------------------------------

    def _send(self, job: Job) -> None:
        if self.broken is not None:
            self.reports.failed(job, self.broken, None)
            return
        args = dict(job.args)
        if self.debug_delays.get(job.op):
            args["debug_delay_s"] = self.debug_delays[job.op]
        self.inflight = job
        self.sent_at = time.monotonic()
        self.reports.started(job)
        self.reports.state(BUSY, BUSY_TEXT.get(job.op, "Working…"))
        try:
            self.client.send(job.op, job.request_id, args, job.weights)
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
        if self.warming:
            self._warmed_up(reply)
            return
        if job is None or reply.request_id != job.request_id:
            return  # an answer to a job given up (op timeout): its engine is gone by now
        if reply.kind == PROGRESS:
            if not stale:
                self.reports.progress(job, reply.value, reply.weights)
            return
        self.inflight = None
        self.failed_starts = 0
        if not self.inbox.has_work():
            self.reports.state(READY, "Keras ready")
        if stale:
            return
        if reply.kind == ERROR:
            error = reply.error
            self.reports.failed(
                job, error.message if error else "Keras returned nothing", error.layer_name if error else None
            )
        else:
            value = reply.value
            if job.known_spec is not None and isinstance(value, LoadResult) and value.spec == job.known_spec:
                value.spec = job.known_spec
            self.reports.finished(job, value)

    def _warmed_up(self, reply: Reply) -> None:
        self.warming = False
        if reply.kind == ERROR:
            message = reply.error.message if reply.error else "unknown error"
            self.broken = f"Keras could not be loaded: {message}"
            self.client.kill()  # the next job starts a fresh engine and tries again
            self.pid = None
            self.reports.state(FAILED, self.broken)
            self._fail_waiting(self.broken)
            return
        self.ready = True
        self.failed_starts = 0
        self.reports.state(READY, ready_message(reply.value or {}))

    # -- failures --------------------------------------------------------------------------------

    def _fail_waiting(self, message: str) -> None:
        while (job := self.inbox.take()) is not None:
            self.reports.failed(job, message, None)

    def _internal_error(self, exc: Exception) -> None:
        detail = "".join(traceback.format_exception_only(exc)).strip()
        job, self.inflight = self.inflight, None
        self.warming = False
        if job is not None:
            self.reports.failed(job, f"Internal error in the engine session: {detail}", None)
        self._replace_engine(RESTARTING, f"Internal error in the engine session ({detail}); restarting the engine…")


BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch", "numpy": "NumPy", "openvino": "OpenVINO"}


def ready_message(info: dict[str, Any]) -> str:
    """ "Keras 3.15.1 ready (TensorFlow 2.21.0)" from the engine's ping answer (parts it lacks left out)."""
    text = f"Keras {info.get('keras_version', '')} ready".replace("  ", " ")
    backend, version = info.get("backend", ""), info.get("backend_version", "")
    if backend and version:
        text += f" ({BACKEND_NAMES.get(backend, backend)} {version})"
    return text
