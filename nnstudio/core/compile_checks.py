"""The checks Keras makes on an optimizer's and a loss's settings, in Keras's words, without Keras.

Keras checks some settings when the optimizer or loss is made (SGD's `momentum` must be a float in
[0, 1], Ftrl's strengths must not be negative, only one of the clipping settings may be set, a
loss's `reduction` is one of a few names) and others only when it trains (`clipnorm > 0` fails on
a text, `axis` must be an int). `nnstudio validate` must not call a file sound that Keras then
rejects, so every setting is checked here: its kind (number, flag, integer, or none) follows
Keras's default for it, and the ranges are the ones Keras enforces.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.compile_options import loss_defaults, optimizer_defaults
from nnstudio.core.file_values import is_finite_number, shown

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")
LOSS_DTYPES = ("float16", "bfloat16", "float32", "float64")

# Settings whose default is None and that take an integer (Keras counts with them).
_INTEGER_OR_NONE = {"ema_overwrite_frequency", "gradient_accumulation_steps", "ignore_class"}
# Ranges Keras enforces: (optimizer or "*" for all, setting) -> (low, high, low inclusive, high inclusive).
_RANGES: dict[tuple[str, str], tuple[float | None, float | None, bool, bool]] = {
    ("sgd", "momentum"): (0.0, 1.0, True, True),
    ("*", "ema_momentum"): (0.0, 1.0, True, True),
    ("ftrl", "initial_accumulator_value"): (0.0, None, True, True),
    ("ftrl", "learning_rate_power"): (None, 0.0, True, True),
    ("ftrl", "l1_regularization_strength"): (0.0, None, True, True),
    ("ftrl", "l2_regularization_strength"): (0.0, None, True, True),
    ("ftrl", "l2_shrinkage_regularization_strength"): (0.0, None, True, True),
    ("lion", "beta_1"): (0.0, 1.0, False, True),
}
_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


def _kind_problem(key: str, value: Any, default: Any) -> str | None:
    received = f"Received: {key}={shown(value)}"
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"`{key}` must be true or false. {received}"
    if isinstance(default, float) or (default is None and key not in _INTEGER_OR_NONE and key != "dtype"):
        if value is None and default is None:
            return None
        return None if is_finite_number(value) else f"`{key}` must be a finite number. {received}"
    if isinstance(default, int) or key in _INTEGER_OR_NONE:  # axis, ignore_class, ...
        if value is None and default is None:
            return None
        ok = isinstance(value, int) and not isinstance(value, bool) and is_finite_number(value)
        return None if ok else f"`{key}` must be an integer. {received}"
    return None


def _range_problem(optimizer: str, key: str, value: Any) -> str | None:
    bounds = _RANGES.get((optimizer, key)) or _RANGES.get(("*", key))
    if bounds is None or not is_finite_number(value):
        return None
    low, high, low_in, high_in = bounds
    too_low = low is not None and (value < low if low_in else value <= low)
    too_high = high is not None and (value > high if high_in else value >= high)
    if not (too_low or too_high):
        return None
    left = "[" if low_in else "("
    right = "]" if high_in else ")"
    span = f"{left}{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}{right}"
    return f"`{key}` must be in the range {span}. Received: {key}={shown(value)}"


def optimizer_problems(optimizer: str, options: dict[str, Any]) -> list[tuple[str, str]]:
    """(setting, message) for each setting of `optimizer` Keras would refuse (when made or when training)."""
    defaults = optimizer_defaults(optimizer)
    if not defaults:
        return []  # an unknown optimizer is reported on its own
    settings = {**defaults, **options}
    problems = []
    for key, value in options.items():
        if key not in defaults:
            problems.append((key, f"{optimizer} has no setting {shown(key)}"))
            continue
        problem = _kind_problem(key, value, defaults[key]) or _range_problem(optimizer, key, value)
        if problem is None and key == "gradient_accumulation_steps" and value and value < 2:
            problem = f"`gradient_accumulation_steps` must be an integer >= 2. Received: {key}={shown(value)}"
        if problem is None and key == "ema_overwrite_frequency" and value is not None and value < 1:
            problem = f"`ema_overwrite_frequency` must be an integer >= 1 or None. Received: {key}={shown(value)}"
        if problem:
            problems.append((key, problem))
    if optimizer == "adamw" and settings.get("weight_decay") is None:
        problems.append(("weight_decay", "Argument `weight_decay` must be a float. Received: weight_decay=None"))
    clipping = [key for key in _CLIPPING if settings.get(key) is not None]
    if len(clipping) > 1:
        listed = ", ".join(f"{key}={shown(settings[key])}" for key in _CLIPPING)
        problems.append(
            (clipping[-1], f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: {listed}")
        )
    return problems


def loss_problems(loss: str, options: dict[str, Any]) -> list[tuple[str, str]]:
    """(setting, message) for each setting of `loss` Keras would refuse (when made or when training)."""
    defaults = loss_defaults(loss)
    if not defaults:
        return []
    problems = []
    for key, value in options.items():
        if key not in defaults:
            problems.append((key, f"{loss} has no setting {shown(key)}"))
            continue
        if key == "reduction":
            if value is not None and value not in REDUCTIONS:
                problems.append(
                    (
                        key,
                        f"Invalid value for argument `reduction`. Expected one of {', '.join(REDUCTIONS)}, None. "
                        f"Received: reduction={shown(value)}",
                    )
                )
            continue
        if key == "dtype":
            if value is not None and value not in LOSS_DTYPES:
                problems.append(
                    (key, f"`dtype` must be one of {', '.join(LOSS_DTYPES)} or None. Received: dtype={shown(value)}")
                )
            continue
        problem = _kind_problem(key, value, defaults[key])
        if problem:
            problems.append((key, problem))
    return problems
