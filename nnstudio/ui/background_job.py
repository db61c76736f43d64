"""One background job at a time, its result delivered on the GUI thread by a signal.

The canvas's heavy numpy work for big models (block sums of every kernel when weights arrive, the
level of detail after a view change, the columns of a model about to be drawn) and the graph view's
layouts of big graphs (grandalf, pure Python: the interpreter still gives the GUI thread its turns)
run here instead of on the GUI thread. Each job is a plain function run in a short-lived Python
thread, so nothing is left running between jobs; `wait()` and `close()` join it. Which job runs
next, and whether a result is still wanted, is the owner's business (newest wins): this class only
runs one job and reports it.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore
from PySide6.QtCore import Signal


@dataclass
class JobResult:
    tag: Any  # what the canvas gave start(): which request the result answers
    value: Any = None
    error: str | None = None  # the exception's text when the job failed
    elapsed_ms: float = 0.0


class _Relay(QtCore.QObject):
    """Lives in the GUI thread; a signal emitted from the job's thread reaches its receivers queued."""

    finished = Signal(object)


class BackgroundJob:
    """Runs at most one job at a time, each in its own thread, and emits `finished(JobResult)`."""

    def __init__(
        self, receiver: Callable[[JobResult], None], name: str = "canvas-worker", daemon: bool = False
    ) -> None:
        """`receiver(JobResult)` is called on the GUI thread; a `daemon` job's thread is not waited for
        when the application ends."""
        self._relay = _Relay()
        self._relay.finished.connect(receiver)
        self._name = name
        self._daemon = daemon
        self._thread: threading.Thread | None = None
        self._closed = False
        self.jobs_run = 0
        self.threads_used: set[str] = set()  # names of the threads jobs ran in (tests)

    @property
    def closed(self) -> bool:
        """close() was called: results that still arrive are to be ignored."""
        return self._closed

    @property
    def running(self) -> bool:
        """A job was started and its result has not been taken with `done()` yet."""
        return self._thread is not None

    def start(self, tag: Any, job: Callable[[], Any]) -> bool:
        """Run `job()` in a new thread; False (nothing started) while one runs or after close()."""
        if self._thread is not None or self._closed:
            return False
        relay = self._relay

        def run() -> None:
            t0 = time.perf_counter()
            try:
                result = JobResult(tag, value=job())
            except Exception as exc:  # never lost: the owner shows it, or does the work again where it fails visibly
                traceback.print_exc()
                result = JobResult(tag, error=f"{type(exc).__name__}: {exc}")
            result.elapsed_ms = (time.perf_counter() - t0) * 1000
            if not self._closed:
                relay.finished.emit(result)

        self.jobs_run += 1
        self._thread = threading.Thread(target=run, name=self._name, daemon=self._daemon)
        self.threads_used.add(self._name)
        self._thread.start()
        return True

    def done(self) -> None:
        """The receiver took the result: join the (ending) thread so the next job may start."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def wait(self) -> None:
        """Block until the running job (if any) has ended; its result still arrives by signal."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def close(self, *args: object) -> None:
        """No more jobs; join the running one (its result is not delivered)."""
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
