"""Undo commands for the document: every edit a person makes is one of these on the QUndoStack.

Specs are immutable, so a command simply keeps the spec before and after its edit (and the
selection before and after) and swaps them on undo/redo. Consecutive edits of the same field of
the same layer merge into one command (`id()` / `mergeWith`), so typing "128" in a spin box is one
undo step, not three. A merge that brings a value back to where it started makes the command
obsolete, and Qt drops it from the stack.

No widget and no Keras here: commands only talk to the `Document` (nnstudio.services.document).
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from nnstudio.core import graph_edit
from nnstudio.core.spec import CompileSpec, ModelSpec, TensorRef

if TYPE_CHECKING:  # pragma: no cover
    from nnstudio.services.document import Document

# Command ids for merging (QUndoCommand.id); -1 means "never merges".
ID_SET_PARAM = 1001
ID_RENAME = 1002
ID_COMPILE = 1003


def format_value(value: Any) -> str:
    """A parameter value as the undo text shows it: 64, relu, 0.5, on/off, 28, 28."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict) and "class_name" in value:  # a wrapped layer
        return f"{value['class_name']}({value.get('units', '')})"
    return str(value)


class SpecCommand(QUndoCommand):
    """An edit that replaces the document's spec `before` with `after`, and the selection with it."""

    merge_id = -1

    def __init__(
        self,
        document: Document,
        before: ModelSpec,
        after: ModelSpec,
        text: str,
        selection_after: int | None = None,
        merge_key: tuple | None = None,
    ) -> None:
        super().__init__(text)
        # A weak reference: the stack that owns this command belongs to the document, and a
        # document <-> command cycle would leave documents to the cyclic collector, which can
        # delete the QUndoStack and its commands in an order that crashes (double delete).
        self._document = weakref.ref(document)
        self.before = before
        self.after = after
        self.selection_before = document.selected_index
        self.selection_after = self.selection_before if selection_after is None else selection_after
        self.merge_key = merge_key

    @property
    def document(self) -> Document:
        document = self._document()
        if document is None:
            raise RuntimeError("the document of this command is gone")
        return document

    def redo(self) -> None:
        self.document._apply(self.after, self.selection_after)

    def undo(self) -> None:
        self.document._apply(self.before, self.selection_before)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self.merge_id if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, SpecCommand) or other.merge_key != self.merge_key or other.before != self.after:
            return False
        self.after = other.after
        self.selection_after = other.selection_after
        self.setText(other.text())
        if self.after == self.before:
            self.setObsolete(True)
        return True


class InsertLayerCommand(SpecCommand):
    """Add a layer of a catalog class at a position ("Add Dense")."""

    def __init__(self, document: Document, index: int, class_name: str, params: dict[str, Any]) -> None:
        before = document.spec
        layer = before.new_layer(class_name, **params)
        self.index = index
        self.layer = layer
        super().__init__(document, before, before.inserted(index, layer), f"Add {class_name}", index)


class RemoveLayerCommand(SpecCommand):
    """Remove one layer ("Remove dense_1"); the selection moves to its neighbour."""

    def __init__(self, document: Document, index: int) -> None:
        before = document.spec
        after = before.removed(index)
        selection = min(index, len(after.layers) - 1)
        super().__init__(document, before, after, f"Remove {before.layers[index].name}", selection)


class MoveLayerCommand(SpecCommand):
    """Move one layer so that it ends at index `destination` ("Move dense_1")."""

    def __init__(self, document: Document, source: int, destination: int) -> None:
        before = document.spec
        super().__init__(
            document, before, before.moved(source, destination), f"Move {before.layers[source].name}", destination
        )


class DuplicateLayerCommand(SpecCommand):
    """Put a copy of a layer, with a fresh name, right below it ("Duplicate dense")."""

    def __init__(self, document: Document, index: int) -> None:
        before = document.spec
        original = before.layers[index]
        copy = replace(original.with_params(), name=before.duplicate_name(original.name))
        super().__init__(document, before, before.inserted(index + 1, copy), f"Duplicate {original.name}", index + 1)


