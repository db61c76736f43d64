"""A big functional model in the window, as a person meets it: ResNet50 (read from the config Keras wrote)
opens with its stages collapsed into one box each; double-click, Enter and the View menu expand and
collapse them; a layer picked in the Model dock or found with Ctrl+F opens its group and comes into
view; the overview moves the graph; a layer picked in the graph still drives the canvas."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.graph.items import GroupFrame, GroupItem
from nnstudio.ui.graph.view import READABLE_SCALE, GraphView
from nnstudio.ui.main_window import MainWindow
from tests.core.applications_topology import application_model
from tests.core.graph_builder import GraphBuilder
from tests.ui.fakes import FakeBuilds, FakeTraining


def open_window(qtbot, tmp_path, monkeypatch, canvas: bool) -> MainWindow:
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    win = MainWindow(Document.new_empty(), FakeBuilds(), FakeTraining(), settings=settings, defer_canvas=not canvas)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """The window without its canvas (drawing 177 layers takes most of a test's time)."""
    win = open_window(qtbot, tmp_path, monkeypatch, canvas=False)
    yield win
    win.document.undo_stack.setClean()


def wait_drawn(window: MainWindow, qtbot) -> None:
    """Wait for the graph of a big model just put in the document: it is laid out in the background."""
    qtbot.waitUntil(lambda: not window.graph_view.laying_out(), timeout=30_000)


@pytest.fixture
def resnet(window, qtbot):
    window.document.load(application_model("ResNet50"))
    wait_drawn(window, qtbot)
    return window


@pytest.fixture
def resnet_canvas(qtbot, tmp_path, monkeypatch):
    """ResNet50 in the whole window, canvas included."""
    win = open_window(qtbot, tmp_path, monkeypatch, canvas=True)
    win.document.load(application_model("ResNet50"))
    qtbot.waitUntil(win.views_current)  # the canvas takes the model in steps, on later turns
    yield win
    win.document.undo_stack.setClean()


def layer_id(window, name: str) -> str:
    return next(layer.id for layer in window.document.spec.layers if layer.name == name)


def box(view: GraphView, name: str) -> GroupItem:
    return next(item for item in view.group_items.values() if item.block_group.name == name)


def on_screen(view: GraphView, item) -> QPoint:
    """Where `item`'s centre is in the view's viewport (scrolled into view first)."""
    view.ensureVisible(item, 10, 10)
    return view.mapFromScene(item.sceneBoundingRect().center())


def in_view(view: GraphView, item) -> bool:
    return view.viewport().rect().contains(view.mapFromScene(item.sceneBoundingRect().center()))


def test_resnet50_opens_with_its_four_stages_collapsed(resnet):
    view = resnet.graph_view
    assert [(item.block_group.label, item.block_group.count) for item in view.group_items.values()] == [
        ("conv2 block ×3", 3),
        ("conv3 block ×4", 4),
        ("conv4 block ×6", 6),
        ("conv5 block ×3", 3),
    ]
    shown = {resnet.document.spec.layer_by_id(i).name for i in view.nodes}
    assert shown == {
        "input_layer",
        "conv1_pad",
        "conv1_conv",
        "conv1_bn",
        "conv1_relu",
        "pool1_pad",
        "pool1_pool",
        "avg_pool",
        "predictions",
    }
    assert not view.frames
    # one line into and one out of each box; a box draws its stage's output shape and parameters
    assert box(view, "conv2").output_shape == "(None, 56, 56, 256)"
    # Keras's conv2 stage: block 1 with its projection shortcut 76,928, blocks 2 and 3 71,552 each
    assert box(view, "conv2").param_text == f"{(76_928 + 2 * 71_552) / 1000:.1f}K"
    # wider than the view: the overview shows where the view is
    assert view.overview.isVisible()


def test_double_click_expands_a_stage_and_its_header_collapses_it(resnet, qtbot):
    view = resnet.graph_view
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(view, box(view, "conv3")))
    assert "conv3" not in [item.block_group.name for item in view.group_items.values()]
    frame = next(f for f in view.frames.values() if f.block_group.name == "conv3")
    assert layer_id(resnet, "conv3_block2_1_conv") in view.nodes
    assert len(view.nodes) == 9 + 42
    # the layers drawn inside the frame are exactly the stage's
    inside = [n for n in view.nodes.values() if frame.sceneBoundingRect().contains(n.sceneBoundingRect())]
    assert sorted(n.layer_id for n in inside) == sorted(frame.block_group.members)

    header = frame.header()
    view.ensureVisible(header.adjusted(0, 0, -header.width() + 200, 0), 10, 10)
    spot = view.mapFromScene(header.left() + 60, header.center().y())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    assert not view.frames
    assert "conv3" in [item.block_group.name for item in view.group_items.values()]


