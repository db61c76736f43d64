"""The Training tab in the real window: raised, the bottom row makes room for the whole panel, and the
Summary stays in view beside it."""

from PySide6.QtCore import QSettings

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui import dock_layout
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining


def test_raising_the_training_tab_fits_the_panel_keeps_the_summary_and_gives_the_row_back(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(lesson_spec()), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    training, summary, weights = window.docks["trainingDock"], window.docks["summaryDock"], window.docks["weightsDock"]
    scroller = training.widget()

    training.raise_()
    qtbot.waitUntil(lambda: training.height() >= dock_layout.TRAINING_HEIGHT - 40)
    qtbot.waitUntil(lambda: scroller.verticalScrollBar().maximum() == 0)  # nothing to scroll to
    panel = window.training_panel
    assert panel.curve_metric.isVisible() and panel.plot.height() >= 100
    assert training.width() > summary.width()  # Training takes most of the row
    # the Summary stays in view while training: its rows readable beside the panel
    assert summary.isVisible() and not summary.visibleRegion().isEmpty()
    table = window.summary_table
    assert table.isVisible() and table.width() >= 300 and table.height() >= 150

    weights.raise_()
    qtbot.waitUntil(lambda: summary.height() <= dock_layout.SUMMARY_HEIGHT + 5)
    assert window.canvas is None or window.canvas.height() > 400
