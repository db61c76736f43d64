"""A graph too big to lay out between two frames (DenseNet121's 429 layers, from the config Keras wrote):
expanding all its blocks lays it out in a background thread while the window keeps going, then draws it;
the layout is kept, so collapsing and expanding again draws at once; Find during the layout still
brings the layer found into view once it is drawn."""

from __future__ import annotations

import traceback

import pytest
from PySide6.QtCore import Qt

from nnstudio.ui.graph.view import ITEMS_PER_TURN, LAYOUT_AWAY_FROM, GraphView
from tests.core.applications_topology import application_model
from tests.ui.test_graph_blocks_view import layer_id, open_window, wait_drawn


@pytest.fixture
def densenet(qtbot, tmp_path, monkeypatch):
    win = open_window(qtbot, tmp_path, monkeypatch, canvas=False)
    win.document.load(application_model("DenseNet121"))
    assert win.graph_view.laying_out()  # a big model just opened: its first drawing laid out away too
    wait_drawn(win, qtbot)
    yield win
    win.document.undo_stack.setClean()


def overlapping(view: GraphView) -> list:
    boxes = sorted((item.sceneBoundingRect() for item in view.nodes.values()), key=lambda r: (r.x(), r.y()))
    return [(a, b) for a, b in zip(boxes, boxes[1:], strict=False) if a.intersects(b)]


def test_expanding_every_block_lays_the_graph_out_off_the_gui_thread_then_draws_it(densenet, qtbot):
    view = densenet.graph_view
    assert len(view.nodes) + len(view.group_items) < LAYOUT_AWAY_FROM  # opened collapsed, and drawn
    assert not view.laying_out() and "graph-layout" in view._layout_job.threads_used

    before = {**view.nodes, **view.group_items}
    with qtbot.waitSignal(view.built, timeout=30_000):
        densenet.app_actions["view.expand_blocks"].trigger()
        # the window goes on; the graph drawn before stays in view, veiled, saying what happens, and takes
        # no clicks (its boxes are not the document's graph any more)
        assert view.laying_out() and {**view.nodes, **view.group_items} == before and not view.isInteractive()
        view.viewport().repaint()  # painting meanwhile is fine

    assert not view.laying_out() and "graph-layout" in view._layout_job.threads_used and view.isInteractive()
    assert len(view.nodes) == len(densenet.document.spec.layers) == 429
    assert not view.group_items and len(view.frames) == len(view.groups)
    assert not overlapping(view)
    for edge in view.edges:  # every connection runs from its source's output port to its reader's input
        if edge.target is not None:
            path = edge.path()
            assert path.pointAtPercent(0) == view.nodes[edge.source.layer].output_port()
            assert abs(path.pointAtPercent(1).x() - view.nodes[edge.target].input_port().x()) < 3
    placed = {key: node.pos() for key, node in view.nodes.items()}

    densenet.app_actions["view.collapse_blocks"].trigger()
    assert not view.laying_out() and len(view.group_items) == len(view.groups)
    densenet.app_actions["view.expand_blocks"].trigger()  # a layout kept: drawn at once, where it was
    assert not view.laying_out()
    assert {key: node.pos() for key, node in view.nodes.items()} == placed


def test_find_during_the_layout_brings_the_layer_into_view_once_drawn(densenet, qtbot):
    view = densenet.graph_view
    finder = densenet.layer_finder
    densenet.app_actions["view.expand_blocks"].trigger()
    assert view.laying_out()
    with qtbot.waitSignal(view.built, timeout=30_000):
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(finder, "conv4_block12_1_conv")
        qtbot.keyClick(finder, Qt.Key.Key_Return)
        assert densenet.document.selected_layer().name == "conv4_block12_1_conv"
    node = view.nodes[layer_id(densenet, "conv4_block12_1_conv")]
    assert node.isSelected()
    centre = view.mapFromScene(node.sceneBoundingRect().center())
    middle = view.viewport().rect().center()
    assert abs(centre.x() - middle.x()) < 40 and abs(centre.y() - middle.y()) < 40


def test_an_edit_that_keeps_the_structure_while_laying_out_is_drawn_with_the_layout(densenet, qtbot):
    view = densenet.graph_view
    densenet.app_actions["view.expand_blocks"].trigger()
    head = densenet.document.spec.position_of(layer_id(densenet, "predictions"))
    with qtbot.waitSignal(view.built, timeout=30_000):
        assert densenet.document.set_param(head, "units", 10) is None
    assert view.nodes[layer_id(densenet, "predictions")].detail.startswith("(None, 10)")


def test_collapsing_again_during_the_layout_draws_the_collapsed_graph_at_once(densenet, qtbot):
    view = densenet.graph_view
    densenet.app_actions["view.expand_blocks"].trigger()
    assert view.laying_out()
    densenet.app_actions["view.collapse_blocks"].trigger()
    assert not view.laying_out() and len(view.group_items) == len(view.groups)
    boxes = dict(view.group_items)
    qtbot.waitUntil(lambda: not view.layout_running(), timeout=30_000)
    assert view.group_items == boxes  # the layout that came late changed nothing shown
    densenet.app_actions["view.expand_blocks"].trigger()
    assert not view.laying_out() and len(view.nodes) == 429  # it was kept


