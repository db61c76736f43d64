"""Shape and parameter inference for a layer of a Sequential model, read from the layer registry.

Shapes exclude the batch axis and may hold None (a size that varies): the lesson's Input is
`(20,)` and Keras prints `(None, 20)`.
"""

from __future__ import annotations

from nnstudio.core.layers.base import LayerError, Shape, Variable, format_shape
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.spec import LayerSpec

__all__ = ["LayerError", "Shape", "format_shape", "infer", "infer_all"]


def infer_all(layer: LayerSpec, inputs: list[Shape]) -> tuple[list[Shape], list[Variable]]:
    """Output shapes and variables of `layer` fed `inputs` (one shape per input tensor)."""
    kind = layer_type(layer.class_name)
    if kind.is_input:
        raise LayerError(None, f"{kind.class_name} cannot follow another layer")
    return kind.infer(layer.params, inputs)


def infer(layer: LayerSpec, input_shape: Shape) -> tuple[Shape, int, int]:
    """Output shape, trainable and non-trainable parameter counts of `layer` fed `input_shape`
    (a layer of a Sequential model: one input, one output)."""
    outputs, variables = infer_all(layer, [input_shape])
    if len(outputs) != 1:
        raise LayerError(None, f"gives {len(outputs)} outputs; a Sequential model passes one on")
    trainable = sum(v.size for v in variables if v.trainable)
    return outputs[0], trainable, sum(v.size for v in variables) - trainable
