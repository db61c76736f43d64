"""A fixture that fails any test which leaves a QThread, a Python thread or a child process running.

Wire it in from tests/conftest.py with one line (importing the autouse fixture registers it):

    from tests.conftest_threads import no_leaked_threads  # noqa: F401

Every `QThread.start()` is recorded (the class method is wrapped once, when this module is
imported), so threads created anywhere — a service, a widget — are seen. After the test, a
QThread still running, a Python thread started during the test and still alive, or a
multiprocessing child started during the test and still alive (`multiprocessing.active_children()`)
fails the test, after a grace period (GRACE_S) for things that are already stopping. The leftovers are
then stopped (QThread.quit, child.kill) so that one leak does not spill into the next test.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time

import pytest
from PySide6.QtCore import QThread

GRACE_S = 5.0  # a thread or engine that is already stopping may need seconds on a busy 2-core machine
_STARTED: set[QThread] = set()


def _install() -> None:
    original = QThread.start
    if getattr(original, "_nnstudio_tracked", False):
        return

    def start(self: QThread, *args: object, **kwargs: object) -> None:
        _STARTED.add(self)
        return original(self, *args, **kwargs)

    start._nnstudio_tracked = True  # type: ignore[attr-defined]
    QThread.start = start  # type: ignore[method-assign]


_install()


def _running(thread: QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is gone: it cannot be running
        return False


def _describe(thread: QThread) -> str:
    try:
        return f"{type(thread).__name__}({thread.objectName()!r})"
    except RuntimeError:
        return type(thread).__name__


def leaked_qthreads() -> list[QThread]:
    for thread in list(_STARTED):
        if not _running(thread):
            _STARTED.discard(thread)
    return list(_STARTED)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> object:
    """Fail the test if it leaves a thread or a child process running."""
    children_before = {p.pid for p in multiprocessing.active_children()}
    threads_before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + GRACE_S

    def left() -> tuple[list[QThread], list[threading.Thread], list[multiprocessing.process.BaseProcess]]:
        qthreads = leaked_qthreads()
        pythreads = [
            t
            for t in threading.enumerate()
            if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)  # type: ignore[attr-defined]
        ]
        children = [p for p in multiprocessing.active_children() if p.pid not in children_before]
        return qthreads, pythreads, children

    qthreads, pythreads, children = left()
    while (qthreads or pythreads or children) and time.monotonic() < deadline:
        time.sleep(0.02)
        qthreads, pythreads, children = left()
    if not (qthreads or pythreads or children):
        return
    problems = [f"QThread still running: {_describe(t)}" for t in qthreads]
    problems += [f"Python thread still running: {t.name}" for t in pythreads]
    problems += [f"child process still alive: {p.name} (pid {p.pid})" for p in children]
    for thread in qthreads:
        with contextlib.suppress(RuntimeError):
            thread.quit()
            thread.wait(5000)
    for child in children:
        with contextlib.suppress(Exception):
            child.kill()
            child.join(5)
    pytest.fail("test left work running (call shutdown()/stop it in the test):\n  " + "\n  ".join(problems))
