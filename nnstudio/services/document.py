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

Graph edits (`insert_on_connection`, `add_branch`, `add_after`, `add_unconnected`, `connect_layers`,
`disconnect_layers`, `toggle_output`, `set_outputs`; `remove_layer` and `duplicate_layer` of a graph)
are made by `nnstudio.core.graph_edit` inside their command; what it refuses (a cycle, a full
input, a layer that cannot be taken out) is refused the same way. A chain stays a chain until its
first branch or merge; in a graph the layer order follows the connections (moves are refused).

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

from nnstudio.core.graph_edit import EditRefused
from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.spec import CompileSpec, ModelSpec, TensorRef, lesson_spec
from nnstudio.core.summary import Summary, analyze
from nnstudio.core.validation import NAME_PATTERN
from nnstudio.services.commands import (
    AddAfterCommand,
    AddBranchCommand,
    AddUnconnectedCommand,
    ConnectCommand,
    DisconnectCommand,
    DuplicateGraphLayerCommand,
    DuplicateLayerCommand,
    InsertLayerCommand,
    InsertOnConnectionCommand,
    MoveLayerCommand,
    RemoveGraphLayerCommand,
    RemoveLayerCommand,
    RenameLayerCommand,
    ReplaceSpecCommand,
    SetCompileCommand,
    SetOutputsCommand,
    SetParamCommand,
    SpecCommand,
    ToggleOutputCommand,
)

MOVE_IN_GRAPH = "In a functional model the order follows the connections: connect layers in the graph instead"


def _ref(source: TensorRef | str) -> TensorRef:
    return source if isinstance(source, TensorRef) else TensorRef(source)


