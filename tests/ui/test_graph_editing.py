"""Editing a functional model's graph in the window, as a person does it: by mouse (clicks, drops on
the graph through the view's handlers, dragging from an output port) and by keyboard alone; undo and
redo of each edit; refusals shown where the person acted; the layout stays put while editing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.spec import ModelSpec, TensorRef, lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.graph.items import EdgeItem, NodeItem
from nnstudio.ui.graph.view import GraphView
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining

R = TensorRef


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    win = MainWindow(Document.new_empty(), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.document.undo_stack.setClean()


def structure(spec: ModelSpec) -> dict[str, object]:
    """What a graph is, independent of ids: each layer's class and what it reads, by name; the outputs."""
    names = {layer.id: layer.name for layer in spec.layers}
    return {
        "layers": {
            layer.name: (layer.class_name, [names[r.layer] for call in layer.inbound for r in call])
            for layer in spec.layers
        },
        "outputs": [names[r.layer] for r in spec.outputs],
    }


RESIDUAL = {
    "layers": {
        "input_layer": ("Input", []),
        "dense": ("Dense", ["input_layer"]),
        "dense_1": ("Dense", ["dense"]),
        "dense_2": ("Dense", ["dense"]),
        "add": ("Add", ["dense_1", "dense_2"]),
    },
    "outputs": ["add"],
}


def view_point(view: GraphView, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def node(view: GraphView, name: str) -> NodeItem:
    spec = view.document.spec
    return view.nodes[next(layer.id for layer in spec.layers if layer.name == name)]


def edge(view: GraphView, source: str, target: str | None) -> EdgeItem:
    spec = view.document.spec
    ids = {layer.name: layer.id for layer in spec.layers}
    return next(
        e for e in view.edges if e.source.layer == ids[source] and e.target == (ids[target] if target else None)
    )


def click_stack_row(qtbot, window, row: int) -> None:
    stack = window.layer_stack
    rect = stack.visualRect(stack.model().index(row))
    qtbot.mouseClick(stack.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def drop_in_stack(window, class_name: str) -> None:
    from PySide6.QtCore import QModelIndex

    model = window.layer_stack.model()
    assert model.dropMimeData(
        window.palette_widget.mime_data_for(class_name), Qt.DropAction.CopyAction, -1, 0, QModelIndex()
    )


def drag_port(qtbot, view: GraphView, source: NodeItem, target: NodeItem) -> None:
    """Press on `source`'s output port, move over `target`, release there."""
    start = view_point(view, source.output_port())
    end = view_point(view, target.scenePos())
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), pos=(start + end) / 2)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)


def build_chain_by_mouse(window) -> None:
    for class_name in ("Input", "Dense", "Dense"):
        drop_in_stack(window, class_name)
    assert not window.document.spec.is_functional
    assert not window.graph_view.isVisible()  # a Sequential model: the stack as ever, no graph


def test_residual_by_mouse_with_undo_and_redo(qtbot, window):
    doc, view = window.document, window.graph_view
    build_chain_by_mouse(window)
    snapshots = [doc.spec]
    # the first branch: select dense in the stack, Edit ▸ Add Branch (the palette's current type)
    click_stack_row(qtbot, window, 1)
    window.palette_widget.tree.setCurrentItem(window.palette_widget.item_for("Dense"))
    window.app_actions["edit.branch"].trigger()
    assert doc.spec.is_functional
    qtbot.waitUntil(view.isVisible)
    snapshots.append(doc.spec)
    assert doc.undo_stack.undoText() == "Branch Dense from dense"
    # drop Add on the connection from dense_1 to the output
    output_edge = edge(view, "dense_1", None)
    assert view.drop_layer("Add", output_edge.path().pointAtPercent(0.5)) is None
    snapshots.append(doc.spec)
    # drag from dense_2's output port onto add
    drag_port(qtbot, view, node(view, "dense_2"), node(view, "add"))
    snapshots.append(doc.spec)
    assert structure(doc.spec) == RESIDUAL
    assert doc.selected_layer().name == "add"
    # the Model dock lists what each layer reads
    model = window.layer_stack.model()
    texts = [model.index(i).data() for i in range(model.rowCount())]
    assert texts[-1] == "add — Add() ← dense_1, dense_2"
    # undo each edit, then redo each
    for expected in reversed(snapshots[:-1]):
        window.app_actions["edit.undo"].trigger()
        assert doc.spec == expected
    assert not window.graph_view.isVisible()  # back to the chain
    for expected in snapshots[1:]:
        window.app_actions["edit.redo"].trigger()
        assert doc.spec == expected
    assert window.graph_view.isVisible()


