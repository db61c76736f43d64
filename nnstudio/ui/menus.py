"""The window's menus and actions: File, Edit, View, Keras and Help, and the keys that reach them.

`build_menus` creates each action as an attribute of the window (`window.save_action`, …), wired
to the window's methods and its FileActions, and lists the keyed ones in `window.keyed_actions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

if TYPE_CHECKING:
    from nnstudio.ui.file_actions import FileActions
    from nnstudio.ui.main_window import MainWindow

Shortcut = QKeySequence.StandardKey | str | Sequence[QKeySequence.StandardKey | str] | None


def make_action(
    parent: QWidget, text: str, slot: Callable[..., Any], shortcut: Shortcut = None, tip: str = ""
) -> QAction:
    """An action of `parent` that calls `slot`, with its key(s) and status-bar tip."""
    action = QAction(text, parent)
    if shortcut is not None:
        if isinstance(shortcut, (list, tuple)):
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def canvas_fit_method(canvas: Any) -> Callable[[], Any] | None:
    """The canvas's "show the whole network" method, whatever its name; None without one."""
    if canvas is None:
        return None
    for name in ("fit_view", "fit", "fit_to_view", "fit_canvas", "zoom_to_fit"):
        method = getattr(canvas, name, None)
        if callable(method):
            return method
    return None


def fill_recent_menu(menu: QMenu, files: FileActions) -> None:
    """File ▸ Open Recent: one entry per recent file, then Clear Recent Files (disabled when empty)."""
    menu.clear()
    recent = files.recent_files()
    for i, path in enumerate(recent):
        action = menu.addAction(f"&{i + 1} {Path(path).name}")
        action.setToolTip(path)
        action.setStatusTip(path)
        action.triggered.connect(lambda _checked=False, p=path: files.open(p))
    if recent:
        menu.addSeparator()
        menu.addAction("Clear Recent Files", files.clear_recent)
    menu.setEnabled(bool(recent))


def build_menus(window: MainWindow) -> None:
    """The menu bar of `window`, its actions as attributes of it, and the window-wide keys."""
    menu = window.menuBar()
    files = window.files
    key = QKeySequence.StandardKey

    def action(text: str, slot: Callable[..., Any], shortcut: Shortcut = None, tip: str = "") -> QAction:
        return make_action(window, text, slot, shortcut, tip)

    file_menu = menu.addMenu("&File")
    window.new_action = action("&New", lambda: files.new(), key.New, "Start a new model")
    window.open_action = action("&Open…", lambda: files.open(), key.Open, "Open a .nnstudio or .keras file")
    window.recent_menu = QMenu("Open &Recent", window)
    window.recent_menu.setObjectName("recentMenu")
    window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
    window.save_action = action("&Save", lambda: files.save(), key.Save, "Save the model")
    window.save_as_action = action(
        "Save &As…", lambda: files.save_as(), "Ctrl+Shift+S", "Save the model under a new name"
    )
    window.export_keras_action = action(
        "&Export .keras…", lambda: files.export_keras(), "Ctrl+E", "Build with Keras and write a .keras file"
    )
    window.export_code_action = action(
        "Export &Python Code…", lambda: files.export_python(), None, "Write a Keras script that rebuilds the model"
    )
    window.export_drawing_action = action(
        "Export &Drawing…",
        lambda: files.export_drawing(window.canvas),
        None,
        "Save the network drawing as PNG or SVG",
    )
    window.quit_action = action("&Quit", window.close, key.Quit, "Close nnstudio")
    window.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    for item in (window.new_action, window.open_action):
        file_menu.addAction(item)
    file_menu.addMenu(window.recent_menu)
    file_menu.addSeparator()
    file_menu.addAction(window.save_action)
    file_menu.addAction(window.save_as_action)
    file_menu.addSeparator()
    file_menu.addAction(window.export_keras_action)
    file_menu.addAction(window.export_code_action)
    file_menu.addAction(window.export_drawing_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    window._fill_recent_menu()

    edit_menu = menu.addMenu("&Edit")
    stack = window.document.undo_stack
    window.undo_action = stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcuts(QKeySequence.keyBindings(key.Undo))
    window.redo_action = stack.createRedoAction(window, "&Redo")
    redo_keys = [QKeySequence("Ctrl+Shift+Z")]
    redo_keys += [k for k in QKeySequence.keyBindings(key.Redo) if k not in redo_keys]
    window.redo_action.setShortcuts(redo_keys)
    window.delete_action = action("&Delete Layer", window.delete_selected, key.Delete, "Remove the selected layer")
    window.duplicate_action = action(
        "D&uplicate Layer", window.duplicate_selected, "Ctrl+D", "Insert a copy below the selected layer"
    )
    window.move_up_action = action("Move &Up", lambda: window.move_selected(-1), "Ctrl+Up", "Move the layer up")
    window.move_down_action = action("Move Do&wn", lambda: window.move_selected(1), "Ctrl+Down", "Move the layer down")
    for item in (window.undo_action, window.redo_action):
        edit_menu.addAction(item)
    edit_menu.addSeparator()
    for item in (window.delete_action, window.duplicate_action, window.move_up_action, window.move_down_action):
        edit_menu.addAction(item)

    view_menu = menu.addMenu("&View")
    window.view_menu = view_menu
    for name in ("paletteDock", "layerStackDock", "propertyDock", "compileDock", "summaryDock", "weightsDock"):
        view_menu.addAction(window.docks[name].toggleViewAction())
    window.dock_separator = view_menu.addSeparator()  # the Training dock's entry goes before it
    window.fit_action = action("&Fit Canvas", window.fit_canvas, "Ctrl+0", "Show the whole network")
    window.fit_action.setEnabled(canvas_fit_method(window.canvas) is not None)
    view_menu.addAction(window.fit_action)
    window.reset_layout_action = action("&Reset Layout", window.reset_layout, None, "Put the panels back")
    view_menu.addAction(window.reset_layout_action)

    keras_menu = menu.addMenu("&Keras")
    window.keras_menu = keras_menu
    window.rebuild_action = action(
        "&Build Now", window.rebuild, "Ctrl+B", "Ask Keras to build the model again (after an engine failure)"
    )
    window.restart_engine_action = action(
        "&Restart Keras Engine",
        window.restart_engine,
        None,
        "End the Keras engine process, start a fresh one and build the model again",
    )
    keras_menu.addAction(window.rebuild_action)
    keras_menu.addAction(window.restart_engine_action)

    help_menu = menu.addMenu("&Help")
    window.shortcuts_action = action(
        "&Keyboard Shortcuts", window.show_shortcuts, key.HelpContents, "The keys that act on the model"
    )
    help_menu.addAction(window.shortcuts_action)
    help_menu.addSeparator()
    window.about_action = action("&About nnstudio", window.show_about)
    window.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    help_menu.addAction(window.about_action)

    # The actions with keys, in the order Help ▸ Keyboard Shortcuts lists them; window-wide
    # shortcuts must work while the menu bar is hidden too.
    window.keyed_actions = (
        window.new_action,
        window.open_action,
        window.save_action,
        window.save_as_action,
        window.export_keras_action,
        window.undo_action,
        window.redo_action,
        window.delete_action,
        window.duplicate_action,
        window.move_up_action,
        window.move_down_action,
        window.fit_action,
        window.rebuild_action,
        window.shortcuts_action,
        window.quit_action,
    )
    for keyed in window.keyed_actions:
        window.addAction(keyed)