def _in_chain(spec: ModelSpec, source: TensorRef, target: str | None) -> bool:
    """Whether a chain has the connection from `source` to `target` (None: the output)."""
    try:
        position = spec.position_of(source.layer)
    except KeyError:
        return False
    if target is None:
        return position == len(spec.layers) - 1 and source.node == source.tensor == 0
    return position + 1 < len(spec.layers) and spec.layers[position + 1].id == target and source.node == 0


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

    def load(
        self,
        spec: ModelSpec,
        path: str | Path | None = None,
        editor: dict[str, Any] | None = None,
        summary: Summary | None = None,
    ) -> None:
        """Show another model (opened, or new): clears the undo stack and marks the document clean.
        `summary`: the spec's analysis when it was made already (off the GUI thread, by the open)."""
        self.undo_stack.clear()  # also makes it clean, emitting cleanChanged(True) if it was not
        self.replaced.emit()
        self.editor = dict(editor or {})
        self._path = Path(path) if path is not None else None
        self.pathChanged.emit(self._path)
        if summary is not None:
            self._summary = (spec, summary)
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
        return (
            0 <= index < len(self._spec.layers)
            and 0 <= target < len(self._spec.layers)
            and (self.can_move(index, target) is None)
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
        if self._spec.is_functional:
            return None  # placed in the graph after the layer above (see insert_layer)
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
        if self._spec.is_functional:
            return MOVE_IN_GRAPH
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
        """Add a new `class_name` layer (catalog defaults overridden by `params`) before `index`.
        In a graph: after the layer above `index` (see `add_after`), or unconnected at the top."""
        reason = self.can_insert(index, class_name)
        if reason:
            return self._refuse(reason)
        if self._spec.is_functional:
            if index == 0 or is_input(class_name):
                return self.add_unconnected(class_name, **params)
            return self.add_after(self._spec.layers[index - 1].id, class_name, **params)
        return self._push(InsertLayerCommand(self, index, class_name, params))

    def append_layer(self, class_name: str, **params: Any) -> str | None:
        """Add a new layer at the bottom of the stack; in a graph, after the selected layer (or the
        first output when none is selected)."""
        spec = self._spec
        if spec.is_functional:
            selected = self.selected_layer()
            if is_input(class_name):
                return self.add_unconnected(class_name, **params)
            source = selected.id if selected is not None else spec.outputs[0].layer
            return self.add_after(source, class_name, **params)
        return self.insert_layer(len(spec.layers), class_name, **params)

    def remove_layer(self, index: int) -> str | None:
        if not 0 <= index < len(self._spec.layers):
            return self._refuse(f"there is no layer {index} to remove")
        if self._spec.is_functional:
            return self._graph_edit(RemoveGraphLayerCommand, self._spec.layers[index].id)
        return self._push(RemoveLayerCommand(self, index))

    # -- undoable edits of the graph (a chain becomes a graph at its first branch or merge) ------------

    def insert_on_connection(
        self, class_name: str, source: TensorRef | str, target: str | None, **params: Any
    ) -> str | None:
        """Put a new `class_name` layer on the connection from `source` to layer id `target`
        (None: the connection to the model's output). In a chain it stays a chain."""
        source = _ref(source)
        if class_name not in layer_types():
            return self._refuse(f"nnstudio has no layer type {class_name!r}")
        spec = self._spec
        if not spec.is_functional and layer_types()[class_name].sequential_problem() is None:
            if not _in_chain(spec, source, target):
                return self._refuse(f"there is no connection from {source.layer!r} to {target or 'the output'!r}")
            index = len(spec.layers) if target is None else spec.position_of(target)
            return self.insert_layer(index, class_name, **params)
        return self._graph_edit(InsertOnConnectionCommand, class_name, params, source, target)

    def add_branch(self, source: TensorRef | str, class_name: str, **params: Any) -> str | None:
        """Start a branch: a new `class_name` layer reading `source` beside what already reads it."""
        if class_name not in layer_types():
            return self._refuse(f"nnstudio has no layer type {class_name!r}")
        return self._graph_edit(AddBranchCommand, class_name, params, _ref(source))

    def add_after(self, source_id: str, class_name: str, **params: Any) -> str | None:
        """A new `class_name` layer right after layer `source_id`: on its one connection (a chain
        stays a chain), else as a branch."""
        if class_name not in layer_types():
            return self._refuse(f"nnstudio has no layer type {class_name!r}")
        spec = self._spec
        if not spec.is_functional:
            try:
                return self.insert_layer(spec.position_of(source_id) + 1, class_name, **params)
            except KeyError:
                return self._refuse(f"there is no layer with id {source_id!r}")
        return self._graph_edit(AddAfterCommand, class_name, params, source_id)

    def add_unconnected(self, class_name: str, **params: Any) -> str | None:
        """A new `class_name` layer of the graph that reads nothing yet (an Input: another model input)."""
        if class_name not in layer_types():
            return self._refuse(f"nnstudio has no layer type {class_name!r}")
        return self._graph_edit(AddUnconnectedCommand, class_name, params)

    def connect_layers(self, source: TensorRef | str, target: str) -> str | None:
        """Feed `source` to layer id `target` as one more input; refused (with the reason) when it
        takes no more inputs or when the connection would make a cycle."""
        return self._graph_edit(ConnectCommand, _ref(source), target)

    def disconnect_layers(self, source: TensorRef | str, target: str) -> str | None:
        """Delete the connection from `source` to layer id `target`."""
        return self._graph_edit(DisconnectCommand, _ref(source), target)

    def toggle_output(self, layer_id: str) -> str | None:
        """Make layer `layer_id`'s output a model output, or stop it being one."""
        return self._graph_edit(ToggleOutputCommand, layer_id)

    def set_outputs(self, outputs: list[TensorRef | str]) -> str | None:
        """The model's outputs, in order."""
        return self._graph_edit(SetOutputsCommand, tuple(_ref(o) for o in outputs))

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
        if self._spec.is_functional:
            return self._graph_edit(DuplicateGraphLayerCommand, self._spec.layers[index].id)
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
        """Called by the commands: show `spec` with `selection` selected. The selection is the new
        one already when `changed` is emitted (a view reading it then sees the layer it will show,
        not the one at that index before), and `selectionChanged` follows when it moved."""
        self._spec = spec
        selection = selection if 0 <= selection < len(spec.layers) else -1
        moved = selection != self._selected
        self._selected = selection
        self.changed.emit(spec)
        if moved:
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

    def _graph_edit(self, command: type[SpecCommand], *args: Any) -> str | None:
        """Push `command(self, *args)`, or refuse with the reason its graph edit gives."""
        try:
            made = command(self, *args)
        except EditRefused as refused:
            return self._refuse(refused.reason)
        return self._push(made)

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
