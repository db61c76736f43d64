"""An edit of the selected layer updates the views in place (issue 12, point 2): the property editor
keeps its form and the field being typed in, the summary and the layer list announce only the rows
that changed, and the canvas takes the model on a later turn of the event loop, once for a burst of
edits, with the final values."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.layer_stack import ParamsRole, ShapeRole
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining

DENSE_PARAMS = {32: 20 * 32 + 32, 64: 20 * 64 + 64, 128: 20 * 128 + 128}  # Keras's Dense: inputs x units + units
NEXT_PARAMS = {32: 32 * 10 + 10, 64: 64 * 10 + 10, 128: 128 * 10 + 10}  # the Dense(10) after it


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(lesson_spec()), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.document.undo_stack.setClean()


def click_layer(qtbot, window, row: int) -> None:
    """Click row `row` of the Model dock's layer list, as a person selects a layer."""
    stack = window.layer_stack
    rect = stack.visualRect(stack.stack_model.index(row))
    qtbot.mouseClick(stack.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    assert window.document.selected_index == row


def type_over(qtbot, field: QLineEdit, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def row_texts(window, layer_name: str) -> tuple[str, str]:
    """The summary table's Output Shape and Param # cells of `layer_name`'s row."""
    model = window.summary_table.model
    for row in range(model.rowCount()):
        if model.index(row, 0).data().startswith(f"{layer_name} ("):
            return model.index(row, 1).data(), model.index(row, 2).data()
    raise AssertionError(f"no summary row for {layer_name}")


def shown(window, units: int) -> None:
    """Every view says the hidden Dense has `units` units."""
    stack = window.layer_stack.stack_model
    assert window.property_editor.field("units").text() == str(units)
    assert row_texts(window, "dense") == (f"(None, {units})", f"{DENSE_PARAMS[units]:,}")
    assert row_texts(window, "dense_1") == ("(None, 10)", f"{NEXT_PARAMS[units]:,}")
    assert stack.index(1).data(ShapeRole) == f"(None, {units})"
    assert stack.index(1).data(ParamsRole) == DENSE_PARAMS[units]
    assert stack.index(2).data(ParamsRole) == NEXT_PARAMS[units]


def canvas_units(window) -> tuple[int, ...] | None:
    column = next(c for c in window.canvas.columns if c.name == "dense")
    return column.shape


def test_typing_units_keeps_the_form_and_focus_and_updates_only_the_changed_rows(window, qtbot):
    click_layer(qtbot, window, 1)
    editor = window.property_editor
    form, fields = editor.scroller.widget(), dict(editor.fields)
    units = editor.field("units")
    announced: dict[str, list] = {"summary": [], "stack": [], "reset": []}
    table, stack = window.summary_table.model, window.layer_stack.stack_model
    table.dataChanged.connect(lambda a, b: announced["summary"].extend(range(a.row(), b.row() + 1)))
    stack.dataChanged.connect(lambda a, b: announced["stack"].extend(range(a.row(), b.row() + 1)))
    table.modelReset.connect(lambda: announced["reset"].append("summary"))
    stack.modelReset.connect(lambda: announced["reset"].append("stack"))

    type_over(qtbot, units, "32")
    assert window.document.spec.layers[1].get("units") == 32
    assert editor.scroller.widget() is form and editor.fields == fields  # the same widgets, not a new form
    assert QApplication.focusWidget() is units and units.cursorPosition() == 2  # typing goes on where it was
    shown(window, 32)
    # the two Dense rows changed (the units and, after it, the inputs of dense_1); nothing else was re-read
    assert set(announced["summary"]) == {table.row_of_layer(1), table.row_of_layer(2)}
    assert set(announced["stack"]) == {1, 2} and announced["reset"] == []

    qtbot.keyClick(units, Qt.Key.Key_Return)
    window.app_actions["edit.undo"].trigger()
    assert window.document.spec.layers[1].get("units") == 64
    assert editor.scroller.widget() is form and editor.fields == fields
    shown(window, 64)
    qtbot.waitUntil(window.views_current)
    assert canvas_units(window) == (64,)


def test_a_burst_of_edits_updates_the_canvas_once_with_the_final_values(window, qtbot):
    click_layer(qtbot, window, 1)
    qtbot.waitUntil(window.views_current)
    models = []
    set_model = window.canvas.set_model
    window.canvas.set_model = lambda summary, spec, drawn=True: models.append(spec) or set_model(summary, spec, drawn)
    undo = window.document.undo_stack

    type_over(qtbot, window.property_editor.field("units"), "128")  # 1, 12, 128: three edits in one burst
    assert undo.count() == 1 and window.document.spec.layers[1].get("units") == 128  # merged into one step
    assert not window.views_current() and models == []  # the canvas has not drawn the values on the way
    shown(window, 128)
    with qtbot.waitSignal(window.viewsUpdated):
        pass
    assert models == [window.document.spec] and canvas_units(window) == (128,)

    with qtbot.assertNotEmitted(window.viewsUpdated, wait=50):  # nothing more to draw
        pass
    assert len(models) == 1


def test_the_layer_list_says_as_much_after_an_edit_as_a_list_made_afresh(qtbot):
    """What the rows show on their right (shape and parameters, shape only, nothing) is kept per row
    text; after an edit that lengthens a row's text, and after its undo, the list says what a list
    made afresh at the same width says."""
    from nnstudio.ui.layer_stack import LayerStackView

    document = Document(lesson_spec())
    view = LayerStackView(document)
    qtbot.addWidget(view)
    view.show()

    def fresh_detail() -> int:
        other = LayerStackView(Document(document.spec))
        qtbot.addWidget(other)
        other.resize(view.size())
        other.show()
        qtbot.waitExposed(other)
        detail = other.itemDelegate().detail
        other.close()
        return detail

    seen = set()
    for width in range(240, 520, 40):
        view.resize(width, 300)
        qtbot.waitUntil(lambda width=width: view.viewport().width() < width)
        document.set_param(1, "units", 123456)  # "(None, 123456)  ·  2,592,576"
        after = view.itemDelegate().detail
        assert after == fresh_detail()
        document.undo_stack.undo()
        before = view.itemDelegate().detail
        assert before == fresh_detail()
        seen.add((before, after))
    assert any(before < after for before, after in seen)  # some widths fit the short texts, not the long


def test_each_edit_is_analysed_once_for_every_view(window, qtbot, monkeypatch):
    from nnstudio.services import document as document_module

    click_layer(qtbot, window, 1)
    qtbot.waitUntil(window.views_current)
    analysed = []
    analyze = document_module.analyze
    monkeypatch.setattr(document_module, "analyze", lambda spec: analysed.append(spec) or analyze(spec))
    type_over(qtbot, window.property_editor.field("units"), "32")
    qtbot.waitUntil(window.views_current)
    shown(window, 32)
    # typing "32" made two edits (3, then 32): each model was analysed once, whatever number of views read it
    assert len(analysed) == 2 and analysed[0] is not analysed[1] and analysed[1] is window.document.spec
