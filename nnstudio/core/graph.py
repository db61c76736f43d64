"""The structure of a model's graph: what is wrong with it, the order of its calls, and Keras's order.

A node is one call of a layer, `(position in spec.layers, call index)`: an Input has one (call 0,
where data enters), another layer one per tuple in its `inbound`. `TensorRef(layer, node, tensor)`
names output `tensor` of node `node` of the layer whose id is `layer`, as Keras's `keras_history` does.

- `graph_problems(spec)`: every structural problem (a cycle, a reference to a missing layer or call,
  a layer whose input is not connected, a layer or call not used on the way to any output, a wrong
  model input or output, a wrong number of inputs for the layer's type), each an Issue at its layer.
  A chain (Sequential) has none of these by construction: `[]`.
- `topological_calls(spec)`: every call, each after the calls that feed it; `calls_to_outputs(spec)`:
  those the outputs need.
- `keras_order(spec)`: the layers in the order Keras's Functional lists them (`model.layers`, the
  rows of `model.summary()`), computed as `keras.src.ops.function.map_graph` does.
- `sequential_like(spec)`: whether Keras prints the summary without the `Connected to` column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.spec import Call, ModelSpec, TensorRef
from nnstudio.core.validation import Issue

Node = tuple[int, int]  # (layer position, call index)


class GraphError(ValueError):
    """The graph cannot be ordered (a cycle or a reference to something missing)."""


def ref_text(name: str, ref: TensorRef) -> str:
    """A reference as Keras prints it under `Connected to`: `dense[0][0]`."""
    return f"{name}[{ref.node}][{ref.tensor}]"


def call_count(spec: ModelSpec, position: int) -> int:
    """How many nodes (calls) the layer at `position` has: an Input one, another layer one per call."""
    layer = spec.layers[position]
    if is_input(layer.class_name):
        return 1
    return len(spec.connections(position))


def call_inputs(spec: ModelSpec, node: Node) -> Call:
    """The input tensors of a node (none for an Input's)."""
    position, call = node
    if is_input(spec.layers[position].class_name):
        return ()
    return spec.connections(position)[call]


@dataclass
class _Walk:
    """Keras's `_build_map` over the nodes reachable from the outputs, and `map_graph`'s depths."""

    spec: ModelSpec
    positions: dict[str, int] = field(default_factory=dict)
    order: list[Node] = field(default_factory=list)  # post-order: each node after the nodes feeding it
    first_seen: dict[int, int] = field(default_factory=dict)  # layer position -> traversal index
    cycles: list[list[Node]] = field(default_factory=list)
    finished: set[Node] = field(default_factory=set)

    counts: list[int] = field(default_factory=list)  # calls of each layer

    def __post_init__(self) -> None:
        self.positions = {layer.id: i for i, layer in enumerate(self.spec.layers)}
        self.counts = [call_count(self.spec, p) for p in range(len(self.spec.layers))]

    def node_of(self, ref: TensorRef) -> Node | None:
        """The node a reference names, or None when that layer or call does not exist."""
        position = self.positions.get(ref.layer)
        if position is None or not 0 <= ref.node < self.counts[position]:
            return None
        return position, ref.node

    def parents(self, node: Node) -> Iterator[Node]:
        position, call = node
        if not self.counts[position] or is_input(self.spec.layers[position].class_name):
            return
        for ref in self.spec.connections(position)[call]:
            parent = self.node_of(ref)
            if parent is not None:
                yield parent

    def run(self, starts: list[Node]) -> None:
        """Depth-first from each start in turn, as `_build_map_helper` recurses (iteratively here,
        so deep graphs do not hit Python's recursion limit); a cycle is recorded and cut."""
        finished = self.finished
        in_progress: list[Node] = []
        on_path: set[Node] = set()
        stack: list[tuple[Node, Iterator[Node]]] = []

        def enter(node: Node) -> None:
            self.first_seen.setdefault(node[0], len(self.first_seen))
            in_progress.append(node)
            on_path.add(node)
            stack.append((node, self.parents(node)))

        for start in starts:
            if start in finished:
                continue
            enter(start)
            while stack:
                node, parents = stack[-1]
                for parent in parents:
                    if parent in finished:
                        continue
                    if parent in on_path:
                        self.cycles.append(in_progress[in_progress.index(parent) :] + [parent])
                        continue
                    enter(parent)
                    break
                else:
                    stack.pop()
                    in_progress.pop()
                    on_path.discard(node)
                    finished.add(node)
                    self.order.append(node)


def same_graph(a: ModelSpec, b: ModelSpec) -> bool:
    """Whether two specs have the same graph, layer for layer: ids, names, classes and connections
    (their settings may differ). Cheap for an edit's spec and the one before it: an untouched layer,
    and a touched layer's connections, are the same objects."""
    if a is b:
        return True
    if a.inputs != b.inputs or a.outputs != b.outputs or len(a.layers) != len(b.layers):
        return False
    return all(
        x is y or (x.inbound is y.inbound and x.id == y.id and x.name == y.name and x.class_name == y.class_name)
        for x, y in zip(a.layers, b.layers, strict=True)
    )


Depths = tuple[dict[Node, int], dict[int, int], dict[int, int]]
# the newest graph's walk from its outputs, and its problems (specs are immutable)
_last: tuple[ModelSpec, _Walk, Depths] | None = None
_last_problems: tuple[ModelSpec, tuple[Issue, ...]] | None = None


def _output_facts(spec: ModelSpec) -> tuple[_Walk, Depths]:
    """The walk back from the outputs and its depths, computed once per graph (the summary, the
    order and the problems all read them; an edit of a layer's settings keeps them). Not to be
    changed by the caller."""
    global _last
    last = _last
    if last is not None and same_graph(last[0], spec):
        return last[1], last[2]
    walk = _Walk(spec)
    walk.run([node for node in map(walk.node_of, spec.model_outputs()) if node is not None])
    depths = _depths(spec, walk)
    _last = (spec, walk, depths)
    return walk, depths


def _output_walk(spec: ModelSpec) -> _Walk:
    return _output_facts(spec)[0]


def calls_to_outputs(spec: ModelSpec) -> tuple[Node, ...]:
    """The calls the outputs need, each after the calls that feed it, in Keras's traversal (a cycle
    is cut where it closes; references to nothing are left out)."""
    return tuple(_output_walk(spec).order)


def topological_calls(spec: ModelSpec) -> tuple[Node, ...]:
    """Every call of every layer, each after the calls that feed it: the calls on the way to the
    outputs first (in Keras's traversal), then the others. GraphError on a cycle or a reference to
    a missing layer or call."""
    walk = _Walk(spec)
    starts = [node for node in map(walk.node_of, spec.model_outputs()) if node is not None]
    walk.run(starts + [(p, c) for p in range(len(spec.layers)) for c in range(walk.counts[p])])
    if walk.cycles:
        raise GraphError(_cycle_text(spec, walk.cycles[0]))
    for node in walk.order:
        for ref in call_inputs(spec, node):
            if walk.node_of(ref) is None:
                raise GraphError(f"{spec.layers[node[0]].name}: an input names a layer or call that does not exist")
    return tuple(walk.order)


def _depths(spec: ModelSpec, walk: _Walk) -> Depths:
    """`map_graph`'s node and layer depths (0 at the outputs), and the traversal index of each layer
    (-1 for a model input that no output uses, which Keras keeps at depth 0)."""
    node_depth: dict[Node, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(walk.order):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node[0], 0))
        layer_depth[node[0]] = depth
        node_depth[node] = depth
        for parent in walk.parents(node):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    first_seen = dict(walk.first_seen)
    for ref in spec.model_inputs():
        entry = walk.node_of(ref)
        if entry is not None and is_input(spec.layers[entry[0]].class_name) and entry[0] not in layer_depth:
            layer_depth[entry[0]] = 0
            first_seen[entry[0]] = -1
            node_depth[entry] = 0
    return node_depth, layer_depth, first_seen


