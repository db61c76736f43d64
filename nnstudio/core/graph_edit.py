"""Editing a model's graph: each operation takes an immutable ModelSpec and returns a new one.

The operations a person makes on a drawn graph: insert a layer on a connection, start a branch
from a layer's output, connect an output to an input, delete a connection, delete a layer
(reconnecting a one-in one-out layer's consumers to its input), set the model's outputs. An edit
the graph cannot take raises `EditRefused` with the reason, in words a person can act on; an edit
that would make a cycle is one of them. A Sequential chain is turned into an explicit graph
(`ModelSpec.as_graph()`) by the first edit that needs one; a graph that happens to be a chain stays
a graph, as the person made it.

After every edit `spec.layers` is in an order where each layer comes after the layers it reads
(a stable topological sort that keeps the previous order where it can).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import replace

from nnstudio.core.layers.base import LayerType
from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.spec import Call, LayerSpec, ModelSpec, TensorRef


class EditRefused(ValueError):
    """An edit the graph cannot take; `reason` says why, in words a person can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- reading the graph ----------------------------------------------------------------------------


def producers(spec: ModelSpec, layer_id: str) -> list[str]:
    """The ids of the layers whose outputs `layer_id` reads, in call order (repeats kept)."""
    index = spec.position_of(layer_id)
    return [ref.layer for call in spec.connections(index) for ref in call]


def consumers(spec: ModelSpec, layer_id: str) -> list[str]:
    """The ids of the layers that read an output of `layer_id`, in layer order (each once)."""
    found = []
    for i, layer in enumerate(spec.layers):
        if any(ref.layer == layer_id for call in spec.connections(i) for ref in call) and layer.id not in found:
            found.append(layer.id)
    return found


def connections(spec: ModelSpec) -> list[tuple[TensorRef, str]]:
    """Every connection as (source tensor, consumer id), consumers in layer order, inputs in call order."""
    return [(ref, layer.id) for i, layer in enumerate(spec.layers) for call in spec.connections(i) for ref in call]