def test_opening_another_model_during_the_layout_shows_it_and_the_late_layout_changes_nothing(densenet, qtbot):
    view = densenet.graph_view
    densenet.app_actions["view.expand_blocks"].trigger()
    assert view.laying_out()
    densenet.document.load(application_model("ResNet50"))
    assert view.laying_out() and not view.nodes and not view.group_items  # nothing of DenseNet121 left in view
    wait_drawn(densenet, qtbot)  # once DenseNet121's late layout is dropped, ResNet50's is made and drawn
    assert layer_id(densenet, "conv2_block1_1_conv") and len(view.group_items) == 4
    boxes, seed = dict(view.group_items), view.layout_engine.previous_order()
    qtbot.waitUntil(lambda: not view.layout_running(), timeout=30_000)
    assert view.group_items == boxes
    assert view.layout_engine.previous_order() == seed  # DenseNet121's columns seed nothing of ResNet50's
    with qtbot.waitSignal(view.built, timeout=30_000):  # laid out as if DenseNet121 had never been shown
        densenet.app_actions["view.expand_blocks"].trigger()
    fresh = GraphView(densenet.document)
    qtbot.addWidget(fresh)
    qtbot.waitUntil(lambda: not fresh.laying_out(), timeout=30_000)
    assert len(fresh.nodes) == len(view.nodes) == 177
    assert {k: n.pos() for k, n in view.nodes.items()} == {k: n.pos() for k, n in fresh.nodes.items()}


def test_a_big_model_opened_with_its_blocks_expanded_shows_nothing_of_the_model_before(densenet, qtbot, tmp_path):
    """A project saved with every block expanded: the graph of the model shown before is not left in view
    while the new one is laid out."""
    view = densenet.graph_view
    densenet.app_actions["view.expand_blocks"].trigger()
    qtbot.waitUntil(lambda: not view.laying_out(), timeout=30_000)
    path = tmp_path / "densenet.nnstudio"
    assert densenet.files.save_as(path)
    densenet.document.load(application_model("ResNet50"))
    wait_drawn(densenet, qtbot)
    assert view.group_items
    with qtbot.waitSignal(view.built, timeout=30_000):
        densenet.files.open_path(path)
        assert view.laying_out() and not view.nodes and not view.group_items
    assert len(view.nodes) == 429 and not view.group_items


def test_a_layout_that_came_is_drawn_on_turns_of_its_own_a_part_each(densenet, qtbot, monkeypatch):
    """The layout's result arrives among other queued calls: the scene is drawn on later turns, a part
    of its boxes and lines on each (429 boxes and their lines in one step held the GUI thread for
    longer than a frame), veiled and taking no clicks until it is whole."""
    view = densenet.graph_view
    before = {**view.nodes, **view.group_items}
    drawn_from: list[list[str]] = []  # the calls under way when the scene is whole
    view.built.connect(lambda: drawn_from.append([frame.name for frame in traceback.extract_stack()]))
    parts: list[tuple[int, bool, bool]] = []  # items in the scene after each part, veiled, clickable
    draw_part = view._draw_next_part

    def counted_part() -> None:
        draw_part()
        top = [item for item in view.graph_scene.items() if item.parentItem() is None]
        parts.append((len(top), view.laying_out(), view.isInteractive()))

    monkeypatch.setattr(view, "_draw_next_part", counted_part)
    with qtbot.waitSignal(view._layout_job._relay.finished, timeout=30_000):
        densenet.app_actions["view.expand_blocks"].trigger()
        assert view.laying_out() and {**view.nodes, **view.group_items} == before  # the veiled graph stays
    qtbot.waitUntil(lambda: bool(drawn_from), timeout=5_000)
    assert "_on_layout_done" not in drawn_from[0] and "_draw_laid_out" not in drawn_from[0], (
        "made whole within the result's call or the layout's drawing turn"
    )
    assert len(parts) >= 3 and all(veiled and not clickable for _items, veiled, clickable in parts[:-1])
    growth = [b[0] - a[0] for a, b in zip(parts, parts[1:], strict=False)]
    assert all(0 <= grown <= ITEMS_PER_TURN for grown in growth[:-1]), growth  # the last part: the frames too
    assert not view.laying_out() and view.isInteractive()
    assert len(view.nodes) == len(densenet.document.spec.layers)


def test_an_edit_while_the_scene_is_drawn_in_turns_draws_the_edited_graph_whole(densenet, qtbot):
    view = densenet.graph_view
    with qtbot.waitSignal(view._layout_job._relay.finished, timeout=30_000):
        densenet.app_actions["view.expand_blocks"].trigger()
    qtbot.waitUntil(lambda: view._drawing is not None, timeout=5_000)  # a part drawn, the rest to come
    doc = densenet.document
    head = len(doc.spec.layers) - 1
    doc.set_param(head, "units", 7)
    assert view._drawing is None and not view.laying_out()  # drawn whole, at once, for the edited model
    assert len(view.nodes) == len(doc.spec.layers) and "7" in view.nodes[doc.spec.layers[head].id].toolTip()
    view.draw_laid_out_now()
    assert len(view.nodes) == len(doc.spec.layers)
