"""No stale state (issue 15): trained weights that no longer fit are discarded with the edit guard's
question and come back with Undo; a failed run leaves no old trained weights to carry or export; New and
Open reset the Training panel; after Open a layer is selected, so Properties and Weights show something."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.project import dumps_project
from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.services.model_state import BUILT, TRAINED
from nnstudio.ui import training_panel
from nnstudio.ui.layer_stack import ShapeRole
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining


def weights_for(spec, value: float) -> dict:
    """Arrays shaped as Keras gives them for every Dense of `spec` (inputs from the analytic summary)."""
    from nnstudio.core.summary import analyze

    rows = {row.name: row for row in analyze(spec).rows}
    arrays, width = {}, spec.layers[0].get("shape")[-1]
    for layer in spec.layers[1:]:
        units = rows[layer.name].output_shape[-1]
        arrays[layer.name] = [np.full((width, units), value, "float32"), np.zeros(units, "float32")]
        width = units
    return arrays


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(lesson_spec()), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.start_service()
    yield window
    window.document.undo_stack.setClean()


def answer_build(window) -> None:
    window.flush_views()  # the views take the edit; then Keras is asked for its build
    spec = window.builds.builds[-1][0]
    window.builds.answer(spec, weights=weights_for(spec, 1.0))


def train(window, epochs: int = 3, value: float = 2.0, stopped: bool = False, normaliser=None, weights=True) -> None:
    """A run as the engine reports it; `weights=False`: one whose weights never came (stopped early)."""
    panel, training = window.training_panel, window.training
    panel.train_button.click()
    training.last_result = SimpleNamespace(stopped=stopped, normaliser=normaliser)
    training.play(epochs, weights=weights_for(window.document.spec, value) if weights else {})


def type_over(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_an_input_change_after_training_asks_discards_and_undo_brings_the_weights_back(window, qtbot, monkeypatch):
    document, state = window.document, window.model_state
    answer_build(window)
    train(window, epochs=3)
    assert state.current().source == TRAINED and state.has_trained_weights()
    questions = []
    monkeypatch.setattr(training_panel, "ask", lambda parent, title, text: questions.append((title, text)) or True)

    document.select_layer(0)
    type_over(qtbot, window.property_editor.field("shape"), "4")  # Input 20 -> 4 features
    assert document.spec.layers[0].get("shape") == [4]
    assert questions == [
        (
            "Discard trained weights?",
            "This change to the layers makes the trained weights useless (3 epochs of training)."
            "\n\nMake the change and discard the trained weights?",
        )
    ]
    assert not state.has_trained_weights() and state.trained() is None
    assert all(w.source != TRAINED for w in (state.current(), state.untrained()) if w is not None)
    assert "discarded" in window.training_panel.status.text() and window.training_panel._curves == {}
    carried = window.builds.builds[-1][1]
    assert carried is None or float(carried["dense_1"][0][0, 0]) == 1.0  # Keras's weights, not the trained ones
    answer_build(window)
    export = window.files.weights_provider()
    assert export["dense"][0].shape == (4, 64)  # what Export would write fits the model

    document.undo()  # the Input back to 20: the trained weights are back, with their history
    assert document.spec.layers[0].get("shape") == [20]
    assert state.has_trained_weights() and state.current().source == TRAINED
    assert float(state.current().for_layer(document.spec.layers[1])[0][0, 0]) == 2.0
    panel = window.training_panel
    assert panel.resume_button.isEnabled() and "3 epochs" in panel.status.text()
    assert list(panel._curves["loss"].getData()[0]) == [1, 2, 3]
    panel.resume_button.click()
    assert window.training.calls[-1][0] == "resume"
    assert len(questions) == 1


def test_a_failed_run_leaves_no_stale_weights_and_an_input_change_then_exports(window, qtbot, monkeypatch):
    document, state, training = window.document, window.model_state, window.training
    answer_build(window)
    train(window, epochs=33)
    window.training_panel.train_button.click()  # a second run (Iris on a 20-feature model) fails at once
    training.running = False
    training.failed.emit("Data has 4 features but the model's Input takes 20")
    assert state.trained() is None and state.current().source == BUILT
    assert state.carried() is not None and float(state.carried()["dense"][0][0, 0]) == 1.0  # not the old run's 2.0
    assert "Training failed" in window.training_panel.status.text()
    monkeypatch.setattr(training_panel, "ask", lambda *a: pytest.fail("nothing trained is lost: no question"))
    document.select_layer(0)
    type_over(qtbot, window.property_editor.field("shape"), "4")
    assert document.spec.layers[0].get("shape") == [4]
    window.flush_views()
    spec, carried = window.builds.builds[-1]
    assert carried is not None and float(carried["dense"][0][0, 0]) == 1.0  # Keras's build, not the old run's
    answer_build(window)
    exported = window.files.weights_provider()
    assert [a.shape for a in exported["dense"]] == [(4, 64), (64,)]


def write_model(tmp_path, name: str, units: int):
    spec = lesson_spec()
    spec = spec.with_layer(1, spec.layers[1].with_params(units=units))
    path = tmp_path / f"{name}.nnstudio"
    path.write_text(dumps_project(spec, {}))
    return path


@pytest.mark.parametrize("weights", [True, False], ids=["trained", "no-weights-came"])
@pytest.mark.parametrize("how", ["open", "new"])
def test_open_and_new_reset_the_training_panel(window, tmp_path, how, weights):
    answer_build(window)
    normaliser = ([5.84, 3.05, 3.76, 1.2], [0.83, 0.43, 1.76, 0.76])
    train(window, epochs=33, stopped=True, normaliser=normaliser, weights=weights)
    panel = window.training_panel
    assert panel.progress_bar.format() == "epoch 33 · stopped" and panel.scaling_info.isVisibleTo(panel)
    assert panel.curve_metric.count() == 1 and panel._curves
    if how == "open":
        assert window.files.open_path(write_model(tmp_path, "other", 8))
    else:
        assert window.files.new()
    assert panel.progress_bar.format() == "" and panel.progress_bar.value() == 0
    assert panel.status.text() == "Not trained yet."
    assert not panel.scaling_info.isVisibleTo(panel) and not panel.copy_scaling.isVisibleTo(panel)
    assert panel._curves == {} and not panel.resume_button.isEnabled()


def test_after_open_the_first_layer_is_selected(window, tmp_path, qtbot):
    window.document.select_layer(-1)
    assert window.files.open_path(write_model(tmp_path, "opened", 12))
    assert window.document.selected_index == 1  # dense: the summary's first row
    assert window.property_editor.layer_index == 1 and window.property_editor.field("units").text() == "12"
    answer_build(window)
    qtbot.waitUntil(window.views_current)  # the Weights dock takes the weights a turn later
    assert window.weights_panel.currentWidget() is not window.weights_panel.message
    assert window.files.new()
    assert window.document.selected_index == 1 and window.property_editor.field("units").text() == "64"


def test_an_opened_model_leaves_the_old_one_s_drawing_alone_until_the_canvas_takes_the_new_one(
    window, tmp_path, qtbot, monkeypatch
):
    """Forgetting the old model's weights does not draw that old model again without them (a pass
    over every column of a big model): the canvas's next drawing is the opened model's."""
    answer_build(window)
    qtbot.waitUntil(window.views_current)
    canvas = window.canvas
    assert canvas.weights is not None and not canvas.pending
    given = []
    draw = canvas.set_weights
    monkeypatch.setattr(canvas, "set_weights", lambda weights: given.append(weights) or draw(weights))
    assert window.files.open_path(write_model(tmp_path, "opened", 12))
    assert given == [] and canvas.weights is not None  # the old drawing, untouched
    with qtbot.waitSignal(window.viewsUpdated):
        pass
    assert next(c for c in canvas.columns if c.name == "dense").shape == (12,)
    assert canvas.pending and canvas.weights is None  # the opened model's, waiting for Keras's build


def test_an_edit_undone_before_the_canvas_took_it_leaves_nothing_of_it_on_show(window, qtbot):
    """The canvas and the Weights dock take the model on a later turn of the event loop: an edit and
    its Undo in one burst leave nothing of the edit in any view once they have."""
    answer_build(window)
    document = window.document
    document.select_layer(1)
    qtbot.waitUntil(window.views_current)
    type_over(qtbot, window.property_editor.field("units"), "7")
    assert window.summary_table.model.index(0, 1).data() == "(None, 7)"
    window.app_actions["edit.undo"].trigger()
    assert document.spec.layers[1].get("units") == 64 and not window.views_current()
    with qtbot.waitSignal(window.viewsUpdated):
        pass
    canvas = window.canvas
    assert next(c for c in canvas.columns if c.name == "dense").shape == (64,)
    assert canvas.weights is not None and [a.shape for a in canvas.weights["dense"]] == [(20, 64), (64,)]
    assert window.property_editor.field("units").text() == "64"
    assert window.summary_table.model.index(0, 1).data() == "(None, 64)"
    assert window.layer_stack.stack_model.index(1).data(ShapeRole) == "(None, 64)"
    assert window.weights_panel.currentWidget() is window.weights_panel.histogram  # dense's kernel, drawn


@pytest.mark.engine
def test_the_issue_s_session_in_the_real_engine_exports_after_a_failed_run_and_an_input_change(
    qtbot, tmp_path, monkeypatch, model_service, training_service
):
    """Train on made-up data, fail on Iris (20 features wanted, 4 given), change the Input to 4: Export works."""
    from PySide6.QtCore import QSettings

    from tests.engines import KERAS_START_MS

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: pytest.fail(f"warned: {a[2]}")))
    monkeypatch.setattr(training_panel, "ask", lambda *a: pytest.fail("nothing trained is lost: no question"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(lesson_spec()), model_service, training_service, settings=settings)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_START_MS):
        window.start_service()
    panel = window.training_panel
    panel.epochs.setValue(1)
    panel.samples.setValue(64)
    with qtbot.waitSignal(training_service.finished, timeout=KERAS_START_MS):
        panel.train_button.click()
    panel.source.setCurrentIndex(panel.source.findData("iris"))
    with qtbot.waitSignal(training_service.failed, timeout=KERAS_START_MS):
        panel.train_button.click()
    assert window.model_state.trained() is None
    window.document.select_layer(0)
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_START_MS):
        type_over(qtbot, window.property_editor.field("shape"), "4")
    path = tmp_path / "iris.keras"
    with qtbot.waitSignal(window.files.exportDone, timeout=KERAS_START_MS) as done:
        assert window.files.export_keras(path)
    assert done.args == [str(path), ""] and path.exists()
    window.document.undo_stack.setClean()
