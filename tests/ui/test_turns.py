"""The window's views take their steps one per turn of the event loop (`ui/turns.py`), in the order
asked for, each once however often it is asked for while it waits."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from nnstudio.ui.turns import Turns


class Steps(QObject):
    """Bound methods to queue, recording the order they ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def first(self) -> None:
        self.ran.append("first")
        QTimer.singleShot(0, lambda: self.ran.append("queued by first"))  # a call queued meanwhile

    def second(self) -> None:
        self.ran.append("second")

    def start_a_timer(self) -> None:
        """A zero timer started in a step (as a view's own): due at once, before the next step."""
        self.ran.append("start a timer")
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(lambda: self.ran.append("the timer"))
        self.timer.start()

    def third(self) -> None:
        self.ran.append("third")


def test_one_step_per_turn_in_the_order_asked_with_other_calls_between(qtbot):
    turns, steps = Turns(), Steps()
    turns.ask(steps.first)
    turns.ask(steps.second)
    turns.ask(steps.first)  # asked again while it waits: keeps its place, runs once
    assert turns.waiting(steps.first) and turns.waiting(steps.second)
    qtbot.waitUntil(lambda: not turns.waiting(steps.second))
    assert steps.ran == ["first", "queued by first", "second"]


def test_a_timer_due_during_a_step_fires_before_the_next_step(qtbot):
    """Qt may fire a zero timer started inside a timer's call in the same pass (GLib's loop), before a
    timer due first: the next step waits for the loop's next pass, so whatever was due goes first."""
    turns, steps = Turns(), Steps()
    for _ in range(3):
        steps.ran.clear()
        turns.ask(steps.start_a_timer)
        turns.ask(steps.second)
        qtbot.waitUntil(lambda: not turns.waiting(steps.second))
        assert steps.ran == ["start a timer", "the timer", "second"]


def test_run_now_runs_a_waiting_step_once_and_nothing_else(qtbot):
    turns, steps = Turns(), Steps()
    turns.ask(steps.second)
    turns.ask(steps.third)
    turns.run_now(steps.third)
    turns.run_now(steps.first)  # not waiting: not run
    assert steps.ran == ["third"] and not turns.waiting(steps.third)
    qtbot.waitUntil(lambda: not turns.waiting(steps.second))
    assert steps.ran == ["third", "second"]


def test_a_dropped_step_does_not_run_and_clear_drops_them_all(qtbot):
    turns, steps = Turns(), Steps()
    turns.ask(steps.second)
    turns.ask(steps.third)
    turns.drop(steps.second)
    turns.drop(steps.first)  # not waiting: nothing happens
    qtbot.waitUntil(lambda: not turns.waiting(steps.third))
    assert steps.ran == ["third"]
    turns.ask(steps.second)
    turns.clear()
    assert not turns.waiting(steps.second)
    turns.ask(steps.third)  # asked after the clear: it runs, the cleared step never does
    qtbot.waitUntil(lambda: not turns.waiting(steps.third))
    assert steps.ran == ["third", "third"]


def test_a_step_that_fails_leaves_the_others_their_turns(qtbot):
    turns, steps = Turns(), Steps()

    class Failing(QObject):
        def step(self) -> None:
            raise RuntimeError("a broken step")

    failing = Failing()
    turns.ask(failing.step)
    turns.ask(steps.third)
    with qtbot.captureExceptions() as raised:
        qtbot.waitUntil(lambda: not turns.waiting(steps.third))
    assert [str(exc[1]) for exc in raised] == ["a broken step"]
    assert steps.ran == ["third"]
