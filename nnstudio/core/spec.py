"""The model specification: plain, immutable descriptions of a Sequential model and its layers.

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
class LayerSpec:
    """One layer: its Keras class, its explicit name and its parameters (Keras config keys)."""

    class_name: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)

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
    """A Sequential model: a name, its layers in order (Input first) and its compile settings."""

    name: str = "sequential"
    layers: tuple[LayerSpec, ...] = ()
    compile: CompileSpec = field(default_factory=CompileSpec)

    # -- editing: each returns a new spec ---------------------------------------------------

    def with_layer(self, index: int, layer: LayerSpec) -> ModelSpec:
        """A copy whose layer at `index` is replaced by `layer`."""
        layers = list(self.layers)
        layers[index] = layer
        return replace(self, layers=tuple(layers))

    def inserted(self, index: int, layer: LayerSpec) -> ModelSpec:
        """A copy with `layer` inserted before position `index` (len(layers) appends)."""
        layers = list(self.layers)
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
        used = {layer.name for layer in self.layers}
        if base not in used:
            return base
        n = 1
        while f"{base}_{n}" in used:
            n += 1
        return f"{base}_{n}"

    def duplicate_name(self, name: str) -> str:
        """A fresh name for a copy of layer `name` (its stem with the next free suffix)."""
        stem = re.sub(r"_\d+$", "", name)
        return self.unique_name(stem)


def lesson_spec() -> ModelSpec:
    """The first Keras lesson's model: Input(20), Dense(64, relu), Dense(10); MSE and Adam."""
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[20]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=64, activation="relu"))
    spec = spec.inserted(2, spec.new_layer("Dense", units=10))
    return spec