def keras_order(spec: ModelSpec) -> tuple[int, ...]:
    """The positions of `spec.layers` in the order Keras lists a Functional model's layers: by depth
    from the inputs (the deepest from the outputs first), layers of the same depth in the order a
    depth-first walk back from the outputs first meets them. Layers no output uses follow, in spec
    order. A chain keeps its order."""
    if not spec.is_functional:
        return tuple(range(len(spec.layers)))
    _walk, (_node_depth, layer_depth, first_seen) = _output_facts(spec)
    by_depth: dict[int, list[int]] = {}
    for position, depth in layer_depth.items():
        by_depth.setdefault(depth, []).append(position)
    order = [p for depth in sorted(by_depth, reverse=True) for p in sorted(by_depth[depth], key=first_seen.__getitem__)]
    seen = set(order)
    return tuple(order) + tuple(p for p in range(len(spec.layers)) if p not in seen)


def sequential_like(spec: ModelSpec) -> bool:
    """Whether Keras prints this model's summary as a Sequential one (no `Connected to` column): one
    call at each depth, none of them on several tensors, and no layer called twice
    (`summary_utils.print_summary`). A chain always is."""
    if not spec.is_functional:
        return True
    _walk, (node_depth, _layer_depth, _first_seen) = _output_facts(spec)
    by_depth: dict[int, list[Node]] = {}
    for node, depth in node_depth.items():
        by_depth.setdefault(depth, []).append(node)
    for nodes in by_depth.values():
        if len(nodes) > 1 or len(call_inputs(spec, nodes[0])) > 1:
            return False
    layers = [position for position, _call in node_depth]
    return len(layers) == len(set(layers))


