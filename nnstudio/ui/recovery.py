"""Crash recovery: offer a crashed session's autosave (Restore / Discard) and put it back in the window."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox, QWidget

from nnstudio.core.project import ProjectError, load_project
from nnstudio.core.spec import ModelSpec

if TYPE_CHECKING:
    from nnstudio.ui.main_window import MainWindow


def ask_restore(parent: QWidget | None, text: str) -> bool:
    """Restore / Discard for a crashed session's autosave; True for Restore (tests replace this)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Restore unsaved changes?", text, QMessageBox.StandardButton.NoButton, parent
    )
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(restore)
    box.exec()
    return box.clickedButton() is restore


def offer_recovery(window: MainWindow, ask: Callable[[QWidget | None, str], bool] = ask_restore) -> bool:
    """Ask (with `ask`) Restore / Discard for autosaves of crashed sessions; True when one was restored."""
    if window.autosave is None:
        return False
    from nnstudio.services.autosave import describe

    for recovered in window.autosave.orphans():
        restore = ask(window, f"nnstudio did not close properly last time. Restore the {describe(recovered)}?")
        window.autosave.forget(recovered)
        if restore:
            window.restore(recovered)
            window.autosave.save_now()  # in this session's autosave before the old one goes
            recovered.discard()
            return True
        recovered.discard()
    return False


def restore(window: MainWindow, recovered: Any) -> None:
    """Show an autosaved model: its file's saved state, then the unsaved changes as one undoable step."""
    original = recovered.original_path
    base: ModelSpec | None = None
    if original is not None and original.suffix == ".nnstudio" and original.exists():
        try:
            base, editor = load_project(original)
        except ProjectError:
            base = None
    window.reset_keras_state()
    if base is None:
        window.document.load(ModelSpec(name=recovered.spec.name), original, recovered.editor)
    else:
        window.document.load(base, original, editor)
    window.document.replace_spec(recovered.spec, "Restore autosaved changes")
    window.statusBar().showMessage("Restored the autosaved changes", 8000)
