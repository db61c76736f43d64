"""The catalog: the layer types (a view of the layer registry) and the names of the losses,
optimizers and metrics nnstudio offers.

Layer types live one module each in `nnstudio.core.layers` (see its registry); this module keeps
the older names (`LAYER_TYPES`, `layer_type`, `Param`, `LayerType`, `ACTIVATIONS`, ...) working.
"""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType
from nnstudio.core.layers.names import ACTIVATIONS, INITIALIZERS
from nnstudio.core.layers.params import MAX_DIM, MAX_UNITS, Param
from nnstudio.core.layers.registry import layer_type, layer_types

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LAYER_TYPES",
    "LOSSES",
    "MAX_DIM",
    "MAX_UNITS",
    "METRICS",
    "OPTIMIZERS",
    "LayerType",
    "Param",
    "layer_type",
]

# Class name -> layer type, in palette order (a read-only view of the registry).
LAYER_TYPES = layer_types()

LOSSES: tuple[str, ...] = (
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "cosine_similarity",
)

OPTIMIZERS: dict[str, float] = {  # Keras name -> Keras's default learning rate
    "adam": 0.001,
    "sgd": 0.01,
    "rmsprop": 0.001,
    "adamw": 0.001,
    "adagrad": 0.001,
    "adadelta": 0.001,
    "adamax": 0.001,
    "nadam": 0.001,
    "ftrl": 0.001,
    "lion": 0.001,
}

METRICS: tuple[str, ...] = (
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "mean_squared_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "auc",
    "precision",
    "recall",
)
