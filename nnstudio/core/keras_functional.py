"""Reading a functional model's `config.json` (Keras's `Functional`) into a graph spec, as plain data.

Keras writes each layer's calls as `inbound_nodes`: `{"args": [...], "kwargs": {...}}`, where a
tensor is `{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
[layer name, node index, tensor index]}}`. A merge layer gets a list of them as its first
argument, MultiHeadAttention its query and value as arguments and its key as an argument or the
keyword `key`. These are references between layers: they are read as `TensorRef`s (the layer ids
are the Keras names), every cited name is checked against the config's layers and every index
against what that layer gives. An operation node's call (`keras.src.ops.numpy` Add, Multiply:
`x + 3.0`) holds its operands, each a tensor or a plain number; the numbers become the node's
operand parameters. Anything else in a call (another object, a constant elsewhere, a keyword
argument the layer's inputs do not name, a `training` value other than the one Keras records
itself) is refused at the layer. `input_layers` and
`output_layers` become the model's inputs and outputs; the layers keep the config's order.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.file_values import carried_name_problem
from nnstudio.core.graph_shapes import GraphShapes, graph_issues, graph_shapes
from nnstudio.core.keras_archive import (
    TENSOR_CLASS,
    ArchiveError,
    _expect_object,
    _only_keys,
    _parse_compile,
    _parse_layer,
    _same_shape,
    _short,
    model_config,
)
from nnstudio.core.layers.config_values import is_plain
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef

FUNCTIONAL_MODULES = ("keras.src.models.functional", "keras.models", "keras")
MAX_CALLS = 64  # calls of one layer (a shared layer's uses), as in project files
MAX_REFS = 1_000  # tensors of one call, and the model's inputs or outputs
_ENTRY_KEYS = {
    "module",
    "class_name",
    "config",
    "registered_name",
    "build_config",
    "compile_config",
    "name",
    "inbound_nodes",
}
_TENSOR_KEYS = {"shape", "dtype", "keras_history"}
# Call arguments that Keras may write as null, their default (no mask, the usual training mode):
# read as absent. Any other keyword argument, or any other value, is refused.
DEFAULT_CALL_ARGUMENTS = frozenset({"mask", "training", "attention_mask", "query_mask", "value_mask", "key_mask"})
_TENSOR_FLAGS = {"sparse", "ragged"}  # written by some Keras versions; only false is read


def parse_functional(document: Any, where: str, param_budget: int | None) -> ModelSpec:
    """The graph spec of a screened functional `config.json` document; ArchiveError when refused."""
    if document.get("module") not in FUNCTIONAL_MODULES:
        raise ArchiveError(
            f"Functional from an unexpected module {_short(document.get('module'))}", f"{where} $.module"
        )
    config, name, entries = model_config(document, {"input_layers", "output_layers"}, "functional", where)

    layers: list[LayerSpec] = []
    positions: dict[str, int] = {}
    for i, entry in enumerate(entries):
        path = f"$.config.layers[{i}]"
        _expect_object(entry, path, where)
        _only_keys(entry, _ENTRY_KEYS, path, where)
        plain = {key: value for key, value in entry.items() if key not in ("name", "inbound_nodes", "build_config")}
        layer = _parse_layer(plain, path, where)
        if "name" in entry and entry["name"] != layer.name:
            raise ArchiveError(
                f"{layer.name}: the entry's name {_short(entry['name'])} differs from its config's",
                f"{where} {path}.name",
            )
        if layer.name in positions:
            raise ArchiveError(
                f"{layer.name}: the name is already used by layer {positions[layer.name] + 1}; names must be unique",
                f"{where} {path}.config.name",
            )
        positions[layer.name] = i
        layers.append(layer)
    node_counts = [max(1, len(e["inbound_nodes"])) if isinstance(e.get("inbound_nodes"), list) else 1 for e in entries]
    counts = {layer.name: node_counts[i] for i, layer in enumerate(layers)}
    for i, entry in enumerate(entries):
        path = f"$.config.layers[{i}]"
        layer = layers[i]
        if layer_type(layer.class_name).operands:
            layer = _with_operands(entry.get("inbound_nodes", []), layer, path, where)
        calls = _parse_calls(entry.get("inbound_nodes", []), layer, counts, path, where)
        layers[i] = LayerSpec(layer.class_name, layer.name, layer.params, id=layer.name, inbound=calls)
    inputs, input_keys = _parse_model_refs(config.get("input_layers"), counts, "$.config.input_layers", where)
    outputs, output_keys = _parse_model_refs(config.get("output_layers"), counts, "$.config.output_layers", where)
    if not outputs:
        raise ArchiveError("the model has no outputs", f"{where} $.config.output_layers")
    if "build_config" in document:
        _check_model_build_config(document["build_config"], where)
    compile_spec = _parse_compile(document.get("compile_config"), "$.compile_config", where)
    spec = ModelSpec(
        name=name,
        layers=tuple(layers),
        compile=compile_spec,
        inputs=inputs,
        outputs=outputs,
        input_keys=tuple(zip(inputs, input_keys, strict=False)),
        output_keys=tuple(zip(outputs, output_keys, strict=False)),
    )
    shapes = _checked_graph(spec, where, param_budget)
    for i, entry in enumerate(entries):
        if "build_config" in entry:
            _check_build_config(
                entry["build_config"], spec.layers[i], shapes, f"$.config.layers[{i}].build_config", where
            )
    return spec


def _checked_graph(spec: ModelSpec, where: str, param_budget: int | None) -> GraphShapes:
    """The graph's shapes, after the checks of each layer, the compile settings and the parameter budget."""
    issues = graph_issues(spec, param_budget)
    if issues:
        raise ArchiveError(issues[0].message, where)
    return graph_shapes(spec)


