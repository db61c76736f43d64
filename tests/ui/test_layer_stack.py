"""The layer stack as a person uses it: drops from the palette, edits in the property editor, drag to
reorder, keys, undo and redo, and refusals that say why."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QSpinBox

from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze, count_with_size
from nnstudio.services.document import Document
from nnstudio.ui.layer_stack import ROW_MIME, ErrorRole, LayerStackView, describe
from nnstudio.ui.palette import LayerPalette
from nnstudio.ui.property_editor import PropertyEditor

COPY = Qt.DropAction.CopyAction
MOVE = Qt.DropAction.MoveAction


@pytest.fixture
def editor(qtbot):
    """An empty document with a palette, a stack and a property editor, as the window lays them out."""
    document = Document.new_empty()
    palette = LayerPalette()
    stack = LayerStackView(document)
    properties = PropertyEditor(document)
    for widget in (palette, stack, properties):
        qtbot.addWidget(widget)
        widget.show()
    return document, palette, stack, properties


def drop_from_palette(palette, stack, class_name, row=-1):
    """Drop the palette entry `class_name` into the stack before `row` (-1: below the last layer)."""
    model = stack.model()
    data = palette.mime_data_for(class_name)
    assert model.canDropMimeData(data, COPY, row, 0, QModelIndex())
    return model.dropMimeData(data, COPY, row, 0, QModelIndex())


def drag_row(stack, source, before_row):
    """Drag the stack's row `source` and drop it before row `before_row` (its count: the end)."""
    model = stack.model()
    data = model.mimeData([model.index(source)])
    assert data.hasFormat(ROW_MIME)
    return model.dropMimeData(data, MOVE, before_row, 0, QModelIndex())


def type_into_spin(qtbot, spin: QSpinBox, text: str):
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def rows(stack):
    model = stack.model()
    return [model.index(i).data() for i in range(model.rowCount())]


def build_lesson(qtbot, document, palette, stack, properties):
    assert drop_from_palette(palette, stack, "Input")
    assert drop_from_palette(palette, stack, "Dense")
    assert drop_from_palette(palette, stack, "Dense")
    assert [layer.class_name for layer in document.spec.layers] == ["Input", "Dense", "Dense"]

    stack.setCurrentIndex(stack.model().index(0))
    assert document.selected_index == 0 and properties.layer_index == 0
    shape = properties.field("shape")
    shape.selectAll()
    qtbot.keyClicks(shape, "20")

    stack.setCurrentIndex(stack.model().index(1))
    type_into_spin(qtbot, properties.field("units"), "64")
    properties.field("activation").setCurrentText("relu")

    stack.setCurrentIndex(stack.model().index(2))
    type_into_spin(qtbot, properties.field("units"), "10")


def test_drop_input_dense_dense_and_set_the_lesson(editor, qtbot):
    document, palette, stack, properties = editor
    assert stack.objectName() == "layerStack" and palette.objectName() == "layerPalette"
    assert stack.model().rowCount() == 0
    build_lesson(qtbot, document, palette, stack, properties)

    summary = analyze(document.spec)
    assert summary.ok, summary.issues
    assert [r.params for r in summary.rows] == [1344, 650]
    assert count_with_size(summary.total_params) == "1,994 (7.79 KB)"
    assert document.spec.layers == lesson_spec().layers
    assert rows(stack) == ["input_layer — Input(20)", "dense — Dense(64, relu)", "dense_1 — Dense(10)"]
    assert document.undo_stack.undoText() == "Set units of dense_1 to 10"

    # undo every step back to the empty document, then redo all of it
    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert document.spec.layers == () and stack.model().rowCount() == 0
    assert not document.is_modified()
    while document.undo_stack.canRedo():
        document.undo_stack.redo()
    assert document.spec.layers == lesson_spec().layers
    assert analyze(document.spec).total_params == 1994


def test_each_typed_number_is_one_undo_step(editor, qtbot):
    document, palette, stack, properties = editor
    build_lesson(qtbot, document, palette, stack, properties)
    texts = [document.undo_stack.text(i) for i in range(document.undo_stack.count())]
    assert texts == [
        "Add Input",
        "Add Dense",
        "Add Dense",
        "Set units of dense to 64",
        "Set activation of dense to relu",
        "Set units of dense_1 to 10",
    ]  # shape 20 is Input's default: typing it back leaves no step


