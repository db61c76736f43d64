"""Shape and parameter inference for each catalog layer, in pure Python.

Shapes exclude the batch axis: the lesson's Input is `(20,)` and Keras prints `(None, 20)`.
"""

from __future__ import annotations

import math

from nnstudio.core.spec import LayerSpec

Shape = tuple[int, ...]


class LayerError(ValueError):
    """A layer whose settings cannot work; `field` names the parameter at fault, if any."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def infer(layer: LayerSpec, input_shape: Shape) -> tuple[Shape, int, int]:
    """Output shape, trainable and non-trainable parameter counts of `layer` fed `input_shape`."""
    kind = layer.class_name
    features = input_shape[-1] if input_shape else 1
    if kind == "Dense":
        units = int(layer.get("units"))
        weights = features * units + (units if layer.get("use_bias") else 0)
        return input_shape[:-1] + (units,), weights, 0
    if kind in ("Activation", "Dropout"):
        return input_shape, 0, 0
    if kind == "BatchNormalization":
        learned = features * (int(bool(layer.get("center"))) + int(bool(layer.get("scale"))))
        return input_shape, learned, 2 * features
    if kind == "LayerNormalization":
        learned = features * (int(bool(layer.get("center"))) + int(bool(layer.get("scale"))))
        return input_shape, learned, 0
    if kind == "Flatten":
        return (math.prod(input_shape),), 0, 0
    if kind == "Reshape":
        return reshape_target(layer.get("target_shape"), input_shape), 0, 0
    raise LayerError(None, f"{layer.name}: {kind} cannot follow another layer")


def reshape_target(target: list[int], input_shape: Shape) -> Shape:
    """Resolve a Reshape's target shape (one entry may be -1) against the input's element count."""
    count = math.prod(input_shape)
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        if known == 0 or count % known:
            raise LayerError("target_shape", _reshape_message(target, input_shape))
        return tuple(count // known if d == -1 else d for d in target)
    if known != count:
        raise LayerError("target_shape", _reshape_message(target, input_shape))
    return tuple(target)


def _reshape_message(target: list[int], input_shape: Shape) -> str:
    return (
        f"target_shape must hold the input's {math.prod(input_shape):,} elements "
        f"(input shape {format_shape(input_shape)}). Received: target_shape={tuple(target)}"
    )


def format_shape(shape: Shape | None) -> str:
    """Keras's way of printing an output shape with its batch axis: `(None, 64)`."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["None", *(str(d) for d in shape)]) + ")"
