"""Validation in Keras's manner: each problem names the layer and field and shows what was received.

Example: `dense_1: units must be a positive integer. Received: units=-5`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nnstudio.core.catalog import LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS, Param
from nnstudio.core.compile_checks import loss_problems, optimizer_problems
from nnstudio.core.file_values import MAX_METRICS, is_finite_number, metrics_problem, name_problem, shown
from nnstudio.core.spec import CompileSpec, LayerSpec
from nnstudio.core.text_safety import terminal_text

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")
DEFAULT_PARAM_BUDGET = 100_000_000
MAX_RANK = 8  # axes of a sample (the batch axis not counted)


@dataclass(frozen=True)
class Issue:
    """One problem: where it is (layer index and name, field) and the full one-line message."""

    message: str
    layer_index: int | None = None
    layer_name: str | None = None
    field: str | None = None


def check_value(param: Param, value: Any) -> str | None:
    """Why `value` does not fit `param`, in Keras's words, or None when it fits."""
    received = f"Received: {param.name}={shown(value)}"
    if param.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < (param.minimum or 0):
            return f"{param.name} must be a positive integer. {received}"
        if param.maximum is not None and value > param.maximum:
            return f"{param.name} must be at most {int(param.maximum):,}. {received}"
    elif param.kind == "float":
        if not is_finite_number(value):
            return f"{param.name} must be a finite number. {received}"
        low, high = param.minimum, param.maximum
        too_high = high is not None and (value >= high if param.exclusive_maximum else value > high)
        if (low is not None and value < low) or too_high:
            closing = ")" if param.exclusive_maximum else "]"
            return f"{param.name} must be in the range [{low:g}, {high:g}{closing}. {received}"
    elif param.kind == "bool":
        if not isinstance(value, bool):
            return f"{param.name} must be true or false. {received}"
    elif param.kind == "choice":
        if value not in param.choices:
            return f"unknown {param.name} {shown(value)}; Keras accepts {', '.join(param.choices[:6])}, …. {received}"
    elif param.kind == "shape":
        return _check_shape(param, value, received)
    return None


def _check_shape(param: Param, value: Any, received: str) -> str | None:
    allow_wildcard = param.minimum is not None and param.minimum < 0
    if not isinstance(value, (list, tuple)) or not value:
        return f"{param.name} must be a non-empty list of positive integers. {received}"
    if len(value) > MAX_RANK:  # what a .keras file can carry back (a batch_shape of at most 9 entries)
        return f"{param.name} may have at most {MAX_RANK} axes. {received}"
    for d in value:
        if isinstance(d, bool) or not isinstance(d, int) or (d < 1 and not (allow_wildcard and d == -1)):
            return f"{param.name} must hold positive integers{' (or one -1)' if allow_wildcard else ''}. {received}"
        if param.maximum is not None and d > param.maximum:
            return f"{param.name} entries must be at most {int(param.maximum):,}. {received}"
    if list(value).count(-1) > 1:
        return f"{param.name} may hold at most one -1. {received}"
    return None


def check_layer(index: int, layer: LayerSpec) -> list[Issue]:
    """Problems with one layer's class, name and parameters, taken alone."""
    where = {"layer_index": index, "layer_name": layer.name}
    label = terminal_text(layer.name, 128) if isinstance(layer.name, str) and layer.name else f"layer {index + 1}"
    if layer.class_name not in LAYER_TYPES:
        return [Issue(f"{label}: unknown layer class {shown(layer.class_name)}", **where)]
    issues = []
    if not isinstance(layer.name, str) or not NAME_PATTERN.match(layer.name):
        issues.append(
            Issue(
                f"{label}: a layer name must start with a letter or _ and hold only letters, digits, _ . -. "
                f"Received: name={shown(layer.name)}",
                field="name",
                **where,
            )
        )
    known = LAYER_TYPES[layer.class_name]
    for key in layer.params:
        if key not in {p.name for p in known.params}:
            issues.append(Issue(f"{label}: {layer.class_name} has no setting {shown(key)}", field=key, **where))
    for param in known.params:
        problem = check_value(param, layer.get(param.name))
        if problem:
            issues.append(Issue(f"{label}: {problem}", field=param.name, **where))
    return issues


def check_compile(compile_spec: CompileSpec) -> list[Issue]:
    """Problems with the compile settings."""
    issues = []
    if compile_spec.loss not in LOSSES:
        issues.append(Issue(f"compile: unknown loss {shown(compile_spec.loss)}", field="loss"))
    if compile_spec.optimizer not in OPTIMIZERS:
        issues.append(Issue(f"compile: unknown optimizer {shown(compile_spec.optimizer)}", field="optimizer"))
    lr = compile_spec.learning_rate
    if lr is not None and (not is_finite_number(lr) or lr <= 0):
        issues.append(
            Issue(
                f"compile: learning_rate must be a positive number. Received: learning_rate={shown(lr)}",
                field="learning_rate",
            )
        )
    problem = metrics_problem(list(compile_spec.metrics))
    if problem:
        issues.append(Issue(f"compile: {problem}", field="metrics"))
    for metric in compile_spec.metrics[:MAX_METRICS]:
        if metric not in METRICS:
            issues.append(Issue(f"compile: unknown metric {shown(metric)}", field="metrics"))
    for key, message in optimizer_problems(compile_spec.optimizer, compile_spec.optimizer_kwargs()):
        issues.append(
            Issue(f"compile: optimizer {compile_spec.optimizer}: {message}", field=f"optimizer_options.{key}")
        )
    for key, message in loss_problems(compile_spec.loss, compile_spec.loss_kwargs()):
        issues.append(Issue(f"compile: loss {compile_spec.loss}: {message}", field=f"loss_options.{key}"))
    return issues


def check_model_name(name: str) -> list[Issue]:
    """Problems with the model's own name (Keras: a text without '/'; nnstudio: printable, 1 to 128 characters)."""
    problem = name_problem(name)
    return [Issue(f"model: {problem}", field="name")] if problem else []
