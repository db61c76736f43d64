"""Reading a model file off the GUI thread: one read at a time, the newest request wins.

A read is a plain function (the core's safe reader: zipfile, json, h5py; no Qt) run in a short-lived
Python thread, so nothing is left running between reads. Its result comes back on the GUI thread
by a queued signal. A read asked for while another runs supersedes it: the running one cannot be
interrupted (h5py holds its lock while it works), so it runs to its end and its result is dropped,
then the newest request starts. `cancel()` drops the running read and any waiting one; `close()`
does the same for good (the window is closing) without waiting for the thread, which ends by itself.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from nnstudio.services.thread_priority import make_this_thread_yield


@dataclass(frozen=True)
class ReadResult:
    """What a read gave: `value` (the reader's result) or `error` (the exception it raised)."""

    path: Path
    value: Any = None
    error: BaseException | None = None


class _Relay(QObject):
    """Lives in the GUI thread; a signal emitted from the reading thread reaches its receiver queued."""

    finished = Signal(int, object)  # read number, ReadResult


class FileReader(QObject):
    """Runs `reader(path)` in a background thread and emits `done(ReadResult)` for the newest request."""

    done = Signal(object)  # ReadResult of the newest read asked for (never one superseded or cancelled)

    def __init__(self, parent: QObject | None = None, name: str = "file-reader") -> None:
        super().__init__(parent)
        self._name = name
        self._relay = _Relay()  # no parent: the reading thread may still hold it after this object is gone
        self._relay.finished.connect(self._on_finished)
        self._thread: threading.Thread | None = None
        self._running = 0  # the number of the read the thread works on (0: none)
        self._wanted = 0  # the number whose result is to be delivered (0: none)
        self._waiting: tuple[int, Path, Callable[[Path], Any]] | None = None
        self._path: Path | None = None  # the file the thread reads
        self._count = 0
        self._closed = False

    @property
    def reading(self) -> Path | None:
        """The file whose result will be delivered, while its read waits or runs; else None."""
        if self._waiting is not None:
            return self._waiting[1]
        return self._path if self._wanted and self._wanted == self._running else None

    def read(self, path: str | Path, reader: Callable[[Path], Any]) -> None:
        """Read `path` with `reader` in the background; supersedes a read asked for before."""
        if self._closed:
            return
        self._count += 1
        number, path = self._count, Path(path)
        self._wanted = number
        if self._thread is None:
            self._start(number, path, reader)
        else:
            self._waiting = (number, path, reader)  # starts when the running read ends

    def cancel(self) -> None:
        """Deliver nothing for the reads asked for so far (a running one ends on its own)."""
        self._wanted = 0
        self._waiting = None

    def close(self) -> None:
        """No more reads and no more results; a running read ends on its own, unwaited for."""
        self.cancel()
        self._closed = True

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the running read's thread has ended (tests, shutdown); True when none runs."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def _start(self, number: int, path: Path, reader: Callable[[Path], Any]) -> None:
        relay = self._relay

        def run() -> None:
            make_this_thread_yield()
            try:
                result = ReadResult(path, value=reader(path))
            except Exception as exc:  # the receiver turns it into a message
                result = ReadResult(path, error=exc)
            with contextlib.suppress(RuntimeError):  # the application is gone: nobody to tell
                relay.finished.emit(number, result)

        self._running, self._path = number, path
        # Not a daemon: a read still running when the application quits is waited for (at most the
        # time one read takes), never cut off inside h5py.
        self._thread = threading.Thread(target=run, name=self._name)
        self._thread.start()

    @Slot(int, object)
    def _on_finished(self, number: int, result: ReadResult) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()  # it has emitted its result: it is ending
        self._running = 0
        if self._closed:
            return
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(*waiting)
        elif number == self._wanted:
            self._wanted = 0
            self.done.emit(result)


def import_in_background(modules: Sequence[str], name: str = "reader-imports") -> threading.Thread:
    """Import `modules` on a short-lived daemon thread, so that a later read finds them imported.

    A C extension's initialisation holds the interpreter throughout (h5py's take 20-25 ms each):
    done while the window is idle after start-up, not in the first open, where the GUI thread
    waited for them. A module that fails to import is left for the read to report."""

    def run() -> None:
        make_this_thread_yield()
        for module in modules:
            with contextlib.suppress(Exception):
                importlib.import_module(module)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
