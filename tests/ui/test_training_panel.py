"""TrainingPanel against a stand-in service: buttons, progress text, curves, log scale, the edit question."""

import pytest
from PySide6.QtCore import Qt

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.services.model_state import ModelState
from nnstudio.ui import training_panel
from nnstudio.ui.training_panel import TrainingPanel, format_duration
from tests.ui.fakes import FakeBuilds, FakeTraining


@pytest.fixture
def panel(qtbot):
    document = Document(lesson_spec())
    service = FakeTraining()
    widget = TrainingPanel(document, service, ModelState(document, FakeBuilds(), service))
    qtbot.addWidget(widget)
    return widget


def test_format_duration():
    assert format_duration(7) == "0:07" and format_duration(205) == "3:25" and format_duration(3723) == "1:02:03"


def test_train_sends_settings_and_shows_progress_and_curves(panel, qtbot):
    service = panel.service
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    assert not panel.resume_button.isEnabled()
    panel.epochs.setValue(3)
    panel.batch_size.setValue(16)
    panel.validation_split.setValue(0.25)
    panel.task.setCurrentIndex(panel.task.findData("teacher"))
    panel.train_button.click()
    kind, spec, data, epochs, batch_size, split, _weights = service.calls[-1]
    assert kind == "start" and spec == panel.document.spec
    assert data.source == "synthetic" and data.task == "teacher"
    assert (epochs, batch_size, split) == (3, 16, 0.25)
    panel._update_buttons()
    assert panel.stop_button.isEnabled() and not panel.train_button.isEnabled()

    service.progressDetail.emit(
        {
            "epoch": 2,
            "epochs": 3,
            "batch": 2,
            "batches": 4,
            "logs": {"loss": 0.5},
            "eta": 75.0,
            "samples_per_s": 10.0,
            "epochs_done": [],
        }
    )
    assert panel.progress_bar.format() == "epoch 2/3 · batch 2/4 · 1:15 left"
    assert panel.progress_bar.value() == 500

    service.play(3)
    assert "Finished after 3 epochs" in panel.status.text()
    assert panel.progress_bar.value() == 1000
    xs, ys = panel._curves["loss"].getData()
    assert list(xs) == [1, 2, 3] and list(ys) == pytest.approx([1.0, 0.5, 1 / 3])
    assert list(panel._curves["val_loss"].getData()[1]) == pytest.approx([1.2, 0.6, 0.4])
    panel.log_scale.setChecked(True)
    assert panel.plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert panel.resume_button.isEnabled()

    panel.resume_button.click()
    assert service.calls[-1][0] == "resume"
    panel.stop_button.click()
    assert service.calls[-1] == ("stop",)


def test_failure_is_shown(panel):
    panel.service.failed.emit("row 4, column 'b' (2): expected a number, found 'oops'")
    assert "row 4, column" in panel.status.text()


def test_csv_source_needs_a_file(panel):
    panel.source.setCurrentIndex(panel.source.findData("csv"))
    panel.train_button.click()
    assert not panel.service.calls and "CSV file" in panel.status.text()
    panel.csv_path.setText("/data/x.csv")
    panel.csv_targets.setText("label, other")
    panel.train_button.click()
    data = panel.service.calls[-1][2]
    assert data.source == "csv" and data.path == "/data/x.csv" and data.targets == ("label", "other")


def test_architecture_edit_with_trained_weights_asks_first(panel, monkeypatch, qtbot):
    service, document = panel.service, panel.document
    panel.train_button.click()
    service.play(2)
    questions = []
    monkeypatch.setattr(training_panel, "ask", lambda parent, title, text: questions.append(text) or False)
    pushed = document.undo_stack.count()
    reason = document.set_param(1, "units", 32)
    # asked before the edit, synchronously; refused: nothing pushed, nothing changed
    assert len(questions) == 1 and "2 epochs" in questions[0]
    assert reason and "cancelled" in reason
    assert document.undo_stack.count() == pushed
    assert document.spec.layers[1].get("units") == 64
    assert panel.model_state.has_trained_weights() and ("discard",) not in service.calls
    for edit in (
        lambda: document.remove_layer(1),
        lambda: document.append_layer("Dropout"),
        lambda: document.rename_layer(1, "hidden"),
        lambda: document.duplicate_layer(1),
    ):
        assert edit() is not None
    assert len(questions) == 5 and document.undo_stack.count() == pushed
    qtbot.wait(20)
    assert len(questions) == 5  # no second question after the fact

    # compile changes keep the weights: no question
    from nnstudio.core.spec import CompileSpec

    assert document.set_compile(CompileSpec(optimizer="sgd")) is None
    qtbot.wait(20)
    assert len(questions) == 5 and panel.model_state.has_trained_weights()

    monkeypatch.setattr(training_panel, "ask", lambda parent, title, text: questions.append(text) or True)
    assert document.set_param(1, "units", 32) is None
    assert len(questions) == 6
    assert document.spec.layers[1].get("units") == 32
    assert ("discard",) in service.calls and not panel.model_state.has_trained_weights()
    assert not panel.resume_button.isEnabled()
    document.set_param(1, "units", 16)  # no trained weights any more: no question
    qtbot.wait(20)
    assert len(questions) == 6


