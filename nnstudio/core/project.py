"""Project files (`.nnstudio`): strict, versioned JSON that reads like Keras's own config.

    {"format": "nnstudio", "version": 1, "name": "sequential",
     "layers": [{"class_name": "Input", "name": "input_layer", "shape": [20]}, ...],
     "compile": {"loss": ..., "optimizer": ..., "learning_rate": ..., "metrics": [...],
                 "optimizer_options": {...}, "loss_options": {...}},
     "editor": {...}}

The two `*_options` objects (the optimizer's and the loss's settings other than Keras's defaults,
e.g. `{"momentum": 0.9}`) are written only when not empty; files without them still load.
A layer setting that a later nnstudio added (an Input's `dtype`) is written only when it differs
from its default, so the file of a model that does not use it stays as older versions wrote it.
Unknown keys outside `editor` are errors, reported with the JSON path of the key.

Version 2 adds the graph: each layer entry may carry `"id"` (its stable id, when it differs from
its name) and `"inbound"` (its calls, each a list of `[layer id, node index, tensor index]`
references), and the document `"inputs"` and `"outputs"` (lists of such references) for a
functional model. A Sequential model whose ids are its names is written as version 1, so older
builds keep reading it; everything else is written as version 2. Version 1 files are read as
chains whose ids are the layer names.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nnstudio.core.compile_options import freeze, loss_defaults, optimizer_defaults
from nnstudio.core.file_values import (
    MAX_LIST_ITEMS,
    MAX_METRICS,
    MAX_OPTIONS,
    MAX_TEXT_CHARS,
    as_float_where_keras_expects_one,
    carried_name_problem,
    is_finite_number,
    metrics_problem,
    shown,
    value_problem,
)
from nnstudio.core.fileio import atomic_write_bytes
from nnstudio.core.json_depth import json_shape
from nnstudio.core.layers.registry import known_classes_hint, layer_types
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec, TensorRef
from nnstudio.core.text_safety import cut, terminal_text

FORMAT = "nnstudio"
VERSION = 2  # the newest version this build reads and writes
VERSIONS = (1, 2)
MAX_CALLS = 64  # calls of one layer (a shared layer's uses)
MAX_REFS = 1_000  # tensors of one call, and the model's inputs or outputs
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 16
MAX_LAYERS = 10_000
MAX_CONTAINERS = 100_000  # 10,000 layers with a shape each, and the rest, need about 20,000


class ProjectError(ValueError):
    """A project file that cannot be read; `path` is the JSON path (or file part) at fault."""

    def __init__(self, message: str, path: str = "$") -> None:
        message, path = _printable(message), _printable(path)  # a key may hold a line break
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.message} ({self.path})"


def _printable(text: str) -> str:
    """`text` with control characters escaped (`\\x1b`), so an error message stays one harmless line."""
    return terminal_text(text)


def spec_to_dict(spec: ModelSpec, editor: dict[str, Any] | None = None) -> dict[str, Any]:
    """The project-file form of `spec`: version 1 for a chain whose ids are its names, else 2."""
    version = 2 if spec.is_functional or any(layer.id != layer.name for layer in spec.layers) else 1
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": version,
        "name": spec.name,
        "layers": [_layer_entry(layer, version) for layer in spec.layers],
    }
    if spec.is_functional:
        document["inputs"] = _refs_entry(spec.input_keys, spec.inputs)
        document["outputs"] = _refs_entry(spec.output_keys, spec.outputs)
    document["compile"] = spec.compile.to_dict()
    document["editor"] = editor or {}
    return document


def _refs_entry(keys: tuple[tuple[TensorRef, str], ...], refs: tuple[TensorRef, ...]) -> Any:
    """A model's inputs or outputs: a list of references, or a dict of them by key (as Keras writes them)."""
    if keys:
        return {key: ref.to_list() for ref, key in keys}
    return [ref.to_list() for ref in refs]


def _layer_entry(layer: LayerSpec, version: int) -> dict[str, Any]:
    entry = layer.to_dict()
    if version >= 2:
        head = {"class_name": entry.pop("class_name"), "name": entry.pop("name")}
        if layer.id != layer.name:
            head["id"] = layer.id
        if layer.inbound:
            head["inbound"] = [[ref.to_list() for ref in call] for call in layer.inbound]
        entry = {**head, **entry}
    return entry


def dumps_project(spec: ModelSpec, editor: dict[str, Any] | None = None) -> str:
    """Serialise `spec` as project-file text."""
    return json.dumps(spec_to_dict(spec, editor), indent=2, allow_nan=False) + "\n"


def save_project(path: str | Path, spec: ModelSpec, editor: dict[str, Any] | None = None) -> None:
    """Write `spec` to `path` atomically."""
    atomic_write_bytes(path, dumps_project(spec, editor).encode("utf-8"))


