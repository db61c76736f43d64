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
