"""Autosave and crash recovery: edits survive a killed process; clean exits and live instances leave nothing to restore."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from nnstudio.core.project import load_project, save_project
from nnstudio.core.spec import lesson_spec
from nnstudio.services.autosave import Autosave, find_orphans
from nnstudio.services.document import Document
from nnstudio.ui.main_window import MainWindow
from tests.ui.fakes import FakeBuilds, FakeTraining

ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")

CRASHING_SESSION = textwrap.dedent(
    """
    import sys
    from nnstudio.app import make_application
    from nnstudio.services.autosave import Autosave
    from nnstudio.services.document import Document

    app = make_application()
    document = Document(None, sys.argv[2] or None)
    autosave = Autosave(document, folder=sys.argv[1])
    document.set_param(1, "units", 33)
    document.rename_layer(2, "logits")
    assert autosave.save_now()
    print("autosaved", flush=True)
    sys.stdin.readline()  # wait to be killed
    """
)


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def answers(monkeypatch):
    """The Restore / Discard question answers `state["restore"]`; the questions are recorded."""
    import nnstudio.ui.recovery as recovery

    state = {"restore": True, "asked": []}

    def ask_restore(parent, text):
        state["asked"].append(text)
        return state["restore"]

    monkeypatch.setattr(recovery, "ask_restore", ask_restore)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    return state


def start_crashing_session(folder: Path, original: Path | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SESSION, str(folder), str(original or "")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    line = proc.stdout.readline()
    assert line.strip() == "autosaved", proc.stderr.read() if proc.poll() is not None else line
    return proc


def kill(proc: subprocess.Popen) -> None:
    proc.kill()  # SIGKILL: no clean exit, no cleanup
    proc.wait(timeout=30)
    proc.stdin.close()
    proc.stdout.close()
    proc.stderr.close()


@pytest.mark.cli
def test_a_killed_session_is_restored(qtbot, folder, settings, answers, tmp_path):
    original = tmp_path / "mine.nnstudio"
    save_project(original, lesson_spec())
    proc = start_crashing_session(folder, original)
    try:
        # While it runs, it is a second instance, not a crash: nothing to restore.
        live = Autosave(Document(), folder=folder)
        assert live.orphans() == []
        live.close()
    finally:
        kill(proc)

    document = Document()
    autosave = Autosave(document, folder=folder)
    window = MainWindow(document, FakeBuilds(), FakeTraining(), settings=settings, autosave=autosave)
    qtbot.addWidget(window)
    window.show()
    assert len(autosave.orphans()) == 1
    assert window.offer_recovery()
    assert len(answers["asked"]) == 1 and "mine.nnstudio" in answers["asked"][0]
    spec = document.spec
    assert spec.layers[1].params["units"] == 33
    assert spec.layers[2].name == "logits"
    assert document.path == original
    assert document.is_modified() and window.isWindowModified()
    # the restored changes are already in this session's own autosave: a second crash loses nothing
    assert sorted(p.name for p in folder.iterdir()) == sorted([autosave.lock_path.name, autosave.file.name])
    assert load_project(autosave.file)[0] == spec
    document.undo_stack.undo()  # the restore is one undoable step on top of the file's saved state
    assert document.spec == load_project(original)[0]
    document.undo_stack.redo()
    assert find_orphans(folder) == []
    document.undo_stack.setClean()
    window.close()
    assert list(folder.iterdir()) == []


@pytest.mark.cli
def test_restore_of_an_untitled_model(qtbot, folder, settings, answers):
    kill(start_crashing_session(folder))
    document = Document()
    window = MainWindow(document, FakeBuilds(), FakeTraining(), settings=settings, autosave=Autosave(document, folder=folder))
    qtbot.addWidget(window)
    assert window.offer_recovery()
    assert document.path is None
    assert document.spec.layers[1].params["units"] == 33
    assert document.is_modified()
    document.undo_stack.setClean()


@pytest.mark.cli
def test_discard_removes_the_autosave(qtbot, folder, settings, answers):
    kill(start_crashing_session(folder))
    answers["restore"] = False
    document = Document()
    window = MainWindow(document, FakeBuilds(), FakeTraining(), settings=settings, autosave=Autosave(document, folder=folder))
    qtbot.addWidget(window)
    assert not window.offer_recovery()
    assert document.spec == lesson_spec()
    assert find_orphans(folder) == []


def test_autosave_after_the_interval_of_unsaved_change(qtbot, folder):
    document = Document()
    autosave = Autosave(document, folder=folder, interval_ms=50)
    assert not autosave.is_pending()
    with qtbot.waitSignal(autosave.saved, timeout=5000) as blocker:
        document.set_param(1, "units", 12)
        assert autosave.is_pending()
    path = Path(blocker.args[0])
    assert path == autosave.file
    saved, editor = load_project(path)
    assert saved.layers[1].params["units"] == 12
    assert editor["autosave"] == {"path": None}
    document.mark_saved(folder / "elsewhere.nnstudio")  # saved: nothing left to recover
    assert not path.exists()
    assert not autosave.is_pending()
    autosave.close()


def test_undo_back_to_the_saved_state_removes_the_autosave(qtbot, folder):
    document = Document()
    autosave = Autosave(document, folder=folder, interval_ms=60_000)
    document.set_param(1, "units", 12)
    assert autosave.save_now() and autosave.file.exists()
    document.undo_stack.undo()
    assert not document.is_modified()
    assert not autosave.file.exists()
    autosave.close()


def test_a_clean_exit_leaves_nothing(folder):
    document = Document()
    autosave = Autosave(document, folder=folder)
    document.set_param(1, "units", 3)
    assert autosave.save_now()
    assert autosave.file.exists() and autosave.lock_path.exists()
    autosave.close()
    assert list(folder.iterdir()) == []
    assert Autosave(Document(), folder=folder).orphans() == []


def test_an_unreadable_autosave_is_kept_aside_not_deleted(folder):
    (folder / "autosave-1-deadbeef.nnstudio").write_bytes(b"\x00garbage")
    assert find_orphans(folder) == []
    assert not (folder / "autosave-1-deadbeef.nnstudio").exists()
    assert (folder / "autosave-1-deadbeef.nnstudio.unreadable").read_bytes() == b"\x00garbage"
    assert find_orphans(folder) == []  # not offered again


def test_the_data_folder_can_be_overridden(monkeypatch, folder):
    from nnstudio.services.autosave import data_folder

    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(folder))
    assert data_folder() == folder
    autosave = Autosave(Document())
    assert autosave.folder == folder
    autosave.close()


@pytest.mark.cli
@pytest.mark.engine
def test_the_app_holds_a_lock_and_a_terminated_app_leaves_nothing(qtbot, tmp_path, folder):
    """`nnstudio` takes its lock at start; SIGTERM ends it cleanly (no unsaved changes: nothing left)."""
    import signal

    env = dict(ENV, NNSTUDIO_DATA_DIR=str(folder), XDG_CONFIG_HOME=str(tmp_path / "config"), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnstudio"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        qtbot.waitUntil(lambda: any(p.suffix == ".lock" for p in folder.iterdir()), timeout=60_000)
        assert find_orphans(folder) == []  # a running instance is not a crash
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert list(folder.iterdir()) == []


def test_an_interrupted_session_keeps_its_unsaved_changes(folder):
    document = Document()
    autosave = Autosave(document, folder=folder)
    document.set_param(1, "units", 77)
    autosave.close(keep=True)
    orphans = find_orphans(folder)
    assert len(orphans) == 1 and orphans[0].spec.layers[1].params["units"] == 77
    orphans[0].discard()
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("choice, restored", [("Restore", True), ("Discard", False)])
def test_the_restore_question_itself(qtbot, choice, restored):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from nnstudio.ui.recovery import ask_restore

    def answer():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        assert sorted(b.text() for b in box.buttons()) == ["Discard", "Restore"]
        next(b for b in box.buttons() if b.text() == choice).click()

    QTimer.singleShot(0, answer)
    assert ask_restore(None, "Restore the unsaved changes?") is restored
