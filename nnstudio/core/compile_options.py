"""Keras's default settings of every optimizer and loss the catalog offers, without importing Keras.

A `.keras` file writes an optimizer's or a loss's whole config (`SGD(momentum=0.9)` is written
with `weight_decay`, `clipnorm`, `use_ema`, ... too). nnstudio keeps only the settings that
differ from these defaults (`CompileSpec.optimizer_options` / `loss_options`), so a plain Adam
keeps none, and writes them back when it builds, exports or generates code.
tests/keras_io/test_compile_options_keras.py compares these tables with Keras's own
`get_config()` so they cannot drift.
"""

from __future__ import annotations

from typing import Any

# Catalog (snake-case) name -> Keras class name.
OPTIMIZER_CLASSES: dict[str, str] = {
    "adam": "Adam",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adamw": "AdamW",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "ftrl": "Ftrl",
    "lion": "Lion",
}
LOSS_CLASSES: dict[str, str] = {
    "mean_squared_error": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
    "huber": "Huber",
    "log_cosh": "LogCosh",
    "binary_crossentropy": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "kl_divergence": "KLDivergence",
    "poisson": "Poisson",
    "hinge": "Hinge",
    "squared_hinge": "SquaredHinge",
    "categorical_hinge": "CategoricalHinge",
    "cosine_similarity": "CosineSimilarity",
}

# Config keys that are not settings: the object's name (and, for optimizers, the learning rate,
# which CompileSpec keeps on its own, and two flags tf.keras 2 wrote that do not change the maths).
IGNORED_OPTIMIZER_KEYS = frozenset({"name", "learning_rate", "is_legacy_optimizer", "jit_compile"})
IGNORED_LOSS_KEYS = frozenset({"name"})

_OPTIMIZER_BASE: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_ADAM: dict[str, Any] = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}

# Per catalog optimizer: every setting Keras writes, with Keras's default.
OPTIMIZER_DEFAULTS: dict[str, dict[str, Any]] = {
    "adam": {**_OPTIMIZER_BASE, **_ADAM},
    "sgd": {**_OPTIMIZER_BASE, "momentum": 0.0, "nesterov": False},
    "rmsprop": {**_OPTIMIZER_BASE, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": False},
    "adamw": {**_OPTIMIZER_BASE, "weight_decay": 0.004, **_ADAM},
    "adagrad": {**_OPTIMIZER_BASE, "initial_accumulator_value": 0.1, "epsilon": 1e-07},
    "adadelta": {**_OPTIMIZER_BASE, "rho": 0.95, "epsilon": 1e-07},
    "adamax": {**_OPTIMIZER_BASE, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "nadam": {**_OPTIMIZER_BASE, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "ftrl": {
        **_OPTIMIZER_BASE,
        "learning_rate_power": -0.5,
        "initial_accumulator_value": 0.1,
        "l1_regularization_strength": 0.0,
        "l2_regularization_strength": 0.0,
        "l2_shrinkage_regularization_strength": 0.0,
        "beta": 0.0,
    },
    "lion": {**_OPTIMIZER_BASE, "beta_1": 0.9, "beta_2": 0.99},
}

_LOSS_BASE: dict[str, Any] = {"reduction": "sum_over_batch_size"}
_CROSSENTROPY: dict[str, Any] = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}

# Per catalog loss: every setting Keras writes, with Keras's default.
LOSS_DEFAULTS: dict[str, dict[str, Any]] = {
    **{name: dict(_LOSS_BASE) for name in LOSS_CLASSES},
    "binary_crossentropy": {**_LOSS_BASE, **_CROSSENTROPY},
    "categorical_crossentropy": {**_LOSS_BASE, **_CROSSENTROPY},
    "sparse_categorical_crossentropy": {**_LOSS_BASE, "from_logits": False, "ignore_class": None},
    "binary_focal_crossentropy": {
        **_LOSS_BASE,
        **_CROSSENTROPY,
        "apply_class_balancing": False,
        "alpha": 0.25,
        "gamma": 2.0,
    },
    "categorical_focal_crossentropy": {**_LOSS_BASE, **_CROSSENTROPY, "alpha": 0.25, "gamma": 2.0},
}

# Settings the constructor takes but Keras 3.15's `get_config()` does not write (Huber's `delta`)
# or other Keras 3 versions write (a loss's `dtype`): accepted from a file, with their defaults.
LOSS_UNWRITTEN_DEFAULTS: dict[str, dict[str, Any]] = {
    **{name: {"dtype": None} for name in LOSS_CLASSES},
    "huber": {"dtype": None, "delta": 1.0},
}

Options = tuple[tuple[str, Any], ...]


def optimizer_defaults(optimizer: str) -> dict[str, Any]:
    """Keras's default settings of catalog optimizer `optimizer` ({} when unknown)."""
    return dict(OPTIMIZER_DEFAULTS.get(optimizer, {}))


def loss_defaults(loss: str) -> dict[str, Any]:
    """Keras's default settings of catalog loss `loss`, the unwritten ones too ({} when unknown)."""
    return {**LOSS_UNWRITTEN_DEFAULTS.get(loss, {}), **LOSS_DEFAULTS.get(loss, {})}


def is_default(value: Any, default: Any) -> bool:
    """`value` equals Keras's `default` (0 and 0.0 alike; booleans only equal booleans)."""
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
        return list(value) == list(default)
    if value != default:
        return False
    return type(value) is type(default) or (_is_number(value) and _is_number(default))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def freeze(options: Any) -> Options:
    """Options as CompileSpec keeps them: sorted (key, value) pairs, lists as tuples (hashable)."""
    items = options.items() if isinstance(options, dict) else options
    return tuple(sorted((str(k), tuple(v) if isinstance(v, list) else v) for k, v in items))


def as_kwargs(options: Options) -> dict[str, Any]:
    """Options as plain JSON / keyword arguments: a dict, tuples back to lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options}


def describe(options: Options) -> str:
    """`momentum=0.9, nesterov=True` (Python's spelling, as the generated code writes them)."""
    return ", ".join(f"{k}={v!r}" for k, v in as_kwargs(options).items())
