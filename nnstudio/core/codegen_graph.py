"""The functional-API statements that rebuild a graph spec, for the code generators.

Each layer is made with its constructor (`codegen.layer_call`: every value from the file a
literal) and called on its inputs in an order that has them ready, by its call convention:
`layer(x)`, `layer([a, b])` or `layer(query, value, key)`. A layer called once is made and called
in one statement (`dense = keras.layers.Dense(64, name="dense")(features)`); a layer called
several times (shared weights) is made once and called once per use. The model is
`keras.Model(inputs, outputs, name=...)`.

Safe by construction: a Python variable is the layer's name only when that name is a plain ASCII
identifier (letters, digits and underscores, not a keyword, a builtin or a name the script uses
itself); any other layer gets `layer_<position>`. Everything else from the file is a literal.
"""

from __future__ import annotations

import builtins
import keyword
import re

from nnstudio.core.graph_shapes import graph_shapes
from nnstudio.core.layers.registry import is_input, layer_type
from nnstudio.core.pysource import literal
from nnstudio.core.spec import ModelSpec, TensorRef

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_RESERVED = {"keras", "model", "np", "tf", "args", "main", "build_model", "inputs", "outputs"}


def _variables(spec: ModelSpec) -> list[str]:
    """A distinct Python variable for each layer: its name where that is a plain identifier."""
    taken = set(_RESERVED) | set(dir(builtins))
    names = []
    for i, layer in enumerate(spec.layers):
        name = layer.name if isinstance(layer.name, str) else ""
        if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name) or name in taken:
            name = f"layer_{i}"
            while name in taken:
                name = f"{name}_"
        taken.add(name)
        names.append(name)
    return names


def functional_lines(spec: ModelSpec) -> list[str]:
    """The statements that make `spec`'s graph as `model` (compile not included)."""
    from nnstudio.core.codegen import layer_call

    shapes = graph_shapes(spec)
    variables = _variables(spec)
    position = {layer.id: i for i, layer in enumerate(spec.layers)}
    taken = set(variables) | _RESERVED
    call_names: dict[tuple[str, int], str] = {}
    lines: list[str] = []
    for i, layer in enumerate(spec.layers):
        if is_input(layer.class_name):
            lines.append(f"{variables[i]} = {layer_call(layer)}")
            call_names[(layer.id, 0)] = variables[i]
        elif len(layer.inbound) > 1:
            lines.append(f"{variables[i]} = {layer_call(layer)}")

    def tensor(ref: TensorRef) -> str:
        name = call_names[(ref.layer, ref.node)]
        several = len(shapes.calls[ref.layer][ref.node].outputs) > 1
        return f"{name}[{int(ref.tensor)}]" if several else name

    for layer_id, c in shapes.order:
        i = position[layer_id]
        layer = spec.layers[i]
        inputs = [tensor(ref) for ref in layer.inbound[c]]
        kind = layer_type(layer.class_name)
        if kind.call_convention == "operands":  # constants as literals, in their operand's place
            operands = kind.call_arguments(kind.values(layer.params), inputs)
            arguments = ", ".join(a if isinstance(a, str) else literal(a) for a in operands)
        elif kind.call_convention == "list":
            arguments = f"[{', '.join(inputs)}]"
        else:  # single, positional, initial_state: layer(x, initial_state=[h, c])
            args, kwargs = kind.split_call(inputs)
            arguments = ", ".join([*args, *(f"{key}=[{', '.join(value)}]" for key, value in kwargs.items())])
        if len(layer.inbound) == 1:
            target = variables[i]
            lines.append(f"{target} = {layer_call(layer)}({arguments})")
        else:
            target = f"{variables[i]}_call{c}"
            while target in taken:
                target = f"{target}_"
            taken.add(target)
            lines.append(f"{target} = {variables[i]}({arguments})")
        call_names[(layer_id, c)] = target

    def listed(refs: tuple[TensorRef, ...], keys: tuple[str, ...]) -> str:
        names = [tensor(ref) for ref in refs]
        if keys:  # a model called with a dict
            return "{" + ", ".join(f"{literal(key)}: {name}" for key, name in zip(keys, names, strict=True)) + "}"
        return names[0] if len(names) == 1 else f"[{', '.join(names)}]"

    lines += [
        "model = keras.Model(",
        f"    inputs={listed(spec.inputs, spec.dict_input_keys())},",
        f"    outputs={listed(spec.outputs, spec.dict_output_keys())},",
        f"    name={literal(spec.name)},",
        ")",
    ]
    return lines