def reaches(spec: ModelSpec, start: str, goal: str) -> bool:
    """Whether a path of connections leads from layer `start` to layer `goal` (a layer reaches itself)."""
    following: dict[str, list[str]] = {layer.id: [] for layer in spec.layers}
    for ref, consumer in connections(spec):
        following.setdefault(ref.layer, []).append(consumer)
    seen, todo = {start}, [start]
    while todo:
        here = todo.pop()
        if here == goal:
            return True
        for nxt in following.get(here, []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def find_cycle(spec: ModelSpec) -> list[str] | None:
    """The names of the layers on a cycle of the graph, in path order, or None when it has none."""
    reads = {layer.id: producers(spec, layer.id) for layer in spec.layers}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for source in reads.get(node, []):
            if state.get(source) == 1:
                return path[path.index(source) :]
            if source not in state and (found := visit(source)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for layer in spec.layers:
        if layer.id not in state and (cycle := visit(layer.id)) is not None:
            names = {layer.id: layer.name for layer in spec.layers}
            return [names.get(node, node) for node in reversed(cycle)]
    return None


def in_reading_order(spec: ModelSpec) -> ModelSpec:
    """`spec` with its layers sorted so that each comes after the layers it reads, keeping the
    present order wherever the connections allow (a chain is returned as it is): of the layers whose
    inputs are all placed, the one that comes first now goes next (in n log n for n layers)."""
    if not spec.is_functional:
        return spec
    layers = spec.layers
    position = {layer.id: i for i, layer in enumerate(layers)}
    waiting = [0] * len(layers)  # per layer: how many distinct layers it reads are not placed yet
    readers: list[list[int]] = [[] for _ in layers]
    for i in range(len(layers)):
        for source in {ref.layer for call in spec.connections(i) for ref in call if ref.layer in position}:
            waiting[i] += 1
            readers[position[source]].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        first = heapq.heappop(ready)
        order.append(first)
        for reader in readers[first]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    if len(order) < len(layers):  # a cycle: leave the rest as it was (validation names it)
        placed = set(order)
        order.extend(i for i in range(len(layers)) if i not in placed)
    if order == list(range(len(layers))):
        return spec
    return replace(spec, layers=tuple(layers[i] for i in order))


# -- checks shared by the edits -------------------------------------------------------------------


def _layer(spec: ModelSpec, layer_id: str) -> LayerSpec:
    try:
        return spec.layer_by_id(layer_id)
    except KeyError:
        raise EditRefused(f"there is no layer with id {layer_id!r}") from None


def _check_source(spec: ModelSpec, source: TensorRef) -> LayerSpec:
    layer = _layer(spec, source.layer)
    return layer


def _most_inputs(class_name: str) -> int | None:
    kind = layer_types().get(class_name)
    return 1 if kind is None else kind.inputs[1]


def _check_takes_one(layer: LayerSpec, where: str) -> None:
    kind = layer_types().get(layer.class_name)
    if kind is None:
        raise EditRefused(f"nnstudio has no layer type {layer.class_name!r}")
    if kind.is_input:
        raise EditRefused(f"An Input takes no inputs: it cannot go {where}")


def _with_new_layer(spec: ModelSpec, index: int, layer: LayerSpec) -> tuple[ModelSpec, str]:
    """`spec` with `layer` inserted at `index` (a fresh id when it has none or a used one), and its id."""
    spec = spec.inserted(index, layer)
    return spec, spec.layers[index].id


def _replace_refs(calls: tuple[Call, ...], old: TensorRef, new: TensorRef) -> tuple[Call, ...]:
    return tuple(tuple(new if ref == old else ref for ref in call) for call in calls)


# -- the edits ------------------------------------------------------------------------------------


def insert_on_connection(
    spec: ModelSpec, layer: LayerSpec, source: TensorRef, target: str | None
) -> tuple[ModelSpec, str]:
    """Put `layer` on the connection from `source` to layer `target` (None: to the model's output):
    it reads `source`, and `target` (or the output) reads it instead. The new spec and the new id."""
    _check_takes_one(layer, "on a connection")
    spec = spec.as_graph()
    _check_source(spec, source)
    if target is None:
        if source not in spec.outputs:
            raise EditRefused(f"'{spec.layer_by_id(source.layer).name}' is not an output of the model")
        index = len(spec.layers)
    else:
        consumer = _layer(spec, target)
        if not any(source in call for call in consumer.inbound):
            raise EditRefused(f"'{consumer.name}' does not read '{spec.layer_by_id(source.layer).name}'")
        index = spec.position_of(target)
    spec, new_id = _with_new_layer(spec, index, replace(layer, inbound=((source,),)))
    new_ref = TensorRef(new_id)
    if target is None:
        outputs = tuple(new_ref if ref == source else ref for ref in spec.outputs)
        spec = replace(spec, outputs=outputs)
    else:
        position = spec.position_of(target)
        consumer = spec.layers[position]
        spec = spec.with_layer(position, replace(consumer, inbound=_replace_refs(consumer.inbound, source, new_ref)))
    return in_reading_order(spec), new_id


def add_branch(spec: ModelSpec, layer: LayerSpec, source: TensorRef) -> tuple[ModelSpec, str]:
    """A new branch: `layer` reads `source`, and nothing reads it yet. The new spec and the new id."""
    _check_takes_one(layer, "after another layer")
    spec = spec.as_graph()
    _check_source(spec, source)
    spec, new_id = _with_new_layer(spec, len(spec.layers), replace(layer, inbound=((source,),)))
    return in_reading_order(spec), new_id


def add_layer(spec: ModelSpec, layer: LayerSpec) -> tuple[ModelSpec, str]:
    """`layer` unconnected; an Input becomes one more input of the model. The new spec and the new id."""
    spec = spec.as_graph()
    if is_input(layer.class_name):
        index = sum(1 for other in spec.layers if is_input(other.class_name))
        spec, new_id = _with_new_layer(spec, index, replace(layer, inbound=()))
        return replace(spec, inputs=(*spec.inputs, TensorRef(new_id))), new_id
    spec, new_id = _with_new_layer(spec, len(spec.layers), replace(layer, inbound=()))
    return spec, new_id


def after_layer(spec: ModelSpec, layer: LayerSpec, source_id: str) -> tuple[ModelSpec, str]:
    """`layer` right after layer `source_id`: on its output's one connection (or its place as the
    model's output), else as a new branch from it."""
    source = TensorRef(source_id)
    graph = spec.as_graph()
    readers = [(ref, consumer) for ref, consumer in connections(graph) if ref == source]
    is_output = source in graph.outputs
    if len(readers) == 1 and not is_output:
        return insert_on_connection(spec, layer, source, readers[0][1])
    if not readers and is_output:
        return insert_on_connection(spec, layer, source, None)
    return add_branch(spec, layer, source)


def connect(spec: ModelSpec, source: TensorRef, target: str) -> ModelSpec:
    """Feed `source` to layer `target` as one more input (a merge takes several, up to its type's
    most); refused when `target` takes no more, or when the connection would close a cycle."""
    spec = spec.as_graph()
    producer = _check_source(spec, source)
    consumer = _layer(spec, target)
    kind = layer_types().get(consumer.class_name)
    if kind is None:
        raise EditRefused(f"nnstudio has no layer type {consumer.class_name!r}")
    if kind.is_input:
        raise EditRefused(f"The Input '{consumer.name}' takes no inputs")
    if source.layer == target:
        raise EditRefused(f"'{consumer.name}' cannot read its own output: that would make a cycle")
    if reaches(spec, target, source.layer):
        raise EditRefused(
            f"Connecting '{producer.name}' to '{consumer.name}' would make a cycle:"
            f" '{consumer.name}' already leads to '{producer.name}'"
        )
    if len(consumer.inbound) > 1:
        raise EditRefused(f"'{consumer.name}' is called {len(consumer.inbound)} times (shared); connect its copies")
    call = consumer.inbound[0] if consumer.inbound else ()
    most = kind.inputs[1]
    if most is not None and len(call) >= most:
        have = ", ".join(f"'{spec.layer_by_id(ref.layer).name}'" for ref in call)
        if most == 1:
            raise EditRefused(
                f"{consumer.class_name} '{consumer.name}' takes one input and already reads {have}:"
                " delete that connection first, or connect to a merge layer"
            )
        raise EditRefused(f"{consumer.class_name} '{consumer.name}' takes at most {most} inputs and already has {have}")
    source = _state_source(producer, source, kind, len(call))
    position = spec.position_of(target)
    spec = spec.with_layer(position, replace(consumer, inbound=((*call, source),)))
    return in_reading_order(spec)


def _state_source(producer: LayerSpec, source: TensorRef, kind: LayerType, slot: int) -> TensorRef:
    """The tensor an RNN's initial state reads when connected from a layer as a whole: the
    matching final state of an RNN that gives them (`return_state`), as a seq2seq decoder's h and c
    read its encoder's outputs 1 and 2; else `source` as given."""
    if kind.call_convention != "initial_state" or slot == 0 or source.tensor != 0:
        return source
    given = layer_types().get(producer.class_name)
    if given is None or given.call_convention != "initial_state" or not producer.params.get("return_state"):
        return source
    states = len(given.input_names) - 1
    return replace(source, tensor=slot) if slot <= states else source


def disconnect(spec: ModelSpec, source: TensorRef, target: str) -> ModelSpec:
    """Delete the connection from `source` to layer `target` (its last such input when it reads it twice)."""
    spec = spec.as_graph()
    consumer = _layer(spec, target)
    calls = [list(call) for call in consumer.inbound]
    for call in reversed(calls):
        if source in call:
            slot = len(call) - 1 - call[::-1].index(source)
            _check_roles_kept(spec, consumer, call, slot)
            del call[slot]
            break
    else:
        name = spec.layer_by_id(source.layer).name if source.layer in spec.ids() else source.layer
        raise EditRefused(f"'{consumer.name}' does not read '{name}'")
    inbound = tuple(tuple(call) for call in calls if call)
    return spec.with_layer(spec.position_of(target), replace(consumer, inbound=inbound))


def _check_roles_kept(spec: ModelSpec, consumer: LayerSpec, call: list[TensorRef], slot: int) -> None:
    """Inputs with roles (query, value, key) are read by position: deleting one before the last
    would give the next one its role, so that is refused with the way to do it."""
    names = layer_types()[consumer.class_name].input_names if consumer.class_name in layer_types() else ()
    if not names or slot >= len(call) - 1 or len(call) > len(names):
        return
    raise EditRefused(
        f"'{consumer.name}' reads its inputs by position ({', '.join(names)}): deleting its {names[slot]} would "
        f"give the inputs after it other roles; delete its {names[len(call) - 1]} connection first"
    )


def delete_layer(spec: ModelSpec, layer_id: str) -> ModelSpec:
    """Delete layer `layer_id`. A layer nothing reads goes with its connections; a layer with one
    input and one output hands its readers (and its place among the outputs) to its input; any
    other layer that something reads is refused with the reason."""
    spec = spec.as_graph()
    layer = _layer(spec, layer_id)
    readers = [spec.layer_by_id(c) for c in consumers(spec, layer_id)]
    own_outputs = [ref for ref in spec.outputs if ref.layer == layer_id]
    single_in = len(layer.inbound) == 1 and len(layer.inbound[0]) == 1
    if readers or own_outputs:
        uses = [ref for r in readers for call in r.inbound for ref in call if ref.layer == layer_id] + own_outputs
        names = ", ".join(f"'{r.name}'" for r in readers)
        if not single_in:
            if not readers:
                raise EditRefused(f"'{layer.name}' is an output of the model: make another layer an output first")
            what = "The Input" if is_input(layer.class_name) else f"{layer.class_name}"
            raise EditRefused(
                f"{what} '{layer.name}' ({_count(layer)}) feeds {names}: delete the connections after it first"
            )
        if any(ref != TensorRef(layer_id) for ref in uses):
            raise EditRefused(f"'{layer.name}' gives several outputs, read by {names}: delete those connections first")
        source = layer.inbound[0][0]
        outputs = tuple(dict.fromkeys(source if ref.layer == layer_id else ref for ref in spec.outputs))
        layers = tuple(
            replace(other, inbound=_replace_refs(other.inbound, TensorRef(layer_id), source)) for other in spec.layers
        )
        spec = replace(spec, layers=layers, outputs=outputs)
    spec = spec.removed(spec.position_of(layer_id))
    return replace(spec, inputs=tuple(ref for ref in spec.inputs if ref.layer != layer_id))


def _count(layer: LayerSpec) -> str:
    n = sum(len(call) for call in layer.inbound)
    return "no inputs" if n == 0 else ("1 input" if n == 1 else f"{n} inputs")


def set_outputs(spec: ModelSpec, outputs: Iterable[TensorRef]) -> ModelSpec:
    """The model's outputs become `outputs` (in that order; at least one, each once)."""
    spec = spec.as_graph()
    refs = tuple(outputs)
    if not refs:
        raise EditRefused("A model needs at least one output")
    for ref in refs:
        _check_source(spec, ref)
    if len(set(refs)) != len(refs):
        raise EditRefused("Each output is listed once")
    return replace(spec, outputs=refs)


def toggle_output(spec: ModelSpec, layer_id: str) -> ModelSpec:
    """Make layer `layer_id`'s output one of the model's outputs, or stop it being one."""
    graph = spec.as_graph()
    ref = TensorRef(layer_id)
    _layer(graph, layer_id)
    if ref in graph.outputs:
        rest = [out for out in graph.outputs if out != ref]
        if not rest:
            raise EditRefused(f"'{graph.layer_by_id(layer_id).name}' is the model's only output")
        return set_outputs(graph, rest)
    return set_outputs(graph, [*graph.outputs, ref])


def duplicate_in_graph(spec: ModelSpec, layer_id: str, name: str) -> tuple[ModelSpec, str]:
    """A copy of layer `layer_id` named `name` reading the same inputs, beside it (a parallel branch)."""
    graph = spec.as_graph()
    original = _layer(graph, layer_id)
    if is_input(original.class_name):
        raise EditRefused("An Input cannot be duplicated: add another Input from the palette")
    copy = replace(original.with_params(), name=name, id="")
    spec, new_id = _with_new_layer(graph, graph.position_of(layer_id) + 1, copy)
    return in_reading_order(spec), new_id