def _parse_calls(value: Any, layer: LayerSpec, counts: dict[str, int], path: str, where: str) -> tuple:
    """A layer's `inbound_nodes` as its calls (each a tuple of TensorRefs in the layer's input order)."""
    here = f"{where} {path}.inbound_nodes"
    if not isinstance(value, list):
        raise ArchiveError(f"{layer.name}: inbound_nodes must be a list", here)
    kind = layer_type(layer.class_name)
    if kind.is_input:
        if value:
            raise ArchiveError(
                f"{layer.name}: an InputLayer is called on nothing; its inbound_nodes must be empty", here
            )
        return ()
    if not value:
        raise ArchiveError(f"{layer.name}: the layer is not connected to any input (no inbound_nodes)", here)
    if len(value) > MAX_CALLS:
        raise ArchiveError(f"{layer.name}: {len(value):,} calls; the limit is {MAX_CALLS}", here)
    return tuple(_parse_call(node, layer, counts, f"{path}.inbound_nodes[{c}]", where) for c, node in enumerate(value))


def _with_operands(value: Any, layer: LayerSpec, path: str, where: str) -> LayerSpec:
    """An operation node (`x + 3.0`) with the constants of its one call as its operand parameters.

    Its call's positional args are the operands in order, each a tensor reference or a plain
    number; a number becomes that operand's parameter, a tensor leaves it None (the next input).
    Anything else is refused by `_parse_call`, which reads the tensors."""
    here = f"{where} {path}.inbound_nodes"
    if not isinstance(value, list) or len(value) != 1:
        count = len(value) if isinstance(value, list) else 0
        raise ArchiveError(f"{layer.name}: an operation node is called exactly once; this one {count} time(s)", here)
    node = value[0]
    args = node.get("args") if isinstance(node, dict) else None
    kind = layer_type(layer.class_name)
    if not isinstance(args, list) or len(args) != len(kind.operands):
        raise ArchiveError(
            f"{layer.name}: {kind.config_class} takes {len(kind.operands)} operands; its call has "
            f"{len(args) if isinstance(args, list) else 0}",
            f"{here}[0].args",
        )
    params = dict(layer.params)
    for i, (name, arg) in enumerate(zip(kind.operands, args, strict=True)):
        if isinstance(arg, dict) and arg.get("class_name") == TENSOR_CLASS:
            continue
        if type(arg) not in (int, float):
            raise ArchiveError(
                f"{layer.name}: an operand must be a tensor of the model or a plain number; received {_short(arg)}",
                f"{here}[0].args[{i}]",
            )
        problem = kind.param(name).kind.check(name, arg)
        if problem:
            raise ArchiveError(f"{layer.name}: {problem}", f"{here}[0].args[{i}]")
        params[name] = arg
    values = kind.defaults()
    values.update(params)
    for _field, problem in kind.validate(kind.values(values)):
        raise ArchiveError(f"{layer.name}: {problem}", f"{here}[0].args")
    return LayerSpec(layer.class_name, layer.name, kind.stored(values))


