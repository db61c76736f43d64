"""Generate a standalone, readable Keras script that rebuilds and compiles a model.

Only arguments that differ from Keras's own defaults are written; required ones always are.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.catalog import OPTIMIZERS
from nnstudio.core.compile_options import LOSS_CLASSES, OPTIMIZER_CLASSES
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.pysource import literal
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec


def layer_arguments(layer: LayerSpec) -> list[str]:
    """The argument list of `layer`'s constructor: required ones, then non-default ones, then the name."""
    args: list[str] = []
    for param in layer_type(layer.class_name).params:
        value = layer.get(param.name)
        if param.is_keras_default(value):
            continue
        source = param.kind.to_source(value)
        args.append(source if param.positional else f"{param.name}={source}")
    args.append(f"name={literal(layer.name)}")
    return args


def layer_call(layer: LayerSpec) -> str:
    """`keras.layers.Dense(64, activation="relu", name="dense")`, or `keras.Input(...)` for the Input."""
    return f"{layer_type(layer.class_name).constructor}({', '.join(layer_arguments(layer))})"


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
