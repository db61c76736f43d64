"""First-run clarity (issue 15): what ◌ and ✓ mean, the training task in plain words, Train against
Resume explained (the Summary in view while training: tests/ui/test_training_window.py)."""

from __future__ import annotations

from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.services.document import Document
from nnstudio.services.model_state import ModelState
from nnstudio.ui.summary_table import SummaryTable
from nnstudio.ui.training_panel import TrainingPanel
from tests.ui.fakes import FakeBuilds, FakeTraining


def test_the_summary_state_line_explains_its_marks(qtbot):
    table = SummaryTable(Document(lesson_spec()))
    qtbot.addWidget(table)
    label = table.state_label
    assert label.text().startswith("◌")
    tip = label.toolTip()
    assert "◌ analytic: nnstudio's own shapes and parameter counts" in tip
    assert "✓ confirmed: Keras built the model and its summary says the same" in tip


def test_the_task_is_said_in_plain_words_and_auto_says_what_it_picks(qtbot):
    document = Document(lesson_spec())  # mean_squared_error: a regression
    service = FakeTraining()
    panel = TrainingPanel(document, service, ModelState(document, FakeBuilds(), service))
    qtbot.addWidget(panel)
    texts = [panel.task.itemText(i) for i in range(panel.task.count())]
    assert texts[0] == "Automatic: regression" and "Classification: one blob per class" in texts
    assert all(text != "auto" and text != "teacher" for text in texts)
    assert "Picked by the loss (mean_squared_error)" in panel.task.itemData(0, 3)  # the tooltip role
    document.set_compile(CompileSpec(loss="categorical_crossentropy"))
    assert panel.task.itemText(0) == "Automatic: classify blobs"
    assert panel.task.currentData() == "auto"  # what is sent to the engine is unchanged


def test_train_and_resume_say_how_they_differ(qtbot):
    document = Document(lesson_spec())
    service = FakeTraining()
    panel = TrainingPanel(document, service, ModelState(document, FakeBuilds(), service))
    qtbot.addWidget(panel)
    assert "from the start" in panel.train_button.toolTip() and "replaced" in panel.train_button.toolTip()
    resume = panel.resume_button.toolTip()
    assert "from the trained weights" in resume and "count on" in resume
