"""The steps of a window's views, one per turn of the event loop.

A big model reaches the views in steps: the summary's column widths, the graph's scene once its
layout comes, the canvas's columns and then its drawing, the open's last step. Were each view to
start its own zero timer, Qt would fire every one that is due in the same pass of the event loop,
and the GUI thread would stop for their sum. The views of a window share one `Turns` instead: it
runs one step per turn, in the order they were asked for, with input, paints and the other timers
between them. After a step the next one's timer is started by a queued call, on the loop's next
pass: a zero timer started inside a timer's call can fire in the same pass (with GLib's event loop,
Qt's default on Linux), before a timer that was due first.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

Step = Callable[[], None]


class Turns(QObject):
    """A queue of steps run one per turn of the event loop: `ask(step)`, `waiting(step)`, `run_now(step)`,
    `drop(step)`.

    A step is a bound method (so that asking again is recognised); one asked for while it waits
    keeps its place and runs once."""

    _passed = Signal()  # emitted after a step, received on the event loop's next pass

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._steps: dict[Step, None] = {}  # in the order asked for
        self._timer = QTimer(self)  # a real zero timer: whatever else is due runs between two steps
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_next)
        self._passing = False  # a step ran: the next waits for the loop's next pass
        self._passed.connect(self._on_passed, Qt.ConnectionType.QueuedConnection)

    def ask(self, step: Step) -> None:
        """Run `step` on a turn of its own, after the steps asked for before it."""
        self._steps.setdefault(step)
        if not self._timer.isActive() and not self._passing:
            self._timer.start()

    def waiting(self, step: Step) -> bool:
        """Whether `step` is asked for and has not run yet."""
        return step in self._steps

    def run_now(self, step: Step) -> None:
        """Run `step` now if it waits (before something reads what it makes); nothing otherwise."""
        if step in self._steps:
            del self._steps[step]
            step()

    def drop(self, step: Step) -> None:
        """`step` need not run (it was done another way); nothing when it is not waiting."""
        self._steps.pop(step, None)

    def clear(self) -> None:
        """No waiting step runs (their window is closing)."""
        self._steps.clear()
        self._timer.stop()

    @Slot()
    def _run_next(self) -> None:
        if not self._steps:
            return
        step = next(iter(self._steps))
        del self._steps[step]
        self._passing = True  # first: a step that fails leaves the others their turns
        self._passed.emit()
        step()

    @Slot()
    def _on_passed(self) -> None:
        self._passing = False
        if self._steps:
            self._timer.start()
