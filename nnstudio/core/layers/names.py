"""Names Keras accepts for a layer's activation, initializers, regularizers, constraints and dtype.

Tests check each table against the installed Keras (tests/keras_io/test_catalog_keras.py).
"""

from __future__ import annotations

from typing import Any

# Every activation Keras 3 accepts by name (keras.activations.get) and can run as a layer's
# activation, except "glu" (halves the last axis at run time, while summaries show it unchanged,
# so the next layer fails) and "threshold" (needs threshold/default_value arguments a name cannot
# give).
ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "elu",
    "selu",
    "celu",
    "softplus",
    "softsign",
    "swish",
    "silu",
    "gelu",
    "exponential",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "hard_shrink",
    "leaky_relu",
    "relu6",
    "mish",
    "log_softmax",
    "log_sigmoid",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "soft_shrink",
    "tanh_shrink",
)

# Activations Keras writes in a layer's config under another of their names.
ACTIVATION_ALIASES: dict[str, str] = {"swish": "silu", "hard_swish": "hard_silu"}

# Keras initializer names (snake case) and the class names Keras writes into config.json.
INITIALIZERS: dict[str, str] = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "zeros": "Zeros",
    "ones": "Ones",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "orthogonal": "Orthogonal",
    "variance_scaling": "VarianceScaling",  # EfficientNet's kernels: scale=2, mode="fan_out" (settings kept)
}

# Each initializer's settings and Keras's defaults for them. An initializer with other settings (a
# seed, EfficientNet's VarianceScaling(scale=2.0, mode="fan_out")) is held with the settings that
# differ; `input_axes` / `output_axes`, which Keras 3.15 writes as None, are accepted only as None.
_SEEDED = {"seed": None}
INITIALIZER_SETTINGS: dict[str, dict[str, Any]] = {
    "GlorotUniform": _SEEDED,
    "GlorotNormal": _SEEDED,
    "HeUniform": _SEEDED,
    "HeNormal": _SEEDED,
    "LecunUniform": _SEEDED,
    "LecunNormal": _SEEDED,
    "Zeros": {},
    "Ones": {},
    "RandomNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "RandomUniform": {"seed": None, "minval": -0.05, "maxval": 0.05},
    "TruncatedNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "Orthogonal": {"seed": None, "gain": 1.0},
    "VarianceScaling": {"seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
}
INITIALIZER_AXES = ("input_axes", "output_axes")
VARIANCE_SCALING_MODES = ("fan_in", "fan_out", "fan_avg")
VARIANCE_SCALING_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

# Regularizers and constraints Keras accepts by name: the class Keras writes and the settings a
# name gives it (a saved object with other settings cannot be held as a name, and is refused).
REGULARIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "l1": ("L1", {"l1": 0.01}),
    "l2": ("L2", {"l2": 0.01}),
    "orthogonal_regularizer": ("OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"}),
}
CONSTRAINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "max_norm": ("MaxNorm", {"max_value": 2, "axis": 0}),
    "min_max_norm": ("MinMaxNorm", {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
    "non_neg": ("NonNeg", {}),
    "unit_norm": ("UnitNorm", {"axis": 0}),
}

# The dtypes an Input may take.
FLOAT_DTYPES: tuple[str, ...] = ("float32", "float16", "float64")
INT_DTYPES: tuple[str, ...] = ("int32", "int64")
INPUT_DTYPES: tuple[str, ...] = FLOAT_DTYPES + INT_DTYPES