def _parse_call(node: Any, layer: LayerSpec, counts: dict[str, int], path: str, where: str) -> tuple[TensorRef, ...]:
    """One `{"args", "kwargs"}` entry as the call's input tensors, by the layer's call convention."""
    here = f"{where} {path}"
    _expect_object(node, path, where)
    _only_keys(node, {"args", "kwargs"}, path, where)
    args, kwargs = node.get("args", []), node.get("kwargs", {})
    if not isinstance(args, list):
        raise ArchiveError(f"{layer.name}: a call's args must be a list", f"{here}.args")
    _expect_object(kwargs, f"{path}.kwargs", where)
    kind = layer_type(layer.class_name)
    convention = kind.call_convention
    if convention == "operands":
        given = dict(kwargs)
        indexed = [(i, a) for i, a in enumerate(args) if type(a) not in (int, float)]
        tensors = [a for _i, a in indexed]
        arg_paths = [f"{path}.args[{i}]" for i, _a in indexed]
    elif convention == "positional":
        tensors = list(args)
        names = kind.input_names
        given = dict(kwargs)
        for name in names[len(tensors) :]:
            if name not in given:
                break
            tensors.append(given.pop(name))
        arg_paths = [f"{path}.args[{i}]" for i in range(len(args))] + [
            f"{path}.kwargs.{n}" for n in names[len(args) : len(tensors)]
        ]
    elif convention == "initial_state":
        tensors, arg_paths, given = _sequences_and_states(args, kwargs, layer, kind.config_class, path, where)
    else:
        given = dict(kwargs)
        if convention == "list":
            if len(args) != 1 or not isinstance(args[0], list):
                raise ArchiveError(
                    f"{layer.name}: {kind.config_class} is called on one list of tensors; this call has "
                    f"{len(args)} argument(s)",
                    f"{here}.args",
                )
            tensors = list(args[0])
            arg_paths = [f"{path}.args[0][{i}]" for i in range(len(tensors))]
        else:
            if len(args) != 1:
                raise ArchiveError(
                    f"{layer.name}: {kind.config_class} is called on one tensor; this call has {len(args)} argument(s)",
                    f"{here}.args",
                )
            tensors = list(args)
            arg_paths = [f"{path}.args[0]"]
    for key in [key for key, value in given.items() if key in DEFAULT_CALL_ARGUMENTS and value is None]:
        del given[key]  # Keras records some call arguments it was not given, as null (BatchNormalization's mask)
    if "training" in given and given["training"] is kind.training_default:
        del given[
            "training"
        ]  # Keras records its call's default itself (a Dropout called with training=True is refused)
    if "initial_state" in given:
        raise ArchiveError(
            f"{layer.name}: {kind.config_class} called with initial_state is not supported; only SimpleRNN, LSTM "
            "and GRU calls read it",
            f"{here}.kwargs.initial_state",
        )
    for key in given:
        raise ArchiveError(
            f"{layer.name}: the call's keyword argument {_short(key)} is not supported; only the layer's input "
            "tensors are read",
            f"{here}.kwargs",
        )
    if len(tensors) > MAX_REFS:
        raise ArchiveError(f"{layer.name}: {len(tensors):,} inputs in one call; the limit is {MAX_REFS:,}", here)
    problem = kind.input_count_problem(len(tensors))
    if problem:
        raise ArchiveError(f"{layer.name}: {problem}", here)
    return tuple(_parse_tensor(t, layer.name, counts, p, where) for t, p in zip(tensors, arg_paths, strict=True))


