"""One background job at a time, its result delivered on the GUI thread by a signal.

The canvas's heavy numpy work for big models (block sums of every kernel when weights arrive, the
level of detail after a view change, the columns of a model about to be drawn) and the graph view's
layouts of big graphs (grandalf, pure Python: the interpreter still gives the GUI thread its turns)
run here instead of on the GUI thread. Each job is a plain function run in the job's worker thread,
which waits a while for the next job (`linger_s`) and then ends, so nothing is left running long
after the work; `wait()` waits for a job, `close()` ends and joins the worker. Which job runs
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

from nnstudio.services.thread_priority import make_this_thread_yield


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
    """Runs at most one job at a time in its worker thread, and emits `finished(JobResult)`."""

    def __init__(
        self,
        receiver: Callable[[JobResult], None],
        name: str = "canvas-worker",
        daemon: bool = False,
        linger_s: float = 0.0,
    ) -> None:
        """`receiver(JobResult)` is called on the GUI thread; a `daemon` job's thread is not waited for
        when the application ends. The worker waits `linger_s` for the next job before it ends: a
        job handed to a waiting worker starts without the GUI thread waiting for a new thread to
        run (`Thread.start()` does, up to 15 ms while other threads hold the interpreter)."""
        self._relay = _Relay()
        self._relay.finished.connect(receiver)
        self._name = name
        self._daemon = daemon
        self._linger_s = linger_s
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None  # the worker, while it runs or waits for a job
        self._next: tuple[Any, Callable[[], Any]] | None = None  # handed over, not yet taken by the worker
        self._busy = False  # a job was started and its result not yet taken with done()
        self._job_ended = threading.Event()
        self._job_ended.set()
        self._closed = False
        self._end_when_idle = False  # since release(), a worker ends after its job (until prepare())
        self.jobs_run = 0
        self.threads_used: set[str] = set()  # names of the threads jobs ran in (tests)

    @property
    def closed(self) -> bool:
        """close() was called: results that still arrive are to be ignored."""
        return self._closed

    @property
    def running(self) -> bool:
        """A job was started and its result has not been taken with `done()` yet."""
        return self._busy

    def start(self, tag: Any, job: Callable[[], Any]) -> bool:
        """Run `job()` in the worker thread; False (nothing started) while one runs or after close()."""
        if self._busy or self._closed:
            return False
        self._busy = True
        self._job_ended.clear()
        self.jobs_run += 1
        self.threads_used.add(self._name)
        with self._lock:
            self._next = (tag, job)
            waiting = self._thread is not None and self._thread.is_alive()
            if waiting:
                self._lock.notify()
                return True
        self._thread = threading.Thread(target=self._work, name=self._name, daemon=self._daemon)
        self._thread.start()
        return True

    def prepare(self) -> None:
        """Start the worker now, waiting for a job, unless one runs or waits: a job expected soon
        then starts without the GUI thread waiting for a new thread."""
        if self._closed or self._linger_s <= 0:
            return
        with self._lock:
            if self._end_when_idle or (self._thread is not None and self._thread.is_alive()):
                return
            thread = self._thread = threading.Thread(target=self._work, name=self._name, daemon=self._daemon)
        thread.start()

    def _work(self) -> None:
        """The worker: each job handed over, until none comes within `linger_s` or close()."""
        make_this_thread_yield()
        while True:
            with self._lock:
                if (
                    self._next is None
                    and not self._closed
                    and not self._end_when_idle
                    and self._thread is threading.current_thread()
                ):
                    self._lock.wait(self._linger_s)
                if self._next is None or self._closed or self._thread is not threading.current_thread():
                    if threading.current_thread() is self._thread:
                        self._thread = None  # a later start() makes a new worker
                    return
                (tag, job), self._next = self._next, None
            self._run(tag, job)

    def _run(self, tag: Any, job: Callable[[], Any]) -> None:
        t0 = time.perf_counter()
        try:
            result = JobResult(tag, value=job())
        except Exception as exc:  # never lost: the owner shows it, or does the work again where it fails visibly
            traceback.print_exc()
            result = JobResult(tag, error=f"{type(exc).__name__}: {exc}")
        result.elapsed_ms = (time.perf_counter() - t0) * 1000
        self._job_ended.set()
        if not self._closed:
            self._relay.finished.emit(result)

    def done(self) -> None:
        """The receiver took the result: the next job may start."""
        self._job_ended.wait()
        self._busy = False

    def wait(self) -> None:
        """Block until the running job (if any) has ended; its result still arrives by signal."""
        if self._busy:
            self._job_ended.wait()

    def release(self) -> None:
        """End the worker now if it waits for a job, joining it; one running a job, and the workers
        of jobs started later (a result that arrives after the window closed), end after their job
        instead of waiting for the next, until `resume()`."""
        with self._lock:
            self._end_when_idle = True
            thread = self._thread
            if thread is None or self._busy or self._next is not None:
                return
            self._thread = None
            self._lock.notify()
        if thread is not threading.current_thread():
            thread.join()

    def resume(self) -> None:
        """Workers wait for the next job again after theirs (the window is shown again after `release()`)."""
        with self._lock:
            self._end_when_idle = False

    def close(self, *args: object) -> None:
        """No more jobs; end the worker, joining it and the job it runs (whose result is not delivered)."""
        with self._lock:
            self._closed = True
            self._next = None
            thread = self._thread
            self._lock.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._busy = False