def test_drop_at_a_position_and_reorder_by_drag(editor, qtbot):
    document, palette, stack, properties = editor
    build_lesson(qtbot, document, palette, stack, properties)
    assert drop_from_palette(palette, stack, "Dropout", row=2)  # between dense and dense_1
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dropout", "dense_1"]
    assert stack.currentIndex().row() == 2

    assert drag_row(stack, 2, 4)  # dropout to the bottom
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dense_1", "dropout"]
    assert document.undo_stack.undoText() == "Move dropout"
    assert stack.currentIndex().row() == 3 and document.selected_index == 3

    assert drag_row(stack, 2, 1)  # dense_1 above dense
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense_1", "dense", "dropout"]
    assert not drag_row(stack, 1, 1)  # dropped where it was: nothing happens
    assert not drag_row(stack, 1, 2)
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dropout", "dense_1"]


def test_refused_drops_say_why(editor, qtbot):
    document, palette, stack, properties = editor
    build_lesson(qtbot, document, palette, stack, properties)
    count = document.undo_stack.count()

    with qtbot.waitSignal(stack.model().dropRefused) as refused:
        assert not drop_from_palette(palette, stack, "Input")
    assert "one Input" in refused.args[0]
    assert stack.banner.isVisible() and "one Input" in stack.banner.text()

    with qtbot.waitSignal(stack.model().dropRefused) as refused:
        assert not drop_from_palette(palette, stack, "Dense", row=0)
    assert "above the Input" in refused.args[0] and "above the Input" in stack.banner.text()

    with qtbot.waitSignal(stack.model().dropRefused) as refused:
        assert not drag_row(stack, 0, 3)
    assert "stays at the top" in refused.args[0]
    with qtbot.waitSignal(stack.model().dropRefused):
        assert not drag_row(stack, 2, 0)
    assert document.undo_stack.count() == count
    assert document.spec.layers == lesson_spec().layers


def test_a_merge_dropped_in_a_sequential_stack_says_it_needs_a_functional_model(editor, qtbot):
    document, palette, stack, properties = editor
    build_lesson(qtbot, document, palette, stack, properties)
    count = document.undo_stack.count()
    assert palette.item_for("Add") is not None  # the palette shows it
    with qtbot.waitSignal(stack.model().dropRefused) as refused:
        assert not drop_from_palette(palette, stack, "Add", row=2)
    assert refused.args[0] == "Add merges several inputs; it needs a functional model"
    assert stack.banner.isVisible() and "needs a functional model" in stack.banner.text()
    assert document.undo_stack.count() == count and document.spec.layers == lesson_spec().layers


def test_a_row_from_another_document_is_refused(editor, qtbot):
    document, palette, stack, properties = editor
    other = LayerStackView(Document())
    qtbot.addWidget(other)
    data = other.model().mimeData([other.model().index(1)])
    with qtbot.waitSignal(stack.model().dropRefused):
        assert not stack.model().dropMimeData(data, MOVE, 0, 0, QModelIndex())
    assert document.spec.layers == ()


