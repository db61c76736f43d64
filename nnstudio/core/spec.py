"""The model specification: plain, immutable descriptions of a model (a graph of layers) and its layers.

A model is layers with stable ids and connections. Every layer has an `id` that never changes (a
rename keeps it, so weights follow the layer). A functional model lists, for each layer, its calls
(`inbound`: one tuple of `TensorRef`s per call, the call's input tensors in order) and the model's
`inputs` and `outputs`. A Sequential model is the chain special case: its layers carry no
`inbound` and the model no `outputs`; each layer takes the previous one's output
(`connections()` spells that out, `as_graph()` turns a chain into an explicit graph).

Edits never mutate a spec; they return a new one (`with_layer`, `inserted`, `moved`, ...), so
undo can keep old specs as they are and worker threads can read a spec without locks.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any

from nnstudio.core.catalog import OPTIMIZERS
from nnstudio.core.compile_options import Options, as_kwargs, freeze
from nnstudio.core.layers.registry import layer_type, layer_types


@dataclass(frozen=True)
class TensorRef:
    """One tensor of the graph: output `tensor` of call `node` of the layer whose id is `layer`
    (Keras's `keras_history` with an id in place of the name)."""

    layer: str
    node: int = 0
    tensor: int = 0

    def to_list(self) -> list[Any]:
        """The file form `[layer id, node index, tensor index]`."""
        return [self.layer, self.node, self.tensor]


Call = tuple[TensorRef, ...]  # one call of a layer: its input tensors in order


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its Keras class, its explicit name and its parameters (Keras config keys).

    `id` is the layer's stable identity ("" until a ModelSpec assigns one); `inbound` holds the
    layer's calls in a functional model (empty in a Sequential chain and for Input layers).
    """

    class_name: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    inbound: tuple[Call, ...] = ()

    def get(self, key: str) -> Any:
        """The value of parameter `key`, or its default when unset."""
        if key in self.params:
            return self.params[key]
        return layer_type(self.class_name).param(key).default

    def with_params(self, **changes: Any) -> LayerSpec:
        """A copy with some parameters changed (a parameter held only when it differs from its
        default is dropped when it is set back to it)."""
        params = copy.deepcopy(self.params)
        params.update(changes)
        kind = layer_types().get(self.class_name)
        return replace(self, params=kind.stored(params) if kind is not None else params)

    def to_dict(self) -> dict[str, Any]:
        """The project-file form: `{"class_name", "name", **params}`."""
        return {"class_name": self.class_name, "name": self.name, **copy.deepcopy(self.params)}


@dataclass(frozen=True)
class CompileSpec:
    """What `model.compile` receives: loss, optimizer, learning rate and metrics, by Keras names.

    `optimizer_options` and `loss_options` hold the optimizer's and the loss's other settings
    that differ from Keras's defaults (`SGD(momentum=0.9)` -> `(("momentum", 0.9),)`), as sorted
    (key, value) pairs with lists as tuples so the spec stays hashable; a dict given to the
    constructor is turned into that form. `optimizer_kwargs()` / `loss_kwargs()` give them back
    as plain keyword arguments.
    """

    loss: str = "mean_squared_error"
    optimizer: str = "adam"
    learning_rate: float | None = None  # None: the optimizer's own default
    metrics: tuple[str, ...] = ()
    optimizer_options: Options = ()
    loss_options: Options = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "optimizer_options", freeze(self.optimizer_options))
        object.__setattr__(self, "loss_options", freeze(self.loss_options))

    def effective_learning_rate(self) -> float:
        """The learning rate Keras will use."""
        return self.learning_rate if self.learning_rate is not None else OPTIMIZERS.get(self.optimizer, 0.001)

    def optimizer_kwargs(self) -> dict[str, Any]:
        """The optimizer's non-default settings as keyword arguments (learning rate not included)."""
        return as_kwargs(self.optimizer_options)

    def loss_kwargs(self) -> dict[str, Any]:
        """The loss's non-default settings as keyword arguments."""
        return as_kwargs(self.loss_options)

    def edited(self, **changes: Any) -> CompileSpec:
        """A copy with some fields changed, as the compile settings panel edits them.

        A different optimizer (or loss) drops the options that belonged to the old one: they may
        not be valid for the new class. Undo keeps the old spec, so it brings them back.
        """
        new = replace(self, **changes)
        if new.optimizer != self.optimizer and "optimizer_options" not in changes:
            new = replace(new, optimizer_options=())
        if new.loss != self.loss and "loss_options" not in changes:
            new = replace(new, loss_options=())
        return new

    def to_dict(self) -> dict[str, Any]:
        """The project-file form; the options only when there are any (older files have none)."""
        data: dict[str, Any] = {
            "loss": self.loss,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "metrics": list(self.metrics),
        }
        if self.optimizer_options:
            data["optimizer_options"] = self.optimizer_kwargs()
        if self.loss_options:
            data["loss_options"] = self.loss_kwargs()
        return data


@dataclass(frozen=True)
class ModelSpec:
    """A model: a name, its layers in order (Input first), its compile settings, and for a
    functional model its `inputs` and `outputs` (both empty for a Sequential chain).

    A functional model called with dicts (`keras.Model({"age": a, ...}, {"price": p, ...})`) keeps
    each input's and output's key in `input_keys` / `output_keys` ((ref, key) pairs; empty for
    lists); its `inputs` / `outputs` are then in the order of their keys, as Keras flattens a dict.
    Edits that change `inputs` or `outputs` keep the keys in step: a dropped tensor's key goes, a
    new one gets its layer's name.

    Layers without an id get one on construction: their name when no other layer has it as
    name or id, else the name with the next free suffix. Ids are therefore deterministic, so
    two specs built the same way compare equal.
    """

    name: str = "sequential"
    layers: tuple[LayerSpec, ...] = ()
    compile: CompileSpec = field(default_factory=CompileSpec)
    inputs: tuple[TensorRef, ...] = ()
    outputs: tuple[TensorRef, ...] = ()
    input_keys: tuple[tuple[TensorRef, str], ...] = ()
    output_keys: tuple[tuple[TensorRef, str], ...] = ()

    def __post_init__(self) -> None:
        if any(not layer.id for layer in self.layers):
            object.__setattr__(self, "layers", _with_ids(self.layers))
        if self.input_keys:
            self._put_keyed("inputs", "input_keys", _keyed_pairs(self.inputs, self.input_keys, self.layers))
        if self.output_keys:
            self._put_keyed("outputs", "output_keys", _keyed_pairs(self.outputs, self.output_keys, self.layers))

    def _put_keyed(self, refs_field: str, keys_field: str, pairs: tuple[tuple[TensorRef, str], ...]) -> None:
        object.__setattr__(self, keys_field, pairs)
        object.__setattr__(self, refs_field, tuple(ref for ref, _key in pairs))

    def dict_input_keys(self) -> tuple[str, ...]:
        """The keys of the model's inputs when it takes a dict (in the order of `inputs`); () for a list."""
        return tuple(key for _ref, key in self.input_keys)

    def dict_output_keys(self) -> tuple[str, ...]:
        """The keys of the model's outputs when it gives a dict (in the order of `outputs`); () for a list."""
        return tuple(key for _ref, key in self.output_keys)

    # -- the graph ---------------------------------------------------------------------------

    @property
    def is_functional(self) -> bool:
        """Whether the connections are explicit (a functional model) rather than a chain."""
        return bool(self.outputs)

    def ids(self) -> tuple[str, ...]:
        """Every layer's id, in layer order."""
        return tuple(layer.id for layer in self.layers)

    def layer_by_id(self, layer_id: str) -> LayerSpec:
        """The layer whose id is `layer_id`; KeyError when absent."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)

    def position_of(self, layer_id: str) -> int:
        """Index in `layers` of the layer whose id is `layer_id`; KeyError when absent."""
        for i, layer in enumerate(self.layers):
            if layer.id == layer_id:
                return i
        raise KeyError(layer_id)

    def connections(self, index: int) -> tuple[Call, ...]:
        """The calls of the layer at `index`: its own `inbound` in a functional model; in a chain,
        one call on the previous layer's output (none for the first layer)."""
        if self.is_functional:
            return self.layers[index].inbound
        return ((TensorRef(self.layers[index - 1].id),),) if index > 0 else ()

    def model_inputs(self) -> tuple[TensorRef, ...]:
        """The model's input tensors (a chain: its first layer's output)."""
        if self.is_functional:
            return self.inputs
        return (TensorRef(self.layers[0].id),) if self.layers else ()

    def model_outputs(self) -> tuple[TensorRef, ...]:
        """The model's output tensors (a chain: its last layer's output)."""
        if self.is_functional:
            return self.outputs
        return (TensorRef(self.layers[-1].id),) if self.layers else ()

    def as_graph(self) -> ModelSpec:
        """The same model with explicit connections (a functional spec is returned as it is)."""
        if self.is_functional or not self.layers:
            return self
        layers = tuple(replace(layer, inbound=self.connections(i)) for i, layer in enumerate(self.layers))
        return replace(self, layers=layers, inputs=self.model_inputs(), outputs=self.model_outputs())

    def is_chain(self) -> bool:
        """Whether the graph is a chain: one input, one output, every layer called once on the
        previous layer's single output, in layer order (what Sequential can express)."""
        if not self.is_functional:
            return True
        if len(self.inputs) != 1 or len(self.outputs) != 1 or not self.layers:
            return False
        if self.inputs[0] != TensorRef(self.layers[0].id) or self.outputs[0] != TensorRef(self.layers[-1].id):
            return False
        if self.layers[0].inbound:
            return False
        return all(
            layer.inbound == ((TensorRef(self.layers[i - 1].id),),) for i, layer in enumerate(self.layers) if i > 0
        )

    def as_chain(self) -> ModelSpec:
        """A graph that `is_chain()` as a Sequential spec (connections implicit); ValueError otherwise."""
        if not self.is_functional:
            return self
        if not self.is_chain():
            raise ValueError("the graph is not a chain")
        layers = tuple(replace(layer, inbound=()) for layer in self.layers)
        return replace(self, layers=layers, inputs=(), outputs=())

    # -- editing: each returns a new spec ---------------------------------------------------

    def with_layer(self, index: int, layer: LayerSpec) -> ModelSpec:
        """A copy whose layer at `index` is replaced by `layer` (which keeps the old layer's id
        when it has none of its own)."""
        layers = list(self.layers)
        if not layer.id:
            layer = replace(layer, id=layers[index].id)
        layers[index] = layer
        return replace(self, layers=tuple(layers))

    def inserted(self, index: int, layer: LayerSpec) -> ModelSpec:
        """A copy with `layer` inserted before position `index` (len(layers) appends); a layer
        without an id, or with one already in use, gets a fresh id."""
        layers = list(self.layers)
        if not layer.id or layer.id in self.ids():
            layer = replace(layer, id=self.fresh_id(layer.name))
        layers.insert(index, layer)
        return replace(self, layers=tuple(layers))

    def removed(self, index: int) -> ModelSpec:
        """A copy without the layer at `index`."""
        layers = list(self.layers)
        del layers[index]
        return replace(self, layers=tuple(layers))

    def moved(self, source: int, destination: int) -> ModelSpec:
        """A copy with the layer at `source` moved so that it ends up at index `destination`."""
        layers = list(self.layers)
        layer = layers.pop(source)
        layers.insert(destination, layer)
        return replace(self, layers=tuple(layers))

    def with_compile(self, compile_spec: CompileSpec) -> ModelSpec:
        return replace(self, compile=compile_spec)

    def index_of(self, name: str) -> int:
        """Position of the layer called `name`; ValueError when absent."""
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise ValueError(f"no layer named {name!r}")

    def new_layer(self, class_name: str, **params: Any) -> LayerSpec:
        """A layer of `class_name` with catalog defaults (overridden by `params`) and a fresh Keras-style name."""
        kind = layer_type(class_name)
        values = kind.defaults()
        values.update(params)
        return LayerSpec(class_name, self.unique_name(kind.name_stem), kind.stored(values))

    def unique_name(self, base: str) -> str:
        """Keras's naming: `base`, then `base_1`, `base_2`, ... skipping names in use."""
        return _first_free(base, {layer.name for layer in self.layers})

    def fresh_id(self, base: str) -> str:
        """An id no layer has as id or name: `base`, else `base_1`, `base_2`, ..."""
        return _first_free(base or "layer", {layer.id for layer in self.layers} | {layer.name for layer in self.layers})

    def duplicate_name(self, name: str) -> str:
        """A fresh name for a copy of layer `name` (its stem with the next free suffix)."""
        stem = re.sub(r"_\d+$", "", name)
        return self.unique_name(stem)


def _first_free(base: str, used: set[str]) -> str:
    if base not in used:
        return base
    n = 1
    while f"{base}_{n}" in used:
        n += 1
    return f"{base}_{n}"


def _keyed_pairs(
    refs: tuple[TensorRef, ...], keys: tuple[tuple[TensorRef, str], ...], layers: tuple[LayerSpec, ...]
) -> tuple[tuple[TensorRef, str], ...]:
    """`keys` in step with `refs`, in the order of the keys: Keras flattens a dict (its model.inputs /
    outputs) in the order of its keys."""
    return tuple(sorted(_keys_in_step(refs, keys, layers), key=lambda pair: pair[1]))


def _keys_in_step(
    refs: tuple[TensorRef, ...], keys: tuple[tuple[TensorRef, str], ...], layers: tuple[LayerSpec, ...]
) -> tuple[tuple[TensorRef, str], ...]:
    """`keys` for `refs`: a tensor keeps its key, a tensor without one gets its layer's name (made
    unique), a key whose tensor is gone is dropped."""
    if not refs:
        return ()
    given = dict(keys)
    taken = {given[ref] for ref in refs if ref in given}
    names = {layer.id: layer.name for layer in layers}
    out = []
    for ref in refs:
        key = given.get(ref)
        if key is None:
            base = names.get(ref.layer, ref.layer)
            key = base if base not in taken else _first_free(base, taken)
            taken.add(key)
        out.append((ref, key))
    return tuple(out)


def _with_ids(layers: tuple[LayerSpec, ...]) -> tuple[LayerSpec, ...]:
    """`layers` with an id for each layer that has none (see ModelSpec)."""
    used = {layer.id for layer in layers if layer.id}
    names = {layer.name for layer in layers if isinstance(layer.name, str)}
    out = []
    for layer in layers:
        if not layer.id:
            base = layer.name if isinstance(layer.name, str) and layer.name else "layer"
            new_id = base if base not in used else _first_free(base, used | names)
            used.add(new_id)
            layer = replace(layer, id=new_id)
        out.append(layer)
    return tuple(out)


def lesson_spec() -> ModelSpec:
    """The first Keras lesson's model: Input(20), Dense(64, relu), Dense(10); MSE and Adam."""
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[20]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=64, activation="relu"))
    spec = spec.inserted(2, spec.new_layer("Dense", units=10))
    return spec
