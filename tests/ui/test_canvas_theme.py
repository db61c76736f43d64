"""The canvas and the weight histogram follow the application palette (dark mode) and fit a narrow dock."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui, QtWidgets

from nnstudio.core.spec import lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas.edges import NEGATIVE, POSITIVE, bin_colour
from nnstudio.ui.canvas.theme import LIGHT_THEME, theme_for
from nnstudio.ui.histogram import WeightHistogram
from nnstudio.ui.style import DARK, LIGHT, make_palette
from nnstudio.ui.weights_panel import WeightsPanel


def lesson_weights(seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return {
        "dense": [rng.normal(0, 0.2, (20, 64)).astype(np.float32), rng.normal(0, 0.1, 64).astype(np.float32)],
        "dense_1": [rng.normal(0, 0.2, (64, 10)).astype(np.float32), rng.normal(0, 0.1, 10).astype(np.float32)],
    }


@pytest.fixture
def app_palette():
    """Set an application palette for one test, and put the old one back afterwards."""
    app = QtWidgets.QApplication.instance()
    old = QtGui.QPalette(app.palette())

    def set_palette(colors) -> None:
        app.setPalette(make_palette(colors))
        QtWidgets.QApplication.processEvents()

    yield set_palette
    app.setPalette(old)
    QtWidgets.QApplication.processEvents()


def corner_lightness(widget: QtWidgets.QWidget) -> int:
    """Lightness (0-255) of a pixel near the top-left corner of the widget's rendering."""
    image = widget.grab().toImage()
    return QtGui.QColor(image.pixel(4, 4)).lightness()


def make_canvas(qtbot) -> NetworkCanvas:
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(lesson_spec()), lesson_spec())
    canvas.set_weights(lesson_weights())
    return canvas


def make_histogram(qtbot, size=(500, 260)) -> WeightHistogram:
    hist = WeightHistogram()
    qtbot.addWidget(hist)
    hist.resize(*size)
    hist.show()
    qtbot.waitExposed(hist)
    hist.set_layer_weights("dense", lesson_weights()["dense"])
    return hist


def test_dark_palette_makes_canvas_and_histogram_dark(qtbot, app_palette):
    app_palette(DARK)
    canvas = make_canvas(qtbot)
    hist = make_histogram(qtbot)
    assert canvas.theme.dark and hist.theme.dark
    assert corner_lightness(canvas) < 80
    assert corner_lightness(hist) < 80
    # text is light on dark; the sign hues keep their hue, lighter than on white
    assert QtGui.QColor(canvas.theme.ink).lightness() > 180
    for dark, light in ((canvas.theme.positive, POSITIVE), (canvas.theme.negative, NEGATIVE)):
        assert abs(QtGui.QColor(dark).hslHue() - QtGui.QColor(light).hslHue()) <= 4
        assert QtGui.QColor(dark).lightness() > QtGui.QColor(light).lightness()
    # the strongest lines stand out from the dark background (contrast), the weakest fade into it
    bg = QtGui.QColor(canvas.theme.background).lightness()
    assert bin_colour(3, 1.0, canvas.theme).lightness() - bg > 60
    assert abs(canvas.edges.pen(0).color().lightness() - bg) < abs(canvas.edges.pen(3).color().lightness() - bg)
    # the headers and the legend use the light ink
    assert canvas.theme.ink in canvas.headers[0].textItem.toHtml() or "color:#e3e6ed" in canvas.column_headers.html(
        canvas.columns[0]
    )


def test_canvas_and_histogram_follow_a_palette_change(qtbot, app_palette):
    app_palette(LIGHT)
    canvas = make_canvas(qtbot)
    hist = make_histogram(qtbot)
    assert canvas.theme == LIGHT_THEME and hist.theme == LIGHT_THEME
    assert corner_lightness(canvas) > 240 and corner_lightness(hist) > 240
    light_pen = canvas.edges.pen(3).color().name()
    app_palette(DARK)  # the system switched to dark: ApplicationPaletteChange / PaletteChange
    assert canvas.theme.dark and hist.theme.dark
    assert corner_lightness(canvas) < 80 and corner_lightness(hist) < 80
    assert canvas.edges.pen(3).color().name() != light_pen
    assert canvas.legend.scene() is canvas.scene()  # the legend was rebuilt in place
    app_palette(LIGHT)
    assert canvas.theme == LIGHT_THEME and hist.theme == LIGHT_THEME
    assert canvas.edges.pen(3).color().name() == light_pen
    assert corner_lightness(canvas) > 240


