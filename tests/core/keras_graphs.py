"""A functional spec from a Keras model's own config, read with the layer registry's config readers
(test-side: it takes what Keras wrote, `inbound_nodes` references included, as nnstudio's files do)."""

from __future__ import annotations

from typing import Any

from nnstudio.core.layers.registry import by_config_class
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef


def _tensors(value: Any) -> list[TensorRef]:
    """The `__keras_tensor__` references in a node's args or kwargs, in Keras's flattening order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [TensorRef(*value["config"]["keras_history"])]
        return [ref for key in sorted(value) for ref in _tensors(value[key])]
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in _tensors(item)]
    return []


def _refs(value: list) -> tuple[TensorRef, ...]:
    if value and isinstance(value[0], str):
        return (TensorRef(*value),)
    return tuple(TensorRef(*v) for v in value)


def spec_from_config(config: dict[str, Any]) -> ModelSpec:
    """The ModelSpec of a Functional model's `get_config()`."""
    layers = []
    for entry in config["layers"]:
        kind = by_config_class(entry["class_name"])
        if entry.get("module") != kind.keras_module:  # an operation such as `x + 3.0`, not a layer
            raise ValueError(f"{entry['name']}: {entry.get('module')}.{entry['class_name']} is not a layer")
        by_key = {p.key: p for p in kind.params}
        values = kind.defaults()
        for key, value in entry["config"].items():
            if key in by_key:
                values[by_key[key].name] = by_key[key].kind.from_config(key, value)
        if kind.read_config is not None:
            values = kind.read_config(values)
        inbound = tuple(tuple(_tensors([node["args"], node["kwargs"]])) for node in entry["inbound_nodes"])
        layers.append(LayerSpec(kind.class_name, entry["name"], kind.stored(values), id=entry["name"], inbound=inbound))
    return ModelSpec(
        config["name"], tuple(layers), inputs=_refs(config["input_layers"]), outputs=_refs(config["output_layers"])
    )
