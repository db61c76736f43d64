"""Hypothesis strategies for layer parameters, keyed by parameter kind (the registry's `Param.kind`).

`param_values(param, shape)` draws values a layer of that kind may hold, for a layer fed `shape`;
they are small, so that random stacks of convolutions and poolings stay inside small inputs, and
biased towards 1 for strides and dilations, which Keras refuses together when both exceed 1.
Whether a drawn layer fits its input is left to nnstudio's own analysis (see test_build_property).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from nnstudio.core.layers.params import (
    Choice,
    Flag,
    FloatRange,
    Integer,
    IntTuple,
    OptionalName,
    Param,
    ParamKind,
    ShapeKind,
)

Shape = tuple[int | None, ...]


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def reshape_targets(draw, count: int) -> list[int]:
    """A Reshape target for `count` values: a few of its divisors, one of them maybe -1."""
    parts: list[int] = []
    remaining = count
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from(divisors(remaining)))
        parts.append(d)
        remaining //= d
    parts.append(remaining)
    if draw(st.booleans()):
        parts[draw(st.integers(0, len(parts) - 1))] = -1
    return parts


def _integer(kind: Integer, param: Param, shape: Shape) -> st.SearchStrategy:
    return st.integers(kind.minimum, kind.minimum + 5)


def _float(kind: FloatRange, param: Param, shape: Shape) -> st.SearchStrategy:
    return st.floats(
        kind.minimum, kind.maximum, exclude_min=kind.min_open, exclude_max=kind.max_open, allow_nan=False, width=32
    )


def _flag(kind: Flag, param: Param, shape: Shape) -> st.SearchStrategy:
    return st.booleans()


def _choice(kind: Choice, param: Param, shape: Shape) -> st.SearchStrategy:
    return st.sampled_from(kind.choices)


def _optional_name(kind: OptionalName, param: Param, shape: Shape) -> st.SearchStrategy:
    return st.none() | st.sampled_from(kind.choices)


def _int_tuple(kind: IntTuple, param: Param, shape: Shape) -> st.SearchStrategy:
    # windows of 1 to 3, steps mostly 1 (Keras refuses strides > 1 with dilation_rate > 1)
    small = st.sampled_from([1, 1, 2, 3]) if kind.minimum >= 1 else st.sampled_from([0, 0, 1])
    values = small | st.lists(small, min_size=kind.rank, max_size=kind.rank)
    return (st.none() | values) if kind.allow_none else values


def _shape(kind: ShapeKind, param: Param, shape: Shape) -> st.SearchStrategy:
    if kind.wildcard and None not in shape:
        return reshape_targets(math.prod(d for d in shape if d is not None))
    raise AssertionError(f"no values drawn for {param.name} ({kind})")


STRATEGIES: dict[type, Callable[[Any, Param, Shape], st.SearchStrategy]] = {
    Integer: _integer,
    FloatRange: _float,
    Flag: _flag,
    Choice: _choice,
    OptionalName: _optional_name,
    IntTuple: _int_tuple,
    ShapeKind: _shape,
}


def param_values(param: Param, shape: Shape) -> st.SearchStrategy:
    """Values of `param` for a layer fed `shape` (by the most specific kind with a strategy)."""
    for cls in type(param.kind).__mro__:
        if cls in STRATEGIES:
            return STRATEGIES[cls](param.kind, param, shape)
        if cls is ParamKind:
            break
    raise AssertionError(f"no strategy for {type(param.kind).__name__} ({param.name})")