def _sequences_and_states(
    args: list[Any], kwargs: dict[str, Any], layer: LayerSpec, config_class: str, path: str, where: str
) -> tuple[list[Any], list[str], dict[str, Any]]:
    """An RNN's call `layer(sequences, initial_state=[h, c])`: the sequences, then each state (a
    list of tensor references, read as the call's further inputs), their paths, and the other kwargs."""
    here = f"{where} {path}"
    if len(args) != 1:
        raise ArchiveError(
            f"{layer.name}: {config_class} is called on one tensor of sequences; this call has {len(args)} argument(s)",
            f"{here}.args",
        )
    given = dict(kwargs)
    tensors, arg_paths = list(args), [f"{path}.args[0]"]
    if "initial_state" in given:
        states = given.pop("initial_state")
        if isinstance(states, dict) and states.get("class_name") == TENSOR_CLASS:  # one state, given bare
            tensors.append(states)
            arg_paths.append(f"{path}.kwargs.initial_state")
            return tensors, arg_paths, given
        if not isinstance(states, list) or not states:
            raise ArchiveError(
                f"{layer.name}: initial_state is read as a tensor or a non-empty list of tensors of the model; "
                f"received {_short(states)}",
                f"{here}.kwargs.initial_state",
            )
        tensors += states
        arg_paths += [f"{path}.kwargs.initial_state[{i}]" for i in range(len(states))]
    return tensors, arg_paths, given


def _parse_tensor(value: Any, owner: str, counts: dict[str, int], path: str, where: str) -> TensorRef:
    """A `__keras_tensor__` object as a reference to an output of a layer of the config."""
    here = f"{where} {path}"
    if not (isinstance(value, dict) and value.get("class_name") == TENSOR_CLASS):
        raise ArchiveError(f"{owner}: a call's arguments must be tensors of the model; received {_short(value)}", here)
    _only_keys(value, {"class_name", "config"}, path, where)
    config: Any = value.get("config")
    _expect_object(config, f"{path}.config", where)
    _only_keys(config, _TENSOR_KEYS | _TENSOR_FLAGS, f"{path}.config", where)
    for flag in _TENSOR_FLAGS & set(config):
        if config[flag] is not False:
            raise ArchiveError(f"{owner}: {flag} tensors are not supported", f"{here}.config.{flag}")
    shape = config.get("shape")
    if not (isinstance(shape, list) and all(d is None or (type(d) is int and d >= 0) for d in shape)):
        raise ArchiveError(f"{owner}: a tensor's shape must be a list of sizes. Received: {_short(shape)}", here)
    if not isinstance(config.get("dtype"), str):
        raise ArchiveError(f"{owner}: a tensor's dtype must be a name. Received: {_short(config.get('dtype'))}", here)
    return _reference(config.get("keras_history"), owner, counts, f"{path}.config.keras_history", where)


def _reference(value: Any, owner: str, counts: dict[str, int], path: str, where: str) -> TensorRef:
    """`[layer name, node index, tensor index]`, checked against the config's layers."""
    here = f"{where} {path}"
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not isinstance(value[0], str)
        or any(type(n) is not int or not 0 <= n < MAX_REFS for n in value[1:])
    ):
        raise ArchiveError(
            f"{owner}: expected a reference [layer name, node index, tensor index]. Received: {_short(value)}", here
        )
    name, node, tensor = value
    if name not in counts:
        raise ArchiveError(f"{owner}: refers to the layer {_short(name)}, which the config does not have", here)
    if node >= counts[name]:
        raise ArchiveError(
            f"{owner}: refers to call {node} of {name}, which the config calls {counts[name]} time(s)", here
        )
    return TensorRef(name, node, tensor)


def _parse_model_refs(
    value: Any, counts: dict[str, int], path: str, where: str
) -> tuple[tuple[TensorRef, ...], tuple[str, ...]]:
    """`input_layers` / `output_layers`: one reference (flat, Keras's form for a single one), a list
    of them, or a dict of them (a model called with a dict); the references and the dict's keys."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return (_reference(value, "model", counts, path, where),), ()
    if isinstance(value, dict):
        return _parse_keyed_refs(value, counts, path, where)
    if not isinstance(value, list):
        raise ArchiveError(
            f"model: expected a list or a dict of references. Received: {_short(value)}", f"{where} {path}"
        )
    if len(value) > MAX_REFS:
        raise ArchiveError(f"model: {len(value):,} references; the limit is {MAX_REFS:,}", f"{where} {path}")
    return tuple(_reference(item, "model", counts, f"{path}[{i}]", where) for i, item in enumerate(value)), ()


def _parse_keyed_refs(
    value: dict[str, Any], counts: dict[str, int], path: str, where: str
) -> tuple[tuple[TensorRef, ...], tuple[str, ...]]:
    """`{"age": ["age", 0, 0], ...}`: one reference per key, each tensor under one key only."""
    if len(value) > MAX_REFS:
        raise ArchiveError(f"model: {len(value):,} references; the limit is {MAX_REFS:,}", f"{where} {path}")
    refs: list[TensorRef] = []
    for i, (key, item) in enumerate(value.items()):
        problem = carried_name_problem(key) if key else "a key must not be empty"
        if problem:
            raise ArchiveError(f"model: {problem}", f"{where} {path}")
        ref = _reference(item, "model", counts, f"{path}[{i}]", where)
        if ref in refs:
            raise ArchiveError(
                f"model: the tensor {_short(item)} is under two keys; nnstudio holds each under one",
                f"{where} {path}[{i}]",
            )
        refs.append(ref)
    return tuple(refs), tuple(value)


def _check_model_build_config(value: Any, where: str) -> None:
    """A functional model's own build_config: Keras writes `{"input_shape": null}` (it builds from its inputs)."""
    _expect_object(value, "$.build_config", where)
    _only_keys(value, {"input_shape"}, "$.build_config", where)
    if value.get("input_shape") is not None:
        raise ArchiveError(
            f"a functional model builds from its inputs; its build_config input_shape must be null. "
            f"Received: {_short(value.get('input_shape'))}",
            f"{where} $.build_config.input_shape",
        )


