"""The shapes a functional graph carries: every call's input and output shapes, and each layer's weights.

`graph_shapes(spec)` walks the calls in dependency order (a layer called twice is two calls, and
its second call may wait for a layer listed after it, as Keras allows), checks every reference
(layer, call, output tensor), the input count of every call, that a shared layer's weights fit
each of its calls, and that the connections hold no cycle. It is what the `.keras` reader, the
weights check and the data makers need from a graph; the first problem raises GraphError at its
layer. A chain is walked as its explicit graph.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from nnstudio.core.layers.base import LayerError, Shape, Variable
from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.spec import ModelSpec, TensorRef
from nnstudio.core.text_safety import terminal_text
from nnstudio.core.validation import Issue, check_compile, check_layer, check_model_name
from nnstudio.core.validation import param_budget as current_budget


class GraphError(ValueError):
    """A graph that cannot run: `message` names the layer, `layer_index` is its position, `field` the setting."""

    def __init__(self, message: str, layer_index: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.layer_index = layer_index
        self.field = field


@dataclass(frozen=True)
class CallShapes:
    """One call of a layer: the shapes it is fed (none for an Input) and the shapes it gives."""

    inputs: tuple[Shape, ...]
    outputs: tuple[Shape, ...]


@dataclass(frozen=True)
class GraphShapes:
    """Every layer's calls (by layer id) and its variables (made by its first call)."""

    calls: dict[str, tuple[CallShapes, ...]]
    variables: dict[str, tuple[Variable, ...]]
    order: tuple[tuple[str, int], ...] = ()  # every call of a layer after an Input, (layer id, call), fed first

    def shape_of(self, ref: TensorRef) -> Shape:
        """The shape of one tensor of the graph."""
        return self.calls[ref.layer][ref.node].outputs[ref.tensor]

    @property
    def total_params(self) -> int:
        return sum(v.size for variables in self.variables.values() for v in variables)


def _label(name: object) -> str:
    return terminal_text(str(name), 128)


# the newest spec's shapes, or its first problem: a file's reading asks for them three times (its graph's
# issues, its build configs, its weights), a spec is immutable, and the result is not to be changed
_last: tuple[ModelSpec, GraphShapes | GraphError] | None = None


def graph_shapes(spec: ModelSpec) -> GraphShapes:
    """The shapes of every call of `spec`'s graph; GraphError for the first problem found."""
    global _last
    last = _last
    if last is None or last[0] is not spec:
        try:
            last = (spec, _graph_shapes(spec))
        except GraphError as exc:
            last = (spec, exc)
        _last = last
    found = last[1]
    if isinstance(found, GraphError):
        raise GraphError(found.message, found.layer_index, found.field)
    return found


