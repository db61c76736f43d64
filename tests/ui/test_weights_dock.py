"""The Weights dock after Keras's answers: taken on a later turn of the event loop, once for a burst,
with the newest weights; a huge kernel's histogram from a sample that reads few memory pages."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from nnstudio.engine.protocol import BuildFailure
from nnstudio.services.document import Document
from nnstudio.ui.histogram import MAX_SAMPLE, SAMPLE_RUN, WeightHistogram, kernel_sample
from nnstudio.ui.keras_status import ERROR
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining


def lesson_weights(seed: int) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return {
        "dense": [rng.normal(size=(20, 64)).astype("float32"), np.zeros(64, "float32")],
        "dense_1": [rng.normal(size=(64, 10)).astype("float32"), np.zeros(10, "float32")],
    }


@pytest.fixture
def window(qtbot, tmp_path):
    builds = FakeBuilds()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(), builds, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_service()
    window.document.select_layer(1)
    qtbot.waitUntil(window.views_current)
    yield window
    window.document.undo_stack.setClean()


def histogram_calls(window, monkeypatch) -> list[str]:
    """The layers whose histograms the Weights dock computes from now on."""
    histogram = window.weights_panel.histogram
    calls: list[str] = []
    original = histogram.set_layer_weights

    def recording(name, arrays):
        calls.append(name)
        return original(name, arrays)

    monkeypatch.setattr(histogram, "set_layer_weights", recording)
    return calls


def test_a_burst_of_answers_draws_the_histogram_once_on_a_later_turn_with_the_newest_weights(
    window, qtbot, monkeypatch
):
    panel, histogram = window.weights_panel, window.weights_panel.histogram
    calls = histogram_calls(window, monkeypatch)
    answers = [lesson_weights(seed) for seed in (1, 2, 3)]
    for weights in answers:  # one turn of the event loop: three answers for the spec on screen
        window.builds.answer(weights=weights)
    assert window.model_state.current().for_layer(window.document.spec.layers[1]) is answers[-1]["dense"]
    assert calls == [] and not window.views_current()  # the answers' own step left the dock alone
    assert panel.currentWidget() is panel.message and "waiting for Keras" in panel.message.text()
    qtbot.waitUntil(window.views_current)
    assert calls == ["dense"]
    assert panel.currentWidget() is histogram and histogram.layer_name == "dense"
    expected, _ = np.histogram(answers[-1]["dense"][0].astype("float64"), bins=histogram.edges)
    assert list(histogram.counts) == list(expected)


def test_a_selection_made_before_the_dock_took_the_answer_is_drawn_once_on_the_next_turn(window, qtbot, monkeypatch):
    """A click's other views are painted first (a big model's repaint and the histogram's made one long
    gap of the GUI thread); the dock follows on the next turn, once, with the answer's weights."""
    calls = histogram_calls(window, monkeypatch)
    weights = lesson_weights(4)
    window.builds.answer(weights=weights)
    window.document.select_layer(2)  # a person's click
    assert calls == [] and not window.views_current()
    qtbot.waitUntil(window.views_current)  # the answer's refresh and the click's are one
    assert calls == ["dense_1"] and window.weights_panel.histogram.layer_name == "dense_1"
    qtbot.wait(20)  # turns of the event loop: nothing is drawn again
    assert calls == ["dense_1"]


def test_flush_views_gives_the_dock_the_answer_now(window):
    weights = lesson_weights(5)
    window.builds.answer(weights=weights)
    window.flush_views()
    histogram = window.weights_panel.histogram
    assert window.weights_panel.currentWidget() is histogram and histogram.layer_name == "dense"
    assert histogram.counts.sum() == weights["dense"][0].size


def test_a_huge_kernel_is_sampled_in_runs_spread_from_its_first_value_to_its_last():
    flat = np.arange(10 * MAX_SAMPLE + 7, dtype=np.float32)
    sample = kernel_sample(flat)
    assert sample.size == MAX_SAMPLE
    assert sample[0] == flat[0] and sample[-1] == flat[-1]
    runs = sample.reshape(-1, SAMPLE_RUN)
    assert (np.diff(runs, axis=1) == 1).all()  # each run: neighbours in memory
    starts = runs[:, 0]
    assert (np.diff(starts) > SAMPLE_RUN).all()  # spread over the kernel, no run read twice
    small = np.ones(MAX_SAMPLE, np.float32)
    assert kernel_sample(small) is small  # a kernel this small is counted whole


def test_a_huge_kernels_histogram_from_its_sample_matches_the_whole_one(qtbot):
    histogram = WeightHistogram()
    qtbot.addWidget(histogram)
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(2048, 1000)).astype("float32")  # 2 M weights
    histogram.set_layer_weights("dense", [kernel])
    assert histogram.counts.sum() == pytest.approx(kernel.size)
    whole, _ = np.histogram(kernel.astype("float64"), bins=histogram.edges)
    assert np.abs(histogram.counts - whole).max() <= 0.05 * whole.max()  # a sample of 65,536: within ~3 sigma
    assert "2,048,000 weights (2048×1000)" in histogram.toolTip()


def test_a_failed_build_is_told_in_the_dock_a_turn_later(window, qtbot):
    spec = window.document.spec
    window.builds.buildFailed.emit(BuildFailure(1, spec, "ValueError: no room for the kernel", "dense"))
    assert window.keras_status.state == ERROR and not window.views_current()
    qtbot.waitUntil(window.views_current)
    message = window.weights_panel.message
    assert window.weights_panel.currentWidget() is message
    assert message.text() == f"No weights for dense (Dense): {window.keras_status.message}"
    assert "no room for the kernel" in message.text()
