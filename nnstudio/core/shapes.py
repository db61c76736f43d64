"""Shape and parameter inference, read from the layer registry: for a layer of a Sequential model
(`infer`, `infer_outputs`) and for every call of a functional model (`infer_calls`).

Shapes exclude the batch axis and may hold None (a size that varies): the lesson's Input is
`(20,)` and Keras prints `(None, 20)`.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

from nnstudio.core.layers.base import LayerError, Shape, Variable, format_shape, format_shapes
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.memo import IdentityMemo
from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.validation import Issue

__all__ = [
    "Inferred",
    "LayerError",
    "Shape",
    "format_shape",
    "infer",
    "infer_all",
    "infer_calls",
    "infer_kept",
    "infer_outputs",
    "reinfer_calls",
]

BYTES_PER_PARAM = 4  # float32


@dataclass(frozen=True, eq=False)
class Inferred:
    """What a layer gives fed some inputs: its output shapes and variables, with their parameter counts.
    One object per layer object and inputs while the memo keeps it: equal by identity, so that what
    is made from it (a summary's row) can be kept by it."""

    outputs: tuple[Shape, ...]
    variables: tuple[Variable, ...]

    @cached_property
    def trainable(self) -> int:
        return sum(v.size for v in self.variables if v.trainable)

    @cached_property
    def non_trainable(self) -> int:
        return sum(v.size for v in self.variables if not v.trainable)

    @cached_property
    def extra_bytes(self) -> tuple[int, int]:
        """Bytes beyond float32's 4 a parameter, trainable and not (Normalization's int64 count: 4 more)."""
        trainable, frozen = (
            sum(v.bytes - v.size * BYTES_PER_PARAM for v in self.variables if v.trainable is t) for t in (True, False)
        )
        return trainable, frozen


_inferred: IdentityMemo[Inferred] = IdentityMemo()


def infer_kept(layer: LayerSpec, inputs: Sequence[Shape]) -> Inferred:
    """Output shapes and variables of `layer` fed `inputs` (one shape per input tensor); kept per
    layer object and inputs, so an edited model's untouched layers are not inferred again."""
    kind = layer_type(layer.class_name)
    if kind.is_input:
        raise LayerError(None, f"{kind.class_name} cannot follow another layer")

    def compute() -> Inferred:
        outputs, variables = kind.infer(layer.params, inputs)
        return Inferred(tuple(outputs), tuple(variables))

    return _inferred.get(layer, tuple(inputs), compute)


def infer_all(layer: LayerSpec, inputs: Sequence[Shape]) -> tuple[list[Shape], list[Variable]]:
    """Output shapes and variables of `layer` fed `inputs` (see `infer_kept`), as lists of the caller's own."""
    inferred = infer_kept(layer, inputs)
    return list(inferred.outputs), list(inferred.variables)


def infer_outputs(layer: LayerSpec, input_shape: Shape) -> tuple[list[Shape], int, int]:
    """Output shapes (several for an RNN with return_state), trainable and non-trainable parameter
    counts of `layer` fed `input_shape`."""
    outputs, variables = infer_all(layer, [input_shape])
    trainable = sum(v.size for v in variables if v.trainable)
    return outputs, trainable, sum(v.size for v in variables) - trainable


def infer(layer: LayerSpec, input_shape: Shape) -> tuple[Shape, int, int]:
    """Output shape, trainable and non-trainable parameter counts of `layer` fed `input_shape`
    (a layer of a Sequential model: one input, one output)."""
    outputs, variables = infer_all(layer, [input_shape])
    if len(outputs) != 1:
        raise LayerError(None, f"gives {len(outputs)} outputs; a Sequential model passes one on")
    trainable = sum(v.size for v in variables if v.trainable)
    return outputs[0], trainable, sum(v.size for v in variables) - trainable


def infer_calls(
    spec: ModelSpec, order: Sequence[tuple[int, int]], blocked: Collection[int]
) -> tuple[dict[tuple[int, int], tuple[Shape, ...]], dict[tuple[int, int], Inferred], list[Issue]]:
    """Output shapes of every call of a functional model and what each call but an Input's gives (its
    `Inferred`), in `order` (each call after the calls that feed it, see `graph.topological_calls`),
    each from its inbound tensors' shapes.

    Layers at `blocked` positions (already at fault) and the calls fed by them get no shapes. A
    reference to an output a call does not give, and what the layer's type refuses, are Issues at
    the layer. A layer called again (shared weights) must get inputs that give it the same weights
    as its first call.
    """
    positions = {layer.id: i for i, layer in enumerate(spec.layers)}
    outputs: dict[tuple[int, int], tuple[Shape, ...]] = {}
    inputs: dict[tuple[int, int], list[Shape]] = {}
    inferred: dict[tuple[int, int], Inferred] = {}
    issues: list[Issue] = []
    for node in order:
        position, call = node
        layer = spec.layers[position]
        if position in blocked:
            continue
        kind = layer_type(layer.class_name)
        if kind.is_input:
            outputs[node] = (tuple(layer.get("shape")),)
            continue
        calls = spec.connections(position)
        label = f"call {call + 1}: " if len(calls) > 1 else ""
        shapes: list[Shape] = []
        fed = True
        for ref in calls[call]:
            source = outputs.get((positions.get(ref.layer, -1), ref.node))
            if source is None:
                fed = False
                break
            if not 0 <= ref.tensor < len(source):
                name = spec.layers[positions[ref.layer]].name
                problem = (
                    f"its input {name}[{ref.node}][{ref.tensor}] does not exist: {name} gives {len(source)} output(s)"
                )
                issues.append(Issue(f"{layer.name}: {label}{problem}", position, layer.name))
                fed = False
                break
            shapes.append(source[ref.tensor])
        if not fed:
            continue
        try:
            inferred[node] = infer_kept(layer, shapes)
        except LayerError as exc:
            issues.append(Issue(f"{layer.name}: {label}{exc}", position, layer.name, exc.field))
            continue
        outputs[node] = inferred[node].outputs
        inputs[node] = shapes
    for (position, call), found in inferred.items():
        first = inferred.get((position, 0))
        if call and first is not None and [v.shape for v in found.variables] != [v.shape for v in first.variables]:
            layer = spec.layers[position]
            problem = (
                f"call {call + 1} gets {format_shapes(inputs[(position, call)])}, but the weights it shares with "
                f"call 1 were made for {format_shapes(inputs[(position, 0)])}"
            )
            issues.append(Issue(f"{layer.name}: {problem}", position, layer.name))
    return outputs, inferred, issues


Node = tuple[int, int]  # (layer position, call index), as in core/graph


@dataclass(frozen=True)
class InferredCalls:
    """`infer_calls`' results for a graph whose every call in `order` was inferred without a problem,
    kept so that an edit of some layers' settings re-infers only the calls it reaches (`reinfer_calls`)."""

    spec: ModelSpec
    order: tuple[Node, ...]
    outputs: dict[Node, tuple[Shape, ...]]
    inferred: dict[Node, Inferred]
    # the graph's own index, shared by every edit of its settings: which calls read each call's outputs,
    # and each call's place in `order`
    readers: dict[Node, tuple[Node, ...]]
    rank: dict[Node, int]

    @classmethod
    def of(
        cls,
        spec: ModelSpec,
        order: tuple[Node, ...],
        outputs: dict[Node, tuple[Shape, ...]],
        inferred: dict[Node, Inferred],
    ) -> InferredCalls:
        """`infer_calls`' results for `spec`'s calls in `order`, with the graph's index made."""
        positions = {layer.id: i for i, layer in enumerate(spec.layers)}
        readers: dict[Node, list[Node]] = {}
        for node in order:
            position, call = node
            if layer_type(spec.layers[position].class_name).is_input:
                continue
            for ref in spec.connections(position)[call]:
                readers.setdefault((positions[ref.layer], ref.node), []).append(node)
        index = {node: tuple(read_by) for node, read_by in readers.items()}
        return cls(spec, order, outputs, inferred, index, {node: k for k, node in enumerate(order)})


def reinfer_calls(
    before: InferredCalls, spec: ModelSpec, changed: Collection[int]
) -> tuple[InferredCalls, set[int]] | None:
    """`before`'s calls for `spec`, the same graph with the layers at `changed` positions edited: those
    layers' calls inferred again, then each call fed an output that changed, in order; with the positions
    of the layers whose calls were inferred again. None when the edit needs `infer_calls` (a call it
    reaches fails, or is a shared layer's, whose calls are checked together)."""
    outputs = dict(before.outputs)
    inferred = dict(before.inferred)
    positions = {layer.id: i for i, layer in enumerate(spec.layers)}
    due: list[tuple[int, Node]] = []
    for position in changed:
        for call in range(max(1, len(spec.connections(position)))):
            rank = before.rank.get((position, call))
            if rank is None:
                return None
            due.append((rank, (position, call)))
    heapq.heapify(due)
    done: set[Node] = set()
    touched: set[int] = set()
    while due:
        _rank, node = heapq.heappop(due)
        if node in done:
            continue
        done.add(node)
        position, call = node
        layer = spec.layers[position]
        if layer_type(layer.class_name).is_input:
            given: tuple[Shape, ...] = (tuple(layer.get("shape")),)
        else:
            calls = spec.connections(position)
            if len(calls) > 1:
                return None
            shapes = []
            for ref in calls[call]:
                source = outputs.get((positions[ref.layer], ref.node))
                if source is None or not 0 <= ref.tensor < len(source):
                    return None
                shapes.append(source[ref.tensor])
            try:
                inferred[node] = infer_kept(layer, shapes)
            except LayerError:
                return None
            given = inferred[node].outputs
        touched.add(position)
        if given != outputs.get(node):
            for reader in before.readers.get(node, ()):
                heapq.heappush(due, (before.rank[reader], reader))
        outputs[node] = given
    return InferredCalls(spec, before.order, outputs, inferred, before.readers, before.rank), touched
