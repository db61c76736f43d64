"""The layer palette: every registered type under its family, a filter box driven from the keyboard,
append on Enter or double-click, and drags that carry the class name."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from nnstudio.core.catalog import LAYER_TYPES
from nnstudio.core.layers import types_by_family
from nnstudio.ui.palette import LAYER_MIME, LayerPalette


@pytest.fixture
def palette(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    palette.resize(260, 420)
    palette.show()
    qtbot.waitExposed(palette)
    return palette


def type_filter(qtbot, palette, text):
    palette.filter.setFocus()
    qtbot.keyClicks(palette.filter, text)


def test_every_type_is_listed_under_its_family_in_registry_order(palette):
    assert palette.objectName() == "layerPalette"
    assert palette.class_names() == list(LAYER_TYPES)
    assert palette.visible_class_names() == list(LAYER_TYPES)
    families = [(family.title, [t.class_name for t in types]) for family, types in types_by_family().items() if types]
    assert palette.family_titles() == [title for title, _ in families]
    tree = palette.tree
    for i, (title, names) in enumerate(families):
        header = tree.topLevelItem(i)
        assert header.text(0) == title and header.isExpanded()
        assert [header.child(j).text(0) for j in range(header.childCount())] == names
        assert not header.flags() & Qt.ItemFlag.ItemIsDragEnabled  # a family is not a layer


def test_typing_filters_by_name_case_insensitively_and_the_header_counts(qtbot, palette):
    type_filter(qtbot, palette, "RELU")
    assert palette.visible_class_names() == ["ReLU", "LeakyReLU", "PReLU"]
    assert palette.family_titles() == ["Activations"]
    tree = palette.tree
    header = next(
        tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == "Activations"
    )
    assert header.data(0, Qt.ItemDataRole.UserRole + 4) == "3 of 6"
    assert palette.best_match() == "ReLU"
    assert palette.tree.currentItem() is palette.item_for("ReLU")  # what Enter would add is marked
    palette.filter.clear()
    type_filter(qtbot, palette, "sampling3")
    assert palette.visible_class_names() == ["UpSampling3D"]


def test_the_help_text_matches_too_after_the_names(qtbot, palette):
    type_filter(qtbot, palette, "probabilities")
    assert palette.visible_class_names() == ["Softmax"]
    palette.filter.clear()
    type_filter(qtbot, palette, "norm")
    visible = palette.visible_class_names()
    assert {"BatchNormalization", "LayerNormalization", "UnitNormalization", "GroupNormalization"} <= set(visible)
    assert "GaussianNoise" in visible  # its help says "normal"; it comes first in the palette
    assert palette.best_match() == "Normalization"  # but a name match beats a help match, a name starting with it first
    palette.filter.clear()
    type_filter(qtbot, palette, "drop")
    assert palette.best_match() == "Dropout"  # the name that starts with it first


def test_enter_in_the_box_appends_the_best_match(qtbot, palette):
    type_filter(qtbot, palette, "dense")
    with qtbot.waitSignal(palette.appendRequested) as appended:
        qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert appended.args == ["Dense"]
    palette.filter.clear()
    type_filter(qtbot, palette, "zeropadding2")
    with qtbot.waitSignal(palette.appendRequested) as appended:
        qtbot.keyClick(palette.filter, Qt.Key.Key_Enter)
    assert appended.args == ["ZeroPadding2D"]


def test_down_moves_into_the_list_at_the_best_match_and_enter_appends(qtbot, palette):
    type_filter(qtbot, palette, "dropout")
    qtbot.keyClick(palette.filter, Qt.Key.Key_Down)
    assert palette.tree.hasFocus() and palette.tree.currentItem() is palette.item_for("Dropout")
    qtbot.keyClick(palette.tree, Qt.Key.Key_Down)
    assert palette.tree.currentItem() is palette.item_for("SpatialDropout1D")
    with qtbot.waitSignal(palette.appendRequested) as appended:
        qtbot.keyClick(palette.tree, Qt.Key.Key_Return)
    assert appended.args == ["SpatialDropout1D"]


def test_up_from_the_top_and_typing_in_the_list_go_back_to_the_box(qtbot, palette):
    qtbot.keyClick(palette.filter, Qt.Key.Key_Down)
    assert palette.tree.hasFocus() and palette.tree.currentItem() is palette.item_for("Input")
    qtbot.keyClick(palette.tree, Qt.Key.Key_Up)  # onto the Core header
    qtbot.keyClick(palette.tree, Qt.Key.Key_Up)
    assert palette.filter.hasFocus()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Down)
    qtbot.keyClicks(palette.tree, "gauss")
    assert palette.filter.hasFocus() and palette.filter.text() == "gauss"
    assert palette.visible_class_names() == ["GaussianDropout", "GaussianNoise"]


def test_escape_clears_and_a_fold_is_kept(qtbot, palette):
    reshaping = next(
        palette.tree.topLevelItem(i)
        for i in range(palette.tree.topLevelItemCount())
        if palette.tree.topLevelItem(i).text(0) == "Reshaping"
    )
    palette.tree.scrollToItem(reshaping)
    rect = palette.tree.visualItemRect(reshaping)
    qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not reshaping.isExpanded()  # a click folds a family
    type_filter(qtbot, palette, "permute")
    assert reshaping.isExpanded() and palette.visible_class_names() == ["Permute"]  # a match shows through the fold
    qtbot.keyClick(palette.filter, Qt.Key.Key_Escape)
    assert palette.filter.text() == "" and palette.visible_class_names() == list(LAYER_TYPES)
    assert not reshaping.isExpanded()  # folded as the person left it


def test_nothing_found_is_said(qtbot, palette):
    type_filter(qtbot, palette, "xyzzy")
    assert palette.visible_class_names() == [] and palette.best_match() is None
    assert palette.empty.isVisible() and "No layer matches “xyzzy”" in palette.empty.text()
    with qtbot.assertNotEmitted(palette.appendRequested):
        qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.keyClick(palette.filter, Qt.Key.Key_Escape)
    assert not palette.empty.isVisible() and palette.tree.isVisible()


def test_double_click_appends_and_enter_on_a_header_folds(qtbot, palette):
    item = palette.item_for("Flatten")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    with qtbot.waitSignal(palette.appendRequested) as appended:  # a real double click: press, release, press
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert appended.args == ["Flatten"]
    core = palette.tree.topLevelItem(0)
    palette.tree.setCurrentItem(core)
    palette.tree.setFocus()
    with qtbot.assertNotEmitted(palette.appendRequested):
        qtbot.keyClick(palette.tree, Qt.Key.Key_Return)
    assert not core.isExpanded()


def test_drags_carry_the_class_name_and_entries_show_icon_and_help(palette):
    data = palette.mime_data_for("BatchNormalization")
    assert bytes(data.data(LAYER_MIME).data()).decode("utf-8") == "BatchNormalization"
    tree = palette.tree
    assert tree.mimeTypes() == [LAYER_MIME] and tree.dragEnabled()
    assert not tree.mimeData([tree.topLevelItem(0)]).hasFormat(LAYER_MIME)  # a header carries nothing
    item = palette.item_for("BatchNormalization")
    assert item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert "Normalises each feature" in item.toolTip(0) and "Normalisation" in item.toolTip(0)
    assert not item.icon(0).isNull()
