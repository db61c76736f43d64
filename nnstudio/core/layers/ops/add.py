"""ops.Add: `x + y` or `x + 3.0` on symbolic tensors, a node Keras records as
`keras.src.ops.numpy.Add` (see `_elementwise` for its config)."""

from __future__ import annotations

from nnstudio.core.layers.ops._elementwise import operation

LAYER = operation("Add", "add", "+", "Adds two tensors, or a tensor and a constant (keras.ops.add: x + 3.0).", 1)