def test_select_and_delete_a_connection_by_mouse(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    target = edge(view, "dense_2", "add")
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(view, target.path().pointAtPercent(0.5))
    )
    assert view.selected_connection() == (R("dense_2"), "add")
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert structure(doc.spec)["layers"]["add"] == ("Add", ["dense_1"])
    assert doc.undo_stack.undoText() == "Delete connection dense_2 → add"
    window.app_actions["edit.undo"].trigger()
    assert structure(doc.spec) == RESIDUAL


def test_branch_by_dropping_next_to_a_layer(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    beside = node(view, "dense_2").scenePos() + QPointF(node(view, "dense_2").boundingRect().width() / 2 + 20, 0)
    assert view.drop_target(beside)[0] == "branch"
    assert view.drop_layer("Dropout", beside) is None
    assert structure(doc.spec)["layers"]["dropout"] == ("Dropout", ["dense_2"])
    assert doc.undo_stack.undoText() == "Branch Dropout from dense_2"


def test_residual_by_keyboard(qtbot, window):
    doc, view, palette = window.document, window.graph_view, window.palette_widget
    # the chain: type in the palette's filter, Enter appends the best match
    for text in ("Input", "Dense", "Dense"):
        palette.filter.setFocus()
        palette.filter.clear()
        qtbot.keyClicks(palette.filter, text)
        qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert [layer.class_name for layer in doc.spec.layers] == ["Input", "Dense", "Dense"]
    # select dense in the stack with the arrows, branch with Ctrl+Shift+B
    stack = window.layer_stack
    stack.setFocus()
    doc.select_layer(0)
    qtbot.keyClick(stack, Qt.Key.Key_Down)
    assert doc.selected_layer().name == "dense"
    qtbot.keyClick(stack, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert doc.spec.is_functional and doc.selected_layer().name == "dense_2"
    qtbot.waitUntil(view.isVisible)
    # in the graph: Up to dense_1 (same column), Alt+Right selects its connection to the output
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert doc.selected_layer().name == "dense_1"
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert view.selected_connection() == (R("dense_1"), None)
    # the palette's Enter inserts Add on the selected connection
    palette.filter.setFocus()
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "Add")
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert doc.selected_layer().name == "add"
    # connect dense_2 to add: select dense_2, Ctrl+Shift+C, select add, Ctrl+Shift+C
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Left)  # add reads dense_1 first
    qtbot.keyClick(view, Qt.Key.Key_Down)  # dense_2 below it
    assert doc.selected_layer().name == "dense_2"
    chord = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_C, chord)
    assert view.pending_connection() == "dense_2"
    assert window.app_actions["edit.connect"].text() == "&Connect to Selected Layer"
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert doc.selected_layer().name == "add"
    qtbot.keyClick(view, Qt.Key.Key_C, chord)
    assert structure(doc.spec) == RESIDUAL
    # undo by key: the connection goes, then Ctrl+Shift+Z brings it back
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert structure(doc.spec)["layers"]["add"] == ("Add", ["dense_1"])
    qtbot.keyClick(view, Qt.Key.Key_Z, chord)
    assert structure(doc.spec) == RESIDUAL
    # a layer's output made a model output, and back
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_O, chord)
    assert structure(doc.spec)["outputs"] == ["add", "dense_1"]
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert structure(doc.spec)["outputs"] == ["add"]