def test_keys_delete_duplicate_and_move(qtbot):
    document = Document()
    stack = LayerStackView(document)
    qtbot.addWidget(stack)
    stack.show()
    stack.setFocus()
    stack.setCurrentIndex(stack.model().index(1))
    assert document.selected_index == 1

    qtbot.keyClick(stack, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dense_2", "dense_1"]
    assert document.selected_index == 2 and stack.currentIndex().row() == 2
    assert document.undo_stack.undoText() == "Duplicate dense"

    qtbot.keyClick(stack, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dense_1", "dense_2"]
    assert stack.currentIndex().row() == 3
    qtbot.keyClick(stack, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(stack, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense_2", "dense", "dense_1"]
    assert stack.currentIndex().row() == 1

    qtbot.keyClick(stack, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)  # above the Input: refused
    assert stack.banner.isVisible() and "above the Input" in stack.banner.text()
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense_2", "dense", "dense_1"]

    qtbot.keyClick(stack, Qt.Key.Key_Delete)
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dense_1"]
    assert document.undo_stack.undoText() == "Remove dense_2"
    assert stack.currentIndex().row() == 1

    stack.setCurrentIndex(stack.model().index(0))
    qtbot.keyClick(stack, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # duplicate Input: refused
    assert "one Input" in stack.banner.text()
    assert len(document.spec.layers) == 3


def test_selection_follows_the_document_and_survives_undo(qtbot):
    document = Document()
    stack = LayerStackView(document)
    qtbot.addWidget(stack)
    document.select_layer(2)
    assert stack.currentIndex().row() == 2
    document.insert_layer(3, "Dropout")
    assert stack.currentIndex().row() == 3
    document.undo_stack.undo()
    assert stack.currentIndex().row() == 2 and document.selected_index == 2
    stack.setCurrentIndex(stack.model().index(0))
    assert document.selected_index == 0
    document.set_param(2, "units", 11)  # same row count: selection kept, no reset
    assert stack.currentIndex().row() == 2  # the edit selects the edited layer
    document.load(ModelSpec())
    assert stack.model().rowCount() == 0 and document.selected_index == -1


def test_layers_with_errors_are_red_with_the_message(qtbot):
    document = Document()
    stack = LayerStackView(document)
    qtbot.addWidget(stack)
    document.set_param(1, "units", 0)
    index = stack.model().index(1)
    assert "units must be a positive integer" in index.data(ErrorRole)
    assert "units must be a positive integer" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.ForegroundRole).name() == "#dc2626"
    assert stack.model().index(2).data(ErrorRole) is None
    assert stack.model().index(2).data(Qt.ItemDataRole.ForegroundRole) is None


def test_describe_is_short_and_readable():
    spec = lesson_spec()
    assert [describe(layer) for layer in spec.layers] == ["Input(20)", "Dense(64, relu)", "Dense(10)"]
    assert describe(spec.new_layer("Dropout", rate=0.25)) == "Dropout(0.25)"
    assert describe(spec.new_layer("Reshape", target_shape=[4, 5])) == "Reshape(4, 5)"
    assert describe(spec.new_layer("Dense", units=3, use_bias=False)) == "Dense(3, no bias)"


def test_a_real_drop_event_lands_between_the_rows_under_the_mouse(qtbot):
    """The same drop delivered as Qt delivers a mouse drop: the view works out the row from the position."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    document = Document()
    stack = LayerStackView(document)
    qtbot.addWidget(stack)
    stack.resize(320, 300)
    stack.show()
    qtbot.waitExposed(stack)
    assert stack.showDropIndicator() and stack.dragDropMode() == stack.DragDropMode.DragDrop
    palette = LayerPalette()
    qtbot.addWidget(palette)

    def drop_at(y, class_name):
        data = palette.mime_data_for(class_name)  # kept alive while the event points at it
        event = QDropEvent(QPointF(40, y), COPY, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        stack.dropEvent(event)  # what the viewport runs on a drop (sendEvent needs a real QDrag in flight)
        return event.isAccepted()

    second = stack.visualRect(stack.model().index(2))  # dense_1
    assert drop_at(second.top() + 3, "Dropout")  # upper edge of dense_1: before it
    assert [layer.name for layer in document.spec.layers] == ["input_layer", "dense", "dropout", "dense_1"]
    assert drop_at(stack.viewport().height() - 5, "Flatten")  # empty space below: at the end
    assert document.spec.layers[-1].class_name == "Flatten"
    first = stack.visualRect(stack.model().index(0))
    assert not drop_at(first.top() + 3, "Dense")  # above the Input
    assert stack.banner.isVisible() and "above the Input" in stack.banner.text()


def test_qt_removing_the_source_rows_after_a_move_changes_nothing(qtbot):
    document = Document()
    stack = LayerStackView(document)
    qtbot.addWidget(stack)
    assert drag_row(stack, 2, 1)
    moved = document.spec
    assert not stack.model().removeRows(1, 1)  # what QAbstractItemView.startDrag does after a MoveAction
    assert document.spec == moved


@pytest.mark.filterwarnings("ignore:Function.*QDragMoveEvent:DeprecationWarning")  # Qt's only constructor
def test_dragging_over_a_forbidden_place_says_why_before_the_drop(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDragMoveEvent

    document = Document()
    stack = LayerStackView(document)
    qtbot.addWidget(stack)
    stack.resize(320, 300)
    stack.show()
    qtbot.waitExposed(stack)
    palette = LayerPalette()
    qtbot.addWidget(palette)

    def drag_over(y, data):
        event = QDragMoveEvent(
            QPoint(40, y), COPY | MOVE, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        stack.dragMoveEvent(event)
        return event.isAccepted()

    first = stack.visualRect(stack.model().index(0))
    dense = palette.mime_data_for("Dense")
    assert not drag_over(first.top() + 3, dense)  # above the Input
    assert stack.banner.isVisible() and "above the Input" in stack.banner.text()
    last = stack.visualRect(stack.model().index(2))
    assert drag_over(last.bottom() - 3, dense)  # below the last layer: fine, and the hint goes away
    assert not stack.banner.isVisible()
    assert not drag_over(last.bottom() - 3, palette.mime_data_for("Input"))
    assert "one Input" in stack.banner.text()
    row = stack.model().mimeData([stack.model().index(0)])  # the Input, dragged down
    assert not drag_over(last.bottom() - 3, row)
    assert "stays at the top" in stack.banner.text()
    assert document.undo_stack.count() == 0


def test_a_row_s_words_are_measured_in_the_view_s_font_and_follow_a_rename(qtbot):
    """The delegate keeps what it measured per texts and font (a repaint of a long model's rows
    measured every row again): a bigger font or a renamed layer is measured afresh."""
    from PySide6.QtGui import QFont, QFontMetrics

    doc = Document(lesson_spec())
    view = LayerStackView(doc)
    qtbot.addWidget(view)
    delegate, model = view.itemDelegate(), view.model()
    small, big = QFont(view.font()), QFont(view.font())
    big.setPointSizeF(small.pointSizeF() * 2)

    def expected(font: QFont, row: int) -> int:
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        name, words = doc.spec.layers[row].name, model.row_view(row).description
        metrics = QFontMetrics(font)
        return (
            QFontMetrics(bold).horizontalAdvance(name)
            + metrics.horizontalAdvance("  ")
            + metrics.horizontalAdvance(words)
            + 4
        )

    def fits(font: QFont, row: int, width: int) -> int:
        return delegate.detail_that_fits(model.index(row), font, width)

    for font in (small, big, small):
        room = expected(font, 1) + 2 * delegate.PAD + delegate.ICON + delegate.PAD + 3
        assert fits(font, 1, room) == 2, "no room for the shape beside the words"
        assert fits(font, 1, room + 400) == 0, "room for the shape and the parameters"
    doc.rename_layer(1, "a_much_longer_name_than_before")
    room = expected(small, 1) + 2 * delegate.PAD + delegate.ICON + delegate.PAD + 3
    assert fits(small, 1, room - 10) == 2 and fits(small, 1, room + 400) == 0


def test_a_long_model_s_rows_are_made_as_they_are_asked_for(qtbot, monkeypatch):
    """A model of hundreds of layers opens without describing every row: a row is made when a view
    asks for it, says what an eagerly made row says, and an edit of a row never asked for is still
    announced (dataChanged) so that a view showing it later reads the new words."""
    from nnstudio.ui import layer_stack
    from tests.ui.test_canvas_incremental import deep_spec, edited

    made: list[str] = []
    describe_layer = layer_stack.describe
    monkeypatch.setattr(layer_stack, "describe", lambda layer: made.append(layer.name) or describe_layer(layer))
    doc = Document(lesson_spec())
    model = layer_stack.LayerStackModel(doc)
    spec = deep_spec(150)
    doc.load(spec, None)
    assert model.rowCount() == len(spec.layers) == 451
    assert made == [], "no row was made before a view asked for it"
    text = model.index(7).data()
    assert made == [spec.layers[7].name]
    assert text == f"{spec.layers[7].name} — {describe_layer(spec.layers[7])}"
    announced: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, *_roles: announced.append((first.row(), last.row())))
    doc.set_param(7, "units", 99)
    doc.set_param(301, "units", 98)
    assert any(first <= 7 <= last for first, last in announced[:1]), announced
    assert any(first <= 301 <= last for first, last in announced[1:]), announced
    assert "Dense(99" in model.index(7).data() and "Dense(98" in model.index(301).data()
    assert len(made) < 10, "an edit remakes the rows made before, not all of them"
    assert doc.spec == edited(edited(spec, 7, units=99), 301, units=98)


def test_an_edit_repaints_the_rows_it_changed_not_the_whole_list(qtbot):
    """A big model's edit repaints the rows whose words changed (the rows are of one size: Qt's list
    would lay out and repaint every row on any change of data) and shows the new words."""
    from PySide6.QtCore import QEvent, QObject, QRect

    from tests.ui.test_canvas_incremental import deep_spec

    doc = Document(deep_spec(150))
    view = LayerStackView(doc)
    qtbot.addWidget(view)
    view.resize(320, 500)
    view.show()
    qtbot.waitExposed(view)
    doc.select_layer(400)
    qtbot.waitUntil(lambda: view.visualRect(view.model().index(400)).intersects(view.viewport().rect()))
    painted: list[QRect] = []

    class Paints(QObject):
        def eventFilter(self, _watched, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                painted.append(event.rect())
            return False

    paints = Paints()
    view.viewport().installEventFilter(paints)
    doc.set_param(400, "units", 5)  # the first paints after the window came up are of all of it
    qtbot.waitUntil(lambda: bool(painted))
    painted.clear()
    doc.set_param(400, "units", 7)  # its parameters, and the shapes and parameters of the next rows
    qtbot.waitUntil(lambda: bool(painted))
    model = view.model()
    changed = QRect()
    for row in range(400, 404):
        changed = changed.united(view.visualRect(model.index(row)))
    shown = changed.intersected(view.viewport().rect())
    assert all(shown.contains(rect) for rect in painted), (painted, shown)
    assert "Dense(7" in model.index(400).data()
