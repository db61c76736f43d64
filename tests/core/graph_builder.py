"""Functional specs written the way the Keras functional API is: inputs, layers called on tensors,
a shared layer called again, and a model from inputs to outputs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef


class GraphBuilder:
    """Builds a functional ModelSpec: `x = g.call("Dense", "d", a, units=4)`; calling a name that
    exists again is a second call of that layer (shared weights)."""

    def __init__(self, name: str = "functional") -> None:
        self.name = name
        self.layers: list[LayerSpec] = []
        self.inputs: list[TensorRef] = []

    def input(self, name: str, shape: list[int | None], **params: Any) -> TensorRef:
        self.layers.append(LayerSpec("Input", name, {"shape": list(shape), **params}, id=name))
        ref = TensorRef(name)
        self.inputs.append(ref)
        return ref

    def call(self, class_name: str, name: str, *tensors: TensorRef, **params: Any) -> TensorRef:
        """Call layer `name` (created with `class_name` and `params` at its first call) on `tensors`;
        the call's first output."""
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                self.layers[i] = replace(layer, inbound=(*layer.inbound, tuple(tensors)))
                return TensorRef(name, len(layer.inbound))
        self.layers.append(LayerSpec(class_name, name, dict(params), id=name, inbound=(tuple(tensors),)))
        return TensorRef(name)

    def model(self, *outputs: TensorRef, inputs: list[TensorRef] | None = None) -> ModelSpec:
        return ModelSpec(
            self.name,
            tuple(self.layers),
            inputs=tuple(self.inputs if inputs is None else inputs),
            outputs=tuple(outputs),
        )


def residual() -> ModelSpec:
    """x -> hidden -> add(x, hidden) -> out: the smallest residual graph."""
    g = GraphBuilder("residual")
    x = g.input("x", [8])
    h = g.call("Dense", "hidden", x, units=8)
    s = g.call("Add", "add", x, h)
    return g.model(g.call("Dense", "out", s, units=2))
