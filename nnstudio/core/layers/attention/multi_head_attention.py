"""MultiHeadAttention: scaled dot-product attention of several heads (`keras.layers.MultiHeadAttention`).

Called on a query, a value and an optional key (the value when left out). Each head projects them
with kernels of shape (features, num_heads, key_dim) (EinsumDense sublayers `query_dense`,
`key_dense`, `value_dense`), attends over `attention_axes`, and `output_dense` maps the heads back
to the query's last size (or `output_shape`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from nnstudio.core.layers.attention._einsum import attention_equations, einsum_problem, result_shape
from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, Variable, format_shape
from nnstudio.core.layers.config_values import is_null, is_seed
from nnstudio.core.layers.names import INITIALIZERS
from nnstudio.core.layers.params import (
    MAX_UNITS,
    Flag,
    FloatRange,
    InitializerName,
    OptionalAxes,
    OptionalInt,
    OptionalShape,
    Param,
    PositiveInt,
)

INPUT_NAMES = ("query", "value", "key")


def _batched(shape: Shape) -> tuple[int | None, ...]:
    return (None, *shape)


def _roles(inputs: Sequence[Shape]) -> tuple[tuple, tuple, tuple]:
    query, value = (_batched(s) for s in inputs[:2])
    key = _batched(inputs[2]) if len(inputs) > 2 else value
    return query, value, key


def value_dim(params: Params) -> int:
    return params["value_dim"] or params["key_dim"]


def attention_axes(params: Params, value: tuple) -> tuple[int, ...]:
    """The axes attended over, as Keras's `_build_attention` settles them: every axis between the
    batch and the features by default; a negative axis counted from the end of the value."""
    rank = len(value) + 1  # the projected value: (batch, ..., heads, channels)
    if params["attention_axes"] is None:
        return tuple(range(1, rank - 2))
    return tuple(a if a >= 0 else (rank - 1) + a for a in params["attention_axes"])


def _check(params: Params, inputs: Sequence[Shape]) -> tuple[tuple, tuple, tuple]:
    """The query, value and key shapes (with the batch axis) once Keras would build and run the
    layer on them; LayerError in Keras's words otherwise."""
    query, value, key = _roles(inputs)
    if value[1:-1] != key[1:-1]:
        raise LayerError(
            None,
            "All dimensions of `value` and `key`, except the last one, must be equal. "
            f"Received: value_shape={value} and key_shape={key}",
        )
    for role, shape in zip(INPUT_NAMES, (query, value, key), strict=True):
        if len(shape) < 2 or shape[-1] is None:
            raise LayerError(
                None,
                f"the {role}'s last axis needs a size: Keras makes the {role} kernel from it. "
                f"Received: {role}_shape={format_shape(shape[1:])}",
            )
    field = "attention_axes" if params["attention_axes"] is not None else None
    axes = attention_axes(params, value)
    rank = len(value) + 1
    try:
        dot_equation, combine_equation, _scores_rank = attention_equations(rank, axes)
    except IndexError:
        raise LayerError(
            "attention_axes",
            f"attention_axes name an axis the inputs do not have (rank {len(value)}, the batch axis is 0). "
            f"Received: attention_axes={params['attention_axes']}",
        ) from None
    heads, key_dim = params["num_heads"], params["key_dim"]
    projected_query = query[:-1] + (heads, key_dim)
    projected_key = key[:-1] + (heads, key_dim)
    projected_value = value[:-1] + (heads, value_dim(params))
    if params["dropout"] == 0 and len(projected_query) == 4:
        # Keras hands this case to ops.dot_product_attention: (batch, length, heads, channels) each
        if len(projected_key) != 4:
            raise LayerError(
                None,
                f"the query has one axis between the batch and the features, so must the value and the key. "
                f"Received: query_shape={query} and value_shape={value}",
            )
        return query, value, key
    problem = einsum_problem(dot_equation, [projected_key, projected_query])
    if problem is None and not axes:
        problem = "there is no axis to attend over (softmax over no axes)"
    if problem is None:
        scores = result_shape(dot_equation, [projected_key, projected_query])
        problem = einsum_problem(combine_equation, [scores, projected_value])
    if problem:
        raise LayerError(
            field, f"Keras cannot run this attention: {problem}. Received: query_shape={query}, value_shape={value}"
        )
    return query, value, key


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    query, _value, _key = _check(params, inputs)
    out = tuple(params["output_shape"]) if params["output_shape"] else (query[-1],)
    return [query[1:-1] + out]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    """The weights in Keras's `layer.weights` order: the query, key, (gate,) value and output
    projections, each a kernel and (with use_bias) a bias, held by its EinsumDense sublayer."""
    query, value, key = _check(params, inputs)
    heads, key_dim, v_dim = params["num_heads"], params["key_dim"], value_dim(params)
    out = tuple(params["output_shape"]) if params["output_shape"] else (query[-1],)
    projections = [
        ("query_dense", (query[-1], heads, key_dim), (heads, key_dim)),
        ("key_dense", (key[-1], heads, key_dim), (heads, key_dim)),
    ]
    if params["use_gate"]:
        projections.append(("_gate_dense", (query[-1], heads, v_dim), (heads, v_dim)))
    projections += [
        ("value_dense", (value[-1], heads, v_dim), (heads, v_dim)),
        ("output_dense", (heads, v_dim, *out), out),
    ]
    found = []
    for owner, kernel, bias in projections:
        found.append(Variable("kernel", kernel, store=owner))
        if params["use_bias"]:
            found.append(Variable("bias", bias, store=owner))
    return found


