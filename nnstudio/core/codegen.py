"""Generate a standalone, readable Keras script that rebuilds and compiles a model.

Only arguments that differ from Keras's own defaults are written; required ones always are.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from nnstudio.core.catalog import OPTIMIZERS
from nnstudio.core.compile_options import LOSS_CLASSES, OPTIMIZER_CLASSES
from nnstudio.core.layers.registry import layer_type, layer_types
from nnstudio.core.pysource import literal
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec
from nnstudio.core.text_safety import cut, docstring_text, python_string

_KEYWORD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

__all__ = [
    "keyword_name",
    "layer_arguments",
    "layer_call",
    "literal",
    "loss_expression",
    "model_lines",
    "optimizer_expression",
    "python_script",
]


def keyword_name(key: str) -> str:
    """`key` if it can be written as `key=...` in a call (an ASCII Python name, not a keyword)."""
    if not isinstance(key, str) or not _KEYWORD_NAME.fullmatch(key) or keyword.iskeyword(key):
        raise ValueError(f"not a Python keyword argument: {cut(python_string(str(key)), 60)}")
    return key


def layer_arguments(layer: LayerSpec) -> list[str]:
    """The argument list of `layer`'s constructor: required ones, then non-default ones, then the name
    (an operation node's operands go to its call: `LayerType.call_arguments`)."""
    args: list[str] = []
    for param in layer_type(layer.class_name).constructor_params():
        value = layer.get(param.name)
        if param.is_keras_default(value):
            continue
        # a value its kind refuses (an unsound model's, kept as the file had it) is written as the data it is
        sound = not param.kind.problems(param.name, value)
        source = param.kind.to_source(value) if sound else literal(value)
        args.append(source if param.positional else f"{keyword_name(param.name)}={source}")
    args.append(f"name={literal(layer.name)}")
    return args


def layer_call(layer: LayerSpec) -> str:
    """`keras.layers.Dense(64, activation="relu", name="dense")`, or `keras.Input(...)` for the Input."""
    kind = layer_types().get(layer.class_name)
    if kind is None:
        raise ValueError(f"unknown layer class {cut(python_string(str(layer.class_name)), 60)}")
    return f"{kind.constructor}({', '.join(layer_arguments(layer))})"


def _arguments(options: dict[str, Any]) -> list[str]:
    """`key=value` arguments for an optimizer's or loss's settings; keys must be Python names."""
    return [f"{keyword_name(key)}={literal(value)}" for key, value in options.items()]


def optimizer_expression(compile_spec: CompileSpec) -> str:
    """`"adam"`, or `keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)` when the rate is not
    the default or the optimizer has other settings."""
    lr = compile_spec.learning_rate
    options = compile_spec.optimizer_kwargs()
    if not options and (lr is None or lr == OPTIMIZERS.get(compile_spec.optimizer)):
        return literal(compile_spec.optimizer)
    cls = OPTIMIZER_CLASSES.get(compile_spec.optimizer)
    if cls is None:
        raise ValueError(f"unknown optimizer {cut(python_string(str(compile_spec.optimizer)), 60)}")
    args = ([] if lr is None else [f"learning_rate={literal(lr)}"]) + _arguments(options)
    return f"keras.optimizers.{cls}({', '.join(args)})"


def loss_expression(compile_spec: CompileSpec) -> str:
    """`"mean_squared_error"`, or `keras.losses.CategoricalCrossentropy(from_logits=True)` with settings."""
    options = compile_spec.loss_kwargs()
    if not options:
        return literal(compile_spec.loss)
    cls = LOSS_CLASSES.get(compile_spec.loss)
    if cls is None:
        raise ValueError(f"unknown loss {cut(python_string(str(compile_spec.loss)), 60)}")
    return f"keras.losses.{cls}({', '.join(_arguments(options))})"


def model_lines(spec: ModelSpec) -> list[str]:
    """The statements that build and compile `spec` as `model`: `model = keras.Sequential([...])`
    (or, for a graph, the functional API's calls and `model = keras.Model(inputs, outputs)`) and
    `model.compile(...)`. Every script the generators write builds its model with these lines."""
    if spec.is_functional:
        from nnstudio.core.codegen_graph import functional_lines

        lines = functional_lines(spec)
    else:
        lines = [
            "model = keras.Sequential(",
            "    [",
            *(f"        {layer_call(layer)}," for layer in spec.layers),
            "    ],",
            f"    name={literal(spec.name)},",
            ")",
        ]
    lines += [
        "model.compile(",
        f"    loss={loss_expression(spec.compile)},",
        f"    optimizer={optimizer_expression(spec.compile)},",
    ]
    if spec.compile.metrics:
        lines.append(f"    metrics=[{', '.join(literal(m) for m in spec.compile.metrics)}],")
    return [*lines, ")"]


def python_script(spec: ModelSpec) -> str:
    """A standalone Keras script that rebuilds `spec`, compiles it and prints its summary."""
    lines = [
        f'"""Rebuilds the Keras model "{docstring_text(spec.name)}"; written by nnstudio."""',
        "",
        "import keras",
        "",
        *model_lines(spec),
        "model.summary()",
        "",
    ]
    return "\n".join(lines)
