"""File ▸ New / Open / Save / Export in the window: round trips, .keras files both ways, broken files, prompts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.project import load_project
from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from nnstudio.ui.summary_table import CONFIRMED
from tests.test_hostile_files import CORPUS, base  # noqa: F401  (`base`: the corpus's fixture)
from tests.ui.fakes import FakeBuilds, FakeTraining

ROOT = Path(__file__).resolve().parents[2]
KERAS_TIMEOUT_MS = 120_000
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3")

WRITE_KERAS = textwrap.dedent(
    """
    import sys, numpy as np, keras
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10)])
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.save(sys.argv[1])
    np.save(sys.argv[2], model.layers[0].get_weights()[0])
    """
)

READ_KERAS = textwrap.dedent(
    """
    import json, sys, numpy as np, keras
    model = keras.saving.load_model(sys.argv[1])
    print(json.dumps({"params": model.count_params(), "names": [l.name for l in model.layers],
                      "kernel": model.layers[0].get_weights()[0].tolist(), "loss": model.loss}))
    """
)


@pytest.fixture(scope="module")
def keras_written(tmp_path_factory):
    """A .keras file written by plain Keras (in a child process) and its first kernel."""
    folder = tmp_path_factory.mktemp("keras_written")
    path, kernel = folder / "lesson.keras", folder / "kernel.npy"
    out = subprocess.run(
        [sys.executable, "-c", WRITE_KERAS, str(path), str(kernel)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    return path, np.load(kernel)


@pytest.fixture
def settings(tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


class Dialogs:
    """Monkeypatched QMessageBox: `answer` is what a question returns; warnings are recorded."""

    def __init__(self) -> None:
        self.answer = QMessageBox.StandardButton.Discard
        self.questions: list[str] = []
        self.warnings: list[tuple[str, str]] = []

    def question(self, parent, title, text, *args, **kwargs):
        self.questions.append(text)
        return self.answer

    def warning(self, parent, title, text, *args, **kwargs):
        self.warnings.append((title, text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def dialogs(monkeypatch):
    d = Dialogs()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(d.question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(d.warning))
    return d


@pytest.fixture
def window(qtbot, settings, dialogs):
    w = MainWindow(Document(), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.document.undo_stack.setClean()


@pytest.fixture
def keras_window(qtbot, settings, dialogs, model_service, training_service):
    w = MainWindow(Document(), model_service, training_service, settings=settings)
    qtbot.addWidget(w)
    w.show()
    yield w, model_service
    w.document.undo_stack.setClean()


# -- save and open ------------------------------------------------------------------------------------


def test_save_and_open_round_trip(window, qtbot, tmp_path):
    doc = window.document
    doc.set_param(1, "units", 48)
    doc.rename_layer(2, "logits")
    path = tmp_path / "model.nnstudio"
    assert window.files.save_as(path)
    assert not doc.is_modified()
    assert doc.path == path
    assert [p.name for p in tmp_path.iterdir() if p.name != "settings.ini" and p.is_file()] == ["model.nnstudio"]
    saved_spec, _ = load_project(path)
    assert saved_spec == doc.spec

    assert window.files.new()
    assert doc.spec == lesson_spec() and doc.path is None
    with qtbot.waitSignal(window.files.openFinished) as opened:
        assert window.files.open(path)
    assert opened.args == [str(path), ""]
    assert doc.spec == saved_spec
    assert doc.path == path and not doc.is_modified()
    assert window.windowTitle() == "model.nnstudio[*] — nnstudio"
    assert window.files.recent_files()[0] == str(path.resolve())


def test_save_uses_the_current_path(window, tmp_path):
    path = tmp_path / "a.nnstudio"
    assert window.files.save_as(tmp_path / "a")  # the suffix is added
    assert path.exists()
    window.document.set_param(1, "units", 7)
    assert window.files.save()
    assert load_project(path)[0].layers[1].params["units"] == 7


def test_save_failure_is_a_message_and_the_document_stays_modified(window, dialogs, tmp_path):
    window.document.set_param(1, "units", 7)
    assert not window.files.save_as(tmp_path / "no" / "such" / "folder" / "m.nnstudio")
    assert dialogs.warnings and dialogs.warnings[-1][0] == "Cannot save"
    assert window.document.is_modified()


@pytest.mark.parametrize(
    "name, data",
    [
        ("random.keras", bytes(range(256)) * 8),
        ("hdf5.keras", b"\x89HDF\r\n\x1a\n" + b"\0" * 512),
        ("empty.keras", b""),
        ("notjson.nnstudio", b"{this is not json"),
        ("binary.nnstudio", b"\xff\xfe\x00\x01" * 10),
        ("deep.nnstudio", b"[" * 100 + b"]" * 100),
        (
            "negative.nnstudio",
            json.dumps(
                {
                    "format": "nnstudio",
                    "version": 1,
                    "layers": [
                        {"class_name": "Input", "name": "input_layer", "shape": [20]},
                        {"class_name": "Dense", "name": "dense", "units": 1e309},
                    ],
                }
            )
            .encode()
            .replace(b"Infinity", b"1e999"),
        ),
    ],
)
def test_a_broken_file_is_refused_and_the_document_kept(window, dialogs, tmp_path, name, data):
    doc = window.document
    doc.set_param(1, "units", 5)
    spec, path = doc.spec, doc.path
    bad = tmp_path / name
    bad.write_bytes(data)
    assert not window.files.open_path(bad)
    assert len(dialogs.warnings) == 1
    title, text = dialogs.warnings[0]
    assert title == "Cannot open file"
    assert text.startswith(f"{name} was not opened: ")
    assert "\n" not in text and "Traceback" not in text
    assert doc.spec == spec and doc.path == path and doc.is_modified()


def test_a_missing_file_is_refused(window, dialogs, tmp_path):
    assert not window.files.open_path(tmp_path / "gone.nnstudio")
    assert "gone.nnstudio was not opened" in dialogs.warnings[0][1]


# -- unsaved changes ----------------------------------------------------------------------------------


def test_closing_with_unsaved_changes_asks(window, dialogs, tmp_path):
    window.document.set_param(1, "units", 9)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.isVisible() and len(dialogs.questions) == 1
    assert "before closing" in dialogs.questions[0]

    dialogs.answer = QMessageBox.StandardButton.Save
    # the document has no path yet, so Save asks for one
    target = tmp_path / "saved.nnstudio"
    from PySide6.QtWidgets import QFileDialog

    original = QFileDialog.getSaveFileName
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (str(target), ""))
    try:
        assert window.close()
    finally:
        QFileDialog.getSaveFileName = original
    assert target.exists()
    assert load_project(target)[0].layers[1].params["units"] == 9


def test_discard_closes_without_saving(window, dialogs, tmp_path):
    window.document.set_param(1, "units", 9)
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.close()
    assert dialogs.questions


def test_a_clean_document_closes_without_asking(window, dialogs):
    assert window.close()
    assert dialogs.questions == []


def test_new_and_open_ask_too(window, qtbot, dialogs, tmp_path):
    path = tmp_path / "x.nnstudio"
    window.files.save_as(path)
    window.document.set_param(1, "units", 2)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.files.new()
    assert not window.files.open(path)
    assert len(dialogs.questions) == 2
    assert window.document.spec.layers[1].params["units"] == 2
    dialogs.answer = QMessageBox.StandardButton.Discard
    with qtbot.waitSignal(window.files.openFinished):
        assert window.files.open(path)
    assert window.document.spec.layers[1].params["units"] == 64


# -- code export -----------------------------------------------------------------------------------------


def test_export_python_code(window, tmp_path):
    path = tmp_path / "model.py"
    assert window.files.export_python(path)
    source = path.read_text()
    compile(source, str(path), "exec")
    assert "Dense(64" in source and "keras" in source


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_file_menu_exports_the_drawing(window, monkeypatch, tmp_path, suffix):
    from PySide6.QtWidgets import QFileDialog

    if window.canvas is None:
        window.load_canvas()
    target = tmp_path / f"network{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.app_actions["file.export_drawing"].trigger()
    assert target.exists() and target.stat().st_size > 1000
    head = target.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in target.read_bytes()


def test_an_opened_keras_files_views_wait_for_its_weights_not_a_fresh_build(window, qtbot, tmp_path):
    """The opened model's first build starts from fresh weights: nothing draws them while the file's
    are read; should those not come, the fresh ones are shown and the status bar says why."""
    from tests.core.test_keras_archive_corpus import lesson_weights, write_lesson

    builds = window.model_state.builds
    window.start_service()
    path = write_lesson(tmp_path / "lesson.keras")
    assert window.files.open_path(path)
    assert builds.loads == [str(path)]
    window.flush_views()  # the views take the opened model; then Keras is asked for a build
    fresh = {name: [np.full(shape, 0.25, "float32") for shape in shapes] for name, shapes in lesson_weights().items()}
    builds.answer(weights=fresh)
    assert window.model_state.current() is None and window.model_state.last_result is not None
    window.document.select_layer(1)
    window.flush_views()
    assert "Keras is reading its weights from the file" in window.weights_panel.message.text()
    builds.loadFailed.emit("the file's weights do not fit")
    assert window.model_state.current().source == "built"
    assert window.model_state.current()["dense"][0][0, 0] == 0.25
    assert "showing fresh weights" in window.statusBar().currentMessage()


def test_a_file_whose_weight_bytes_are_damaged_opens_and_its_weights_read_says_so(window, dialogs, tmp_path):
    """The open checks the weights file's structure, not the sum of its bytes (a big model's hundreds
    of MB): a value's byte changed opens the model; the engine's read of its weights, which sums them,
    refuses them, and the window says so and shows fresh ones."""
    from nnstudio.keras_io.load import load_keras
    from tests.core.test_keras_archive_corpus import write_lesson

    builds = window.model_state.builds
    window.start_service()
    path = write_lesson(tmp_path / "lesson.keras")
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"\x89HDF") + 4096] ^= 0xFF  # inside the stored weights file, past its header
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(bytes(raw))
    assert window.files.open_path(damaged) and dialogs.warnings == []
    assert window.document.path == damaged and builds.loads == [str(damaged)]
    with pytest.raises(ValueError, match="Bad CRC-32") as refused:
        load_keras(damaged)  # what the engine does with the load asked for
    builds.loadFailed.emit(str(refused.value))
    message = window.statusBar().currentMessage()
    assert "could not read the weights of damaged.keras" in message and "Bad CRC-32" in message
    assert "showing fresh weights" in message


def test_the_weights_of_a_file_opened_before_are_not_taken_for_the_next_files(window, tmp_path):
    """Two .keras files opened one after the other, before Keras read the first one's weights: the
    first answer is that file's (the engine answers in order) and is dropped; the second's is shown."""
    from tests.core.test_keras_archive_corpus import lesson_weights, write_lesson

    builds, files, state = window.model_state.builds, window.files, window.model_state
    window.start_service()
    first, second = write_lesson(tmp_path / "first.keras"), write_lesson(tmp_path / "second.keras")
    assert files.open_path(first) and files.open_path(second)
    assert builds.loads == [str(first), str(second)]
    ones = {name: [np.full(shape, 1.0, "float32") for shape in shapes] for name, shapes in lesson_weights().items()}
    twos = {name: [np.full(shape, 2.0, "float32") for shape in shapes] for name, shapes in lesson_weights().items()}

    builds.keras_loaded.emit((window.document.spec, ones))
    assert state.awaiting_file_weights(), "the first file's answer does not end the wait for the second's"
    assert state.current() is None or state.current().source != "file"

    builds.keras_loaded.emit((window.document.spec, twos))
    assert not state.awaiting_file_weights()
    assert state.current().source == "file" and float(state.current()["dense"][0][0, 0]) == 2.0


def test_a_failed_read_of_a_file_opened_before_does_not_end_the_wait(window, tmp_path):
    from tests.core.test_keras_archive_corpus import write_lesson

    builds, files, state = window.model_state.builds, window.files, window.model_state
    window.start_service()
    first, second = write_lesson(tmp_path / "first.keras"), write_lesson(tmp_path / "second.keras")
    assert files.open_path(first) and files.open_path(second)
    builds.loadFailed.emit("truncated file")
    assert state.awaiting_file_weights()
    assert "could not read" not in window.statusBar().currentMessage()
    builds.loadFailed.emit("truncated file")
    assert not state.awaiting_file_weights()
    assert "could not read the weights of second.keras" in window.statusBar().currentMessage()


def test_the_files_weights_are_asked_for_again_after_a_restart_and_that_answer_is_taken(window, tmp_path):
    """Restarting the engine drops the requests it had without an answer: the file's weights are asked
    for again, and the answer to that request is the one shown."""
    from tests.core.test_keras_archive_corpus import lesson_weights, write_lesson

    builds, state = window.model_state.builds, window.model_state
    window.start_service()
    path = write_lesson(tmp_path / "lesson.keras")
    assert window.files.open_path(path)
    window.restart_engine()
    assert builds.restarts == 1 and builds.loads == [str(path), str(path)]
    weights = {name: [np.full(shape, 4.0, "float32") for shape in shapes] for name, shapes in lesson_weights().items()}
    builds.keras_loaded.emit((window.document.spec, weights))
    assert state.current().source == "file" and float(state.current()["dense"][0][0, 0]) == 4.0


def test_an_export_asked_for_while_the_files_weights_are_read_waits_for_them(window, qtbot, tmp_path, dialogs):
    """Export right after opening a .keras: it would write fresh weights if sent at once, so it waits
    for the file's and writes those; should they not come, nothing is written and the person is told."""
    from tests.core.test_keras_archive_corpus import lesson_weights, write_lesson

    builds, files = window.model_state.builds, window.files
    window.start_service()
    path = write_lesson(tmp_path / "lesson.keras")
    assert files.open_path(path)
    out = tmp_path / "out.keras"
    with qtbot.assertNotEmitted(files.exportDone):
        assert files.export_keras(out)
    assert builds.exports == [] and files.is_exporting()
    assert "once Keras has read the weights" in window.statusBar().currentMessage()
    weights = {name: [np.full(shape, 3.0, "float32") for shape in shapes] for name, shapes in lesson_weights().items()}
    builds.keras_loaded.emit((window.document.spec, weights))
    assert len(builds.exports) == 1
    spec, target, sent = builds.exports[0]
    assert spec is window.document.spec and target == str(out)
    assert float(sent["dense"][0][0, 0]) == 3.0, "the file's weights, not fresh ones"

    builds.exportFinished.emit(str(out))
    assert files.open_path(path)
    with qtbot.waitSignal(files.exportDone) as done:
        assert files.export_keras(out)
        builds.loadFailed.emit("truncated file")
    assert done.args[0] == str(out) and done.args[1].startswith("not exported")
    assert len(builds.exports) == 1 and not files.is_exporting()
    assert dialogs.warnings and "was not exported" in dialogs.warnings[-1][1]


