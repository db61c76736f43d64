"""The layer palette: every catalog type with icon and help, drag mime, append on Enter or double-click."""

from __future__ import annotations

from PySide6.QtCore import Qt

from nnstudio.core.catalog import LAYER_TYPES
from nnstudio.ui.palette import LAYER_MIME, LayerPalette


def test_palette_append_on_enter_and_double_click(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    palette.show()
    assert "Dense" in palette.class_names() and len(palette.class_names()) == len(LAYER_TYPES)
    palette.setCurrentItem(palette.item_for("Dropout"))
    with qtbot.waitSignal(palette.appendRequested) as appended:
        qtbot.keyClick(palette, Qt.Key.Key_Return)
    assert appended.args == ["Dropout"]
    item = palette.item_for("Flatten")
    rect = palette.visualItemRect(item)
    with qtbot.waitSignal(palette.appendRequested) as appended:  # a real double click: press, release, press
        qtbot.mouseClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert appended.args == ["Flatten"]


def test_palette_mime_and_tooltips(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    data = palette.mime_data_for("BatchNormalization")
    assert bytes(data.data(LAYER_MIME).data()).decode("utf-8") == "BatchNormalization"
    assert "Normalises each feature" in palette.item_for("BatchNormalization").toolTip()
    assert not palette.item_for("Dense").icon().isNull()


def test_lists_every_catalog_type_in_order(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    assert palette.objectName() == "layerPalette"
    assert palette.class_names() == list(LAYER_TYPES)
    assert palette.mimeTypes() == [LAYER_MIME]
    assert palette.dragEnabled()
