"""Failures a person can read (issue 15): one sentence with the cause and a Details expander, boxes that
keep their size under a long message, and the Compile panel's warning about a metric that cannot go with
the loss."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGroupBox, QScrollArea

from nnstudio.core.spec import ModelSpec
from nnstudio.services.document import Document
from nnstudio.services.model_state import ModelState
from nnstudio.ui.compile_settings import CompileSettings
from nnstudio.ui.training_panel import TrainingPanel
from tests.core.test_error_text import TF_GRAPH_ERROR
from tests.ui.fakes import FakeBuilds, FakeTraining


def iris_spec(metrics=("mean_squared_error",)) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=3, activation="softmax"))
    return spec.with_compile(spec.compile.edited(loss="sparse_categorical_crossentropy", metrics=tuple(metrics)))


@pytest.fixture
def scrolled_panel(qtbot):
    """The training panel as the window docks it: in a scroll area."""
    document = Document(iris_spec())
    service = FakeTraining()
    panel = TrainingPanel(document, service, ModelState(document, FakeBuilds(), service))
    scroller = QScrollArea()
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QFrame.Shape.NoFrame)
    scroller.setWidget(panel)
    qtbot.addWidget(scroller)
    return panel, scroller


def test_a_failed_training_says_its_cause_in_one_sentence_with_details(scrolled_panel, qtbot):
    panel, scroller = scrolled_panel
    scroller.resize(500, 600)
    scroller.show()
    panel.source.setCurrentIndex(panel.source.findData("iris"))
    panel.train_button.click()
    panel.service.running = False
    panel.service.failed.emit(TF_GRAPH_ERROR)
    status = panel.status.text()
    assert "Training failed: Incompatible shapes: [32] vs. [32,3] (in mean_squared_error)" in status
    assert "mean_squared_error cannot go with sparse_categorical_crossentropy" in status  # the known reason
    assert 'File "' not in status and "site-packages" not in status and "Graph execution" not in status
    assert panel.details_button.isVisible() and not panel.details.isVisible()
    panel.details_button.click()
    assert panel.details.isVisible() and panel.details.toPlainText() == TF_GRAPH_ERROR
    panel.details_button.click()
    assert not panel.details.isVisible()
    panel.train_button.click()  # a new run: the old failure's details go
    assert not panel.details_button.isVisible()


def test_a_short_failure_has_no_details_button(scrolled_panel):
    panel, _scroller = scrolled_panel
    panel.service.failed.emit("row 4, column 'b' (2): expected a number, found 'oops'")
    assert "row 4, column 'b'" in panel.status.text() and panel.details_button.isHidden()


@pytest.mark.parametrize("size", [(380, 700), (900, 260), (500, 400)])
@pytest.mark.parametrize("message", [TF_GRAPH_ERROR, "word " * 400])
def test_the_boxes_keep_their_size_under_a_long_failure(scrolled_panel, qtbot, size, message):
    panel, scroller = scrolled_panel
    scroller.resize(*size)
    scroller.show()
    qtbot.waitExposed(scroller)
    panel.service.failed.emit(message)
    panel.details_button.setChecked(panel.details_button.isVisible())
    qtbot.waitUntil(lambda: panel.height() >= panel.minimumSizeHint().height())
    qtbot.wait(10)  # the scroll area lays the panel out on its next turn
    for widget in (panel.epochs, panel.batch_size, panel.validation_split, panel.source):
        assert widget.height() >= widget.minimumSizeHint().height(), widget.objectName()
    for box in panel.findChildren(QGroupBox):
        assert box.height() >= box.minimumSizeHint().height(), box.title()


def test_the_compile_panel_warns_about_a_metric_that_cannot_go_with_the_loss(qtbot):
    document = Document(iris_spec(metrics=()))
    panel = CompileSettings(document)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.metrics_warning_text() == ""
    panel.metric_item("mean_squared_error").setCheckState(Qt.CheckState.Checked)
    assert document.spec.compile.metrics == ("mean_squared_error",)
    warning = panel.metrics_warning_text()
    assert warning.startswith("mean_squared_error cannot go with sparse_categorical_crossentropy")
    assert "the model gives 3 numbers per sample" in warning
    assert warning.endswith("Metrics that fit: accuracy, sparse_categorical_accuracy.")
    assert panel.metric_item("mean_squared_error").toolTip() == warning
    assert panel.metric_item("accuracy").toolTip() == ""
    panel.loss.setCurrentText("categorical_crossentropy")  # one-hot targets: a value-by-value metric fits
    assert panel.metrics_warning_text() == ""


@pytest.mark.engine
def test_iris_with_the_mean_squared_error_metric_fails_in_one_readable_sentence(qtbot, training_service):
    """The real engine: Keras's own failure, read by a person."""
    from tests.engines import KERAS_START_MS

    document = Document(iris_spec())
    panel = TrainingPanel(document, training_service, ModelState(document, FakeBuilds(), training_service))
    qtbot.addWidget(panel)
    panel.source.setCurrentIndex(panel.source.findData("iris"))
    panel.epochs.setValue(1)
    with qtbot.waitSignal(training_service.failed, timeout=KERAS_START_MS) as failure:
        panel.train_button.click()
    message = failure.args[0]
    first = panel.status.text().split("<br>")[0]
    assert "Training failed: Incompatible shapes" in first and "(in mean_squared_error)" in first
    assert 'File "' not in panel.status.text() and "site-packages" not in panel.status.text()
    assert panel.details.toPlainText() == message and panel.details_button.isVisibleTo(panel)
    assert "mean_squared_error cannot go with sparse_categorical_crossentropy" in panel.status.text()


def test_a_failed_build_says_its_cause_in_the_status_bar_and_summary_with_details(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from nnstudio.core.spec import lesson_spec
    from nnstudio.engine.protocol import BuildFailure
    from nnstudio.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    builds = FakeBuilds()
    window = MainWindow(Document(lesson_spec()), builds, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.start_service()
    builds.buildFailed.emit(BuildFailure(1, window.document.spec, TF_GRAPH_ERROR, "dense_1"))
    status = window.keras_status
    cause = "Incompatible shapes: [32] vs. [32,3] (in mean_squared_error)"
    assert status.label.text() == f"Keras error (dense_1): {cause}"
    assert window.summary_table.state_label.text() == f"✗ Keras could not build the model (dense_1): {cause}"
    assert TF_GRAPH_ERROR in window.summary_table.state_label.toolTip()
    assert status.details_button.isVisibleTo(window.statusBar())
    status.details_button.click()
    box = status.details_box
    assert box is not None and box.isVisible() and box.detailedText() == TF_GRAPH_ERROR
    assert box.text() == status.label.text()
    box.close()
    builds.answer()  # the next build works: no failure left on show
    assert not status.details_button.isVisibleTo(window.statusBar())


def test_a_failed_export_says_its_cause_in_one_line(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox, QWidget

    from nnstudio.core.spec import lesson_spec
    from nnstudio.ui.file_actions import FileActions

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, title, text, *a: warnings.append(text)))
    parent = QWidget()
    qtbot.addWidget(parent)
    builds = FakeBuilds()
    files = FileActions(
        parent, Document(lesson_spec()), builds, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    )
    assert files.export_keras(tmp_path / "out.keras")
    builds.exportFailed.emit(TF_GRAPH_ERROR)
    assert warnings == ["out.keras was not exported: Incompatible shapes: [32] vs. [32,3] (in mean_squared_error)"]