def test_train_waits_for_an_opened_files_weights(window, qtbot, tmp_path):
    """Train right after opening a .keras would start from fresh weights: it says why it waits."""
    from tests.core.test_keras_archive_corpus import lesson_weights, write_lesson

    builds, training, panel = window.model_state.builds, window.training, window.training_panel
    window.start_service()
    assert window.files.open_path(write_lesson(tmp_path / "lesson.keras"))
    panel.train_button.click()
    assert not training.is_training() and "still reading the opened file's weights" in panel.status.text()
    weights = {name: [np.full(shape, 3.0, "float32") for shape in shapes] for name, shapes in lesson_weights().items()}
    builds.keras_loaded.emit((window.document.spec, weights))
    panel.train_button.click()
    assert training.is_training()
    started = training.calls[-1]
    assert started[0] == "start" and float(started[-1]["dense"][0][0, 0]) == 3.0, "from the file's weights"


# -- with the Keras engine ---------------------------------------------------------------------------------


@pytest.mark.engine
def test_open_a_keras_written_file(keras_window, qtbot, keras_written):
    window, service = keras_window
    path, kernel = keras_written
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS):
        window.start_service()
    with qtbot.waitSignal(service.keras_loaded, timeout=KERAS_TIMEOUT_MS):
        assert window.files.open_path(path)
        doc = window.document
        assert [layer.name for layer in doc.spec.layers] == ["input_layer", "dense", "dense_1"]
        assert doc.path == path
        assert window.windowTitle() == "lesson.keras[*] — nnstudio"
        assert window.summary_table.totals_text().startswith("Total params: 1,994 (7.79 KB)")

    def file_weights_confirmed() -> bool:  # Keras built the file's model with the file's weights
        result = window.model_state.last_result
        return (
            result is not None
            and result.spec == window.document.spec
            and np.allclose(result.weights["dense"][0], kernel)
        )

    qtbot.waitUntil(file_weights_confirmed, timeout=KERAS_TIMEOUT_MS)
    assert window.summary_table.state == CONFIRMED
    # the Weights dock shows the file's kernel (taken a turn after Keras's answer)
    window.document.select_layer(1)
    qtbot.waitUntil(window.views_current)
    histogram = window.weights_panel.histogram
    assert window.weights_panel.currentWidget() is histogram and histogram.layer_name == "dense"
    expected, _ = np.histogram(kernel.astype("float64"), bins=histogram.edges)
    assert list(histogram.counts) == list(expected)