class SetParamCommand(SpecCommand):
    """Set one parameter of one layer ("Set units of dense to 64"); repeated edits of it merge."""

    merge_id = ID_SET_PARAM

    def __init__(self, document: Document, index: int, key: str, value: Any, part: str | None = None) -> None:
        """`part`: the setting of a wrapped layer that changed (`units` of `layer`), which names the step."""
        before = document.spec
        layer = before.layers[index]
        after = before.with_layer(index, layer.with_params(**{key: value}))
        field = key if part is None else f"{key}.{part}"
        shown = value if part is None else value[part]
        text = f"Set {field} of {layer.name} to {format_value(shown)}"
        super().__init__(document, before, after, text, index, merge_key=("param", index, layer.name, field))


class RenameLayerCommand(SpecCommand):
    """Give a layer a new name ("Rename dense to hidden"); repeated renames of one layer merge."""

    merge_id = ID_RENAME

    def __init__(self, document: Document, index: int, name: str) -> None:
        before = document.spec
        layer = before.layers[index]
        renamed = replace(layer.with_params(), name=name)
        after = before.with_layer(index, renamed)
        self.old_name = layer.name
        super().__init__(document, before, after, f"Rename {layer.name} to {name}", index, merge_key=("rename", index))

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        merged = super().mergeWith(other)
        if merged and self.merge_key is not None:
            self.setText(f"Rename {self.old_name} to {self.after.layers[self.merge_key[1]].name}")
        return merged


_COMPILE_FIELDS = ("loss", "optimizer", "learning_rate", "metrics")


def _compile_text(old: CompileSpec, new: CompileSpec) -> tuple[str, tuple | None]:
    changed = [f for f in _COMPILE_FIELDS if getattr(old, f) != getattr(new, f)]
    if len(changed) != 1:
        return "Change compile settings", None
    field = changed[0]
    value = getattr(new, field)
    if field == "learning_rate" and value is None:
        shown = "default"
    elif field == "metrics":
        shown = ", ".join(value) if value else "none"
    else:
        shown = format_value(value)
    # Typing a rate or scrolling through a combo box merges; each metric ticked is its own step.
    return f"Set {field.replace('_', ' ')} to {shown}", (None if field == "metrics" else ("compile", field))


class SetCompileCommand(SpecCommand):
    """Change the compile settings ("Set optimizer to sgd"); repeated edits of one field merge."""

    merge_id = ID_COMPILE

    def __init__(self, document: Document, compile_spec: CompileSpec) -> None:
        before = document.spec
        text, key = _compile_text(before.compile, compile_spec)
        super().__init__(document, before, before.with_compile(compile_spec), text, merge_key=key)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        merged = super().mergeWith(other)
        if merged and not self.isObsolete():
            self.setText(_compile_text(self.before.compile, self.after.compile)[0])
        return merged


class ReplaceSpecCommand(SpecCommand):
    """Replace the whole spec in one undoable step (an import, a paste, a template) with the given text."""

    def __init__(self, document: Document, spec: ModelSpec, text: str) -> None:
        before = document.spec
        selection = min(document.selected_index, len(spec.layers) - 1)
        super().__init__(document, before, spec, text, selection)


class GraphEditCommand(SpecCommand):
    """An edit of the model's graph (nnstudio.core.graph_edit). Its constructor makes the edit and
    raises `EditRefused` with the reason when the graph cannot take it, so a refused edit never
    reaches the stack. `selected_id`: the layer selected after it (None: the selection stays)."""

    def __init__(self, document: Document, after: ModelSpec, text: str, selected_id: str | None = None) -> None:
        before = document.spec
        selection = after.position_of(selected_id) if selected_id is not None else _same_layer(before, after, document)
        super().__init__(document, before, after, text, selection)


def _same_layer(before: ModelSpec, after: ModelSpec, document: Document) -> int:
    """The position in `after` of the layer selected in `before` (-1 when it is gone or none was)."""
    index = document.selected_index
    if not 0 <= index < len(before.layers):
        return -1
    try:
        return after.position_of(before.layers[index].id)
    except KeyError:
        return -1


def _name(spec: ModelSpec, layer_id: str) -> str:
    try:
        return spec.layer_by_id(layer_id).name
    except KeyError:
        return layer_id


class InsertOnConnectionCommand(GraphEditCommand):
    """A new layer on a connection ("Insert Dense between dense and dense_1"); `target` None: the
    connection to the model's output."""

    def __init__(
        self, document: Document, class_name: str, params: dict[str, Any], source: TensorRef, target: str | None
    ) -> None:
        spec = document.spec
        after, new_id = graph_edit.insert_on_connection(spec, spec.new_layer(class_name, **params), source, target)
        end = "the output" if target is None else _name(spec, target)
        super().__init__(document, after, f"Insert {class_name} between {_name(spec, source.layer)} and {end}", new_id)


