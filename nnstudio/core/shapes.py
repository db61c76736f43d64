"""Shape and parameter inference, read from the layer registry: for a layer of a Sequential model
(`infer`, `infer_outputs`) and for every call of a functional model (`infer_calls`).

Shapes exclude the batch axis and may hold None (a size that varies): the lesson's Input is
`(20,)` and Keras prints `(None, 20)`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from nnstudio.core.layers.base import LayerError, Shape, Variable, format_shape, format_shapes
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.memo import IdentityMemo
from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.validation import Issue

__all__ = ["LayerError", "Shape", "format_shape", "infer", "infer_all", "infer_calls", "infer_outputs"]


_inferred: IdentityMemo[tuple[list[Shape], list[Variable]]] = IdentityMemo()


def infer_all(layer: LayerSpec, inputs: Sequence[Shape]) -> tuple[list[Shape], list[Variable]]:
    """Output shapes and variables of `layer` fed `inputs` (one shape per input tensor); kept per
    layer object and inputs, so an edited model's untouched layers are not inferred again."""
    kind = layer_type(layer.class_name)
    if kind.is_input:
        raise LayerError(None, f"{kind.class_name} cannot follow another layer")
    outputs, variables = _inferred.get(layer, tuple(inputs), lambda: kind.infer(layer.params, inputs))
    return list(outputs), list(variables)


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
) -> tuple[dict[tuple[int, int], list[Shape]], dict[tuple[int, int], list[Variable]], list[Issue]]:
    """Output shapes and variables of every call of a functional model, in `order` (each call after
    the calls that feed it, see `graph.topological_calls`), each from its inbound tensors' shapes.

    Layers at `blocked` positions (already at fault) and the calls fed by them get no shapes. A
    reference to an output a call does not give, and what the layer's type refuses, are Issues at
    the layer. A layer called again (shared weights) must get inputs that give it the same weights
    as its first call.
    """
    positions = {layer.id: i for i, layer in enumerate(spec.layers)}
    outputs: dict[tuple[int, int], list[Shape]] = {}
    inputs: dict[tuple[int, int], list[Shape]] = {}
    variables: dict[tuple[int, int], list[Variable]] = {}
    issues: list[Issue] = []
    for node in order:
        position, call = node
        layer = spec.layers[position]
        if position in blocked:
            continue
        kind = layer_type(layer.class_name)
        if kind.is_input:
            outputs[node] = [tuple(layer.get("shape"))]
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
            outputs[node], variables[node] = infer_all(layer, shapes)
        except LayerError as exc:
            issues.append(Issue(f"{layer.name}: {label}{exc}", position, layer.name, exc.field))
            continue
        inputs[node] = shapes
    for (position, call), found in variables.items():
        first = variables.get((position, 0))
        if call and first is not None and [v.shape for v in found] != [v.shape for v in first]:
            layer = spec.layers[position]
            problem = (
                f"call {call + 1} gets {format_shapes(inputs[(position, call)])}, but the weights it shares with "
                f"call 1 were made for {format_shapes(inputs[(position, 0)])}"
            )
            issues.append(Issue(f"{layer.name}: {problem}", position, layer.name))
    return outputs, variables, issues