# -- problems ---------------------------------------------------------------------------------


def _cycle_text(spec: ModelSpec, cycle: list[Node]) -> str:
    names = " -> ".join(spec.layers[p].name for p, _c in reversed(cycle))
    return f"it is part of a cycle ({names}); connections must lead from the inputs to the outputs"


def _where(spec: ModelSpec, position: int) -> dict:
    return {"layer_index": position, "layer_name": spec.layers[position].name}


def _call_label(spec: ModelSpec, position: int, call: int) -> str:
    return f"call {call + 1}: " if len(spec.connections(position)) > 1 else ""


def _reference_problem(spec: ModelSpec, walk: _Walk, ref: TensorRef, what: str = "its input") -> str | None:
    """Why `ref` names nothing (a missing layer, a call the layer does not have), or None."""
    position = walk.positions.get(ref.layer)
    if position is None:
        return f"{what} names a layer that is not in the model (id {ref.layer!r})"
    other = spec.layers[position]
    count = call_count(spec, position)
    if not 0 <= ref.node < count:
        times = "once" if count == 1 else f"{count} times"
        return f"{what} {ref_text(other.name, ref)} names call {ref.node + 1} of {other.name}, which is called {times}"
    if is_input(other.class_name) and ref.tensor != 0:
        return f"{what} {ref_text(other.name, ref)} does not exist: an Input gives 1 output"
    return None


def _layer_problems(spec: ModelSpec, walk: _Walk) -> list[Issue]:
    kinds = layer_types()
    issues: list[Issue] = []
    for position, layer in enumerate(spec.layers):
        where = _where(spec, position)
        calls = spec.connections(position)
        if is_input(layer.class_name):
            if calls:
                issues.append(Issue(f"{layer.name}: an Input takes no input: it is where data enters", **where))
            continue
        kind = kinds.get(layer.class_name)
        if not calls:
            what = "input is" if kind is None or kind.takes_one_input else "inputs are"
            issues.append(Issue(f"{layer.name}: its {what} not connected", **where))
        for call, tensors in enumerate(calls):
            label = _call_label(spec, position, call)
            problem = kind.input_count_problem(len(tensors)) if kind is not None else None
            if problem:
                issues.append(Issue(f"{layer.name}: {label}{problem}", **where))
            for ref in tensors:
                problem = _reference_problem(spec, walk, ref)
                if problem:
                    issues.append(Issue(f"{layer.name}: {label}{problem}", **where))
    return issues


