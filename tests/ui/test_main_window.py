"""The main window: docks, summary table, Keras state, menus, layout memory.

Most tests drive the window with stand-in services (signals emitted by the test, no engine);
the ones marked `engine` use the real services over one engine session and wait for its signals.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from nnstudio.engine.protocol import BuildFailure
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.summary_table import CONFIRMED, FAILED, INVALID, MISMATCH, PENDING
from tests.ui.fakes import FakeBuilds, FakeTraining

ROOT = Path(__file__).resolve().parents[2]
KERAS_TIMEOUT_MS = 90_000


@pytest.fixture
def settings(tmp_path):
    """A settings file of the test's own: nothing of the person's settings is read or written."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def no_dialogs(monkeypatch):
    """Message boxes answer at once: Discard for questions; warnings are recorded."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        staticmethod(lambda parent, title, text, *a, **k: shown.append((title, text)) or QMessageBox.StandardButton.Ok),
    )
    return shown


@pytest.fixture
def fake_window(qtbot, settings, no_dialogs):
    service = FakeBuilds()
    window = MainWindow(Document(), service, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start_service()
    yield window, service
    window.document.undo_stack.setClean()


@pytest.fixture
def keras_window(qtbot, settings, no_dialogs, model_service, training_service):
    window = MainWindow(Document(), model_service, training_service, settings=settings)
    qtbot.addWidget(window)
    window.show()
    yield window, model_service
    window.document.undo_stack.setClean()


def table_texts(window) -> list[list[str]]:
    model = window.summary_table.model
    return [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]


LESSON_ROWS = [
    ["dense (Dense)", "(None, 64)", "1,344"],
    ["dense_1 (Dense)", "(None, 10)", "650"],
]
LESSON_TOTALS = "Total params: 1,994 (7.79 KB)\nTrainable params: 1,994 (7.79 KB)\nNon-trainable params: 0 (0.00 B)"


# -- composition -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["layerPalette", "layerStack", "propertyEditor", "compileSettings", "summaryTable", "networkCanvas"]
)
def test_main_widgets_carry_their_object_names(fake_window, name):
    window, _ = fake_window
    widget = window.findChild(QWidget, name)
    assert widget is not None, f"no widget called {name} (is its module importable?)"
    assert widget.isVisible()


def test_window_shows_the_lesson_title_and_docks(fake_window):
    window, service = fake_window
    assert window.windowTitle() == "Untitled[*] — nnstudio"
    assert not window.isWindowModified()
    assert [layer.name for layer in window.document.spec.layers] == ["input_layer", "dense", "dense_1"]
    for dock in ("paletteDock", "layerStackDock", "propertyDock", "compileDock", "summaryDock"):
        assert window.docks[dock].isVisible()
    assert service.started
    assert service.builds and service.builds[-1][0] == window.document.spec


def test_menus_have_the_documented_shortcuts(fake_window):
    window, _ = fake_window
    shortcuts = {
        window.app_actions["file.new"]: "Ctrl+N",
        window.app_actions["file.open"]: "Ctrl+O",
        window.app_actions["file.save"]: "Ctrl+S",
        window.app_actions["file.save_as"]: "Ctrl+Shift+S",
        window.app_actions["file.export_keras"]: "Ctrl+E",
        window.app_actions["edit.duplicate"]: "Ctrl+D",
        window.app_actions["edit.move_up"]: "Ctrl+Up",
        window.app_actions["edit.move_down"]: "Ctrl+Down",
        window.app_actions["edit.undo"]: "Ctrl+Z",
    }
    for action, keys in shortcuts.items():
        assert action.shortcut().toString() == keys, action.text()
    assert "Ctrl+Shift+Z" in [k.toString() for k in window.app_actions["edit.redo"].shortcuts()]
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Keras", "Help"]


# -- the summary table -------------------------------------------------------------------------------


def test_table_shows_the_lesson_at_once_then_confirmed(fake_window, qtbot):
    window, service = fake_window
    table = window.summary_table
    assert table_texts(window) == LESSON_ROWS
    assert table.totals_text() == LESSON_TOTALS
    assert table.state == PENDING
    assert "waiting for Keras" in table.state_label.text()
    with qtbot.waitSignal(window.kerasSettled) as blocker:
        service.answer()
    assert blocker.args == [CONFIRMED]
    assert table.state == CONFIRMED
    assert "✓ confirmed by Keras" in table.state_label.text()
    assert table_texts(window) == LESSON_ROWS
    assert window.keras_status.label.text() == "Built in 42 ms"
    param = window.summary_table.model.index(0, 2).data(Qt.ItemDataRole.TextAlignmentRole)
    assert param & int(Qt.AlignmentFlag.AlignRight)


def test_every_edit_updates_at_once_and_asks_for_a_build(fake_window, qtbot):
    window, service = fake_window
    doc = window.document
    before = len(service.builds)
    doc.set_param(1, "units", 32)
    assert table_texts(window)[0] == ["dense (Dense)", "(None, 32)", "672"]
    assert table_texts(window)[1] == ["dense_1 (Dense)", "(None, 10)", "330"]
    assert window.summary_table.totals_text().startswith("Total params: 1,002 (3.91 KB)")
    assert window.summary_table.state == PENDING
    assert len(service.builds) == before, "Keras is asked once the views have taken the edit"
    with qtbot.waitSignal(window.viewsUpdated):
        pass
    assert len(service.builds) == before + 1 and service.builds[-1][0] == doc.spec
    assert window.isWindowModified()
    assert "Set" in window.app_actions["edit.undo"].text() or "units" in window.app_actions["edit.undo"].text()
    doc.undo_stack.undo()
    assert table_texts(window) == LESSON_ROWS
    assert "Redo" in window.app_actions["edit.redo"].text()


def test_stale_result_does_not_confirm(fake_window):
    window, service = fake_window
    old = window.document.spec
    window.document.set_param(1, "units", 8)
    window.flush_views()
    service.answer(old)
    assert window.summary_table.state == PENDING
    service.answer()
    assert window.summary_table.state == CONFIRMED


def test_keras_disagreement_is_shown(fake_window, qtbot):
    window, service = fake_window
    with qtbot.waitSignal(window.kerasSettled) as blocker:
        service.answer(params_delta=1)
    assert blocker.args == [MISMATCH]
    assert window.summary_table.state == MISMATCH
    assert "Keras disagrees" in window.summary_table.state_label.text()
    assert "1,345" in window.summary_table.state_label.text()


def test_invalid_edit_shows_the_error_and_keeps_the_last_good_keras_state(fake_window):
    window, service = fake_window
    service.answer()
    good = window.model_state.last_result
    builds = len(service.builds)
    window.document.set_param(2, "units", -5)
    assert len(service.builds) == builds, "an unsound model must not be sent to Keras"
    assert window.summary_table.state == INVALID
    assert "units" in window.keras_status.label.text()
    assert window.model_state.last_result is good
    model = window.summary_table.model
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "Received: units=-5" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None


def test_keras_failure_marks_the_layer(fake_window, qtbot):
    window, service = fake_window
    spec = window.document.spec
    with qtbot.waitSignal(window.kerasSettled) as blocker:
        service.buildFailed.emit(BuildFailure(1, spec, "something Keras said", "dense_1"))
    assert blocker.args == [FAILED]
    assert window.summary_table.state == FAILED
    assert "something Keras said" in window.keras_status.label.text()
    assert window.summary_table.model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == "something Keras said"


def test_engine_states_in_the_status_bar(fake_window):
    window, service = fake_window
    service.engineStateChanged.emit("starting", "Loading Keras…")
    assert window.keras_status.label.text() == "Loading Keras…"
    service.engineStateChanged.emit("restarting", "Keras engine stopped unexpectedly; restarting…")
    assert "restarting" in window.keras_status.label.text()
    service.engineStateChanged.emit("failed", "no Keras here")
    assert "no Keras here" in window.keras_status.label.text()


def test_the_keras_label_says_training_while_the_engine_trains_then_what_it_said_before(fake_window, qtbot):
    window, service = fake_window
    with qtbot.waitSignal(window.kerasSettled):
        service.answer()
    label = window.keras_status.label
    assert label.text() == "Built in 42 ms"
    service.engineStateChanged.emit("busy", "Training…")
    assert label.text() == "Training…"
    service.engineStateChanged.emit("ready", "")
    assert label.text() == "Built in 42 ms"
    assert label.property("state") == "ready"


def test_a_build_finished_while_the_engine_was_busy_keeps_its_own_words(fake_window, qtbot):
    window, service = fake_window
    service.engineStateChanged.emit("busy", "Exporting…")
    service.buildStarted.emit(1)
    with qtbot.waitSignal(window.kerasSettled):
        service.answer()
    service.engineStateChanged.emit("ready", "")
    assert window.keras_status.label.text() == "Built in 42 ms"


def test_row_selection_follows_the_document_both_ways(fake_window):
    window, _ = fake_window
    doc = window.document
    view = window.summary_table.view
    view.selectRow(1)
    assert doc.selected_index == 2
    doc.select_layer(1)
    assert view.currentIndex().row() == 0
    doc.select_layer(0)  # the Input has no row, like in Keras
    assert not view.currentIndex().isValid()


def test_edit_actions_act_on_the_selected_layer(fake_window):
    window, _ = fake_window
    doc = window.document
    doc.select_layer(2)
    window.app_actions["edit.duplicate"].trigger()
    assert [layer.name for layer in doc.spec.layers] == ["input_layer", "dense", "dense_1", "dense_2"]
    doc.select_layer(3)
    window.app_actions["edit.move_up"].trigger()
    assert [layer.name for layer in doc.spec.layers] == ["input_layer", "dense", "dense_2", "dense_1"]
    doc.select_layer(2)
    window.app_actions["edit.delete"].trigger()
    assert [layer.name for layer in doc.spec.layers] == ["input_layer", "dense", "dense_1"]
    doc.select_layer(1)
    assert not window.app_actions["edit.move_up"].isEnabled()  # nothing goes above the Input
    doc.select_layer(0)
    assert not window.app_actions["edit.duplicate"].isEnabled()


def test_title_names_the_file_and_marks_changes(fake_window, tmp_path):
    window, _ = fake_window
    assert window.files.save_as(tmp_path / "mine.nnstudio")
    assert window.windowTitle() == "mine.nnstudio[*] — nnstudio"
    assert not window.isWindowModified()
    window.document.set_param(1, "units", 3)
    assert window.isWindowModified()


def test_dock_layout_is_remembered(qtbot, settings, no_dialogs):
    first = MainWindow(Document(), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.docks["compileDock"].hide()
    first.close()
    assert settings.value("window/state") is not None
    second = MainWindow(Document(), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(second)
    second.show()
    assert not second.docks["compileDock"].isVisible()
    assert second.docks["summaryDock"].isVisible()


# -- with the real Keras engine ------------------------------------------------------------------------


@pytest.mark.engine
def test_keras_confirms_the_lesson(keras_window, qtbot):
    window, _service = keras_window
    assert table_texts(window) == LESSON_ROWS
    assert window.summary_table.totals_text() == LESSON_TOTALS
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
        window.start_service()
    assert blocker.args == [CONFIRMED], window.summary_table.state_label.text()
    assert table_texts(window) == LESSON_ROWS
    assert window.summary_table.totals_text() == LESSON_TOTALS
    assert window.keras_status.label.text().startswith("Built in ")
    weights = window.model_state.current()
    assert [w.shape for w in weights["dense"]] == [(20, 64), (64,)]
    # the Weights dock shows the histogram of the selected layer's Keras kernel
    window.document.select_layer(2)
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense_1", weights["dense_1"][0])
    assert window.weights_panel.histogram.counts.sum() == 640
    window.document.select_layer(1)
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense", weights["dense"][0])
    # an edit is confirmed again
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
        window.document.set_param(1, "units", 32)
    assert blocker.args == [CONFIRMED]
    assert table_texts(window)[0] == ["dense (Dense)", "(None, 32)", "672"]


GUI_PROCESS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QSettings, QTimer
    from nnstudio.app import make_application
    from nnstudio.services.document import Document
    from nnstudio.services.engine_session import EngineSession
    from nnstudio.services.model_service import ModelService
    from nnstudio.services.training_service import TrainingService
    from nnstudio.ui.main_window import MainWindow

    app = make_application()
    session = EngineSession()
    service = ModelService(session)
    settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
    window = MainWindow(Document(), service, TrainingService(session), settings=settings)
    window.show()
    states = []
    window.kerasSettled.connect(lambda s: (states.append(s), app.quit()))
    QTimer.singleShot(0, window.start_service)
    QTimer.singleShot(90_000, app.quit)
    app.exec()
    session.shutdown()
    rows = [[window.summary_table.model.index(r, c).data() for c in range(3)]
            for r in range(window.summary_table.model.rowCount())]
    print(json.dumps({"states": states, "rows": rows, "totals": window.summary_table.totals_text(),
                      "keras": "keras" in sys.modules, "tensorflow": "tensorflow" in sys.modules}))
    """
)