def _graph_shapes(spec: ModelSpec) -> GraphShapes:
    graph = spec.as_graph()
    kinds = layer_types()
    index = {layer.id: i for i, layer in enumerate(graph.layers)}
    calls: dict[str, list[CallShapes | None]] = {}
    variables: dict[str, tuple[Variable, ...]] = {}
    for i, layer in enumerate(graph.layers):
        if layer.class_name not in kinds:
            raise GraphError(f"{_label(layer.name)}: unknown layer class {_label(layer.class_name)}", i)
        if is_input(layer.class_name):
            if layer.inbound:
                raise GraphError(f"{_label(layer.name)}: an Input takes no inputs", i)
            calls[layer.id] = [CallShapes((), (tuple(layer.get("shape")),))]
            variables[layer.id] = ()
        else:
            if not layer.inbound:
                raise GraphError(f"{_label(layer.name)}: the layer is not connected to any input", i)
            calls[layer.id] = [None] * len(layer.inbound)

    def check_ref(ref: TensorRef, at: int, what: str) -> None:
        name = _label(graph.layers[at].name) if at >= 0 else "model"
        if ref.layer not in index:
            raise GraphError(f"{name}: {what} refers to {_label(ref.layer)}, which is no layer of the model", at)
        count = len(calls[ref.layer])
        if not 0 <= ref.node < count:
            source = _label(graph.layers[index[ref.layer]].name)
            raise GraphError(
                f"{name}: {what} uses call {ref.node} of {source}, which is called {count} time(s)",
                at if at >= 0 else None,
            )

    waiting: dict[tuple[str, int], list[tuple[str, int]]] = {}  # a call -> the calls that wait for it
    missing: dict[tuple[str, int], int] = {}
    ready: deque[tuple[str, int]] = deque()
    for i, layer in enumerate(graph.layers):
        for c, call in enumerate(layer.inbound):
            needs = set()
            for ref in call:
                check_ref(ref, i, "an input")
                if calls[ref.layer][ref.node] is None:
                    needs.add((ref.layer, ref.node))
            for need in needs:
                waiting.setdefault(need, []).append((layer.id, c))
            missing[(layer.id, c)] = len(needs)
            if not needs:
                ready.append((layer.id, c))
    for ref in (*graph.inputs, *graph.outputs):
        check_ref(ref, -1, "the model's inputs and outputs")

    order: list[tuple[str, int]] = []
    while ready:
        layer_id, c = ready.popleft()
        order.append((layer_id, c))
        at = index[layer_id]
        layer = graph.layers[at]
        inputs = [_tensor(calls, ref, graph, index, at) for ref in layer.inbound[c]]
        try:
            outputs, made = kinds[layer.class_name].infer(layer.params, inputs)
        except LayerError as exc:
            raise GraphError(f"{_label(layer.name)}: {exc}", at, exc.field) from None
        if layer_id in variables:
            if [v.shape for v in made] != [v.shape for v in variables[layer_id]]:
                raise GraphError(
                    f"{_label(layer.name)}: call {c} needs weights of other shapes than its first call; "
                    "a shared layer must be called on inputs of the same shape",
                    at,
                )
        else:
            variables[layer_id] = tuple(made)
        calls[layer_id][c] = CallShapes(tuple(inputs), tuple(outputs))
        for follower in waiting.pop((layer_id, c), ()):
            missing[follower] -= 1
            if not missing[follower]:
                ready.append(follower)
    for i, layer in enumerate(graph.layers):
        if any(call is None for call in calls[layer.id]):
            raise GraphError(f"{_label(layer.name)}: its inputs depend on its own output (a cycle)", i)
    for ref in (*graph.inputs, *graph.outputs):
        _tensor(calls, ref, graph, index, None)
    for ref in graph.inputs:
        if not is_input(graph.layer_by_id(ref.layer).class_name):
            raise GraphError(f"model: its input {_label(ref.layer)} is not an Input layer", index[ref.layer])
    listed = {ref.layer for ref in graph.inputs}
    for i, layer in enumerate(graph.layers):
        if is_input(layer.class_name) and layer.id not in listed:
            raise GraphError(f"{_label(layer.name)}: an Input that is not one of the model's inputs", i)
    done = {layer_id: tuple(c for c in layer_calls if c is not None) for layer_id, layer_calls in calls.items()}
    return GraphShapes(done, variables, tuple(order))


def _tensor(
    calls: dict[str, list[CallShapes | None]], ref: TensorRef, graph: ModelSpec, index: dict[str, int], at: int | None
) -> Shape:
    call = calls[ref.layer][ref.node]
    assert call is not None
    if not 0 <= ref.tensor < len(call.outputs):
        source = _label(graph.layers[index[ref.layer]].name)
        user = _label(graph.layers[at].name) if at is not None else "model"
        raise GraphError(
            f"{user}: uses output {ref.tensor} of {source}, which gives {len(call.outputs)} output(s)",
            at,
        )
    return call.outputs[ref.tensor]


def graph_issues(spec: ModelSpec, param_budget: int | None = None) -> list[Issue]:
    """What stops a functional spec from building, before Keras sees it: each layer's own problems,
    the compile settings, the graph (references, input counts, shapes, cycles) and the parameter
    budget (the one in force when None). Empty when the spec is sound."""
    from nnstudio.core.summary import LayerRow, Summary, budget_issue

    if param_budget is None:
        param_budget = current_budget()

    issues = [*check_model_name(spec.name), *check_compile(spec.compile)]
    for i, layer in enumerate(spec.layers):
        issues.extend(check_layer(i, layer))
    if issues:
        return issues
    try:
        shapes = graph_shapes(spec)
    except GraphError as exc:
        at = exc.layer_index
        return [Issue(exc.message, at, spec.layers[at].name if at is not None else None, exc.field)]
    if shapes.total_params > param_budget:
        rows = tuple(
            LayerRow(i, layer.name, layer.class_name, None, sum(v.size for v in shapes.variables[layer.id]))
            for i, layer in enumerate(spec.layers)
        )
        return [budget_issue(Summary(spec.name, None, rows), param_budget)]
    return []