def _model_problems(spec: ModelSpec, walk: _Walk) -> list[Issue]:
    issues: list[Issue] = []
    if not spec.inputs:
        issues.append(Issue("model: a functional model needs at least one input"))
    listed: set[int] = set()
    for k, ref in enumerate(spec.inputs):
        position = walk.positions.get(ref.layer)
        if position is None:
            issues.append(Issue(f"model: input {k + 1} names a layer that is not in the model (id {ref.layer!r})"))
            continue
        name, where = spec.layers[position].name, _where(spec, position)
        if not is_input(spec.layers[position].class_name):
            issues.append(Issue(f"{name}: it is listed as a model input, but only an Input can be one", **where))
        elif ref.node != 0 or ref.tensor != 0:
            problem = f"the model input {ref_text(name, ref)} does not exist: an Input gives 1 output"
            issues.append(Issue(f"{name}: {problem}", **where))
        elif position in listed:
            issues.append(Issue(f"{name}: it is listed twice among the model's inputs", **where))
        listed.add(position)
    for k, ref in enumerate(spec.outputs):
        position = walk.positions.get(ref.layer)
        if position is None:
            issues.append(Issue(f"model: output {k + 1} names a layer that is not in the model (id {ref.layer!r})"))
            continue
        missing = _reference_problem(spec, walk, ref, "the model output")
        if missing:
            issues.append(Issue(f"{spec.layers[position].name}: {missing}", **_where(spec, position)))
    reached = {position for position, _call in walk.order}
    for position, layer in enumerate(spec.layers):
        if is_input(layer.class_name) and position not in listed and position in reached:
            problem = "this Input feeds the model but is not one of the model's inputs"
            issues.append(Issue(f"{layer.name}: {problem}", **_where(spec, position)))
    return issues


def _unused_problems(spec: ModelSpec, walk: _Walk) -> list[Issue]:
    """Layers and calls that no output needs (an Input the model lists is allowed, as in Keras)."""
    reached = set(walk.order)
    listed = {ref.layer for ref in spec.inputs}
    issues: list[Issue] = []
    for position, layer in enumerate(spec.layers):
        count = call_count(spec, position)
        unused = [call for call in range(count) if (position, call) not in reached]
        if not unused or (is_input(layer.class_name) and layer.id in listed):
            continue
        if len(unused) == count:
            problem = "it is not used on the way to any output (connect it onward, or make it a model output)"
        else:
            calls = ", ".join(str(call + 1) for call in unused)
            problem = f"call {calls} is not used on the way to any output"
        issues.append(Issue(f"{layer.name}: {problem}", **_where(spec, position)))
    return issues


def _id_problems(spec: ModelSpec) -> list[Issue]:
    """Two layers with one id: references to it could mean either."""
    first: dict[str, int] = {}
    issues: list[Issue] = []
    for position, layer in enumerate(spec.layers):
        if layer.id in first:
            other = spec.layers[first[layer.id]].name
            problem = f"its id {layer.id!r} is already the id of {other}; each layer needs its own"
            issues.append(Issue(f"{layer.name}: {problem}", **_where(spec, position)))
        first.setdefault(layer.id, position)
    return issues


def _cycle_problems(spec: ModelSpec) -> list[Issue]:
    walk = _Walk(spec)
    starts = [node for node in map(walk.node_of, spec.model_outputs()) if node is not None]
    walk.run(starts + [(p, c) for p in range(len(spec.layers)) for c in range(walk.counts[p])])
    issues: list[Issue] = []
    marked: set[int] = set()
    for cycle in walk.cycles:
        text = _cycle_text(spec, cycle)
        for position, _call in cycle:
            if position not in marked:
                marked.add(position)
                issues.append(Issue(f"{spec.layers[position].name}: {text}", **_where(spec, position)))
    return issues


def graph_problems(spec: ModelSpec) -> list[Issue]:
    """Every structural problem of a functional model's graph, each an Issue at the layer at fault
    (`layer_index`, `layer_name`) or at the model (`layer_index` None): an id used twice, a cycle,
    a reference to a missing layer or call, a layer whose input is not connected, a wrong number of
    inputs for the layer's type, a wrong model input or output, a layer or call not used on the way
    to any output. A chain (Sequential) has none by construction: []. Shapes are not looked at
    (`analyze` adds what they show: a tensor a call does not give, what a layer type refuses)."""
    global _last_problems
    if not spec.is_functional:
        return []
    last = _last_problems
    if last is not None and same_graph(last[0], spec):
        return list(last[1])
    walk = _output_walk(spec)
    issues = _id_problems(spec) + _model_problems(spec, walk) + _layer_problems(spec, walk) + _cycle_problems(spec)
    without_input = {i.layer_index for i in issues if i.message.endswith("not connected")}
    unused = [i for i in _unused_problems(spec, walk) if i.layer_index not in without_input]
    _last_problems = (spec, tuple(issues + unused))  # kept apart from the list handed out
    return issues + unused
