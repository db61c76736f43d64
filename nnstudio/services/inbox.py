"""The hand-over point between the GUI thread and a service's worker thread."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from typing import Any


class WakeInbox:
    """A lock for the jobs a subclass keeps, request ids, and a wake pipe the worker can wait on
    together with the engine's own pipe (`multiprocessing.connection.wait`). Wakes coalesce: one
    byte waits in the pipe however often `wake()` is called before the worker reads it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_id = 0
        self.stopping = False
        self._reader, self._writer = multiprocessing.Pipe(duplex=False)
        self._signalled = False

    @property
    def reader(self) -> Any:
        return self._reader

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def stop(self) -> None:
        """Ask the worker to end."""
        with self.lock:
            self.stopping = True
        self.wake()

    def wake(self) -> None:
        with self.lock:
            if self._signalled:
                return
            self._signalled = True
        with contextlib.suppress(OSError):
            self._writer.send_bytes(b"w")

    def clear_wake(self) -> None:
        with self.lock:
            with contextlib.suppress(OSError, EOFError):
                while self._reader.poll(0):
                    self._reader.recv_bytes()
            self._signalled = False

    def close(self) -> None:
        for conn in (self._reader, self._writer):
            with contextlib.suppress(OSError):
                conn.close()