def test_a_cycle_is_refused_and_the_reason_shown(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    before = doc.spec
    with qtbot.waitSignal(view.refused) as refused:
        drag_port(qtbot, view, node(view, "add"), node(view, "dense_1"))
    assert "would make a cycle" in refused.args[0]
    assert view.banner.isVisible() and "would make a cycle" in view.banner.text()
    assert "would make a cycle" in window.statusBar().currentMessage()
    assert doc.spec == before and doc.undo_stack.count() == 0
    # the keyboard way says the same
    doc.select_layer(doc.spec.position_of("add"))
    view.connect_selected()
    doc.select_layer(doc.spec.position_of("dense"))
    assert "would make a cycle" in (view.connect_selected() or "")


def test_deleting_a_merge_with_two_inputs_is_refused_with_the_reason(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    assert doc.add_after("add", "Dense") is None  # add feeds dense_3 now
    doc.select_layer(doc.spec.position_of("add"))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert view.banner.isVisible()
    assert "Add 'add' (2 inputs) feeds 'dense_3': delete the connections after it first" in view.banner.text()
    assert "add" in doc.spec.ids()
    doc.select_layer(doc.spec.position_of("dense_1"))
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert structure(doc.spec)["layers"]["add"] == ("Add", ["dense", "dense_2"])


def test_selection_is_in_step_across_graph_list_properties_and_summary(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    target = node(view, "dense_2")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(view, target.scenePos()))
    index = doc.spec.position_of("dense_2")
    assert doc.selected_index == index
    assert window.layer_stack.currentIndex().row() == index
    assert window.property_editor.layer_index() == index
    assert window.property_editor.field("name").text() == "dense_2"
    table = window.summary_table
    assert table.view.currentIndex().row() == table.model.row_of_layer(index)
    qtbot.waitUntil(window.views_current)  # the canvas takes the loaded model on a later turn
    assert window.canvas is not None and window.canvas.selected_index == index
    assert target.isSelected()
    assert {(e.source.layer, e.target) for e in view.edges if e.near_selection} == {
        ("dense", "dense_2"),
        ("dense_2", "add"),
    }
    click_stack_row(qtbot, window, doc.spec.position_of("dense_1"))
    assert node(view, "dense_1").isSelected() and not target.isSelected()


def test_adding_a_layer_leaves_the_others_in_place(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)

    def places():
        return {n.name: (round(n.x()), n.y()) for n in view.nodes.values()}

    def column_orders(p):
        columns: dict[int, list[str]] = {}
        for name, (x, _y) in sorted(p.items(), key=lambda item: item[1][1]):
            columns.setdefault(x, []).append(name)
        return columns

    before = places()
    assert doc.add_branch("dense_2", "Dropout") is None
    after = places()
    assert all(after[name][0] == before[name][0] for name in before)  # same columns
    old = column_orders(before)
    new = column_orders(after)
    for x, names in old.items():
        assert [n for n in new[x] if n in names] == names  # same order within each column


def residual_spec() -> ModelSpec:
    from nnstudio.core import graph_edit as g

    spec = lesson_spec()
    spec, branch = g.add_branch(spec, spec.new_layer("Dense", units=10), R("dense"))
    spec, add = g.insert_on_connection(spec, spec.new_layer("Add"), R("dense_1"), None)
    return g.connect(spec, R(branch), add)


def test_edit_delete_deletes_the_selected_connection(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    view.select_connection((R("dense"), "dense_2"))
    action = window.app_actions["edit.delete"]
    assert action.isEnabled() and action.text() == "&Delete Connection"
    action.trigger()
    assert structure(doc.spec)["layers"]["dense_2"] == ("Dense", [])
    assert action.text() == "&Delete Layer"


def test_a_real_drop_event_on_a_connection_inserts_there(qtbot, window):
    """The view's own dropEvent (what a palette drag ends in) goes through the same handler."""
    from PySide6.QtCore import QPointF as P
    from PySide6.QtGui import QDragMoveEvent, QDropEvent

    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    target = edge(view, "dense", "dense_2")
    at = P(view_point(view, target.path().pointAtPercent(0.5)))
    data = window.palette_widget.mime_data_for("Dropout")
    move = QDragMoveEvent(
        at.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    view.dragMoveEvent(move)
    assert move.isAccepted() and target.drop_hint  # the connection lights up while dragging over it
    drop = QDropEvent(at, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(drop)
    assert structure(doc.spec)["layers"]["dropout"] == ("Dropout", ["dense"])
    assert structure(doc.spec)["layers"]["dense_2"] == ("Dense", ["dropout"])
    assert doc.undo_stack.undoText() == "Insert Dropout between dense and dense_2"


def test_an_input_dropped_on_empty_space_is_another_model_input(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    far = view.sceneRect().bottomLeft() + QPointF(5, -5)
    assert view.drop_target(far) == ("free", None)
    assert view.drop_layer("Input", far) is None
    assert [r.layer for r in doc.spec.inputs] == ["input_layer", "input_layer_1"]
    assert doc.spec.layers[1].class_name == "Input"  # inputs first


def test_keyboard_connection_finished_by_a_click(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    doc.select_layer(doc.spec.position_of("input_layer"))
    window.app_actions["edit.connect"].trigger()
    assert view.hint.isVisible() and "Connect input_layer to" in view.hint.text()
    add = node(view, "add")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(view, add.scenePos()))
    assert structure(doc.spec)["layers"]["add"] == ("Add", ["dense_1", "dense_2", "input_layer"])
    assert view.pending_connection() is None and not view.hint.isVisible()


def test_the_model_list_of_a_graph(qtbot, window):
    """Dropping into the Model list adds after the layer above; reordering is refused with the reason."""
    from PySide6.QtCore import QModelIndex

    doc = window.document
    doc.load(residual_spec())
    stack = window.layer_stack
    model = stack.model()
    row = doc.spec.position_of("dense_2") + 1
    data = window.palette_widget.mime_data_for("Dropout")
    assert model.dropMimeData(data, Qt.DropAction.CopyAction, row, 0, QModelIndex())
    assert structure(doc.spec)["layers"]["dropout"] == ("Dropout", ["dense_2"])
    assert structure(doc.spec)["layers"]["add"] == ("Add", ["dense_1", "dropout"])
    with qtbot.waitSignal(model.dropRefused) as refused:
        model.dropMimeData(model.mimeData([model.index(1)]), Qt.DropAction.MoveAction, 4, 0, QModelIndex())
    assert "order follows the connections" in refused.args[0]


def test_escape_cancels_a_keyboard_connection(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    doc.select_layer(doc.spec.position_of("dense_2"))
    view.setFocus()
    chord = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_C, chord)
    assert window.app_actions["edit.connect"].text() == "&Connect to Selected Layer"
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.pending_connection() is None and not view.hint.isVisible()
    assert window.app_actions["edit.connect"].text() == "&Connect From Layer"
    assert doc.undo_stack.count() == 0


def test_context_menus_of_a_layer_and_a_connection(qtbot, window):
    doc, view = window.document, window.graph_view
    doc.load(residual_spec())
    qtbot.waitUntil(view.isVisible)
    window.palette_widget.tree.setCurrentItem(window.palette_widget.item_for("Dropout"))
    menu = view.context_menu(node(view, "dense_2").scenePos())
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == [
        "Add Dropout After",
        "Branch Dropout From Here",
        "Connect From Here…",
        "Make an Output",
        "Delete Layer",
        "Show Whole Graph",
    ]
    menu.actions()[0].trigger()
    assert structure(doc.spec)["layers"]["add"] == ("Add", ["dense_1", "dropout"])
    menu = view.context_menu(edge(view, "dense", "dense_1").path().pointAtPercent(0.5))
    insert = next(a for a in menu.actions() if a.text() == "Insert Dropout Here")
    insert.trigger()
    assert structure(doc.spec)["layers"]["dense_1"] == ("Dense", ["dropout_1"])


def test_dragging_an_encoder_onto_a_decoder_lstm_twice_gives_it_the_encoder_s_h_and_c(qtbot, window):
    """Keras's seq2seq by mouse: the decoder's second and third inputs are its initial states, read
    from the encoder's final states; the graph's connections and the Model dock say which is which."""
    from tests.core.test_graph_edit import seq2seq_by_hand

    doc, view = window.document, window.graph_view
    spec, encoder, decoder, target = seq2seq_by_hand()
    doc.load(spec)
    qtbot.waitUntil(view.isVisible)
    for _ in range(2):
        drag_port(qtbot, view, view.nodes[encoder], view.nodes[decoder])
    assert doc.spec.layer_by_id(decoder).inbound == ((R(target), R(encoder, 0, 1), R(encoder, 0, 2)),)
    labels = {(e.source, e.target): e.label for e in view.edges}
    assert labels[(R(target), decoder)] == "sequences"
    assert labels[(R(encoder, 0, 1), decoder)] == "initial_state h"
    assert labels[(R(encoder, 0, 2), decoder)] == "initial_state c"
    assert labels[(R(next(ref.layer for ref in doc.spec.inputs if ref.layer != target)), encoder)] == ""
    model = window.layer_stack.model()
    row = doc.spec.position_of(decoder)
    names = {layer.id: layer.name for layer in doc.spec.layers}
    assert (
        model.index(row)
        .data()
        .endswith(
            f"← {names[target]} (sequences), {names[encoder]} (initial_state h), {names[encoder]} (initial_state c)"
        )
    )
    window.app_actions["edit.undo"].trigger()
    assert doc.spec.layer_by_id(decoder).inbound == ((R(target), R(encoder, 0, 1)),)
