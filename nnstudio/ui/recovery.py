"""Crash recovery: offer a crashed session's autosave (Restore / Discard) and put it back in the window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from nnstudio.core.project import ProjectError, load_project
from nnstudio.core.spec import ModelSpec
from nnstudio.services.autosave import Autosave, Recovered, describe
from nnstudio.services.document import Document


def ask_restore(parent: QWidget | None, text: str) -> bool:
    """Restore / Discard for a crashed session's autosave; True for Restore (tests replace this)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Restore unsaved changes?", text, QMessageBox.StandardButton.NoButton, parent
    )
    restore_button = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(restore_button)
    box.exec()
    return box.clickedButton() is restore_button


def offer_recovery(
    parent: QWidget,
    autosave: Autosave,
    document: Document,
    ask: Callable[[QWidget | None, str], bool] = ask_restore,
) -> bool:
    """Ask (with `ask`) Restore / Discard for autosaves of crashed sessions; True when one was restored."""
    for recovered in autosave.orphans():
        restore_it = ask(parent, f"nnstudio did not close properly last time. Restore the {describe(recovered)}?")
        autosave.forget(recovered)
        if restore_it:
            restore(document, recovered)
            autosave.save_now()  # in this session's autosave before the old one goes
            recovered.discard()
            return True
        recovered.discard()
    return False


def restore(document: Document, recovered: Recovered) -> None:
    """Show an autosaved model: its file's saved state, then the unsaved changes as one undoable step."""
    original = recovered.original_path
    base: ModelSpec | None = None
    editor: dict = {}
    if original is not None and original.suffix == ".nnstudio" and original.exists():
        try:
            base, editor = load_project(original)
        except ProjectError:
            base = None
    if base is None:
        document.load(ModelSpec(name=recovered.spec.name), original, recovered.editor)
    else:
        document.load(base, original, editor)
    document.replace_spec(recovered.spec, "Restore autosaved changes")
