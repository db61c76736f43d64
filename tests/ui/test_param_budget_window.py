"""The parameter budget in the window: a model over it is refused with how to raise it, Keras >
Parameter Budget… raises it (kept in the settings, applied to the next window), and the model is
checked again at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QInputDialog

from nnstudio.core.validation import DEFAULT_PARAM_BUDGET, param_budget, set_param_budget
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.param_budget import BUDGET_KEY, stored_budget
from nnstudio.ui.summary_table import INVALID
from tests.core.test_param_budget import wide_spec
from tests.ui.fakes import FakeBuilds, FakeTraining


@pytest.fixture
def settings(tmp_path):
    yield QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    set_param_budget(DEFAULT_PARAM_BUDGET)


def open_window(qtbot, settings) -> tuple[MainWindow, FakeBuilds]:
    builds = FakeBuilds()
    window = MainWindow(Document(), builds, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_service()
    return window, builds


def answer_dialog(monkeypatch, count: int, accepted: bool = True) -> list[tuple]:
    asked: list[tuple] = []

    def get_int(parent, title, label, value, minimum, maximum, step):
        asked.append((title, value, minimum, maximum))
        return count, accepted

    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(get_int))
    return asked


def test_raising_the_budget_in_the_window_takes_the_model_and_is_remembered(qtbot, settings, monkeypatch):
    window, builds = open_window(qtbot, settings)
    window.document.load(wide_spec())
    assert window.summary_table.state == INVALID
    message = window.document.summary().issues[0].message
    assert "over the budget of 100,000,000" in message and "Keras > Parameter Budget…" in message
    assert window.summary_table.state_label.text() == f"✗ {message}"  # where the window shows what is wrong
    built = len(builds.builds)

    asked = answer_dialog(monkeypatch, 200_000_000)
    window.app_actions["keras.param_budget"].trigger()
    assert asked == [("Parameter Budget", DEFAULT_PARAM_BUDGET, 1, 2**31 - 1)]
    assert param_budget() == 200_000_000 and window.document.summary().ok
    assert window.summary_table.state != INVALID
    window.flush_views()
    assert len(builds.builds) > built and builds.builds[-1][0] == window.document.spec  # Keras is asked
    assert int(settings.value(BUDGET_KEY)) == 200_000_000

    set_param_budget(DEFAULT_PARAM_BUDGET)  # a new session of the app: the window applies the kept budget
    second, _builds = open_window(qtbot, settings)
    assert param_budget() == 200_000_000
    second.document.load(wide_spec())
    assert second.document.summary().ok


def test_cancelling_the_dialog_changes_nothing(qtbot, settings, monkeypatch):
    window, _builds = open_window(qtbot, settings)
    answer_dialog(monkeypatch, 5, accepted=False)
    window.app_actions["keras.param_budget"].trigger()
    assert param_budget() == DEFAULT_PARAM_BUDGET and settings.value(BUDGET_KEY) is None


def test_a_kept_budget_that_makes_no_sense_falls_back_to_the_default(settings):
    for text in ("lots", "0", "-3", str(10**15)):
        settings.setValue(BUDGET_KEY, text)
        assert stored_budget(settings) == DEFAULT_PARAM_BUDGET
    settings.setValue(BUDGET_KEY, "350000000")
    assert stored_budget(settings) == 350_000_000