def _check_build_config(value: Any, layer: LayerSpec, shapes: GraphShapes, path: str, where: str) -> None:
    """Refuse a layer's build shapes unless they are those of its first call.

    Keras builds a layer with its `build_config` before it loads a weight, so shapes that
    disagree with the graph could make it allocate far past the parameter budget.
    """
    here = f"{where} {path}"
    _expect_object(value, path, where)
    kind = layer_type(layer.class_name)
    received = [tuple(shape) for shape in shapes.calls[layer.id][0].inputs]
    batched = [[None, *shape] for shape in received]
    declared: Any
    pairs: list[tuple[Any, Any]]
    if kind.call_convention == "initial_state" and len(batched) > 1:
        pairs = _state_build_shapes(value, batched, path, where)
    elif kind.call_convention == "positional":
        _only_keys(value, {"shapes_dict"}, path, where)
        declared = value.get("shapes_dict")
        _expect_object(declared, f"{path}.shapes_dict", where)
        wanted = {f"{name}_shape": shape for name, shape in zip(kind.input_names, batched, strict=False)}
        _only_keys(declared, set(wanted), f"{path}.shapes_dict", where)
        pairs = [(declared.get(key), shape) for key, shape in wanted.items() if key in declared]
    else:
        _only_keys(value, {"input_shape"}, path, where)
        declared = value.get("input_shape")
        if declared is None:
            return
        if kind.call_convention == "list":
            if not isinstance(declared, list) or len(declared) != len(batched):
                pairs = [(declared, batched)]
            else:
                pairs = list(zip(declared, batched, strict=True))
        else:
            pairs = [(declared, batched[0])]
    for shape, expected in pairs:
        if not is_plain(shape) or not _same_shape(shape, expected):
            raise ArchiveError(
                f"{layer.name}: the stored build shape {_short(shape)} disagrees with the input shape "
                f"{_short(expected)} "
                "the model gives it",
                here,
            )


def _state_build_shapes(value: dict, batched: list[list[Any]], path: str, where: str) -> list[tuple[Any, Any]]:
    """(declared, expected) pairs of an RNN built with initial states: Keras writes
    `{"shapes_dict": {"sequences_shape": [...], "initial_state_shape": [[...], ...]}}`."""
    _only_keys(value, {"shapes_dict"}, path, where)
    declared: Any = value.get("shapes_dict")
    _expect_object(declared, f"{path}.shapes_dict", where)
    _only_keys(declared, {"sequences_shape", "initial_state_shape"}, f"{path}.shapes_dict", where)
    pairs: list[tuple[Any, Any]] = []
    if "sequences_shape" in declared:
        pairs.append((declared["sequences_shape"], batched[0]))
    if "initial_state_shape" in declared:
        states = declared["initial_state_shape"]
        one_bare_state = isinstance(states, list) and all(d is None or type(d) is int for d in states)
        if one_bare_state and len(batched) == 2:  # `initial_state=h`: the one state's shape, not a list of them
            pairs.append((states, batched[1]))
        elif isinstance(states, list) and len(states) == len(batched) - 1:
            pairs += list(zip(states, batched[1:], strict=True))
        else:
            pairs.append((states, batched[1:]))
    return pairs
