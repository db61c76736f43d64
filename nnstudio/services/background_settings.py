"""Settings whose changes reach the disk off the GUI thread.

QSettings writes its file on the event loop's next pass after a change (an UpdateRequest event): the
file is rewritten under a lock file and both are flushed to disk (fdatasync), ~1 ms on an idle disk
and 20-30 ms while the engine reads a big model's weights, which the GUI thread waited for after
every open (the recent files). `BackgroundSettings` has a second QSettings object of the same file,
living in a writer thread, write it instead: the QSettings objects of one file in a process share its
contents, so the writer writes what the first changed, and the first reads its changes at once.

The writer thread is a QThread running Qt's own event loop: the write is Qt's code from start to end,
and never holds the Python interpreter (a Python thread calling `QSettings.sync()` would hold it for
the whole write, the GUI thread waiting all the same).
"""

from __future__ import annotations

import atexit
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QThread, QTimer

_thread: QThread | None = None
_writers: dict[tuple[str, QSettings.Format], QSettings] = {}  # one per file, living in the thread


def _writer_for(file_name: str, file_format: QSettings.Format) -> QSettings:
    """The writer thread's QSettings object of `file_name` (the thread started on first use)."""
    global _thread
    if _thread is None:
        _thread = QThread()
        _thread.setObjectName("settings-writer")
        _thread.start()
        atexit.register(stop_writing)
    writer = _writers.get((file_name, file_format))
    if writer is None:
        writer = _writers[(file_name, file_format)] = QSettings(file_name, file_format)
        writer.moveToThread(_thread)
    return writer


def stop_writing() -> None:
    """End the writer thread once the writes asked for are done (at exit; a later write starts another)."""
    global _thread
    thread, _thread = _thread, None
    if thread is not None:
        thread.quit()  # after the events already posted to it
        thread.wait()
        _writers.clear()


class BackgroundSettings(QSettings):
    """A QSettings (same constructors) whose changes are written to its file by the writer thread.

    The changes of one step of the event loop are written together, on its next pass; changes made
    while a write runs are written by the next. (While the writer writes, it holds the file's shared
    contents: a read made then waits for it, as every read did for a write before.) What is still
    pending when the object goes is written then (QSettings' own flush)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._write_asked = False
        # made now, while nothing is pending: a QSettings object made later would write what is
        # pending as it reads the file, on the GUI thread
        _writer_for(self.fileName(), self.format())

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 (Qt's name)
        super().setValue(key, value)
        self._ask_for_write()

    def remove(self, key: str) -> None:
        super().remove(key)
        self._ask_for_write()

    def write_asked(self) -> bool:
        """Whether changes wait for this step of the event loop to end before their write is asked for."""
        return self._write_asked

    def event(self, event: QEvent) -> bool:
        # QSettings' own deferred write, asked for by its first change: the writer's is asked for instead
        # (this object's pending flag stays set, so that it asks no more)
        return True if event.type() == QEvent.Type.UpdateRequest else super().event(event)

    def _ask_for_write(self) -> None:
        if not self._write_asked:
            self._write_asked = True
            QTimer.singleShot(0, self, self._post_write)

    def _post_write(self) -> None:
        self._write_asked = False
        QCoreApplication.postEvent(_writer_for(self.fileName(), self.format()), QEvent(QEvent.Type.UpdateRequest))