def test_a_click_on_a_box_selects_the_stage_output_and_drives_the_canvas(resnet_canvas, qtbot):
    resnet = resnet_canvas
    view = resnet.graph_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(view, box(view, "conv4")))
    selected = resnet.document.selected_layer()
    assert selected.name == "conv4_block6_out"
    assert box(view, "conv4").holds_selection  # still collapsed, the box shows it holds the selection
    assert resnet.canvas.selected_index == resnet.document.selected_index
    # Enter expands it, and the selected layer is now drawn selected; Enter again collapses it
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert view.nodes[selected.id].isSelected()
    assert "conv4" in [f.block_group.name for f in view.frames.values()]
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert box(view, "conv4").holds_selection and not view.frames


def test_clicking_a_layer_of_an_expanded_stage_drives_the_canvas(resnet_canvas, qtbot):
    resnet = resnet_canvas
    view = resnet.graph_view
    view.set_collapsed(box(view, "conv2").block_group.key, False)
    node = view.nodes[layer_id(resnet, "conv2_block2_2_conv")]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(view, node))
    index = resnet.document.selected_index
    assert resnet.document.spec.layers[index].name == "conv2_block2_2_conv"
    assert resnet.canvas.selected_index == index
    assert resnet.property_editor.isEnabled()


def test_arrows_walk_over_a_collapsed_stage_as_one_box(resnet, qtbot):
    view = resnet.graph_view
    resnet.document.select_layer(resnet.document.spec.position_of(layer_id(resnet, "pool1_pool")))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert resnet.document.selected_layer().name == "conv2_block3_out"
    assert box(view, "conv2").holds_selection  # not expanded by walking past it
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert resnet.document.selected_layer().name == "conv3_block4_out"
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert resnet.document.selected_layer().name == "pool1_pool"
    assert len(view.group_items) == 4


