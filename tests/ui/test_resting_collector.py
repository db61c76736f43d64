"""Full garbage collections run when the window rests, not on the interpreter's own schedule."""

from __future__ import annotations

import gc
import weakref

import pytest

from nnstudio.ui import resting_collector as R


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def old_cycle() -> weakref.ref:
    """A reference cycle that has outlived the young generations, then became garbage."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect()  # a and b survive it: they are in the oldest generation now
    return weakref.ref(a)


@pytest.fixture
def collector(qtbot):
    before = gc.get_threshold()
    resting = {"now": False}
    made = R.RestingCollector(lambda: resting["now"])
    made.resting = resting
    yield made
    made.stop()
    assert gc.get_threshold() == before, "the interpreter's schedule given back"


def test_no_full_collection_runs_by_itself(collector):
    young, middle, full = gc.get_threshold()
    assert full == R.NO_AUTOMATIC_FULL and young > 0 and middle > 0, "young collections stay automatic"
    ref = old_cycle()
    churn = [[i] for i in range(200_000)]  # many young collections
    del churn
    assert ref() is not None, "the old cycle waits for a full collection"


def test_a_full_collection_runs_when_the_window_rests(collector):
    ref = old_cycle()
    assert not collector.collect_if_resting(), "views still updating: no pause now"
    assert ref() is not None
    collector.resting["now"] = True
    assert collector.collect_if_resting()
    assert ref() is None and collector.collections == 1


def test_a_window_that_never_rests_is_collected_at_the_latest_after_a_while(collector, monkeypatch):
    ref = old_cycle()
    later = R.time.monotonic() + R.FULL_COLLECTION_LATEST_S + 1
    monkeypatch.setattr(R.time, "monotonic", lambda: later)
    assert collector.collect_if_resting()
    assert ref() is None


def test_the_timer_asks_on_its_own(qtbot):
    calls = []
    made = R.RestingCollector(lambda: calls.append(1) or True, every_s=0.01)
    try:
        qtbot.waitUntil(lambda: made.collections > 0, timeout=5000)
    finally:
        made.stop()
    assert calls