def test_theme_for_light_and_dark_palettes():
    assert theme_for(make_palette(LIGHT)) is LIGHT_THEME
    dark = theme_for(make_palette(DARK))
    assert dark.dark and dark.background == DARK.base and dark.ink == DARK.text


def test_histogram_title_fits_a_narrow_dock(qtbot):
    hist = make_histogram(qtbot, size=(700, 260))
    assert "\n" not in hist.title_text and "…" not in hist.title_text  # wide: one line, whole
    assert "dense: 1,280 weights (20×64)" in hist.title_text and "mean" in hist.title_text
    hist.resize(300, 220)  # a narrow Weights dock
    qtbot.waitUntil(lambda: "\n" in hist.title_text)
    top, bottom = hist.title_text.split("\n")
    assert top == "dense: 1,280 weights (20×64)" and bottom.startswith("mean")  # wrapped, nothing cut
    metrics = QtGui.QFontMetrics(hist.plot_item.titleLabel.item.font())
    room = hist.plot_item.getViewBox().width()  # the title sits over the plot area
    assert max(metrics.horizontalAdvance(line) for line in (top, bottom)) <= room
    assert hist.plot_item.getAxis("bottom").label.isVisible()
    hist.resize(200, 140)  # very small: elided, whole text in the tooltip, axis labels give way to ticks
    qtbot.waitUntil(lambda: not hist.plot_item.getAxis("bottom").label.isVisible())
    assert "mean" in hist.toolTip() and "dense" in hist.toolTip()
    hist.grab()


def test_histogram_axis_titles_sit_below_the_tick_values_when_it_was_sized_while_hidden(qtbot):
    """As in the Weights dock at start-up: the dock says "no weights yet", is sized, then shows a kernel."""
    panel = WeightsPanel()
    qtbot.addWidget(panel)
    panel.resize(120, 100)  # small first (the dock before the window's layout)
    panel.show_message("Weights pending")
    panel.show()
    qtbot.waitExposed(panel)
    panel.install_histogram()  # as the window does once it is shown
    panel.resize(349, 273)
    panel.show_kernel("dense", lesson_weights()["dense"])
    hist = panel.histogram
    assert panel.currentWidget() is hist
    hist.grab()  # a paint: the tick values' sizes are known
    for name, extent in (("bottom", lambda r: r.height()), ("left", lambda r: r.width())):
        axis = hist.plot_item.getAxis(name)
        assert axis.label.isVisible()
        wanted = axis.minimumHeight() if name == "bottom" else axis.minimumWidth()
        assert extent(axis.geometry()) == pytest.approx(wanted)  # the room for ticks and title, given
    bottom = hist.plot_item.getAxis("bottom")
    title_top = bottom.label.pos().y()
    ticks_bottom = bottom.style["tickTextOffset"][1] + max(0, bottom.style["tickLength"]) + bottom.textHeight
    assert title_top >= ticks_bottom - 6  # (pyqtgraph's own nudge of the title upwards)


def test_the_status_line_says_when_neurons_are_drawn_in_groups(qtbot):
    canvas = make_canvas(qtbot)  # the lesson at 900x600: every neuron on its own
    assert all(cl.level == 0 for cl in canvas.lod.columns.values())
    assert "groups of neurons" not in canvas.status.textItem.toPlainText()
    canvas.resize(400, 200)  # too small for 64 neurons in a column: pairs
    qtbot.waitUntil(lambda: any(cl.level > 0 for cl in canvas.lod.columns.values()))
    assert "squares: groups of neurons, zoom in" in canvas.status.textItem.toPlainText()
    canvas.resize(900, 600)
    qtbot.waitUntil(lambda: "groups of neurons" not in canvas.status.textItem.toPlainText())
