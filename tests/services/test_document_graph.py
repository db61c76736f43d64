"""Graph edits through the document: each one undoable command, refusals as `editRefused`."""

from __future__ import annotations

from nnstudio.core.spec import TensorRef, lesson_spec
from nnstudio.services.document import MOVE_IN_GRAPH, Document


def residual_by_document(doc: Document) -> None:
    assert doc.add_branch("dense", "Dense", units=10) is None
    assert doc.insert_on_connection("Add", "dense_1", None) is None
    assert doc.connect_layers("dense_2", "add") is None


def test_building_a_residual_and_undoing_each_step(qtbot):
    doc = Document(lesson_spec())
    chain = doc.spec
    residual_by_document(doc)
    spec = doc.spec
    assert spec.layer_by_id("add").inbound == ((TensorRef("dense_1"), TensorRef("dense_2")),)
    assert spec.outputs == (TensorRef("add"),)
    assert [doc.undo_stack.text(i) for i in range(doc.undo_stack.count())] == [
        "Branch Dense from dense",
        "Insert Add between dense_1 and the output",
        "Connect dense_2 to add",
    ]
    assert doc.selected_layer().id == "add"
    doc.undo()
    assert doc.spec.layer_by_id("add").inbound == ((TensorRef("dense_1"),),)
    doc.undo()
    doc.undo()
    assert doc.spec == chain and not doc.spec.is_functional
    doc.redo()
    doc.redo()
    doc.redo()
    assert doc.spec == spec


def test_a_cycle_is_refused_and_nothing_is_pushed(qtbot):
    doc = Document(lesson_spec())
    residual_by_document(doc)
    count = doc.undo_stack.count()
    with qtbot.waitSignal(doc.editRefused) as refused:
        reason = doc.connect_layers("add", "dense_1")
    assert "would make a cycle" in refused.args[0] and reason == refused.args[0]
    assert doc.undo_stack.count() == count


def test_inserting_on_a_chain_keeps_it_a_chain(qtbot):
    doc = Document(lesson_spec())
    assert doc.insert_on_connection("Dropout", "dense", "dense_1") is None
    assert not doc.spec.is_functional
    assert [layer.class_name for layer in doc.spec.layers] == ["Input", "Dense", "Dropout", "Dense"]
    assert doc.undo_stack.text(0) == "Add Dropout"
    assert doc.insert_on_connection("Dropout", "input_layer", "dense_1")  # no such connection


def test_layer_stack_edits_follow_the_graph(qtbot):
    doc = Document(lesson_spec())
    residual_by_document(doc)
    # remove a one-in one-out layer: its reader reads its input
    doc.select_layer(doc.spec.position_of("dense_1"))
    assert doc.remove_selected() is None
    assert doc.spec.layer_by_id("add").inbound == ((TensorRef("dense"), TensorRef("dense_2")),)
    assert doc.selected_layer().id == "dense"
    doc.undo()
    # moving is refused with the reason; append goes after the selected layer
    assert doc.move_layer(1, 2) == MOVE_IN_GRAPH
    doc.select_layer(doc.spec.position_of("dense_2"))
    assert doc.append_layer("Dropout") is None
    new = doc.selected_layer()
    assert new.class_name == "Dropout" and new.inbound == ((TensorRef("dense_2"),),)
    assert doc.spec.layer_by_id("add").inbound[0][1] == TensorRef(new.id)
    # duplicate: a parallel copy
    assert doc.duplicate_selected() is None
    assert doc.selected_layer().inbound == new.inbound
    # outputs
    assert doc.toggle_output(new.id) is None
    assert TensorRef(new.id) in doc.spec.outputs
    assert doc.undo_stack.undoText() == "Make dropout an output"
