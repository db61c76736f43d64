"""Every menu entry and window-wide shortcut, declared once as data: the action table.

An `Action` says what an entry is (id, title, menu, group, keys, tooltip) and what it does
(`callback`) and when it can (`enablement`), as functions of the `Commands` it acts on (the window
implements them). `create_actions` makes the QActions, `build_menus` the menu bar, in table order;
`update_actions` re-evaluates titles and enablement after an edit. Modelled on napari's app-model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from nnstudio.services.document import Document
from nnstudio.ui.file_actions import FileActions

Key = QKeySequence.StandardKey
Shortcut = Key | str | Sequence[Key | str] | None
MENUS = ("&File", "&Edit", "&View", "&Keras", "&Help")


class Commands(Protocol):
    """What the actions act on (the window)."""

    @property
    def document(self) -> Document: ...
    @property
    def files(self) -> FileActions: ...
    def close(self) -> bool: ...
    def fit_canvas(self) -> None: ...
    def can_fit_canvas(self) -> bool: ...
    def export_drawing(self) -> None: ...
    def reset_layout(self) -> None: ...
    def rebuild(self) -> None: ...
    def restart_engine(self) -> None: ...
    def change_param_budget(self) -> None: ...
    def show_shortcuts(self) -> None: ...
    def show_about(self) -> None: ...
    def apply_typed_edits(self) -> None: ...
    def report(self, reason: str | None) -> None: ...
    def branch_selected(self) -> object: ...
    def connect_selected(self) -> object: ...
    def toggle_output_selected(self) -> object: ...
    def connection_pending(self) -> bool: ...
    def delete_selected(self) -> object: ...
    def can_delete(self) -> bool: ...
    def connection_selected(self) -> bool: ...
    def find_layer(self) -> None: ...
    def toggle_block(self) -> object: ...
    def set_all_blocks_collapsed(self, collapsed: bool) -> None: ...
    def has_blocks(self) -> bool: ...


@dataclass(frozen=True)
class Action:
    """One entry of the action table."""

    id: str
    title: str
    menu: str
    group: int  # entries of one menu are separated where the group changes
    callback: Callable[[Commands], object]
    shortcut: Shortcut = None
    tooltip: str = ""
    enablement: Callable[[Commands], bool] | None = None
    dynamic_title: Callable[[Commands], str] | None = None  # a title that follows the state (Undo …)
    role: QAction.MenuRole = QAction.MenuRole.TextHeuristicRole
    # a name typed but not yet confirmed is applied first (Save, Export… act on what is typed);
    # Undo and Redo act on the applied edits only
    applies_typing: bool = True


def _undo_title(c: Commands) -> str:
    return f"&Undo {c.document.undo_stack.undoText()}".rstrip()


def _redo_title(c: Commands) -> str:
    return f"&Redo {c.document.undo_stack.redoText()}".rstrip()


def _has_selection(c: Commands) -> bool:
    return 0 <= int(c.document.selected_index) < len(c.document.spec.layers)


ACTIONS: tuple[Action, ...] = (
    Action("file.new", "&New", "&File", 0, lambda c: c.files.new(), Key.New, "Start a new model"),
    Action("file.open", "&Open…", "&File", 0, lambda c: c.files.open(), Key.Open, "Open a .nnstudio or .keras file"),
    Action("file.save", "&Save", "&File", 1, lambda c: c.files.save(), Key.Save, "Save the model"),
    Action(
        "file.save_as",
        "Save &As…",
        "&File",
        1,
        lambda c: c.files.save_as(),
        "Ctrl+Shift+S",
        "Save the model under a new name",
    ),
    Action(
        "file.export_keras",
        "&Export .keras…",
        "&File",
        2,
        lambda c: c.files.export_keras(),
        "Ctrl+E",
        "Build with Keras and write a .keras file",
    ),
    Action(
        "file.export_code",
        "Export &Python Code…",
        "&File",
        2,
        lambda c: c.files.export_python(),
        None,
        "Write a Keras script that rebuilds the model",
    ),
    Action(
        "file.export_drawing",
        "Export &Drawing…",
        "&File",
        2,
        lambda c: c.export_drawing(),
        None,
        "Save the network drawing as PNG or SVG",
        enablement=lambda c: c.can_fit_canvas(),
    ),
    Action(
        "file.quit",
        "&Quit",
        "&File",
        3,
        lambda c: c.close(),
        Key.Quit,
        "Close nnstudio",
        role=QAction.MenuRole.QuitRole,
    ),
    Action(
        "edit.undo",
        "&Undo",
        "&Edit",
        0,
        lambda c: c.report(c.document.undo()),
        Key.Undo,
        "Undo the last edit",
        enablement=lambda c: c.document.undo_stack.canUndo(),
        dynamic_title=_undo_title,
        applies_typing=False,
    ),
    Action(
        "edit.redo",
        "&Redo",
        "&Edit",
        0,
        lambda c: c.report(c.document.redo()),
        ["Ctrl+Shift+Z", Key.Redo],
        "Redo the edit undone last",
        enablement=lambda c: c.document.undo_stack.canRedo(),
        dynamic_title=_redo_title,
        applies_typing=False,
    ),
    Action(
        "edit.delete",
        "&Delete Layer",
        "&Edit",
        1,
        lambda c: c.delete_selected(),
        Key.Delete,
        "Remove the selected layer (or, in the graph, the selected connection)",
        enablement=lambda c: c.can_delete(),
        dynamic_title=lambda c: "&Delete Connection" if c.connection_selected() else "&Delete Layer",
    ),
    Action(
        "edit.duplicate",
        "D&uplicate Layer",
        "&Edit",
        1,
        lambda c: c.report(c.document.duplicate_selected()),
        "Ctrl+D",
        "Insert a copy below the selected layer",
        enablement=lambda c: c.document.can_duplicate_selected(),
    ),
    Action(
        "edit.move_up",
        "Move &Up",
        "&Edit",
        1,
        lambda c: c.report(c.document.move_selected(-1)),
        "Ctrl+Up",
        "Move the layer up",
        enablement=lambda c: c.document.can_move_selected(-1),
    ),
    Action(
        "edit.move_down",
        "Move Do&wn",
        "&Edit",
        1,
        lambda c: c.report(c.document.move_selected(1)),
        "Ctrl+Down",
        "Move the layer down",
        enablement=lambda c: c.document.can_move_selected(1),
    ),
    Action(
        "edit.branch",
        "Add &Branch",
        "&Edit",
        2,
        lambda c: c.branch_selected(),
        "Ctrl+Shift+B",
        "Start a branch from the selected layer with the type chosen in Layers (Dense if none)",
        enablement=_has_selection,
    ),
    Action(
        "edit.connect",
        "&Connect From Layer",
        "&Edit",
        2,
        lambda c: c.connect_selected(),
        "Ctrl+Shift+C",
        "Connect the selected layer's output to the layer you select next (press again to connect)",
        enablement=lambda c: _has_selection(c) or c.connection_pending(),
        dynamic_title=lambda c: "&Connect to Selected Layer" if c.connection_pending() else "&Connect From Layer",
    ),
    Action(
        "edit.toggle_output",
        "Toggle Model &Output",
        "&Edit",
        2,
        lambda c: c.toggle_output_selected(),
        "Ctrl+Shift+O",
        "Make the selected layer's output one of the model's outputs, or stop it being one",
        enablement=_has_selection,
    ),
    Action(
        "edit.find",
        "&Find Layer…",
        "&Edit",
        3,
        lambda c: c.find_layer(),
        Key.Find,
        "Find a layer by name and jump to it: type part of its name, Enter selects it and shows it in the "
        "graph (opening its group of blocks), Esc closes",
        enablement=lambda c: bool(c.document.spec.layers),
    ),
    Action(
        "view.toggle_block",
        "Expand/Collapse &Block",
        "&View",
        0,
        lambda c: c.toggle_block(),
        "Ctrl+Return",
        "Expand the collapsed group of repeated blocks that holds the selected layer, or collapse it again "
        "(in the graph: Enter, or double-click the group)",
        enablement=lambda c: c.has_blocks(),
    ),
    Action(
        "view.expand_blocks",
        "E&xpand All Blocks",
        "&View",
        0,
        lambda c: c.set_all_blocks_collapsed(False),
        None,
        "Show every layer of the graph's groups of repeated blocks",
        enablement=lambda c: c.has_blocks(),
    ),
    Action(
        "view.collapse_blocks",
        "C&ollapse All Blocks",
        "&View",
        0,
        lambda c: c.set_all_blocks_collapsed(True),
        None,
        "Draw each group of repeated blocks (a ResNet stage, a dense block) as one box",
        enablement=lambda c: c.has_blocks(),
    ),
    Action(
        "view.fit",
        "&Fit Canvas",
        "&View",
        1,
        lambda c: c.fit_canvas(),
        "Ctrl+0",
        "Show the whole network",
        enablement=lambda c: c.can_fit_canvas(),
    ),
    Action("view.reset_layout", "&Reset Layout", "&View", 1, lambda c: c.reset_layout(), None, "Put the panels back"),
    Action(
        "keras.build",
        "&Build Now",
        "&Keras",
        0,
        lambda c: c.rebuild(),
        "Ctrl+B",
        "Ask Keras to build the model again (after an engine failure)",
    ),
    Action(
        "keras.restart",
        "&Restart Keras Engine",
        "&Keras",
        0,
        lambda c: c.restart_engine(),
        None,
        "End the Keras engine process, start a fresh one and build the model again",
    ),
    Action(
        "keras.param_budget",
        "Parameter &Budget…",
        "&Keras",
        1,
        lambda c: c.change_param_budget(),
        None,
        "The most parameters a model may have before nnstudio refuses it (100,000,000 unless raised)",
    ),
    Action(
        "help.shortcuts",
        "&Keyboard Shortcuts",
        "&Help",
        0,
        lambda c: c.show_shortcuts(),
        Key.HelpContents,
        "The keys that act on the model",
    ),
    Action("help.about", "&About nnstudio", "&Help", 1, lambda c: c.show_about(), role=QAction.MenuRole.AboutRole),
)


def _key_sequences(shortcut: Shortcut) -> list[QKeySequence]:
    if shortcut is None:
        return []
    keys: list[Key | str] = list(shortcut) if isinstance(shortcut, (list, tuple)) else [shortcut]  # type: ignore[list-item]
    sequences: list[QKeySequence] = []
    for key in keys:
        for sequence in QKeySequence.keyBindings(key) if isinstance(key, Key) else [QKeySequence(key)]:
            if sequence not in sequences:
                sequences.append(sequence)
    return sequences


def _trigger(entry: Action, commands: Commands) -> None:
    if entry.applies_typing:
        commands.apply_typed_edits()
    entry.callback(commands)


def create_actions(parent: QWidget, commands: Commands, table: Iterable[Action] = ACTIONS) -> dict[str, QAction]:
    """One QAction of `parent` per table entry, by id; keyed ones work window-wide (menu bar hidden too)."""
    actions: dict[str, QAction] = {}
    for entry in table:
        action = QAction(entry.title, parent)
        action.setObjectName(entry.id)
        action.setShortcuts(_key_sequences(entry.shortcut))
        if entry.tooltip:
            action.setStatusTip(entry.tooltip)
            action.setToolTip(entry.tooltip)
        action.setMenuRole(entry.role)
        action.triggered.connect(lambda _checked=False, e=entry: _trigger(e, commands))
        if entry.shortcut is not None:
            parent.addAction(action)
        actions[entry.id] = action
    update_actions(actions, commands, table)
    return actions


def update_actions(actions: dict[str, QAction], commands: Commands, table: Iterable[Action] = ACTIONS) -> None:
    """Titles and enablement as the state is now."""
    for entry in table:
        action = actions[entry.id]
        if entry.enablement is not None:
            action.setEnabled(entry.enablement(commands))
        if entry.dynamic_title is not None:
            title = entry.dynamic_title(commands)
            if action.text() != title:  # setText tells every menu showing it, even of the same text
                action.setText(title)


def build_menus(bar: QMenuBar, actions: dict[str, QAction], table: Iterable[Action] = ACTIONS) -> dict[str, QMenu]:
    """The menu bar: one menu per MENUS entry, its actions in table order, groups apart."""
    menus = {title: bar.addMenu(title) for title in MENUS}
    last_group: dict[str, int] = {}
    for entry in table:
        menu = menus[entry.menu]
        if entry.menu in last_group and last_group[entry.menu] != entry.group:
            menu.addSeparator()
        last_group[entry.menu] = entry.group
        menu.addAction(actions[entry.id])
    return menus


def keyed_actions(actions: dict[str, QAction], table: Iterable[Action] = ACTIONS) -> list[QAction]:
    """The actions with keys, in table order (what Help ▸ Keyboard Shortcuts lists)."""
    return [actions[entry.id] for entry in table if entry.shortcut is not None]


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
