"""The Training tab in the real window: raised, the bottom row makes room for the whole panel."""

from PySide6.QtCore import QSettings

from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui import dock_layout
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining


def test_raising_the_training_tab_fits_the_panel_and_summary_gets_its_row_back(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(lesson_spec()), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    training, summary = window.docks["trainingDock"], window.docks["summaryDock"]
    scroller = training.widget()

    training.raise_()
    qtbot.waitUntil(lambda: training.height() >= dock_layout.TRAINING_HEIGHT - 40)
    qtbot.waitUntil(lambda: scroller.verticalScrollBar().maximum() == 0)  # nothing to scroll to
    panel = window.training_panel
    assert panel.curve_metric.isVisible() and panel.plot.height() >= 100
    assert training.width() >= 0.55 * window.centralWidget().width()  # Training takes most of the row

    summary.raise_()
    qtbot.waitUntil(lambda: summary.height() <= dock_layout.summary_height(window, summary) + 5)
    assert window.canvas is None or window.canvas.height() > 400
