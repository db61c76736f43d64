"""Compile settings: Keras's names, undoable changes, a blank learning rate for the optimizer's default."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from nnstudio.core.catalog import LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.spec import CompileSpec, ModelSpec
from nnstudio.services.document import Document
from nnstudio.ui.compile_settings import CompileSettings, parse_learning_rate


@pytest.fixture
def doc(qapp):
    return Document()


@pytest.fixture
def settings(qtbot, doc):
    widget = CompileSettings(doc)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def retype(qtbot, edit, text):
    edit.setFocus()
    edit.selectAll()
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)


def test_shows_the_lessons_settings(settings):
    assert settings.objectName() == "compileSettings"
    assert [settings.loss.itemText(i) for i in range(settings.loss.count())] == list(LOSSES)
    assert [settings.optimizer.itemText(i) for i in range(settings.optimizer.count())] == list(OPTIMIZERS)
    assert settings.loss.currentText() == "mean_squared_error"
    assert settings.optimizer.currentText() == "adam"
    assert settings.learning_rate.text() == "" and settings.learning_rate.placeholderText() == "default (0.001)"
    assert settings.checked_metrics() == []
    assert settings.metrics.count() == len(METRICS)


def test_changes_are_undoable(settings, doc, qtbot):
    settings.loss.setCurrentText("huber")
    assert doc.spec.compile.loss == "huber" and doc.undo_stack.undoText() == "Set loss to huber"
    settings.optimizer.setCurrentText("sgd")
    assert doc.spec.compile.optimizer == "sgd"
    assert settings.learning_rate.placeholderText() == "default (0.01)"
    retype(qtbot, settings.learning_rate, "0.05")
    assert doc.spec.compile.learning_rate == 0.05
    assert doc.undo_stack.undoText() == "Set learning rate to 0.05"
    settings.metric_item("accuracy").setCheckState(Qt.CheckState.Checked)
    settings.metric_item("auc").setCheckState(Qt.CheckState.Checked)
    assert doc.spec.compile.metrics == ("accuracy", "auc")
    assert doc.spec.compile == CompileSpec("huber", "sgd", 0.05, ("accuracy", "auc"))
    assert doc.undo_stack.count() == 5  # loss, optimizer, learning rate (typed: one step), 2 metrics

    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.spec.compile == CompileSpec()
    assert settings.loss.currentText() == "mean_squared_error" and settings.learning_rate.text() == ""
    assert settings.checked_metrics() == []
    doc.undo_stack.redo()
    doc.undo_stack.redo()
    doc.undo_stack.redo()
    assert settings.learning_rate.text() == "0.05" and settings.optimizer.currentText() == "sgd"


def test_blank_or_default_learning_rate_means_the_optimizers_own(settings, doc, qtbot):
    retype(qtbot, settings.learning_rate, "0.1")
    assert doc.spec.compile.learning_rate == 0.1
    retype(qtbot, settings.learning_rate, "")
    assert doc.spec.compile.learning_rate is None
    retype(qtbot, settings.learning_rate, "default")
    assert doc.spec.compile.learning_rate is None and settings.error_text() == ""


def test_a_bad_learning_rate_is_shown_and_kept(settings, doc, qtbot):
    retype(qtbot, settings.learning_rate, "-1")
    assert "positive number" in settings.error_text()
    assert settings.learning_rate_error.isVisible() and settings.learning_rate.property("invalid") is True
    assert settings.learning_rate.text() == "-1"
    assert doc.spec.compile.learning_rate is None
    retype(qtbot, settings.learning_rate, "abc")
    assert "not a number" in settings.error_text()
    settings.loss.setCurrentText("huber")  # other edits wait until the rate is usable again
    assert doc.spec.compile.loss == "mean_squared_error"
    retype(qtbot, settings.learning_rate, "1e-3")
    assert settings.error_text() == "" and settings.learning_rate.property("invalid") is False
    assert doc.spec.compile == CompileSpec("huber", "adam", 0.001)


def test_follows_a_loaded_document(settings, doc):
    doc.load(ModelSpec(compile=CompileSpec("poisson", "rmsprop", 0.002, ("recall",))))
    assert settings.loss.currentText() == "poisson" and settings.optimizer.currentText() == "rmsprop"
    assert settings.learning_rate.text() == "0.002" and settings.checked_metrics() == ["recall"]
    assert doc.undo_stack.count() == 0


@pytest.mark.parametrize(("text", "value"), [("", None), (" default ", None), ("0.01", 0.01), ("1e-4", 1e-4)])
def test_parse_learning_rate(text, value):
    assert parse_learning_rate(text) == value


@pytest.mark.parametrize("text", ["0", "-0.1", "nan", "inf", "fast"])
def test_parse_learning_rate_refuses(text):
    with pytest.raises(ValueError):
        parse_learning_rate(text)


def test_options_from_a_file_are_shown_dropped_with_their_optimizer_and_undone(settings, doc):
    kept = CompileSpec(
        "categorical_crossentropy", "sgd", 0.01, (), {"momentum": 0.9, "nesterov": True}, {"from_logits": True}
    )
    assert settings.optimizer_options.isHidden() and settings.loss_options.isHidden()
    doc.load(ModelSpec(compile=kept))
    assert (
        settings.optimizer_options.isVisible()
        and settings.optimizer_options.text() == "also: momentum=0.9, nesterov=True"
    )
    assert settings.loss_options.isVisible() and settings.loss_options.text() == "also: from_logits=True"
    assert "sgd" in settings.optimizer_options.toolTip()
    settings.learning_rate.setText("0.05")
    settings.learning_rate.textEdited.emit("0.05")
    assert doc.spec.compile.optimizer_kwargs() == {"momentum": 0.9, "nesterov": True}  # a rate keeps them
    settings.optimizer.setCurrentText("adam")
    assert doc.spec.compile.optimizer_options == () and doc.spec.compile.loss_kwargs() == {"from_logits": True}
    assert settings.optimizer_options.isHidden() and settings.loss_options.isVisible()
    doc.undo_stack.undo()
    assert doc.spec.compile == kept.edited(learning_rate=0.05)
    assert settings.optimizer.currentText() == "sgd"
    assert (
        settings.optimizer_options.isVisible()
        and settings.optimizer_options.text() == "also: momentum=0.9, nesterov=True"
    )
    settings.loss.setCurrentText("huber")
    assert doc.spec.compile.loss_options == () and settings.loss_options.isHidden()