@pytest.mark.engine
@pytest.mark.cli
def test_gui_process_never_imports_keras(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-c", GUI_PROCESS_SCRIPT, str(tmp_path / "s.ini")],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["states"] == [CONFIRMED], report
    assert report["rows"] == LESSON_ROWS
    assert report["totals"] == LESSON_TOTALS
    assert report["keras"] is False
    assert report["tensorflow"] is False


@pytest.mark.engine
@pytest.mark.cli
def test_screenshot_command(tmp_path):
    """`nnstudio --screenshot` after Keras confirmed the summary; the timing lines the start-up bench reads."""
    png = tmp_path / "shot.png"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        TF_CPP_MIN_LOG_LEVEL="3",
        NNSTUDIO_STARTUP_TIMING="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        NNSTUDIO_DATA_DIR=str(tmp_path / "data"),
    )
    out = subprocess.run(
        [sys.executable, "-m", "nnstudio", "--screenshot", str(png), str(ROOT / "resources/examples/lesson.nnstudio")],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert (image.width(), image.height()) == (1400, 900)
    events = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["window_shown", "keras_ready"]
    assert events[1]["state"] == CONFIRMED and events[0]["t"] < events[1]["t"]
    assert not (tmp_path / "config").exists(), "a screenshot leaves the person's settings alone"


@pytest.mark.cli
def test_screenshot_of_a_broken_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.nnstudio"
    bad.write_text("{not json")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-m", "nnstudio", "--screenshot", str(tmp_path / "x.png"), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("nnstudio:")]
    assert len(lines) == 1 and lines[0].startswith("nnstudio: error: ") and "not valid JSON" in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "x.png").exists()


