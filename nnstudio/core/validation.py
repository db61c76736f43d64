"""Validation in Keras's manner: each problem names the layer and field and shows what was received.

Example: `dense_1: units must be a positive integer. Received: units=-5`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from nnstudio.core.catalog import LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS, Param
from nnstudio.core.spec import CompileSpec, LayerSpec

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")
DEFAULT_PARAM_BUDGET = 100_000_000


@dataclass(frozen=True)
class Issue:
    """One problem: where it is (layer index and name, field) and the full one-line message."""

    message: str
    layer_index: int | None = None
    layer_name: str | None = None
    field: str | None = None


def check_value(param: Param, value: Any) -> str | None:
    """Why `value` does not fit `param`, in Keras's words, or None when it fits."""
    received = f"Received: {param.name}={value!r}"
    if param.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < (param.minimum or 0):
            return f"{param.name} must be a positive integer. {received}"
        if param.maximum is not None and value > param.maximum:
            return f"{param.name} must be at most {int(param.maximum):,}. {received}"
    elif param.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
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
            return f"unknown {param.name} {value!r}; Keras accepts {', '.join(param.choices[:6])}, …. {received}"
    elif param.kind == "shape":
        return _check_shape(param, value, received)
    return None


def _check_shape(param: Param, value: Any, received: str) -> str | None:
    allow_wildcard = param.minimum is not None and param.minimum < 0
    if not isinstance(value, (list, tuple)) or not value:
        return f"{param.name} must be a non-empty list of positive integers. {received}"
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
    where: dict[str, Any] = {"layer_index": index, "layer_name": layer.name}
    label = layer.name or f"layer {index + 1}"
    if layer.class_name not in LAYER_TYPES:
        return [Issue(f"{label}: unknown layer class {layer.class_name!r}", **where)]
    issues = []
    if not isinstance(layer.name, str) or not NAME_PATTERN.match(layer.name):
        issues.append(
            Issue(
                f"{label}: a layer name must start with a letter or _ and hold only letters, digits, _ . -. "
                f"Received: name={layer.name!r}",
                field="name",
                **where,
            )
        )
    known = LAYER_TYPES[layer.class_name]
    for key in layer.params:
        if key not in {p.name for p in known.params}:
            issues.append(Issue(f"{label}: {layer.class_name} has no setting {key!r}", field=key, **where))
    for param in known.params:
        problem = check_value(param, layer.get(param.name))
        if problem:
            issues.append(Issue(f"{label}: {problem}", field=param.name, **where))
    return issues


def check_compile(compile_spec: CompileSpec) -> list[Issue]:
    """Problems with the compile settings."""
    issues = []
    if compile_spec.loss not in LOSSES:
        issues.append(Issue(f"compile: unknown loss {compile_spec.loss!r}", field="loss"))
    if compile_spec.optimizer not in OPTIMIZERS:
        issues.append(Issue(f"compile: unknown optimizer {compile_spec.optimizer!r}", field="optimizer"))
    lr = compile_spec.learning_rate
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0):
        issues.append(
            Issue(f"compile: learning_rate must be a positive number. Received: learning_rate={lr!r}", field="learning_rate")
        )
    for metric in compile_spec.metrics:
        if metric not in METRICS:
            issues.append(Issue(f"compile: unknown metric {metric!r}", field="metrics"))
    return issues
