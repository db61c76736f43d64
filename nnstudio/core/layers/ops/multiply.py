"""ops.Multiply: `x * y` or `x * 0.5` on symbolic tensors, a node Keras records as
`keras.src.ops.numpy.Multiply` (see `_elementwise` for its config)."""

from __future__ import annotations

from nnstudio.core.layers.ops._elementwise import operation

LAYER = operation(
    "Multiply", "multiply", "×", "Multiplies two tensors, or a tensor by a constant (keras.ops.multiply: x * 0.5).", 2
)