# -- a person building the lesson in the window -----------------------------------------------------------


@pytest.mark.engine
def test_a_person_builds_the_lesson_from_nothing(qtbot, settings, no_dialogs, model_service):
    """Drops from the palette, edits in the property editor; the table answers at once and Keras confirms."""
    from PySide6.QtCore import QModelIndex

    from nnstudio.ui.param_editors import NumberField

    service = model_service
    document = Document.new_empty()
    window = MainWindow(document, service, FakeTraining(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(
            service.engineStateChanged, timeout=KERAS_TIMEOUT_MS, check_params_cb=lambda s, m: s == "ready"
        ):
            window.start_service()
        assert window.summary_table.state == "invalid"  # an empty model: nothing for Keras yet
        stack, palette, properties = window.layer_stack, window.palette_widget, window.property_editor
        model = stack.model()
        for class_name in ("Input", "Dense", "Dense"):
            assert model.dropMimeData(palette.mime_data_for(class_name), Qt.DropAction.CopyAction, -1, 0, QModelIndex())

        def type_units(row: int, text: str) -> None:
            stack.setCurrentIndex(model.index(row))
            spin = properties.field("units")
            assert isinstance(spin, NumberField)
            spin.setFocus()
            spin.selectAll()
            qtbot.keyClicks(spin, text)

        stack.setCurrentIndex(model.index(0))
        shape = properties.field("shape")
        shape.selectAll()
        qtbot.keyClicks(shape, "20")
        type_units(1, "64")
        properties.field("activation").setCurrentText("relu")
        with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
            type_units(2, "10")
            # at once, before Keras answers
            assert table_texts(window) == LESSON_ROWS
            assert window.summary_table.totals_text() == LESSON_TOTALS
        assert blocker.args == [CONFIRMED]
        assert table_texts(window) == LESSON_ROWS
        assert window.summary_table.totals_text() == LESSON_TOTALS

        # reorder by drag: dense_1 above dense, then back with Undo (named in the Edit menu)
        data = model.mimeData([model.index(2)])
        assert model.dropMimeData(data, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
        assert [r[0] for r in table_texts(window)] == ["dense_1 (Dense)", "dense (Dense)"]
        assert window.app_actions["edit.undo"].text() == "&Undo Move dense_1"
        window.app_actions["edit.undo"].trigger()
        assert table_texts(window) == LESSON_ROWS

        while document.undo_stack.canUndo():
            window.app_actions["edit.undo"].trigger()
        assert document.spec.layers == () and table_texts(window) == []
        with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
            while document.undo_stack.canRedo():
                window.app_actions["edit.redo"].trigger()
        assert blocker.args == [CONFIRMED]
        # every step is back, the move included (it was undone, not replaced)
        assert table_texts(window) == [
            ["dense_1 (Dense)", "(None, 10)", "210"],
            ["dense (Dense)", "(None, 64)", "704"],
        ]
    finally:
        document.undo_stack.setClean()


def test_a_model_over_the_parameter_budget_is_refused_at_once(fake_window):
    window, service = fake_window
    doc = window.document
    doc.set_param(1, "units", 1_000_000)  # 20 million parameters: within the budget, sent to Keras
    window.flush_views()
    builds = len(service.builds)
    for index, key, value in ((0, "shape", [1_000_000]), (2, "units", 1_000_000)):
        doc.set_param(index, key, value)  # every view but the canvas updates inside this call
    window.flush_views()
    assert len(service.builds) == builds, "a model over the budget is never sent to Keras"
    assert window.summary_table.state == INVALID
    assert "TB" in window.summary_table.state_label.text()
    assert "TB" in window.keras_status.label.text()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert window.summary_table.state == PENDING
    window.flush_views()
    assert len(service.builds) == builds + 1
    assert service.builds[-1][0] == doc.spec


@pytest.mark.engine
def test_a_killed_engine_is_replaced_and_said_so(keras_window, qtbot):
    import signal

    window, service = keras_window
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS):
        window.start_service()
    service.session.set_debug_delay("build", 30)  # the next build stays in the engine long enough to be killed
    with qtbot.waitSignal(service.buildStarted, timeout=KERAS_TIMEOUT_MS):
        window.document.set_param(1, "units", 16)
    spec = window.document.spec
    states: list[str] = []
    service.engineStateChanged.connect(lambda state, message: states.append(state))
    with qtbot.waitSignal(
        service.engineStateChanged, timeout=KERAS_TIMEOUT_MS, check_params_cb=lambda s, m: s == "restarting"
    ):
        os.kill(service.engine_pid(), signal.SIGKILL)
    assert (
        "restarting" in window.keras_status.label.text().lower()
        or "stopped" in window.keras_status.label.text().lower()
    )
    assert window.document.spec == spec, "the document is untouched"
    service.session.set_debug_delay("build", 0)
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
        window.document.set_param(1, "units", 24)
    assert blocker.args == [CONFIRMED]
    assert table_texts(window)[0] == ["dense (Dense)", "(None, 24)", "504"]
    assert window.keras_status.label.text().startswith("Built in ")


@pytest.mark.engine
def test_an_engine_restart_from_the_menu_builds_again(keras_window, qtbot):
    window, service = keras_window
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS):
        window.start_service()
    assert window.keras_status.keras_version  # "Keras 3.x ready" from the engine, without importing Keras here
    assert window.keras_status.keras_version == importlib.metadata.version("keras")
    assert (
        f"Keras {window.keras_status.keras_version} on TensorFlow {importlib.metadata.version('tensorflow')}"
        in window.about_text()
    )
    old_pid = service.engine_pid()
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
        window.app_actions["keras.restart"].trigger()
        assert "Restarting" in window.keras_status.label.text()
    assert blocker.args == [CONFIRMED]
    assert service.engine_pid() not in (None, old_pid)
    assert window.keras_status.label.text().startswith("Built in ")


def test_the_training_dock_joins_the_window(fake_window):
    import numpy as np

    window, service = fake_window
    training = window.training
    assert window.findChild(QWidget, "trainingPanel") is window.training_panel
    dock = window.docks["trainingDock"]
    assert dock.toggleViewAction() in window.view_menu.actions()
    training.spec = window.document.spec  # as a running training has it
    weights = {"dense": [np.ones((20, 64), "float32"), np.zeros(64, "float32")]}
    training.weightsUpdated.emit(weights)
    window.document.set_param(2, "activation", "tanh")  # the trained weights go along to Keras
    window.flush_views()
    assert service.builds[-1][1] == weights


def test_the_table_copies_as_keras_prints_it(fake_window):
    from PySide6.QtGui import QGuiApplication

    window, _ = fake_window
    text = window.summary_table.copy_summary()
    assert QGuiApplication.clipboard().text() == text
    lines = text.splitlines()
    assert lines[0] == 'Model: "sequential"'
    assert "│ dense (Dense)                   │ (None, 64)             │         1,344 │" in lines
    assert lines[-3:] == [
        " Total params: 1,994 (7.79 KB)",
        " Trainable params: 1,994 (7.79 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ]


# -- the Weights dock -------------------------------------------------------------------------------------


def lesson_weights(seed: int = 0) -> dict:
    import numpy as np

    rng = np.random.default_rng(seed)
    return {
        "dense": [rng.normal(size=(20, 64)).astype("float32"), np.zeros(64, "float32")],
        "dense_1": [rng.normal(size=(64, 10)).astype("float32"), np.zeros(10, "float32")],
    }


def assert_histogram_of(window, name: str, kernel) -> None:
    """The Weights dock shows the histogram of exactly `kernel`'s values."""
    import numpy as np

    panel = window.weights_panel
    histogram = panel.histogram
    assert panel.currentWidget() is histogram
    assert histogram.layer_name == name
    assert histogram.counts.sum() == kernel.size
    expected, _ = np.histogram(kernel.astype("float64"), bins=histogram.edges)
    assert list(histogram.counts) == list(expected)


def test_weights_dock_follows_the_selection_and_the_builds(fake_window, qtbot):
    window, service = fake_window
    panel = window.weights_panel
    assert window.findChild(QWidget, "weightHistogram") is not None
    assert window.docks["weightsDock"].toggleViewAction() in window.view_menu.actions()
    window.document.select_layer(2)
    qtbot.waitUntil(window.views_current)  # the Weights dock follows on the next turn
    assert panel.currentWidget() is panel.message
    assert "waiting for Keras" in panel.message.text()
    weights = lesson_weights()
    with qtbot.waitSignal(window.kerasSettled):
        service.answer(weights=weights)
    qtbot.waitUntil(window.views_current)  # the Weights dock takes them on a later turn
    assert_histogram_of(window, "dense_1", weights["dense_1"][0])
    assert panel.histogram.counts.sum() == 640
    window.document.select_layer(1)
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense", weights["dense"][0])
    window.summary_table.view.selectRow(1)  # selecting in the table selects everywhere
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense_1", weights["dense_1"][0])
    window.document.select_layer(0)
    qtbot.waitUntil(window.views_current)
    assert panel.currentWidget() is panel.message
    assert "input_layer (Input) has no weights" in panel.message.text()
    window.document.select_layer(-1)
    qtbot.waitUntil(window.views_current)
    assert "Select a layer" in panel.message.text()


def test_weights_dock_explains_layers_without_a_kernel(fake_window, qtbot):
    import numpy as np

    window, service = fake_window
    doc = window.document
    doc.insert_layer(2, "Dropout")
    doc.insert_layer(2, "BatchNormalization")
    names = [layer.name for layer in doc.spec.layers]
    weights = lesson_weights()
    weights[names[2]] = [
        np.ones(64, "float32"),
        np.zeros(64, "float32"),
        np.zeros(64, "float32"),
        np.ones(64, "float32"),
    ]
    window.flush_views()
    with qtbot.waitSignal(window.kerasSettled):
        service.answer(weights=weights)
    qtbot.waitUntil(window.views_current)
    doc.select_layer(3)
    qtbot.waitUntil(window.views_current)
    assert f"{names[3]} (Dropout) has no weights" in window.weights_panel.message.text()
    doc.select_layer(2)
    qtbot.waitUntil(window.views_current)
    assert window.weights_panel.currentWidget() is window.weights_panel.message
    assert "has no kernel" in window.weights_panel.message.text()
    doc.set_param(1, "units", 0)  # invalid: the dock says why
    doc.select_layer(1)
    qtbot.waitUntil(window.views_current)
    assert "units" in window.weights_panel.message.text()


def test_training_moves_the_histogram_and_starts_from_the_weights_on_screen(fake_window, qtbot):
    window, service = fake_window
    training = window.training
    window.document.select_layer(1)
    early = lesson_weights(seed=2)  # training started before any Keras build arrived
    training.spec = window.document.spec
    training.weightsUpdated.emit(early)
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense", early["dense"][0])
    qtbot.waitUntil(lambda: window.canvas.weights is not None and window.canvas.weights.get("dense") is early["dense"])
    training.resetDone.emit({})  # Reset: the trained weights are gone
    training.spec = None
    weights = lesson_weights()
    with qtbot.waitSignal(window.kerasSettled):
        result = service.answer(weights=weights)
    assert window.model_state.untrained().to_wire() == result.weights  # Train starts from these
    window.training_panel.train_button.click()
    assert training.calls[-1][0] == "start" and training.calls[-1][-1] == result.weights
    window.document.select_layer(1)
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense", weights["dense"][0])
    trained = lesson_weights(seed=1)
    training.weightsUpdated.emit(trained)  # a snapshot during training
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense", trained["dense"][0])
    qtbot.waitUntil(lambda: window.canvas.weights.get("dense") is trained["dense"])  # the canvas a turn later
    window.document.select_layer(2)
    qtbot.waitUntil(window.views_current)
    assert_histogram_of(window, "dense_1", trained["dense_1"][0])


# -- engine states, restart, help ------------------------------------------------------------------------


def test_a_failed_engine_is_said_clearly_and_can_be_restarted(fake_window, qtbot, tmp_path):
    window, service = fake_window
    window.files.export_keras(tmp_path / "out.keras")
    assert window.files.is_exporting()
    with qtbot.waitSignal(window.kerasSettled) as blocker:
        service.engineStateChanged.emit("failed", "The Keras engine failed to start 3 times (last: it hung).")
    assert blocker.args == ["engine-failed"]
    assert window.keras_status.label.text().startswith("Keras engine failed: The Keras engine failed to start 3 times")
    assert window.keras_status.label.property("state") == "error"
    assert window.keras_status.restart_button.isVisible()
    assert "Restart Keras Engine" in window.statusBar().currentMessage()
    builds = len(service.builds)
    done: list = []
    window.files.exportDone.connect(lambda path, error: done.append(error))
    window.keras_status.restart_button.click()
    assert service.started and len(service.builds) == builds + 1  # a fresh engine builds the model again
    assert "Restarting" in window.keras_status.label.text()
    assert not window.keras_status.restart_button.isVisible()
    assert not window.files.is_exporting() and "cancelled" in done[0]
    service.engineStateChanged.emit("ready", "Keras 3.15.1 ready (TensorFlow 2.21.0)")
    assert window.keras_status.label.text() == "Keras 3.15.1 ready (TensorFlow 2.21.0)"
    assert window.keras_status.keras_version == "3.15.1"
    assert "Keras 3.15.1 on TensorFlow 2.21.0" in window.about_text()


def test_engine_timeouts_are_shown_in_the_status_bar(fake_window, qtbot):
    window, service = fake_window
    service.engineStateChanged.emit("busy", "Exporting…")
    assert window.keras_status.label.text() == "Exporting…"
    message = "A Keras build ran longer than 180 s; restarting the engine…"
    service.engineStateChanged.emit("restarting", message)
    assert window.keras_status.label.text() == message
    assert window.statusBar().currentMessage() == message
    assert not window.keras_status.restart_button.isVisible()
    before = len(service.builds)
    window.app_actions["keras.build"].trigger()  # Keras ▸ Build Now asks again
    assert len(service.builds) == before + 1


def test_help_lists_the_keyboard_shortcuts(fake_window):
    window, _ = fake_window
    rows = dict((text, keys) for keys, text in window.shortcut_rows())
    assert rows["Duplicate Layer"] == "Ctrl+D"
    assert rows["Undo"].startswith("Ctrl+Z")
    assert "Ctrl+Shift+Z" in rows["Redo"]
    assert rows["Move Up"] == "Ctrl+Up"
    assert any("Canvas" in text for text in rows)
    window.app_actions["help.shortcuts"].trigger()
    box = window.findChild(QMessageBox, "shortcutsBox")
    assert box is not None and box.isVisible() and not box.isModal()
    assert "Ctrl+D" in box.text() and "Duplicate Layer" in box.text()
    box.close()


def test_renaming_a_trained_layer_keeps_its_weights_on_the_canvas_and_asks_nothing(fake_window, qtbot):
    window, service = fake_window
    state, document = window.model_state, window.document
    questions: list[str] = []
    state.confirm = lambda _title, text: questions.append(text) or False
    weights = {
        "dense": [np.full((20, 64), 0.5, "float32"), np.zeros(64, "float32")],
        "dense_1": [np.full((64, 10), 0.5, "float32"), np.zeros(10, "float32")],
    }
    service.answer(weights=weights)
    training = state.training
    training.start(document.spec)
    trained = {name: [a * 2 for a in arrays] for name, arrays in weights.items()}
    training.play(2, weights=trained)
    assert state.has_trained_weights()

    assert document.rename_layer(1, "hidden") is None
    assert questions == [] and document.spec.layers[1].name == "hidden"
    qtbot.waitUntil(window.views_current)  # the canvas takes the renamed model on a later turn
    drawn = window.canvas.weights
    assert drawn is not None and not window.canvas.pending
    assert float(drawn["hidden"][0][0, 0]) == 1.0  # the trained kernel, under the new name
    assert service.builds[-1][1]["hidden"][0][0, 0] == 1.0  # Keras rebuilds the renamed layer from it
