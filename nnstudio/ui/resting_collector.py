"""Full garbage collections at moments the window chose, never in the middle of its work.

Python's cyclic collector runs a full collection by itself whenever enough objects have outlived
the younger generations, in whatever thread allocates at that moment. A full collection holds the
interpreter, and so the GUI thread, for as long as it walks every object made since the last
`gc.freeze` (40-60 ms while EfficientNetV2L's file is read, or its whole graph laid out, in a
background thread). Young collections stay automatic (a few ms); the full ones are left to a
`RestingCollector`, which runs one when the window's views are current, every
`FULL_COLLECTION_EVERY_S` (at the latest every `FULL_COLLECTION_LATEST_S`, so that a window that
never rests, training for hours, still frees its cycles).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer, Slot

FULL_COLLECTION_EVERY_S = 30.0
FULL_COLLECTION_LATEST_S = 180.0
NO_AUTOMATIC_FULL = 1_000_000_000  # young collections before a full one: never, in practice


class RestingCollector(QObject):
    """Takes full collections off the interpreter's own schedule (`gc.set_threshold`) and runs them
    when `resting()` says the window has nothing waiting; `stop()` gives the schedule back."""

    def __init__(self, resting, parent: QObject | None = None, every_s: float = FULL_COLLECTION_EVERY_S) -> None:
        super().__init__(parent)
        self._resting = resting
        self._thresholds = gc.get_threshold()
        young, middle, _full = self._thresholds
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL)
        self._last = time.monotonic()
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(int(every_s * 1000))
        self._timer.timeout.connect(self.collect_if_resting)
        self._timer.start()

    @Slot()
    def collect_if_resting(self) -> bool:
        """A full collection now if the window rests (or the last one is too long ago); whether it ran."""
        now = time.monotonic()
        if not self._resting() and now - self._last < FULL_COLLECTION_LATEST_S:
            return False
        gc.collect()
        self._last = now
        self.collections += 1
        return True

    def stop(self) -> None:
        """The interpreter's own schedule of full collections again."""
        self._timer.stop()
        gc.set_threshold(*self._thresholds)
