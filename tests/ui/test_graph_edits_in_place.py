"""Editing a big functional model (ResNet50, from the config Keras wrote) as a person does it, and what the
graph view does about it: an edit that keeps the graph's structure (a layer's units, a rename) changes the
words of the boxes it affects and nothing else (the same items, the same layout, the view where it was);
an edit that changes the structure lays the graph out again, and undoing it gives the layout back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from nnstudio.ui.graph.items import NodeItem
from nnstudio.ui.graph.view import GraphView
from tests.core.applications_topology import application_model
from tests.ui.test_graph_blocks_view import box, layer_id, on_screen, open_window, wait_drawn


@pytest.fixture
def resnet(qtbot, tmp_path, monkeypatch):
    win = open_window(qtbot, tmp_path, monkeypatch, canvas=False)
    win.document.load(application_model("ResNet50"))
    wait_drawn(win, qtbot)
    yield win
    win.document.undo_stack.setClean()


def scene_items(view: GraphView) -> dict:
    """Every item of the scene by what it stands for, as the objects they are."""
    return {
        "nodes": dict(view.nodes),
        "boxes": dict(view.group_items),
        "edges": {(e.source, e.target): e for e in view.edges},
        "all": set(view.scene().items()),
    }


def view_state(view: GraphView) -> tuple:
    """Where the view looks: its scale, its scroll bars, its scene rectangle, each box's place."""
    return (
        view.transform().m11(),
        view.horizontalScrollBar().value(),
        view.verticalScrollBar().value(),
        view.sceneRect(),
        {key: (item.x(), item.y()) for key, item in {**view.nodes, **view.group_items}.items()},
    )


def click_node(qtbot, view: GraphView, node: NodeItem) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(view, node))


def type_into(qtbot, window, name: str, text: str) -> None:
    """Type `text` into the property editor's field `name` and press Enter, as a person does."""
    field = window.property_editor.field(name)
    window.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_changing_the_heads_units_changes_its_words_in_place(resnet, qtbot):
    view = resnet.graph_view
    head = view.nodes[layer_id(resnet, "predictions")]
    click_node(qtbot, view, head)
    assert resnet.document.selected_layer().name == "predictions"
    before, where, builds = scene_items(view), view_state(view), view.builds
    assert "1,000" in head.detail or "1000" in head.detail

    type_into(qtbot, resnet, "units", "10")

    assert resnet.document.spec.layers[resnet.document.selected_index].get("units") == 10
    assert scene_items(view) == before  # the very same items, none made or removed
    assert all(view.nodes[k] is item for k, item in before["nodes"].items())
    assert view_state(view) == where and view.builds == builds
    assert head.description == "Dense(10, softmax)"
    assert head.detail == "(None, 10)  ·  20,490"  # 2048 x 10 + 10, as Keras counts
    assert head.isSelected()

    resnet.document.undo()
    assert scene_items(view) == before and view_state(view) == where
    assert head.detail == "(None, 1000)  ·  2,049,000"


def test_a_rename_changes_the_name_on_the_box_and_nothing_else(resnet, qtbot):
    view = resnet.graph_view
    pool = view.nodes[layer_id(resnet, "avg_pool")]
    click_node(qtbot, view, pool)
    before, where = scene_items(view), view_state(view)

    type_into(qtbot, resnet, "name", "global_pool")

    assert pool.name == "global_pool" and "global_pool" in pool.toolTip()
    assert scene_items(view) == before and view_state(view) == where


def test_an_edit_that_changes_shapes_downstream_updates_the_collapsed_stages_it_reaches(resnet, qtbot):
    view = resnet.graph_view
    stage = box(view, "conv2")
    before, where = scene_items(view), view_state(view)
    params_before = stage.param_text
    first = view.nodes[layer_id(resnet, "conv1_conv")]
    click_node(qtbot, view, first)

    type_into(qtbot, resnet, "filters", "32")

    assert scene_items(view) == before and view_state(view) == where
    assert first.detail.startswith("(None, 112, 112, 32)")
    # conv2's first convolutions read 32 channels instead of 64: fewer parameters, shown on its box
    assert stage.param_text != params_before
    rows = {row.index: row for row in resnet.document.summary().rows}
    positions = [resnet.document.spec.position_of(m) for m in stage.block_group.members]
    total = sum(rows[p].params for p in positions if p in rows and rows[p].params)
    assert stage.param_text == f"{total / 1000:.1f}K"


def test_inserting_a_layer_lays_the_graph_out_again_and_undo_gives_the_layout_back(resnet, qtbot):
    view = resnet.graph_view
    before, where, builds = scene_items(view), view_state(view), view.builds
    pool, head = layer_id(resnet, "avg_pool"), layer_id(resnet, "predictions")
    connection = next(e for e in view.edges if e.source.layer == pool and e.target == head)
    middle = connection.path().pointAtPercent(0.5)

    assert view.drop_layer("Dropout", middle) is None

    spec = resnet.document.spec
    dropout = next(layer.id for layer in spec.layers if layer.class_name == "Dropout")
    assert view.builds == builds + 1 and dropout in view.nodes
    assert not set(view.nodes.values()) & set(before["nodes"].values())  # drawn afresh
    placed = {k: view.nodes[k].x() for k in (pool, dropout, head)}
    assert placed[pool] < placed[dropout] < placed[head]  # a column of its own between them
    edges = {(e.source.layer, e.target) for e in view.edges}
    assert (pool, dropout) in edges and (dropout, head) in edges and (pool, head) not in edges
    boxes = [item.sceneBoundingRect() for item in [*view.nodes.values(), *view.group_items.values()]]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])

    resnet.document.undo()
    assert view_state(view)[4] == where[4]  # every box where it was
    assert set(view.nodes) == set(before["nodes"])
