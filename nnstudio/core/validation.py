"""Validation in Keras's manner: each problem names the layer and field and shows what was received.

Example: `dense_1: units must be a positive integer. Received: units=-5`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nnstudio.core.catalog import LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.compile_checks import loss_problems, optimizer_problems
from nnstudio.core.file_values import MAX_METRICS, is_finite_number, metrics_problem, name_problem, shown
from nnstudio.core.layers.params import Param
from nnstudio.core.layers.registry import layer_types
from nnstudio.core.spec import CompileSpec, LayerSpec
from nnstudio.core.text_safety import terminal_text

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")
DEFAULT_PARAM_BUDGET = 100_000_000
MAX_PARAM_BUDGET = 1_000_000_000_000  # what --max-params and the window's setting may raise it to
HOW_TO_RAISE_BUDGET = "raise it with --max-params N on the command line, or Keras > Parameter Budget… in the window"
_budget = [DEFAULT_PARAM_BUDGET]


def param_budget() -> int:
    """The parameter budget in force: the most parameters a model may have before nnstudio refuses
    it (Keras would allocate them all). 100 M unless raised (`set_param_budget`)."""
    return _budget[0]


def budget_problem(value: object) -> str | None:
    """Why `value` cannot be the parameter budget, or None."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PARAM_BUDGET:
        return f"the parameter budget must be a whole number from 1 to {MAX_PARAM_BUDGET:,}. Received: {shown(value)}"
    return None


def set_param_budget(count: int) -> None:
    """Make `count` the parameter budget of this process (the command line's --max-params, the
    window's setting; the engine process takes the one each request carries). ValueError if unfit."""
    problem = budget_problem(count)
    if problem:
        raise ValueError(problem)
    _budget[0] = count


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
    label = terminal_text(layer.name, 128) if isinstance(layer.name, str) and layer.name else f"layer {index + 1}"
    known = layer_types().get(layer.class_name)
    if known is None:
        return [Issue(f"{label}: unknown layer class {shown(layer.class_name)}", **where)]
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
            issues.append(Issue(f"{label}: {layer.class_name} has no setting {shown(key)}", field=key, **where))
    for param in known.params:
        for at, problem in param.problems(layer.get(param.name)):
            issues.append(Issue(f"{label}: {problem}", field=at, **where))
    if not issues:  # problems between parameters, once each one is sound
        for field, problem in known.validate(known.values(layer.params)):
            issues.append(Issue(f"{label}: {problem}", field=field, **where))
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
