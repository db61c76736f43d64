"""The document: the model being edited, its undo stack, its file and its selection.

Widgets never change the spec themselves: they call the editing methods here, each of which pushes
one QUndoCommand (nnstudio.services.commands) whose text the Edit menu shows ("Add Dense",
"Set units of dense to 64"). The document applies the command and emits `changed(spec)`; views
then read `document.spec` (an immutable ModelSpec) and `document.summary()` (the core's analytic
summary of it, computed once per spec).

Placement rules (one Input, and it comes first) are checked before a command is pushed:
`can_insert` / `can_move` / `can_duplicate` return the reason a placement is refused, in words a
person can act on, or None. A refused edit pushes nothing, returns that reason and emits
`editRefused(reason)`.

Edit guard: `set_edit_guard(guard)` installs `guard(old_spec, new_spec) -> bool`, consulted before
any command that changes the layers is pushed, and before `undo()` / `redo()` step to a spec with
other layers (compile edits do not count); when it returns False nothing changes. The model state
uses it to ask before an edit throws trained weights away. `load()` (another model) is not
guarded: it emits `replaced` first, then `changed`.

No widget and no Keras import here (see the import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.spec import CompileSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import Summary, analyze
from nnstudio.core.validation import NAME_PATTERN
from nnstudio.services.commands import (
    DuplicateLayerCommand,
    InsertLayerCommand,
    MoveLayerCommand,
    RemoveLayerCommand,
    RenameLayerCommand,
    ReplaceSpecCommand,
    SetCompileCommand,
    SetParamCommand,
    SpecCommand,
)


class _Index(int):
    """The selected index: an int that can also be called, so `doc.selected_index` and
    `doc.selected_index()` both work."""

    def __call__(self) -> int:
        return int(self)


class Document(QObject):
    """A model being edited: `spec`, `undo_stack`, `path`, `editor` (free-form dict saved with the
    project), clean-state tracking and the selected layer."""

    changed = Signal(object)  # the new ModelSpec
    selectionChanged = Signal(int)  # index into spec.layers, -1 for none
    pathChanged = Signal(object)  # Path | None
    modifiedChanged = Signal(bool)
    editRefused = Signal(str)  # why an edit was not made (status bar / tooltip material)
    replaced = Signal()  # load(): another model (opened or new) replaces this one
    historyChanged = Signal()  # the undo stack moved (what Undo and Redo would do changed)

    def __init__(
        self,
        spec: ModelSpec | None = None,
        path: str | Path | None = None,
        editor: dict[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spec = lesson_spec() if spec is None else spec
        self._path = Path(path) if path is not None else None
        self.editor: dict[str, Any] = dict(editor or {})
        self._selected = -1
        self._summary: tuple[ModelSpec, Summary] | None = None
        self._edit_guard: Callable[[ModelSpec, ModelSpec], bool] | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        # Relayed by this object, so the connection ends with it (before its stack is deleted).
        self.undo_stack.indexChanged.connect(self.historyChanged)

    @classmethod
    def new_empty(cls, parent: QObject | None = None) -> Document:
        """A document with no layers at all (what File ▸ New may start from)."""
        return cls(ModelSpec(), parent=parent)

    # -- state -------------------------------------------------------------------------------

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def selected_index(self) -> int:
        """The selected layer's index in spec.layers, -1 for none (also callable: `selected_index()`)."""
        return _Index(self._selected)

    def selected_layer(self):
        """The selected LayerSpec, or None."""
        return self._spec.layers[self._selected] if 0 <= self._selected < len(self._spec.layers) else None

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def summary(self) -> Summary:
        """The core's analytic summary of the current spec (cached until the spec changes)."""
        if self._summary is None or self._summary[0] is not self._spec:
            self._summary = (self._spec, analyze(self._spec))
        return self._summary[1]

    def reanalyze(self) -> None:
        """Check the spec again after a rule outside it changed (the parameter budget): the views
        and the model state read the new summary from `changed`."""
        self._summary = None
        self.changed.emit(self._spec)

    # -- non-undoable ------------------------------------------------------------------------

    def load(self, spec: ModelSpec, path: str | Path | None = None, editor: dict[str, Any] | None = None) -> None:
        """Show another model (opened, or new): clears the undo stack and marks the document clean."""
        self.undo_stack.clear()  # also makes it clean, emitting cleanChanged(True) if it was not
        self.replaced.emit()
        self.editor = dict(editor or {})
        self._path = Path(path) if path is not None else None
        self.pathChanged.emit(self._path)
        self._apply(spec, -1)

    def mark_saved(self, path: str | Path | None = None) -> None:
        """The spec was written to `path` (or to the current path): it is clean now."""
        if path is not None:
            self._set_path(Path(path))
        self.undo_stack.setClean()

    def select_layer(self, index: int) -> None:
        """Select the layer at `index` (-1, or any index out of range, selects nothing)."""
        index = index if 0 <= index < len(self._spec.layers) else -1
        if index != self._selected:
            self._selected = index
            self.selectionChanged.emit(index)

    def set_edit_guard(self, guard: Callable[[ModelSpec, ModelSpec], bool] | None) -> None:
        """Consult `guard(old_spec, new_spec)` before pushing an edit of the layers (None: no guard)."""
        self._edit_guard = guard

    # -- undo and redo, guarded like edits ----------------------------------------------------

    def undo(self) -> str | None:
        """Undo the last edit, unless the edit guard refuses the spec it goes back to (the reason)."""
        stack = self.undo_stack
        if not stack.canUndo():
            return None
        command = stack.command(stack.index() - 1)
        if isinstance(command, SpecCommand) and not self._guard_allows(command.after, command.before):
            return self._refuse(f"Undo {command.text()}: cancelled, nothing changed")
        stack.undo()
        return None

    def redo(self) -> str | None:
        """Redo the edit undone last, unless the edit guard refuses the spec it leads to (the reason)."""
        stack = self.undo_stack
        if not stack.canRedo():
            return None
        command = stack.command(stack.index())
        if isinstance(command, SpecCommand) and not self._guard_allows(command.before, command.after):
            return self._refuse(f"Redo {command.text()}: cancelled, nothing changed")
        stack.redo()
        return None

    # -- the selected layer --------------------------------------------------------------------

    def remove_selected(self) -> str | None:
        """Remove the selected layer (nothing selected: nothing happens)."""
        index = self._selected
        return self.remove_layer(index) if index >= 0 else None

    def duplicate_selected(self) -> str | None:
        """Insert a copy of the selected layer below it."""
        index = self._selected
        return self.duplicate_layer(index) if index >= 0 else None

    def move_selected(self, step: int) -> str | None:
        """Move the selected layer `step` places; the reason when the move is refused."""
        index = self._selected
        target = index + step
        if index < 0 or not 0 <= target < len(self._spec.layers):
            return None
        return self.move_layer(index, target)

    def can_move_selected(self, step: int) -> bool:
        index = self._selected
        target = index + step
        return 0 <= index < len(self._spec.layers) and 0 <= target < len(self._spec.layers) and (
            self.can_move(index, target) is None
        )

    def can_duplicate_selected(self) -> bool:
        index = self._selected
        return 0 <= index < len(self._spec.layers) and self.can_duplicate(index) is None

    # -- placement rules ---------------------------------------------------------------------

    def can_insert(self, index: int, class_name: str) -> str | None:
        """Why a new `class_name` layer cannot go before position `index`, or None if it can."""
        layers = self._spec.layers
        if class_name not in layer_types():
            return f"nnstudio has no layer type {class_name!r}"
        if not 0 <= index <= len(layers):
            return f"there is no position {index} in a stack of {len(layers)} layers"
        problem = layer_types()[class_name].sequential_problem()
        if problem:
            return problem
        inputs = [layer for layer in layers if is_input(layer.class_name)]
        if is_input(class_name):
            if inputs:
                return f"A model has one Input, and it already has '{inputs[0].name}'"
            if index != 0:
                return "An Input must be the first layer: drop it at the top of the stack"
        elif index == 0 and layers and is_input(layers[0].class_name):
            return f"Nothing can go above the Input '{layers[0].name}': drop {class_name} below it"
        return None

    def can_move(self, source: int, destination: int) -> str | None:
        """Why the layer at `source` cannot move to end at index `destination`, or None if it can."""
        layers = self._spec.layers
        if not 0 <= source < len(layers):
            return f"there is no layer {source} in a stack of {len(layers)} layers"
        if not 0 <= destination < len(layers):
            return f"there is no position {destination} in a stack of {len(layers)} layers"
        if source == destination:
            return None
        moving = layers[source]
        if is_input(moving.class_name):
            if destination != 0:
                return f"The Input '{moving.name}' stays at the top of the stack"
            return None
        rest = layers[:source] + layers[source + 1 :]
        if destination == 0 and rest and is_input(rest[0].class_name):
            return f"Nothing can go above the Input '{rest[0].name}'"
        return None

    def can_duplicate(self, index: int) -> str | None:
        """Why the layer at `index` cannot be duplicated (an Input), or None if it can."""
        layers = self._spec.layers
        if not 0 <= index < len(layers):
            return f"there is no layer {index} in a stack of {len(layers)} layers"
        if is_input(layers[index].class_name):
            return "A model has one Input: it cannot be duplicated"
        return None

    def can_rename(self, index: int, name: str) -> str | None:
        """Why layer `index` cannot be called `name` (bad characters, name in use), or None."""
        layers = self._spec.layers
        if not 0 <= index < len(layers):
            return f"there is no layer {index} in a stack of {len(layers)} layers"
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            return "A name starts with a letter or _ and holds only letters, digits, _ . -"
        for i, layer in enumerate(layers):
            if i != index and layer.name == name:
                return f"The name '{name}' is already used by layer {i + 1}"
        return None

    # -- undoable edits: each returns None when done, or the reason it was refused --------------

    def insert_layer(self, index: int, class_name: str, **params: Any) -> str | None:
        """Add a new `class_name` layer (catalog defaults overridden by `params`) before `index`."""
        reason = self.can_insert(index, class_name)
        if reason:
            return self._refuse(reason)
        return self._push(InsertLayerCommand(self, index, class_name, params))

    def append_layer(self, class_name: str, **params: Any) -> str | None:
        """Add a new layer at the bottom of the stack."""
        return self.insert_layer(len(self._spec.layers), class_name, **params)

    def remove_layer(self, index: int) -> str | None:
        if not 0 <= index < len(self._spec.layers):
            return self._refuse(f"there is no layer {index} to remove")
        return self._push(RemoveLayerCommand(self, index))

    def move_layer(self, source: int, destination: int) -> str | None:
        """Move the layer at `source` so that it ends at index `destination`."""
        reason = self.can_move(source, destination)
        if reason:
            return self._refuse(reason)
        if source != destination:
            return self._push(MoveLayerCommand(self, source, destination))
        return None

    def duplicate_layer(self, index: int) -> str | None:
        """Insert a copy of layer `index` (fresh name) right below it."""
        reason = self.can_duplicate(index)
        if reason:
            return self._refuse(reason)
        return self._push(DuplicateLayerCommand(self, index))

    def set_param(self, index: int, key: str, value: Any) -> str | None:
        """Set one parameter. Values are not range-checked here (the summary reports bad ones)."""
        layers = self._spec.layers
        if not 0 <= index < len(layers):
            return self._refuse(f"there is no layer {index}")
        layer = layers[index]
        kind = layer_types().get(layer.class_name)
        if kind is None or key not in {p.name for p in kind.params}:
            return self._refuse(f"{layer.class_name} has no setting {key!r}")
        current = layer.get(key)
        if current == value and type(current) is type(value):
            return None
        return self._push(SetParamCommand(self, index, key, value))

    def set_nested_param(self, index: int, key: str, part: str, value: Any) -> str | None:
        """Set one setting `part` of the layer that parameter `key` wraps (Bidirectional's `layer`)."""
        layers = self._spec.layers
        if not 0 <= index < len(layers):
            return self._refuse(f"there is no layer {index}")
        layer = layers[index]
        kind = layer_types().get(layer.class_name)
        if kind is None or key not in {p.name for p in kind.params} or not isinstance(layer.get(key), dict):
            return self._refuse(f"{layer.class_name} wraps no layer in {key!r}")
        current = layer.get(key)
        if part in current and current[part] == value and type(current[part]) is type(value):
            return None
        return self._push(SetParamCommand(self, index, key, {**current, part: value}, part=part))

    def rename_layer(self, index: int, name: str) -> str | None:
        reason = self.can_rename(index, name)
        if reason:
            return self._refuse(reason)
        if self._spec.layers[index].name != name:
            return self._push(RenameLayerCommand(self, index, name))
        return None

    def set_compile(self, compile_spec: CompileSpec) -> str | None:
        if compile_spec != self._spec.compile:
            return self._push(SetCompileCommand(self, compile_spec))
        return None

    def replace_spec(self, spec: ModelSpec, text: str = "Replace model") -> str | None:
        """Replace the whole spec in one undoable step named `text`."""
        if spec != self._spec:
            return self._push(ReplaceSpecCommand(self, spec, text))
        return None

    # -- internals ---------------------------------------------------------------------------

    def _apply(self, spec: ModelSpec, selection: int) -> None:
        """Called by the commands: show `spec`, then select `selection`."""
        self._spec = spec
        self.changed.emit(spec)
        selection = selection if 0 <= selection < len(spec.layers) else -1
        if selection != self._selected:
            self._selected = selection
            self.selectionChanged.emit(selection)

    def _push(self, command: SpecCommand) -> str | None:
        """The one place edits reach the undo stack: the edit guard is asked first."""
        if not self._guard_allows(command.before, command.after):
            # An editor may already show the refused value (a spin box): the selection signal
            # makes the views re-read the layer as it is.
            self.selectionChanged.emit(self._selected)
            return self._refuse(f"{command.text()}: cancelled, nothing changed")
        self.undo_stack.push(command)
        return None

    def _guard_allows(self, old: ModelSpec, new: ModelSpec) -> bool:
        guard = self._edit_guard
        return guard is None or old.layers == new.layers or guard(old, new)

    def _refuse(self, reason: str) -> str:
        self.editRefused.emit(reason)
        return reason

    def _set_path(self, path: Path | None) -> None:
        if path != self._path:
            self._path = path
            self.pathChanged.emit(path)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)
