"""File ▸ Open reads the file off the GUI thread: the window keeps working meanwhile, a broken file
is refused with its message, a newer open supersedes an older one, and closing mid-read is clean."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import h5py
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from nnstudio.core.project import save_project
from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.ui import file_actions
from nnstudio.ui.main_window import MainWindow
from tests.core.test_keras_archive_corpus import lesson_config, lesson_weights, weights_bytes, write_keras
from tests.ui.fakes import FakeBuilds, FakeTraining

WAIT_MS = 10_000


class Dialogs:
    """QMessageBox and QFileDialog as a person answers them: `answer` to questions, `chosen` to Open."""

    def __init__(self) -> None:
        self.answer = QMessageBox.StandardButton.Discard
        self.chosen = ""
        self.questions: list[str] = []
        self.warnings: list[str] = []

    def question(self, parent, title, text, *args, **kwargs):
        self.questions.append(text)
        return self.answer

    def warning(self, parent, title, text, *args, **kwargs):
        self.warnings.append(text)
        return QMessageBox.StandardButton.Ok

    def open_file(self, *args, **kwargs):
        return self.chosen, ""


class GatedReader:
    """The real reader, held back for the files named in `gated` until `release` is set."""

    def __init__(self, *gated: str) -> None:
        self.gated = set(gated)
        self.started = threading.Event()
        self.release = threading.Event()
        self.threads: list[str] = []
        self.real = file_actions.read_model_file

    def __call__(self, path: Path):
        self.threads.append(threading.current_thread().name)
        if path.name in self.gated:
            self.started.set()
            assert self.release.wait(WAIT_MS / 1000), "the test never released the read"
        return self.real(path)


@pytest.fixture
def dialogs(monkeypatch):
    d = Dialogs()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(d.question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(d.warning))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(d.open_file))
    return d


@pytest.fixture
def window(qtbot, tmp_path, dialogs):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(Document(), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.document.undo_stack.setClean()
    w.files.close()
    w.files.reader.wait(WAIT_MS / 1000)


@pytest.fixture
def gate(monkeypatch):
    def make(*gated: str) -> GatedReader:
        reader = GatedReader(*gated)
        monkeypatch.setattr(file_actions, "read_model_file", reader)
        return reader

    return make


def model_file(folder: Path, name: str, units: int) -> Path:
    path = folder / name
    spec = lesson_spec()
    save_project(path, spec.with_layer(1, spec.layers[1].with_params(units=units)))
    return path


def choose_and_open(window: MainWindow, dialogs: Dialogs, path: Path) -> None:
    """File ▸ Open, `path` chosen in the dialog."""
    dialogs.chosen = str(path)
    window.app_actions["file.open"].trigger()


def test_the_window_keeps_working_while_a_file_is_read(window, dialogs, gate, qtbot, tmp_path):
    path = model_file(tmp_path, "slow.nnstudio", 33)
    reader = gate(path.name)
    doc = window.document
    before = doc.spec
    choose_and_open(window, dialogs, path)
    qtbot.waitUntil(reader.started.is_set, timeout=WAIT_MS)
    assert reader.threads == ["file-reader"]  # not the GUI thread
    assert window.statusBar().currentMessage() == "Opening slow.nnstudio…"
    assert window.files.opening() == path
    assert doc.spec is before and doc.path is None

    # Meanwhile the GUI thread handles input: keys move the selection in the layer list.
    doc.select_layer(1)
    window.layer_stack.setFocus()
    qtbot.keyClick(window.layer_stack, Qt.Key.Key_Down)
    assert doc.selected_index == 2
    assert doc.spec is before  # and the document is still the one being edited

    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS) as opened:
        reader.release.set()
    assert opened.args == [str(path), ""]
    assert doc.path == path and doc.spec.layers[1].params["units"] == 33
    assert window.statusBar().currentMessage() == "Opened slow.nnstudio"
    assert window.files.opening() is None and dialogs.questions == []


def test_changes_made_while_reading_are_asked_about(window, dialogs, gate, qtbot, tmp_path):
    path = model_file(tmp_path, "slow.nnstudio", 33)
    reader = gate(path.name)
    doc = window.document
    choose_and_open(window, dialogs, path)
    qtbot.waitUntil(reader.started.is_set, timeout=WAIT_MS)
    assert doc.set_param(1, "units", 7) is None  # an edit while the file is read
    dialogs.answer = QMessageBox.StandardButton.Cancel
    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS) as opened:
        reader.release.set()
    assert opened.args[0] == str(path) and opened.args[1].startswith("cancelled")
    assert len(dialogs.questions) == 1 and "before opening slow.nnstudio" in dialogs.questions[0]
    assert doc.spec.layers[1].params["units"] == 7 and doc.path is None and doc.is_modified()


def test_a_broken_file_read_in_the_background_is_refused_and_the_document_kept(window, dialogs, qtbot, tmp_path):
    doc = window.document
    doc.set_param(1, "units", 5)
    spec = doc.spec
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04 this is no zip archive")
    dialogs.answer = QMessageBox.StandardButton.Discard  # unsaved changes: go on with the open
    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS) as opened:
        choose_and_open(window, dialogs, bad)
    assert opened.args[0] == str(bad) and opened.args[1]
    assert len(dialogs.warnings) == 1
    assert dialogs.warnings[0].startswith("broken.keras was not opened: ")
    assert "\n" not in dialogs.warnings[0] and "Traceback" not in dialogs.warnings[0]
    assert doc.spec == spec and doc.path is None and doc.is_modified()
    assert window.statusBar().currentMessage() == "broken.keras was not opened"


def hostile_keras(folder: Path, kind: str) -> tuple[Path, str]:
    """A `.keras` file the reader must refuse, and a fragment of the reason it gives."""
    path = folder / f"{kind}.keras"
    if kind == "lambda":
        config = copy.deepcopy(lesson_config())
        config["config"]["layers"][1]["class_name"] = "Lambda"
        return write_keras(path, config, weights_bytes(lesson_weights())), "Lambda layers carry Python code"
    weights = folder / "w.h5"
    weights.write_bytes(weights_bytes(lesson_weights()))
    with h5py.File(weights, "a") as h5:
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/")
    return write_keras(path, lesson_config(), weights.read_bytes()), "external link"


@pytest.mark.parametrize("kind", ["lambda", "external_link"])
def test_a_hostile_file_read_in_the_background_is_refused(window, dialogs, qtbot, tmp_path, kind):
    path, fragment = hostile_keras(tmp_path, kind)
    spec = window.document.spec
    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS) as opened:
        choose_and_open(window, dialogs, path)
    assert fragment in opened.args[1]
    assert len(dialogs.warnings) == 1 and dialogs.warnings[0].startswith(f"{path.name} was not opened: ")
    assert fragment in dialogs.warnings[0] and "\n" not in dialogs.warnings[0]
    assert window.document.spec is spec and window.document.path is None
    assert window.builds.loads == []  # Keras was never asked to read it


def test_a_second_open_supersedes_the_first(window, dialogs, gate, qtbot, tmp_path):
    first, second = model_file(tmp_path, "first.nnstudio", 11), model_file(tmp_path, "second.nnstudio", 22)
    reader = gate(first.name)
    finished: list[list] = []
    window.files.openFinished.connect(lambda *args: finished.append(list(args)))
    choose_and_open(window, dialogs, first)
    qtbot.waitUntil(reader.started.is_set, timeout=WAIT_MS)
    choose_and_open(window, dialogs, second)  # while the first is still being read
    assert window.files.opening() == second
    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS):
        reader.release.set()
    assert finished == [[str(second), ""]]  # the first read's result was dropped
    doc = window.document
    assert doc.path == second and doc.spec.layers[1].params["units"] == 22
    assert window.files.recent_files()[0] == str(second.resolve())


def test_new_drops_an_open_that_is_reading(window, dialogs, gate, qtbot, tmp_path):
    path = model_file(tmp_path, "slow.nnstudio", 33)
    reader = gate(path.name)
    finished: list[list] = []
    window.files.openFinished.connect(lambda *args: finished.append(list(args)))
    choose_and_open(window, dialogs, path)
    qtbot.waitUntil(reader.started.is_set, timeout=WAIT_MS)
    assert window.files.new()
    reader.release.set()
    assert window.files.reader.wait(WAIT_MS / 1000)
    QApplication.processEvents()  # the read's result arrives, and is dropped
    assert finished == [] and window.document.path is None and window.document.spec == lesson_spec()


def test_closing_the_window_while_a_file_is_read_is_clean(window, dialogs, gate, qtbot, tmp_path):
    path = model_file(tmp_path, "slow.nnstudio", 33)
    reader = gate(path.name)
    finished: list[list] = []
    window.files.openFinished.connect(lambda *args: finished.append(list(args)))
    choose_and_open(window, dialogs, path)
    qtbot.waitUntil(reader.started.is_set, timeout=WAIT_MS)
    assert window.close()  # at once: the read is not waited for
    assert window.files.opening() is None
    reader.release.set()
    assert window.files.reader.wait(WAIT_MS / 1000)  # the thread ends by itself (the fixture checks no leak)
    QApplication.processEvents()
    assert finished == [] and dialogs.warnings == [] and window.document.path is None
