"""Generate a standalone, readable Keras script that rebuilds and compiles a model.

Only arguments that differ from Keras's own defaults are written; required ones always are.
"""

from __future__ import annotations

import json
from typing import Any

from nnstudio.core.catalog import OPTIMIZERS, layer_type
from nnstudio.core.compile_options import LOSS_CLASSES, OPTIMIZER_CLASSES
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec

# Keras's defaults for the catalog parameters that Keras does not require.
KERAS_DEFAULTS: dict[str, dict[str, Any]] = {
    "Dense": {"activation": "linear", "use_bias": True, "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros"},
    "BatchNormalization": {"momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True},
    "LayerNormalization": {"epsilon": 0.001, "center": True, "scale": True},
}

# Required arguments that read best without their keyword.
POSITIONAL: dict[str, str] = {"Dense": "units", "Activation": "activation", "Dropout": "rate", "Reshape": "target_shape"}

def literal(value: Any) -> str:
    """A Python literal for `value`: tuples for shapes, double-quoted strings with every quote,
    backslash and control character escaped (so no name from a file can break out of its string)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    return repr(value)


def layer_arguments(layer: LayerSpec) -> list[str]:
    """The argument list of `layer`'s constructor: required ones, then non-default ones, then the name."""
    defaults = KERAS_DEFAULTS.get(layer.class_name, {})
    positional = POSITIONAL.get(layer.class_name)
    args: list[str] = []
    for param in layer_type(layer.class_name).params:
        value = layer.get(param.name)
        if param.name in defaults and value == defaults[param.name] and type(value) is type(defaults[param.name]):
            continue
        args.append(literal(value) if param.name == positional else f"{param.name}={literal(value)}")
    args.append(f"name={literal(layer.name)}")
    return args


def layer_call(layer: LayerSpec) -> str:
    """`keras.layers.Dense(64, activation="relu", name="dense")`, or `keras.Input(...)` for the Input."""
    callee = "keras.Input" if layer.class_name == "Input" else f"keras.layers.{layer.class_name}"
    return f"{callee}({', '.join(layer_arguments(layer))})"


def _arguments(options: dict[str, Any]) -> list[str]:
    """`key=value` arguments for an optimizer's or loss's settings; keys must be Python names."""
    for key in options:
        if not key.isidentifier():
            raise ValueError(f"not a Python keyword: {key!r}")
    return [f"{key}={literal(value)}" for key, value in options.items()]


def optimizer_expression(compile_spec: CompileSpec) -> str:
    """`"adam"`, or `keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)` when the rate is not
    the default or the optimizer has other settings."""
    lr = compile_spec.learning_rate
    options = compile_spec.optimizer_kwargs()
    if not options and (lr is None or lr == OPTIMIZERS.get(compile_spec.optimizer)):
        return literal(compile_spec.optimizer)
    cls = OPTIMIZER_CLASSES.get(compile_spec.optimizer)
    if cls is None:
        raise ValueError(f"unknown optimizer {compile_spec.optimizer!r}")
    args = ([] if lr is None else [f"learning_rate={lr!r}"]) + _arguments(options)
    return f"keras.optimizers.{cls}({', '.join(args)})"


def loss_expression(compile_spec: CompileSpec) -> str:
    """`"mean_squared_error"`, or `keras.losses.CategoricalCrossentropy(from_logits=True)` with settings."""
    options = compile_spec.loss_kwargs()
    if not options:
        return literal(compile_spec.loss)
    cls = LOSS_CLASSES.get(compile_spec.loss)
    if cls is None:
        raise ValueError(f"unknown loss {compile_spec.loss!r}")
    return f"keras.losses.{cls}({', '.join(_arguments(options))})"


def python_script(spec: ModelSpec) -> str:
    """A standalone Keras script that rebuilds `spec`, compiles it and prints its summary."""
    lines = [
        f'"""Rebuilds the Keras model {literal(spec.name)}; written by nnstudio."""',
        "",
        "import keras",
        "",
        "model = keras.Sequential(",
        "    [",
        *(f"        {layer_call(layer)}," for layer in spec.layers),
        "    ],",
        f"    name={literal(spec.name)},",
        ")",
        "model.compile(",
        f"    loss={loss_expression(spec.compile)},",
        f"    optimizer={optimizer_expression(spec.compile)},",
    ]
    if spec.compile.metrics:
        lines.append(f"    metrics=[{', '.join(literal(m) for m in spec.compile.metrics)}],")
    lines += [")", "model.summary()", ""]
    return "\n".join(lines)