def test_a_layer_picked_in_the_model_dock_opens_its_stage(resnet, qtbot):
    view = resnet.graph_view
    stack = resnet.layer_stack
    row = resnet.document.spec.position_of(layer_id(resnet, "conv5_block2_2_bn"))
    stack.scrollTo(stack.model().index(row))
    rect = stack.visualRect(stack.model().index(row))
    qtbot.mouseClick(stack.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    node = view.nodes[layer_id(resnet, "conv5_block2_2_bn")]
    assert node.isSelected() and in_view(view, node)
    assert [f.block_group.name for f in view.frames.values()] == ["conv5"]


def test_ctrl_f_finds_a_layer_opens_its_stage_and_centres_it(resnet_canvas, qtbot):
    resnet = resnet_canvas
    view = resnet.graph_view
    finder = resnet.layer_finder
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert finder.isVisible() and finder.hasFocus()
    assert "conv4_block5_2_conv" in finder.completer().model().stringList()
    qtbot.keyClicks(finder, "conv4_block5_2_conv")
    qtbot.keyClick(finder, Qt.Key.Key_Return)
    assert not finder.isVisible()
    assert resnet.document.selected_layer().name == "conv4_block5_2_conv"
    node = view.nodes[layer_id(resnet, "conv4_block5_2_conv")]
    assert node.isSelected()
    centre = view.mapFromScene(node.sceneBoundingRect().center())
    middle = view.viewport().rect().center()
    assert abs(centre.x() - middle.x()) < 40 and abs(centre.y() - middle.y()) < 40
    assert [f.block_group.name for f in view.frames.values()] == ["conv4"]
    assert resnet.canvas.selected_index == resnet.document.selected_index


def test_find_takes_part_of_a_name_says_when_nothing_matches_and_esc_closes(resnet, qtbot):
    finder = resnet.layer_finder
    action = resnet.app_actions["edit.find"]
    assert action.toolTip() and "Ctrl+F" in [s.toString() for s in action.shortcuts()]
    rows = dict((text, keys) for keys, text in resnet.shortcut_rows())  # Help ▸ Keyboard Shortcuts
    assert rows["Find Layer"].startswith("Ctrl+F") and rows["Expand/Collapse Block"] == "Ctrl+Return"
    action.trigger()
    qtbot.keyClicks(finder, "no_such_layer")
    qtbot.keyClick(finder, Qt.Key.Key_Return)
    assert finder.isVisible() and "no_such_layer" in finder.toolTip()
    finder.clear()
    qtbot.keyClicks(finder, "AVG_POOL")  # any case
    qtbot.keyClick(finder, Qt.Key.Key_Return)
    assert resnet.document.selected_layer().name == "avg_pool"
    action.trigger()
    assert finder.isVisible()
    qtbot.keyClick(finder, Qt.Key.Key_Escape)
    assert not finder.isVisible()
    assert resnet.document.selected_layer().name == "avg_pool"


def test_the_overview_moves_the_view_where_it_is_clicked(resnet, qtbot):
    view = resnet.graph_view
    overview = view.overview
    with qtbot.waitSignal(view.built, timeout=30_000):  # 177 layers: laid out in the background
        view.set_all_collapsed(False)  # far wider than the view
    view.fit(readable=True)
    assert overview.isVisible()
    before = view.horizontalScrollBar().value()
    target = overview.mapFromScene(view.sceneRect().right() - 300, view.sceneRect().center().y())
    qtbot.mouseClick(overview.viewport(), Qt.MouseButton.LeftButton, pos=target)
    assert view.horizontalScrollBar().value() > before
    assert overview.visible_area().contains(view.sceneRect().right() - 300, view.sceneRect().center().y())
    # a drag back to the start follows the mouse
    start = overview.mapFromScene(view.sceneRect().left() + 100, view.sceneRect().center().y())
    qtbot.mousePress(overview.viewport(), Qt.MouseButton.LeftButton, pos=target)
    qtbot.mouseMove(overview.viewport(), pos=start)
    qtbot.mouseRelease(overview.viewport(), Qt.MouseButton.LeftButton, pos=start)
    assert view.horizontalScrollBar().value() == view.horizontalScrollBar().minimum()
    # it stays in the view's corner however the graph scrolls
    corner = view.viewport().mapTo(view, view.viewport().rect().bottomRight())
    assert abs(overview.geometry().right() - corner.x()) < 20 and abs(overview.geometry().bottom() - corner.y()) < 20


def test_no_overview_when_the_graph_fits(window):
    g = GraphBuilder("small")
    x = g.input("x", [8])
    window.document.load(g.model(g.call("Dense", "out", x, units=2)))
    window.graph_view.fit()
    assert not window.graph_view.overview.isVisible()


def _residual_mlp(blocks: int):
    """Default-named residual blocks of Dense layers (a small model: it opens expanded)."""
    g = GraphBuilder("residual_mlp")
    x = g.call("Dense", "dense", g.input("input_layer", [8]), units=8)
    for k in range(blocks):
        h = g.call("Dense", f"dense_{2 * k + 1}", x, units=8, activation="relu")
        h = g.call("Dense", f"dense_{2 * k + 2}", h, units=8)
        x = g.call("Add", "add" if k == 0 else f"add_{k}", x, h)
    return g.model(g.call("Dense", "dense_99", x, units=2))


def test_a_small_model_opens_expanded_and_the_view_menu_collapses_its_blocks(window):
    window.document.load(_residual_mlp(3))
    view = window.graph_view
    assert not view.group_items and [f.block_group.label for f in view.frames.values()] == ["add … add_2 ×3"]
    window.app_actions["view.collapse_blocks"].trigger()
    assert [b.block_group.label for b in view.group_items.values()] == ["add … add_2 ×3"]
    assert all(not isinstance(item, GroupFrame) for item in view.scene().items())
    window.app_actions["view.expand_blocks"].trigger()
    assert not view.group_items and len(view.nodes) == len(window.document.spec.layers)


def test_an_edit_inside_an_expanded_stage_keeps_it_expanded_and_the_others_collapsed(resnet):
    view = resnet.graph_view
    view.set_collapsed(box(view, "conv2").block_group.key, False)
    index = resnet.document.spec.position_of(layer_id(resnet, "conv2_block2_2_conv"))
    assert resnet.document.set_param(index, "filters", 32) is None
    assert [f.block_group.name for f in view.frames.values()] == ["conv2"]
    assert [b.block_group.name for b in view.group_items.values()] == ["conv3", "conv4", "conv5"]
    resnet.document.undo()
    assert [f.block_group.name for f in view.frames.values()] == ["conv2"]


def test_the_toggle_block_action_needs_a_layer_in_a_group(resnet):
    action = resnet.app_actions["view.toggle_block"]
    assert action.isEnabled() and action.toolTip()
    resnet.document.select_layer(resnet.document.spec.position_of(layer_id(resnet, "conv1_conv")))
    action.trigger()
    assert "not part of a group" in resnet.graph_view.banner.text() and resnet.graph_view.banner.isVisible()
    resnet.document.select_layer(resnet.document.spec.position_of(layer_id(resnet, "conv3_block1_out")))
    assert [f.block_group.name for f in resnet.graph_view.frames.values()] == ["conv3"]
    action.trigger()
    assert not resnet.graph_view.frames


def test_show_group_expands_it_and_brings_its_end_into_view_at_a_readable_scale(resnet):
    view = resnet.graph_view
    view.show_group("conv4")
    assert [f.block_group.name for f in view.frames.values()] == ["conv4"]
    assert view.transform().m11() == pytest.approx(READABLE_SCALE)
    last = view.nodes[layer_id(resnet, "conv4_block6_out")]
    assert in_view(view, last) and in_view(view, box(view, "conv5"))
    assert view.unknown_groups(["conv4", "conv9"]) == (
        "no group of repeated blocks is named 'conv9' (groups: conv2, conv3, conv4, conv5)"
    )
    assert view.unknown_groups(["conv2"]) is None


def test_find_works_in_a_sequential_stack_too(window, qtbot):
    window.document.load(lesson_spec())
    assert not window.graph_view.isVisible()
    window.layer_stack.setFocus()
    qtbot.keyClick(window.layer_stack, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    finder = window.layer_finder
    assert finder.isVisible() and finder.completer().model().stringList() == ["input_layer", "dense", "dense_1"]
    qtbot.keyClicks(finder, "dense_1")
    qtbot.keyClick(finder, Qt.Key.Key_Return)
    assert window.document.selected_layer().name == "dense_1"
    assert window.layer_stack.currentIndex().row() == 2 and window.layer_stack.hasFocus()


def test_the_context_menu_expands_a_box_and_collapses_from_a_layer_inside(resnet):
    view = resnet.graph_view
    menu = view.context_menu(box(view, "conv5").sceneBoundingRect().center())
    expand = next(a for a in menu.actions() if a.text() == "Expand conv5 block ×3")
    expand.trigger()
    assert [f.block_group.name for f in view.frames.values()] == ["conv5"]
    inside = view.nodes[layer_id(resnet, "conv5_block1_1_conv")]
    menu = view.context_menu(inside.sceneBoundingRect().center())
    next(a for a in menu.actions() if a.text() == "Collapse conv5 block ×3").trigger()
    assert not view.frames and box(view, "conv5")


def test_delete_in_the_graph_removes_nothing_hidden_in_a_collapsed_box(resnet, qtbot):
    view = resnet.graph_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_screen(view, box(view, "conv2")))
    count = len(resnet.document.spec.layers)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(resnet.document.spec.layers) == count
    assert "inside the collapsed group conv2 block ×3" in view.banner.text()
    qtbot.keyClick(view, Qt.Key.Key_Return)  # expanded, the selected layer can go
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(resnet.document.spec.layers) == count - 1
    assert "conv2_block3_out" not in [layer.name for layer in resnet.document.spec.layers]


def test_a_saved_project_reopens_with_its_groups_as_they_were(resnet, tmp_path, qtbot):
    view = resnet.graph_view
    view.set_collapsed(box(view, "conv3").block_group.key, False)
    path = tmp_path / "resnet50.nnstudio"
    assert resnet.files.write_project(path)
    resnet.files.new()
    assert not view.groups
    assert resnet.files.open_path(path)
    wait_drawn(resnet, qtbot)
    assert [f.block_group.name for f in view.frames.values()] == ["conv3"]
    assert [b.block_group.name for b in view.group_items.values()] == ["conv2", "conv4", "conv5"]


def test_a_project_s_odd_graph_state_is_ignored(window, qtbot):
    spec = application_model("ResNet50")
    for odd in ({"collapsed": "conv2"}, {"collapsed": [1, 2]}, [], "x", {"collapsed": ["nothing"] * 10_001}):
        window.document.load(spec, editor={"graph": odd})
        wait_drawn(window, qtbot)
        assert len(window.graph_view.group_items) == 4  # the default for a big model: all collapsed
    window.document.load(spec, editor={"graph": {"collapsed": ["conv5", "no such group"]}})
    wait_drawn(window, qtbot)
    assert [b.block_group.name for b in window.graph_view.group_items.values()] == ["conv5"]