def load_project(path: str | Path) -> tuple[ModelSpec, dict[str, Any]]:
    """Read a project file; ProjectError names what is wrong and where."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProjectError(f"project file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot read file: {exc.strerror or exc}", str(path)) from None
    return loads_project(data)


def loads_project(data: bytes | str) -> tuple[ModelSpec, dict[str, Any]]:
    """Parse project-file bytes or text into a spec and the editor section."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise ProjectError(f"project file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProjectError(f"not a text file (invalid UTF-8 at byte {exc.start})") from None
    if not data.strip():
        raise ProjectError("the file is empty")
    _check_depth(data)
    try:
        document = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ProjectError(f"nested deeper than {MAX_DEPTH} levels") from None
    return parse_document(document)


def _refuse_constant(name: str) -> Any:
    raise ProjectError(f"{name} is not a number a model can use")


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent; `1e400` would be infinity and is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise ProjectError(f"{cut(text, 40)} is not a number a model can use")
    return value


def _key(key: Any) -> str:
    """A key as it may appear in a message or a JSON path: escaped and cut."""
    return terminal_text(str(key), 40)


def _check_depth(text: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH, or holding more than MAX_CONTAINERS arrays
    and objects, before parsing them."""
    depth, containers = json_shape(text)
    if depth > MAX_DEPTH:
        raise ProjectError(f"nested deeper than {MAX_DEPTH} levels")
    if containers > MAX_CONTAINERS:
        raise ProjectError(f"{containers:,} arrays and objects; the limit is {MAX_CONTAINERS:,}")


def parse_document(document: Any) -> tuple[ModelSpec, dict[str, Any]]:
    """Turn a parsed project document into a spec, strictly."""
    _expect(document, dict, "$", "an object")
    if document.get("format") != FORMAT:
        raise ProjectError(f'not an nnstudio project: "format" must be "{FORMAT}"', "$.format")
    version = document.get("version")
    if isinstance(version, bool) or version not in VERSIONS:
        raise ProjectError(
            f"unsupported version {shown(version)}; this nnstudio reads versions 1 and {VERSION}", "$.version"
        )
    top = {"format", "version", "name", "layers", "compile", "editor"}
    _no_unknown_keys(document, top | ({"inputs", "outputs"} if version >= 2 else set()), "$")
    name = document.get("name", "sequential")
    _expect(name, str, "$.name", "a string")
    problem = carried_name_problem(name)
    if problem:
        raise ProjectError(problem, "$.name")
    layers = document.get("layers")
    _expect(layers, list, "$.layers", "a list")
    if len(layers) > MAX_LAYERS:
        raise ProjectError(f"{len(layers):,} layers; the limit is {MAX_LAYERS:,}", "$.layers")
    specs = tuple(_parse_layer(entry, f"$.layers[{i}]", version) for i, entry in enumerate(layers))
    _check_explicit_ids(specs)
    specs = ModelSpec(layers=specs).layers  # the ids of layers that give none
    inputs, outputs, input_keys, output_keys = _parse_graph(document, specs)
    compile_spec = _parse_compile(document.get("compile", {}), "$.compile")
    editor = document.get("editor", {})
    _expect(editor, dict, "$.editor", "an object")
    spec = ModelSpec(
        name=name,
        layers=specs,
        compile=compile_spec,
        inputs=inputs,
        outputs=outputs,
        input_keys=tuple(zip(inputs, input_keys, strict=False)),
        output_keys=tuple(zip(outputs, output_keys, strict=False)),
    )
    return spec, editor


Refs = tuple[TensorRef, ...]


def _parse_graph(document: dict, layers: tuple[LayerSpec, ...]) -> tuple[Refs, Refs, tuple[str, ...], tuple[str, ...]]:
    """The model's inputs and outputs (and their keys when given as dicts), with every reference
    (these and the layers') checked against the layers' ids."""
    ids = {layer.id for layer in layers}
    has_inputs, has_outputs = "inputs" in document, "outputs" in document
    if has_inputs != has_outputs:
        raise ProjectError('a functional model needs both "inputs" and "outputs"', "$")
    functional = has_outputs
    for i, layer in enumerate(layers):
        if layer.inbound and not functional:
            raise ProjectError('a layer has "inbound" calls but the model has no "outputs"', f"$.layers[{i}].inbound")
        for c, call in enumerate(layer.inbound):
            for r, ref in enumerate(call):
                _check_ref_target(ref, ids, f"$.layers[{i}].inbound[{c}][{r}]")
    if not functional:
        return (), (), (), ()
    inputs, input_keys = _parse_model_refs(document["inputs"], "$.inputs")
    outputs, output_keys = _parse_model_refs(document["outputs"], "$.outputs")
    if not outputs:
        raise ProjectError("a functional model needs at least one output", "$.outputs")
    for key, refs in (("inputs", inputs), ("outputs", outputs)):
        for r, ref in enumerate(refs):
            _check_ref_target(ref, ids, f"$.{key}[{r}]")
    return inputs, outputs, input_keys, output_keys


def _parse_model_refs(value: Any, where: str) -> tuple[Refs, tuple[str, ...]]:
    """A list of references, or a dict of them by key (a model called with a dict); with the keys."""
    if not isinstance(value, dict):
        return _parse_refs(value, where), ()
    if len(value) > MAX_REFS:
        raise ProjectError(f"{len(value):,} references; the limit is {MAX_REFS:,}", where)
    refs: list[TensorRef] = []
    for key, item in value.items():
        problem = carried_name_problem(key) if key else "a key must not be empty"
        if problem:
            raise ProjectError(problem, where)
        ref = _parse_ref(item, f"{where}.{key}")
        if ref in refs:
            raise ProjectError(f"the tensor {shown(item)} is under two keys", where)
        refs.append(ref)
    return tuple(refs), tuple(value)


def _check_explicit_ids(layers: tuple[LayerSpec, ...]) -> None:
    """Each id a file gives is no other layer's id (given, or its name when it gives none).
    Two layers that give no id and share a name are left to validation (a name taken twice)."""
    implicit = {layer.name for layer in layers if not layer.id}
    seen: set[str] = set()
    for i, layer in enumerate(layers):
        if layer.id and (layer.id in seen or layer.id in implicit):
            raise ProjectError(f"two layers have the id {shown(layer.id)}", f"$.layers[{i}].id")
        seen.add(layer.id)


def _check_ref_target(ref: TensorRef, ids: set[str], where: str) -> None:
    if ref.layer not in ids:
        raise ProjectError(f"refers to {shown(ref.layer)}, which is no layer's id", where)


def _parse_refs(value: Any, where: str) -> tuple[TensorRef, ...]:
    _expect(value, list, where, "a list")
    if len(value) > MAX_REFS:
        raise ProjectError(f"{len(value):,} references; the limit is {MAX_REFS:,}", where)
    return tuple(_parse_ref(item, f"{where}[{i}]") for i, item in enumerate(value))


def _parse_ref(value: Any, where: str) -> TensorRef:
    """`[layer id, node index, tensor index]`."""
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not isinstance(value[0], str)
        or any(not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < MAX_REFS for n in value[1:])
    ):
        raise ProjectError("expected a reference [layer id, node index, tensor index]", where)
    return TensorRef(value[0], value[1], value[2])


def _parse_layer(entry: Any, where: str, version: int = 1) -> LayerSpec:
    _expect(entry, dict, where, "an object")
    class_name = entry.get("class_name")
    kinds = layer_types()
    if not isinstance(class_name, str) or class_name not in kinds:
        raise ProjectError(
            f"unknown layer class {shown(class_name)}; {known_classes_hint(class_name)}", f"{where}.class_name"
        )
    name = entry.get("name")
    _expect(name, str, f"{where}.name", "a string")
    problem = carried_name_problem(name)
    if problem:
        raise ProjectError(problem, f"{where}.name")
    kind = kinds[class_name]
    allowed = {p.name for p in kind.params}
    graph_keys = {"id", "inbound"} if version >= 2 else set()
    _no_unknown_keys(entry, allowed | {"class_name", "name"} | graph_keys, where)
    layer_id = entry.get("id", "")  # none given: the spec makes it the name (or a free variant)
    if "id" in entry:
        _expect(layer_id, str, f"{where}.id", "a string")
        problem = carried_name_problem(layer_id)
        if problem:
            raise ProjectError(problem, f"{where}.id")
    inbound = _parse_calls(entry.get("inbound", []), f"{where}.inbound")
    params = {k: v for k, v in entry.items() if k not in ("class_name", "name", "id", "inbound")}
    for key, value in params.items():
        kind_of_value = kind.param(key).kind
        if not (kind_of_value.nested or kind_of_value.object_values):
            _check_scalar_tree(value, f"{where}.{key}", kind_of_value.nesting)
            continue
        try:  # a layer inside the layer (Bidirectional's): read by its kind, through the registry
            params[key] = kind_of_value.from_project(key, value)
        except ValueError as exc:
            raise ProjectError(str(exc), f"{where}.{key}") from None
    merged = kind.defaults()
    merged.update(params)
    return LayerSpec(class_name, name, kind.stored(merged), id=layer_id, inbound=inbound)


def _parse_calls(value: Any, where: str) -> tuple[tuple[TensorRef, ...], ...]:
    _expect(value, list, where, "a list")
    if len(value) > MAX_CALLS:
        raise ProjectError(f"{len(value):,} calls; the limit is {MAX_CALLS}", where)
    return tuple(_parse_refs(call, f"{where}[{i}]") for i, call in enumerate(value))


def _parse_compile(entry: Any, where: str) -> CompileSpec:
    _expect(entry, dict, where, "an object")
    _no_unknown_keys(
        entry, {"loss", "optimizer", "learning_rate", "metrics", "optimizer_options", "loss_options"}, where
    )
    default = CompileSpec()
    loss = entry.get("loss", default.loss)
    optimizer = entry.get("optimizer", default.optimizer)
    lr = entry.get("learning_rate")
    metrics = entry.get("metrics", [])
    _expect(loss, str, f"{where}.loss", "a string")
    _expect(optimizer, str, f"{where}.optimizer", "a string")
    for key, text in (("loss", loss), ("optimizer", optimizer)):
        if len(text) > MAX_TEXT_CHARS:
            raise ProjectError(f"a text value longer than {MAX_TEXT_CHARS} characters", f"{where}.{key}")
    if lr is not None and (not is_finite_number(lr) or lr <= 0):
        raise ProjectError(f"learning_rate must be a positive number. Received: {shown(lr)}", f"{where}.learning_rate")
    _expect(metrics, list, f"{where}.metrics", "a list")
    if len(metrics) > MAX_METRICS:
        raise ProjectError(metrics_problem(metrics) or "too many metrics", f"{where}.metrics")
    for i, metric in enumerate(metrics):
        _expect(metric, str, f"{where}.metrics[{i}]", "a string")
        if len(metric) > MAX_TEXT_CHARS:
            raise ProjectError(f"a text value longer than {MAX_TEXT_CHARS} characters", f"{where}.metrics[{i}]")
    problem = metrics_problem(metrics)
    if problem:
        raise ProjectError(problem, f"{where}.metrics")
    optimizer_options = _parse_options(
        entry.get("optimizer_options", {}), optimizer_defaults(optimizer), f"{where}.optimizer_options"
    )
    loss_options = _parse_options(entry.get("loss_options", {}), loss_defaults(loss), f"{where}.loss_options")
    return CompileSpec(
        loss,
        optimizer,
        None if lr is None else float(lr),
        tuple(metrics),
        freeze(optimizer_options),
        freeze(loss_options),
    )


def _parse_options(entry: Any, defaults: dict[str, Any], where: str) -> dict[str, Any]:
    """An optimizer's or loss's settings: plain values, and (for a class nnstudio knows) only its keys.
    An int where Keras's default is a float becomes a float (Keras's SGD refuses `momentum=1`)."""
    _expect(entry, dict, where, "an object")
    if len(entry) > MAX_OPTIONS:
        raise ProjectError(f"{len(entry):,} settings; the limit is {MAX_OPTIONS}", where)
    options = {}
    for key, value in entry.items():
        if (defaults and key not in defaults) or len(key) > 64:
            raise ProjectError(f"unknown setting {shown(key)}", f"{where}.{_key(key)}")
        _check_scalar_tree(value, f"{where}.{key}")
        options[key] = as_float_where_keras_expects_one(value, defaults.get(key))
    return options


def _check_scalar_tree(value: Any, where: str, nesting: int = 1) -> None:
    """Setting values are numbers, strings, booleans, or lists of those (lists of such lists,
    `nesting` levels deep, where the parameter's kind takes them: padding pairs); numbers must be
    sane (`file_values.value_problem`, the same rule the .keras reader applies)."""
    if isinstance(value, list) and nesting > 1:
        if len(value) > MAX_LIST_ITEMS:
            raise ProjectError(
                f"a list of {len(value):,} entries is too long for a setting (limit {MAX_LIST_ITEMS})", where
            )
        for i, item in enumerate(value):
            _check_scalar_tree(item, f"{where}[{i}]", nesting - 1)
        return
    if isinstance(value, list):
        for i, item in enumerate(value[: MAX_LIST_ITEMS + 1]):
            problem = value_problem([item]) if len(value) <= MAX_LIST_ITEMS else None
            if problem:
                raise ProjectError(problem, f"{where}[{i}]")
    problem = value_problem(value)
    if problem:
        raise ProjectError(problem, where)


def _expect(value: Any, kind: type, where: str, described: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProjectError(f"expected {described}, found {type(value).__name__}", where)


def _no_unknown_keys(entry: dict, allowed: set[str], where: str) -> None:
    for key in entry:
        if key not in allowed:
            raise ProjectError(f"unknown key {shown(key)}", f"{where}.{_key(key)}")
