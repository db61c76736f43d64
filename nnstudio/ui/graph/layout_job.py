"""One graph layout at a time in a short-lived background thread, its result delivered on the GUI thread.

grandalf is pure Python: while it runs in the thread, the GUI thread still gets its turns (the
interpreter switches between them), so a big layout no longer freezes the window. Nothing is left
running between layouts; `close()` joins the thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal


@dataclass
class LayoutResult:
    tag: Any  # what was laid out (the structure's key)
    value: Any = None
    error: str | None = None  # the exception's text when the layout failed


class _Relay(QObject):
    """Lives in the GUI thread; a signal emitted from the job's thread reaches its receivers queued."""

    finished = Signal(object)


class LayoutJob:
    """Runs at most one job at a time, each in its own thread, and calls `receiver(LayoutResult)` on the
    GUI thread."""

    def __init__(self, receiver: Callable[[LayoutResult], None], name: str = "graph-layout") -> None:
        self._relay = _Relay()
        self._relay.finished.connect(receiver)
        self._name = name
        self._thread: threading.Thread | None = None
        self._closed = False
        self.threads_used: set[str] = set()  # names of the threads jobs ran in (tests)

    @property
    def closed(self) -> bool:
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
            try:
                result = LayoutResult(tag, value=job())
            except Exception as exc:  # never lost: the receiver lays it out again where it fails visibly
                traceback.print_exc()
                result = LayoutResult(tag, error=f"{type(exc).__name__}: {exc}")
            if not self._closed:
                relay.finished.emit(result)

        self._thread = threading.Thread(target=run, name=self._name, daemon=True)
        self.threads_used.add(self._name)
        self._thread.start()
        return True

    def done(self) -> None:
        """The receiver took the result: join the (ending) thread so that the next job may start."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def close(self, *_args: object) -> None:
        """No more jobs; join the running one (its result is not delivered)."""
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
