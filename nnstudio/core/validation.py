"""Validation in Keras's manner: each problem names the layer and field and shows what was received.

Example: `dense_1: units must be a positive integer. Received: units=-5`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from nnstudio.core.catalog import LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.layers.params import Param
from nnstudio.core.layers.registry import layer_types
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
    return param.check(value)


def check_layer(index: int, layer: LayerSpec) -> list[Issue]:
    """Problems with one layer's class, name and parameters, taken alone."""
    where: dict[str, Any] = {"layer_index": index, "layer_name": layer.name}
    label = layer.name or f"layer {index + 1}"
    known = layer_types().get(layer.class_name)
    if known is None:
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
    for key in layer.params:
        if key not in {p.name for p in known.params}:
            issues.append(Issue(f"{label}: {layer.class_name} has no setting {key!r}", field=key, **where))
    for param in known.params:
        problem = check_value(param, layer.get(param.name))
        if problem:
            issues.append(Issue(f"{label}: {problem}", field=param.name, **where))
    if not issues:  # problems between parameters, once each one is sound
        for field, problem in known.validate(known.values(layer.params)):
            issues.append(Issue(f"{label}: {problem}", field=field, **where))
    return issues


def check_compile(compile_spec: CompileSpec) -> list[Issue]:
    """Problems with the compile settings."""
    issues = []
    if compile_spec.loss not in LOSSES:
        issues.append(Issue(f"compile: unknown loss {compile_spec.loss!r}", field="loss"))
    if compile_spec.optimizer not in OPTIMIZERS:
        issues.append(Issue(f"compile: unknown optimizer {compile_spec.optimizer!r}", field="optimizer"))
    lr = compile_spec.learning_rate
    if lr is not None and (
        isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0
    ):
        issues.append(
            Issue(
                f"compile: learning_rate must be a positive number. Received: learning_rate={lr!r}",
                field="learning_rate",
            )
        )
    for metric in compile_spec.metrics:
        if metric not in METRICS:
            issues.append(Issue(f"compile: unknown metric {metric!r}", field="metrics"))
    return issues