def built_config(params: Params, inputs: Sequence[Shape]) -> dict:
    """What Keras writes once built: value_dim filled in, attention_axes as the axes it attends over."""
    _query, value, _key = _roles(inputs)
    return {"value_dim": value_dim(params), "attention_axes": list(attention_axes(params, value))}


def brief(params: Params) -> list[str]:
    return [f"{params['num_heads']} heads", f"key_dim {params['key_dim']}"]


def caption(params: Params, shape: Shape) -> str:
    return f"{params['num_heads']} heads × {params['key_dim']} · {math.prod(d or 1 for d in shape[-1:]):,} out"


LAYER = LayerType(
    "MultiHeadAttention",
    "Attention of several heads: each projects query, key and value, weighs the values by how well "
    "keys match the query, and the heads are joined back (the heart of a transformer).",
    output_shapes,
    params=(
        Param("num_heads", PositiveInt(1024), 2, "Number of attention heads.", positional=True),
        Param("key_dim", PositiveInt(MAX_UNITS), 16, "Size of each head's query and key projections.", positional=True),
        Param(
            "value_dim",
            OptionalInt(1, MAX_UNITS),
            None,
            "Size of each head's value projection; None: the same as key_dim.",
            keras_default=None,
        ),
        Param(
            "dropout",
            FloatRange(0.0, 1.0),
            0.0,
            "Fraction of the attention weights dropped while training.",
            keras_default=0.0,
        ),
        Param("use_bias", Flag(), True, "Give each projection a bias.", keras_default=True),
        Param(
            "output_shape",
            OptionalShape(),
            None,
            "Size of the output's last axes; None: the query's last size.",
            keras_default=None,
        ),
        Param(
            "attention_axes",
            OptionalAxes(),
            None,
            "The axes attended over (1: the first after the batch); None: every axis between the batch and the features.",
            keras_default=None,
        ),
        Param(
            "kernel_initializer",
            InitializerName(),
            "glorot_uniform",
            "How the projection kernels are initialised.",
            keras_default="glorot_uniform",
        ),
        Param(
            "bias_initializer",
            InitializerName(tuple(i for i in INITIALIZERS if i != "orthogonal")),  # the output bias is a vector
            "zeros",
            "How the projection biases are initialised.",
            keras_default="zeros",
        ),
        Param(
            "use_gate",
            Flag(),
            False,
            "Multiply each head's output by a learned sigmoid gate of the query (a fifth projection).",
            keras_default=False,
        ),
    ),
    variables=variables,
    extra_config={
        "sliding_window": is_null,
        "kernel_regularizer": is_null,
        "bias_regularizer": is_null,
        "activity_regularizer": is_null,
        "kernel_constraint": is_null,
        "bias_constraint": is_null,
        "seed": is_seed,
    },
    drawing="attention",
    brief=brief,
    caption=caption,
    size_param="key_dim",
    order=1,
    inputs=(2, 3),
    call_convention="positional",
    input_names=INPUT_NAMES,
    built_config=built_config,
    empty_sublayers=("_dropout_layer", "_softmax"),
    samples=(
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 6), (5, 7), (5, 2))),
        Sample({"num_heads": 4, "key_dim": 8}, ((10, 16), (10, 16))),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 5, 6), (3, 2, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [1, 2]}, ((4, 5, 6), (3, 2, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [2]}, ((4, 5, 6), (4, 2, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [-2]}, ((4, 5, 6), (4, 2, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [1]}, ((4, 5, 6), (3, 5, 7), (3, 5, 2))),
        Sample({"num_heads": 3, "key_dim": 2, "attention_axes": [2, 3]}, ((2, 4, 5, 6), (2, 3, 2, 7))),
        Sample({"num_heads": 3, "key_dim": 2, "dropout": 0.1}, ((2, 4, 5, 6), (2, 3, 2, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [0]}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [3]}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "dropout": 0.5, "attention_axes": [1]}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "output_shape": [2, 3]}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "output_shape": [8]}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "use_bias": False, "value_dim": 5}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "use_gate": True, "value_dim": 4}, ((4, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "use_gate": True, "use_bias": False}, ((4, 6), (5, 6))),
        Sample(
            {"num_heads": 2, "key_dim": 3, "kernel_initializer": "he_normal", "bias_initializer": "ones"},
            ((4, 6), (5, 7)),
        ),
        Sample({"num_heads": 2, "key_dim": 3}, ((None, 6), (None, 7))),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 6), (5, 7), (4, 2)), refused_at=""),
        Sample({"num_heads": 2, "key_dim": 3}, ((6,), (7,)), refused_at=""),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, None), (5, 7)), refused_at=""),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 6), (5, None)), refused_at=""),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 5, 6), (5, 7)), refused_at=""),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 6), (3, 5, 7)), refused_at=""),
        Sample({"num_heads": 2, "key_dim": 3}, ((4, 6),), refused_at=""),
        Sample(
            {"num_heads": 2, "key_dim": 3, "attention_axes": [2]}, ((4, 5, 6), (3, 2, 7)), refused_at="attention_axes"
        ),
        Sample(
            {"num_heads": 2, "key_dim": 3, "attention_axes": [1]}, ((4, 5, 6), (3, 2, 7)), refused_at="attention_axes"
        ),
        Sample({"num_heads": 2, "key_dim": 3, "attention_axes": [4]}, ((4, 6), (5, 7)), refused_at="attention_axes"),
        Sample(
            {"num_heads": 2, "key_dim": 3, "attention_axes": [1, 1]},
            ((4, 5, 6), (3, 2, 7)),
            refused_at="attention_axes",
        ),
        Sample(
            {"num_heads": 2, "key_dim": 3, "dropout": 0.5, "attention_axes": [3]},
            ((4, 6), (5, 7)),
            refused_at="attention_axes",
        ),
        Sample(
            {"num_heads": 2, "key_dim": 3, "dropout": 0.5, "attention_axes": [0]},
            ((4, 6), (5, 7)),
            refused_at="attention_axes",
        ),
        Sample({"num_heads": 0, "key_dim": 3}, ((4, 6), (5, 7)), refused_at="num_heads"),
        Sample({"num_heads": 2, "key_dim": 0}, ((4, 6), (5, 7)), refused_at="key_dim"),
        Sample({"num_heads": 2, "key_dim": 3, "value_dim": 0}, ((4, 6), (5, 7)), refused_at="value_dim"),
    ),
)