def test_undo_after_training_asks_and_no_takes_it_back(panel, monkeypatch, qtbot):
    service, document = panel.service, panel.document
    document.set_param(1, "units", 32)  # an edit before training
    panel.train_button.click()
    service.play(1)
    questions = []
    monkeypatch.setattr(training_panel, "ask", lambda parent, title, text: questions.append(text) or False)
    assert document.undo() is not None  # back to 64 units: not what was trained; asked first, refused
    assert len(questions) == 1
    assert document.spec.layers[1].get("units") == 32  # nothing undone
    assert document.undo_stack.index() == document.undo_stack.count()
    assert panel.model_state.has_trained_weights()
    qtbot.wait(20)
    assert len(questions) == 1

    monkeypatch.setattr(training_panel, "ask", lambda parent, title, text: questions.append(text) or True)
    assert document.undo() is None
    assert ("discard",) in service.calls
    assert document.spec.layers[1].get("units") == 64 and not panel.model_state.has_trained_weights()
    assert document.redo() is None  # no trained weights any more: no question
    assert len(questions) == 2


def test_opening_another_model_discards_without_asking(panel, monkeypatch, qtbot):
    service, document = panel.service, panel.document
    panel.train_button.click()
    service.play(1)
    monkeypatch.setattr(training_panel, "ask", lambda *a: pytest.fail("asked"))
    spec = document.spec.with_layer(1, document.spec.layers[1].with_params(units=8))
    document.load(spec)
    qtbot.waitUntil(lambda: ("discard",) in service.calls)
    assert not panel.model_state.has_trained_weights()


def test_document_edit_guard_sees_old_and_new_spec():
    document = Document()
    seen = []

    def guard(old, new):
        seen.append((old, new))
        return new.layers[1].get("units") != 7

    document.set_edit_guard(guard)
    assert document.set_param(1, "units", 7) is not None
    assert document.undo_stack.count() == 0 and document.spec.layers[1].get("units") == 64
    assert document.set_param(1, "units", 8) is None and document.spec.layers[1].get("units") == 8
    assert seen[-1][0].layers[1].get("units") == 64 and seen[-1][1].layers[1].get("units") == 8
    from nnstudio.core.spec import CompileSpec

    document.set_compile(CompileSpec(optimizer="sgd"))
    assert len(seen) == 2  # compile edits are not guarded
    document.undo()
    assert len(seen) == 2  # nor is undoing one
    document.undo()  # back to 64 units: the guard is asked
    assert len(seen) == 3 and seen[-1][1].layers[1].get("units") == 64
    document.set_edit_guard(None)
    assert document.set_param(1, "units", 7) is None


def test_panel_paints(panel):
    panel.resize(380, 700)
    panel.show()
    panel.train_button.click()
    panel.service.play(3)
    image = panel.grab()
    assert not image.isNull() and image.width() == 380


def test_a_refused_edit_puts_the_property_editor_back(panel, monkeypatch, qtbot):
    from nnstudio.ui.property_editor import PropertyEditor

    service, document = panel.service, panel.document
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    document.select_layer(1)
    panel.train_button.click()
    service.play(1)
    monkeypatch.setattr(training_panel, "ask", lambda *a: False)
    units = editor.field("units")
    units.setValue(32)  # the person types 32; the question is refused
    assert document.spec.layers[1].get("units") == 64
    assert units.value() == 64


def iris_spec():
    from nnstudio.core.spec import ModelSpec

    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4]))
    return spec.inserted(1, spec.new_layer("Dense", units=3, activation="softmax"))


def test_after_normalised_training_the_panel_says_how_to_scale_inputs_and_copies_it(panel, qtbot):
    import numpy as np
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from nnstudio.core.csv_data import DataConfig, prepare

    truth = prepare(iris_spec(), DataConfig(source="iris"), 0.2).normaliser  # what the engine fits on
    assert not panel.scaling_info.isVisibleTo(panel)
    panel.service.last_result = type(
        "R", (), {"normaliser": (truth.mean.tolist(), truth.std.tolist()), "stopped": False}
    )
    panel.service.spec = panel.document.spec
    panel.service.play(epochs=1)
    assert panel.scaling_info.isVisibleTo(panel) and panel.copy_scaling.isVisibleTo(panel)
    assert f"{truth.mean[0]:.4g}" in panel.scaling_info.text() and "(x − mean) / std" in panel.scaling_info.text()

    qtbot.mouseClick(panel.copy_scaling, Qt.MouseButton.LeftButton)
    names: dict = {"np": np, "x": np.ones((2, 4), np.float32)}
    exec(QGuiApplication.clipboard().text(), names)  # the copied lines run as they are
    np.testing.assert_array_equal(names["mean"], truth.mean)
    np.testing.assert_array_equal(names["std"], truth.std)
    np.testing.assert_allclose(names["x_scaled"], truth.apply(np.ones((2, 4), np.float32)), rtol=1e-6)

    panel.service.resetDone.emit({})  # Reset: the trained weights it described are gone
    QApplication.processEvents()
    assert not panel.scaling_info.isVisibleTo(panel)


def test_a_graph_with_several_inputs_gets_synthetic_data_and_csv_is_refused_with_the_reason(qtbot):
    from nnstudio.core.keras_archive import parse_keras_config
    from tests.core.test_keras_functional import DATA

    document = Document(parse_keras_config((DATA / "functional_mha_config.json").read_bytes()))
    service = FakeTraining()
    panel = TrainingPanel(document, service, ModelState(document, FakeBuilds(), service))
    qtbot.addWidget(panel)
    for source in ("csv", "iris"):
        panel.source.setCurrentIndex(panel.source.findData(source))
        assert panel.data_info.text().startswith("CSV data is for models with one input and one output")
        assert "3 input(s) and 2 output(s)" in panel.data_info.text()
    panel.source.setCurrentIndex(panel.source.findData("synthetic"))
    assert "made-up samples (5×8 + 6×8 + 6×8 numbers in, 5×8 + 5×8 out)" in panel.data_info.text()
