"""Operation nodes: `keras.ops` functions called on symbolic tensors in a functional model
(`x + 3.0`, `x * y`), which Keras records as nodes of the graph (keras/src/ops/numpy.py)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("ops", "Operations (keras.ops)", 120)