class AddBranchCommand(GraphEditCommand):
    """A new layer reading a layer's output beside what already reads it ("Branch Dense from dense")."""

    def __init__(self, document: Document, class_name: str, params: dict[str, Any], source: TensorRef) -> None:
        spec = document.spec
        after, new_id = graph_edit.add_branch(spec, spec.new_layer(class_name, **params), source)
        super().__init__(document, after, f"Branch {class_name} from {_name(spec, source.layer)}", new_id)


class AddAfterCommand(GraphEditCommand):
    """A new layer right after a layer of a graph: on its one connection, else as a branch ("Add Dense after dense")."""

    def __init__(self, document: Document, class_name: str, params: dict[str, Any], source_id: str) -> None:
        spec = document.spec
        after, new_id = graph_edit.after_layer(spec, spec.new_layer(class_name, **params), source_id)
        super().__init__(document, after, f"Add {class_name} after {_name(spec, source_id)}", new_id)


class AddUnconnectedCommand(GraphEditCommand):
    """A new layer of a graph that reads nothing yet (an Input: one more model input) ("Add Input")."""

    def __init__(self, document: Document, class_name: str, params: dict[str, Any]) -> None:
        spec = document.spec
        after, new_id = graph_edit.add_layer(spec, spec.new_layer(class_name, **params))
        super().__init__(document, after, f"Add {class_name}", new_id)


class ConnectCommand(GraphEditCommand):
    """One more input for a layer ("Connect dense_2 to add")."""

    def __init__(self, document: Document, source: TensorRef, target: str) -> None:
        spec = document.spec
        after = graph_edit.connect(spec, source, target)
        super().__init__(document, after, f"Connect {_name(spec, source.layer)} to {_name(spec, target)}", target)


class DisconnectCommand(GraphEditCommand):
    """A connection deleted ("Delete connection dense_2 → add")."""

    def __init__(self, document: Document, source: TensorRef, target: str) -> None:
        spec = document.spec
        after = graph_edit.disconnect(spec, source, target)
        super().__init__(document, after, f"Delete connection {_name(spec, source.layer)} → {_name(spec, target)}")


class RemoveGraphLayerCommand(GraphEditCommand):
    """A layer deleted from a graph, its readers reconnected to its input ("Remove dense_1"); the
    selection moves to that input."""

    def __init__(self, document: Document, layer_id: str) -> None:
        spec = document.spec
        layer = spec.layer_by_id(layer_id)
        after = graph_edit.delete_layer(spec, layer_id)
        inputs = graph_edit.producers(spec, layer_id)
        selected = inputs[0] if inputs and inputs[0] in after.ids() else None
        super().__init__(document, after, f"Remove {layer.name}", selected)
        if selected is None:
            self.selection_after = min(spec.position_of(layer_id), len(after.layers) - 1)


class DuplicateGraphLayerCommand(GraphEditCommand):
    """A copy of a layer of a graph reading the same inputs ("Duplicate dense")."""

    def __init__(self, document: Document, layer_id: str) -> None:
        spec = document.spec
        original = spec.layer_by_id(layer_id)
        after, new_id = graph_edit.duplicate_in_graph(spec, layer_id, spec.duplicate_name(original.name))
        super().__init__(document, after, f"Duplicate {original.name}", new_id)


class ToggleOutputCommand(GraphEditCommand):
    """A layer's output made one of the model's outputs, or no longer one ("Make dense_2 an output")."""

    def __init__(self, document: Document, layer_id: str) -> None:
        spec = document.spec
        name = _name(spec, layer_id)
        was = TensorRef(layer_id) in spec.model_outputs()
        after = graph_edit.toggle_output(spec, layer_id)
        super().__init__(document, after, f"{'Stop' if was else 'Make'} {name} {'being ' if was else ''}an output")


class SetOutputsCommand(GraphEditCommand):
    """The model's outputs set at once ("Set outputs to add, dense_2")."""

    def __init__(self, document: Document, outputs: tuple[TensorRef, ...]) -> None:
        spec = document.spec
        after = graph_edit.set_outputs(spec, outputs)
        super().__init__(document, after, f"Set outputs to {', '.join(_name(spec, r.layer) for r in outputs)}")