@pytest.mark.engine
def test_export_keras_loads_in_plain_keras(keras_window, qtbot, tmp_path):
    window, service = keras_window
    window.document.set_param(2, "activation", "softmax")
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS) as blocker:
        window.start_service()
    assert blocker.args == [CONFIRMED]
    kernel = window.model_state.current()["dense"][0]
    path = tmp_path / "out.keras"
    with qtbot.waitSignal(service.exportFinished, timeout=KERAS_TIMEOUT_MS):
        assert window.files.export_keras(path)
        assert window.keras_status.export_progress.isVisible()
    assert not window.keras_status.export_progress.isVisible()
    assert path.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    out = subprocess.run(
        [sys.executable, "-c", READ_KERAS, str(path)], capture_output=True, text=True, env=ENV, timeout=180
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["params"] == 1994
    assert report["names"] == ["dense", "dense_1"]
    assert np.allclose(np.array(report["kernel"]), kernel), "the exported weights are the ones on screen"


# -- the hostile corpus (generated by the tests) -----------------------------------------


@pytest.mark.engine
@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_file_is_refused_in_the_window(case, base, window, dialogs, tmp_path):  # noqa: F811
    builder, fragment = CORPUS[case]
    folder = tmp_path / "corpus"
    folder.mkdir()
    marker = tmp_path / "marker"
    path = builder(base, folder, marker)
    doc = window.document
    doc.set_param(1, "units", 5)
    spec = doc.spec
    assert not window.files.open_path(path)
    assert len(dialogs.warnings) == 1
    title, text = dialogs.warnings[0]
    assert title == "Cannot open file"
    assert fragment in text, text
    assert "\n" not in text and "Traceback" not in text
    assert doc.spec == spec and doc.path is None and doc.is_modified()
    assert not marker.exists(), "the file's payload ran"


def test_open_recent_menu(window, qtbot, tmp_path):
    first, second = tmp_path / "first.nnstudio", tmp_path / "second.nnstudio"
    assert window.files.save_as(first)
    window.document.set_param(1, "units", 3)
    assert window.files.save_as(second)
    window._fill_recent_menu()
    actions = [a for a in window.recent_menu.actions() if a.toolTip().endswith(".nnstudio")]
    assert [a.toolTip() for a in actions] == [str(second.resolve()), str(first.resolve())]
    with qtbot.waitSignal(window.files.openFinished):
        actions[1].trigger()
    assert window.document.path == first
    assert window.document.spec.layers[1].params["units"] == 64
    window.files.clear_recent()
    assert window.files.recent_files() == []


def test_a_file_dropped_on_the_window_opens(window, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "dropped.nnstudio"
    spec = lesson_spec().with_layer(1, lesson_spec().layers[1].with_params(units=5))
    from nnstudio.core.project import save_project

    save_project(path, spec)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(window.files.openFinished):
        window.dropEvent(event)
    assert window.document.path == path
    assert window.document.spec == spec


@pytest.mark.engine
@pytest.mark.parametrize(
    "name",
    [
        "lesson",
        "two_inputs",
        "residual_cnn",
        "transformer_block",
        "pets_unet",
        "timeseries_transformer",
        "ticket_classifier",
        "seq2seq",
    ],
)
def test_open_a_keras_written_graph(keras_window, qtbot, tmp_path, name):
    """Each must-show functional model, and models of Keras's code examples, written by Keras open
    as a graph: the graph view shows it, the summary has Keras's rows with Connected to and Keras
    confirms it with the file's weights."""
    from tests.keras_io import keras_io_examples
    from tests.keras_io.functional_models import MODELS, save

    original = MODELS[name]() if name in MODELS else getattr(keras_io_examples, name)()
    path = save(original, tmp_path / f"{name}.keras")
    window, service = keras_window
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS):
        window.start_service()
    with qtbot.waitSignal(service.keras_loaded, timeout=KERAS_TIMEOUT_MS):
        assert window.files.open_path(path)
    doc = window.document
    assert doc.spec.is_functional
    assert window.graph_view.isVisible()
    table = window.summary_table
    assert "Connected to" in table.model.headers
    shown = [table.model.layer_row(r).name for r in range(table.model.rowCount())]
    assert shown == [operation.name for operation in original._operations]  # the rows of Keras's summary
    assert table.totals_text().startswith(f"Total params: {original.count_params():,}")
    first = original.layers[-1]
    for layer in original.layers:
        if layer.get_weights():
            first = layer
            break

    def file_weights_confirmed() -> bool:  # Keras built the file's model with the file's weights
        result = window.model_state.last_result
        return (
            result is not None
            and result.spec == doc.spec
            and np.array_equal(result.weights[first.name][0], first.get_weights()[0])
        )

    qtbot.waitUntil(file_weights_confirmed, timeout=KERAS_TIMEOUT_MS)
    assert table.state == CONFIRMED
    result = window.model_state.last_result
    for layer in original.layers:
        for mine, theirs in zip(result.weights.get(layer.name, []), layer.get_weights(), strict=True):
            assert np.array_equal(mine, theirs)


# -- a name typed but not yet confirmed ------------------------------------------------------------------


def type_name(window, qtbot, text):
    """Select the first Dense and type a new name into its name field, without Enter."""
    window.document.select_layer(1)
    field = window.property_editor.field("name")
    window.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.selectAll()
    qtbot.keyClicks(field, text)
    assert window.document.spec.layers[1].name == "dense"  # not applied while typing
    return field


def test_ctrl_s_saves_the_name_being_typed(window, qtbot, tmp_path):
    path = tmp_path / "named.nnstudio"
    assert window.files.save_as(path)
    field = type_name(window, qtbot, "hidden")
    qtbot.keyClick(field, "s", modifier=Qt.KeyboardModifier.ControlModifier)
    assert window.document.spec.layers[1].name == "hidden"
    assert load_project(path)[0].layers[1].name == "hidden"
    assert not window.document.is_modified()
    assert window.document.undo_stack.undoText() == "Rename dense to hidden"


def test_a_half_typed_invalid_name_is_not_saved_and_keeps_its_reason(window, qtbot, tmp_path):
    path = tmp_path / "named.nnstudio"
    assert window.files.save_as(path)
    field = type_name(window, qtbot, "dense_1")  # taken
    window.app_actions["file.save"].trigger()
    assert load_project(path)[0].layers[1].name == "dense"
    assert field.text() == "dense_1" and "already used" in window.property_editor.error_text("name")


def test_undo_does_not_apply_the_name_being_typed(window, qtbot):
    window.document.set_param(1, "units", 48)
    type_name(window, qtbot, "hidden")
    window.app_actions["edit.undo"].trigger()
    assert window.document.spec.layers[1].name == "dense"
    assert window.document.spec.layers[1].params["units"] == 64


def test_closing_saves_the_name_being_typed(window, dialogs, qtbot, tmp_path):
    path = tmp_path / "named.nnstudio"
    assert window.files.save_as(path)
    type_name(window, qtbot, "hidden")
    dialogs.answer = QMessageBox.StandardButton.Save
    assert window.close()
    assert dialogs.questions  # the typed name is an unsaved change, so closing asks
    assert load_project(path)[0].layers[1].name == "hidden"


@pytest.fixture(scope="module")
def mobilenet_v3_small(tmp_path_factory):
    """MobileNetV3Small (weights=None, random weights) as Keras writes it, with Keras's summary."""
    from tests.keras_io.applications import KerasApplications

    corpus = KerasApplications(tmp_path_factory.mktemp("application"))
    try:
        yield corpus.written("MobileNetV3Small", random_weights=True)
    finally:
        corpus.close()


@pytest.mark.engine
def test_open_a_keras_application(keras_window, qtbot, mobilenet_v3_small):
    """A keras.applications model written by Keras (182 rows, `x + 3.0` operation nodes, squeeze and
    excitation) opens as a drawn graph with Keras's summary rows and totals, and Keras confirms it
    with the file's weights."""
    written = mobilenet_v3_small
    window, service = keras_window
    with qtbot.waitSignal(window.kerasSettled, timeout=KERAS_TIMEOUT_MS):
        window.start_service()
    with qtbot.waitSignal(service.keras_loaded, timeout=KERAS_TIMEOUT_MS):
        assert window.files.open_path(Path(written["path"]))
    doc = window.document
    assert doc.spec.is_functional and len(doc.spec.layers) == len(written["rows"]) == 182
    table = window.summary_table
    assert "Connected to" in table.model.headers
    shown = [(table.model.layer_row(r).name, table.model.layer_row(r).type_name) for r in range(table.model.rowCount())]
    assert shown == [tuple(row) for row in written["rows"]]
    assert table.totals_text().startswith(f"Total params: {written['params']:,}")
    assert window.graph_view.isVisible()
    drawn = window.graph_view.graph_scene.itemsBoundingRect()
    assert drawn.width() > 1000 and drawn.height() > 0  # a graph of 182 layers, not an empty scene
    assert set(window.graph_view.nodes) <= set(doc.spec.ids()) and window.graph_view.nodes

    from nnstudio.core.weights_check import read_keras_weights

    in_file = read_keras_weights(written["path"], doc.spec)
    assert sum(len(arrays) for arrays in in_file.values()) > 200

    def file_weights_confirmed() -> bool:  # Keras built the file's model with the file's weights
        result = window.model_state.last_result
        return (
            result is not None
            and result.spec == doc.spec
            and result.weights["conv"][0].tobytes() == in_file["conv"][0].tobytes()
        )

    qtbot.waitUntil(file_weights_confirmed, timeout=KERAS_TIMEOUT_MS)
    assert table.state == CONFIRMED
    built = window.model_state.last_result.weights
    for name, arrays in in_file.items():
        for mine, theirs in zip(built.get(name, []), arrays, strict=True):
            assert mine.tobytes() == theirs.tobytes(), name
