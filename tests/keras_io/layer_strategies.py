"""Hypothesis strategies for random Sequential stacks over every registered layer type.

Stacks hold the types that take one tensor (`LayerType.inputs`); `layer_params` draws the settings of
every type, those that take several too. Parameter values come from each parameter's kind
(`KIND_STRATEGIES`, one strategy per kind class,
found along the kind's class hierarchy); a value a kind would refuse is never drawn, so what nnstudio
refuses in a stack is refused for how the layers fit together (shapes, parameters between them),
the part Keras must refuse too. A type needs nothing more to be covered: its `samples` give input
shapes it takes (a stack built around a type starts from one of them), and only where Keras's
constraints make a random value hopeless does a type add a hint (`TYPE_HINTS`: parameter name ->
strategy, given the layer's input shape). A kind with no strategy fails loudly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from nnstudio.core.layers import LayerType, Sample, Shape, all_types, layer_type
from nnstudio.core.layers import params as kinds
from nnstudio.core.layers.names import INPUT_DTYPES
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from tests.keras_io.sequence_strategies import SEQUENCE_KIND_STRATEGIES

# Types a Sequential stack can hold: those that take one tensor (merges and attention take several).
LAYERS = [t for t in all_types() if not t.is_input and t.takes_one_input]
INPUT = next(t for t in all_types() if t.is_input)
MAX_ELEMENTS = 4096  # a stack stops growing past this many values per sample (keeps Keras quick)
ATTEMPTS = 12  # draws of a layer that fits before a stack gives up growing

KindStrategy = Callable[[Any, Shape], st.SearchStrategy]


def _small_ints(low: int, high: int, span: int) -> st.SearchStrategy:
    return st.integers(low, max(low, min(high, low + span)))


def _floats(kind: kinds.FloatRange) -> st.SearchStrategy:
    low = -3.0 if kind.minimum is None else kind.minimum
    high = 3.0 if kind.maximum is None else kind.maximum
    return st.floats(
        low,
        high,
        exclude_min=kind.min_open and kind.minimum is not None,
        exclude_max=kind.max_open and kind.maximum is not None,
        allow_nan=False,
        allow_infinity=False,
        width=32,
    ).map(lambda v: float(f"{v:.4g}") if kind.check("x", float(f"{v:.4g}")) is None else v)


def _axes(shape: Shape) -> st.SearchStrategy:
    ndim = len(shape) + 1
    return st.integers(-ndim, ndim - 1)


def _reshape_target(shape: Shape) -> st.SearchStrategy:
    """A target shape with as many values as `shape` (one entry perhaps -1); any when sizes vary."""
    if any(d is None for d in shape):
        return st.lists(st.integers(1, 4), min_size=1, max_size=3)
    count = math.prod(d for d in shape if d is not None)

    @st.composite
    def target(draw: Any) -> list[int]:
        parts, rest = [], count
        for _ in range(draw(st.integers(0, 2))):
            d = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
            parts.append(d)
            rest //= d
        parts.append(rest)
        if draw(st.booleans()):
            parts[draw(st.integers(0, len(parts) - 1))] = -1
        return parts

    return target()


KIND_STRATEGIES: dict[type, KindStrategy] = {
    kinds.Integer: lambda k, s: _small_ints(k.minimum, k.maximum, 5),
    kinds.OptionalInt: lambda k, s: st.none() | _small_ints(k.minimum, k.maximum, 5),
    kinds.IntTuple: lambda k, s: (
        _small_ints(k.minimum, k.maximum, 2)
        | st.lists(_small_ints(k.minimum, k.maximum, 2), min_size=k.rank, max_size=k.rank)
    ),
    kinds.OptionalFloat: lambda k, s: st.none() | _floats(k),
    kinds.OptionalFloats: lambda k, s: (
        st.none()
        | _floats(kinds.FloatRange(0.1, 4.0))
        | st.lists(_floats(kinds.FloatRange(0.1, 4.0)), min_size=1, max_size=max(1, _channels(s) or 1))
    ),
    kinds.FloatRange: lambda k, s: _floats(k),
    kinds.Factor: lambda k, s: (
        (st.none() if k.allow_none else st.nothing())
        | _floats(kinds.FloatRange(max(k.minimum, -0.75), k.maximum))
        | st.lists(_floats(kinds.FloatRange(max(k.minimum, -0.75), k.maximum)), min_size=2, max_size=2)
    ),
    kinds.NumberPair: lambda k, s: st.sampled_from([[0, 255], [0, 1], [-1, 1]]),
    kinds.OptionalName: lambda k, s: st.none() | st.sampled_from(k.choices),
    kinds.OptionalChoice: lambda k, s: st.none() | st.sampled_from(k.choices),
    kinds.Choice: lambda k, s: st.sampled_from(k.choices),
    kinds.Flag: lambda k, s: st.booleans(),
    kinds.ShapeKind: lambda k, s: (
        _reshape_target(s)
        if k.wildcard
        else st.lists(st.integers(1, 4) | st.none() if k.allow_none else st.integers(1, 4), min_size=1, max_size=3)
    ),
    kinds.Axis: lambda k, s: (
        _axes(s) if k.single else _axes(s) | st.lists(_axes(s), min_size=1, max_size=len(s) + 1, unique=True)
    ),
    kinds.AxisList: lambda k, s: (
        (st.none() if k.optional else st.nothing())
        | st.lists(st.integers(k.minimum, max(k.minimum, len(s))), min_size=1, max_size=max(1, len(s)), unique=True)
    ),
    kinds.AxisPair: lambda k, s: _axes(s) | st.lists(_axes(s), min_size=2, max_size=2),
    kinds.OptionalAxes: lambda k, s: st.none() | st.lists(_axes(s), min_size=1, max_size=max(1, len(s) - 1)),
    kinds.OptionalShape: lambda k, s: st.none() | st.lists(st.integers(1, 4), min_size=1, max_size=2),
    kinds.Permutation: lambda k, s: st.permutations(list(range(1, len(s) + 1))) | st.permutations([1, 2]),
    kinds.IntPairs: lambda k, s: (
        st.lists(st.integers(0, 2), min_size=2, max_size=2)
        if k.rank == 1
        else st.lists(st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=k.rank, max_size=k.rank)
    ),
    **SEQUENCE_KIND_STRATEGIES,
}


def _channels(shape: Shape, axis: int = -1) -> int | None:
    return shape[axis] if shape and -len(shape) <= axis < len(shape) else None


# Parameters whose random values would hardly ever fit, drawn to fit instead (given the input shape).
def _statistics(shape: Shape) -> st.SearchStrategy:
    """None, or one positive number per channel (of a kept last axis) or for all."""
    size = _channels(shape) or 1
    return st.none() | st.lists(st.sampled_from([0.25, 0.5, 2.0, 3.0]), min_size=size, max_size=size) | st.just([2.0])


def _inner(class_name: str, name: str, **settings: Any) -> dict[str, Any]:
    """A layer entry of a nested Sequential, every setting held as a project file holds it."""
    kind = next(t for t in all_types() if t.class_name == class_name)
    return {"class_name": class_name, "name": name, **kind.stored({**kind.defaults(), **settings})}


def _inner_layers(shape: Shape) -> st.SearchStrategy:
    """The layers of a nested Sequential fed `shape`: its Input of that shape, then a few layers that take it."""
    first = _inner("Input", "inner_input", shape=list(shape))
    options = [
        [first, _inner("Activation", "inner_activation", activation="tanh")],
        [first, _inner("Dropout", "inner_dropout", rate=0.25), _inner("Activation", "inner_activation")],
    ]
    if shape and shape[-1] is not None:
        options.append([first, _inner("Dense", "inner_dense", units=3), _inner("Dense", "inner_dense_1", units=2)])
    return st.sampled_from(options)


# What TimeDistributed wraps in random stacks: layers whose drawn settings often fit one step.
WRAPPED = ("Dense", "Dropout", "Activation", "Flatten", "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D")


@st.composite
def _wrapped_layer(draw: Any, shape: Shape) -> dict[str, Any]:
    """A layer entry for TimeDistributed fed `shape`: a wrapped type with settings drawn for one step."""
    kind = layer_type(draw(st.sampled_from(WRAPPED)))
    step = tuple(shape[1:]) if len(shape) > 1 else ()
    settings = draw(layer_params(kind, step))
    return {"class_name": kind.class_name, "name": kind.name_stem, **kind.stored(settings)}


TYPE_HINTS: dict[str, Callable[[Shape], dict[str, st.SearchStrategy]]] = {
    "Sequential": lambda s: {"layers": _inner_layers(s)},
    "TimeDistributed": lambda s: {
        "layer": _wrapped_layer(s).filter(
            lambda entry: layer_type("TimeDistributed").param("layer").check(entry) is None
        )
    },
    "Normalization": lambda s: {"mean": _statistics(s), "variance": _statistics(s)},
    "LayerScale": lambda s: {"projection_dim": st.sampled_from(sorted({_channels(s) or 1, 1, 3}))},
    "Dropout": lambda s: {
        "noise_shape": st.none() | st.tuples(*[st.sampled_from([None, 1]) for _ in (None, *s)]).map(list)
    },
    "GroupNormalization": lambda s: {
        "axis": st.just(-1),
        "groups": st.sampled_from([d for d in range(1, (_channels(s) or 1) + 1) if (_channels(s) or 1) % d == 0]),
    },
}


def kind_strategy(param: kinds.Param, shape: Shape) -> st.SearchStrategy:
    """Values for `param` from its kind's strategy, each one its kind accepts."""
    for cls in type(param.kind).__mro__:
        make = KIND_STRATEGIES.get(cls)
        if make is not None:
            return make(param.kind, shape).filter(lambda v: param.check(v) is None)
    raise LookupError(f"no strategy for the parameter kind {type(param.kind).__name__}: add one to KIND_STRATEGIES")


@st.composite
def layer_params(draw: Any, kind: LayerType, shape: Shape) -> dict[str, Any]:
    """Settings for a layer of `kind` fed `shape`: sometimes one of its sample cases, else drawn."""
    accepted = [s for s in kind.samples if s.refused_at is None]
    if accepted and draw(st.integers(0, 3)) == 0:
        return {**kind.defaults(), **draw(st.sampled_from(accepted)).params}
    hints = TYPE_HINTS.get(kind.class_name, lambda _s: {})(shape)
    return {p.name: draw(hints[p.name] if p.name in hints else kind_strategy(p, shape)) for p in kind.params}


@dataclass(frozen=True)
class Stack:
    """A random stack: the spec, and whether nnstudio refuses its last layer (then Keras must too)."""

    spec: ModelSpec
    refused: bool
    runs_any_length: bool = False  # a batch may give a varying axis any size (no Reshape of it)


def _fits(spec: ModelSpec) -> tuple[bool, Shape | None]:
    summary = analyze(spec)
    last = len(spec.layers) - 1
    if any(issue.layer_index == last for issue in summary.issues) or not summary.rows:
        return False, None
    return True, summary.rows[-1].output_shape


def _taken(kind: LayerType) -> list[Sample]:
    """The sample cases of `kind` that it takes, fed one tensor."""
    return [s for s in kind.samples if s.refused_at is None and len(s.inputs) == 1]


def _random_shape(draw: Any) -> list[int | None]:
    shape: list[int | None] = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    if draw(st.integers(0, 4)) == 0:
        shape[draw(st.integers(0, len(shape) - 1))] = None
    return shape


@st.composite
def stacks(draw: Any, first: LayerType | None = None, max_layers: int = 4) -> Stack:
    """A Sequential stack of 1 to `max_layers` layers after an Input of rank 1 to 4 (or the shape of
    one of `first`'s samples, `first` then coming first), any dtype, random types and settings. About
    one stack in four ends in a layer nnstudio refuses where it stands."""
    dtype = draw(st.sampled_from(INPUT_DTYPES))
    sample = None
    if first is not None:
        sample = draw(st.sampled_from(_taken(first)))
    elif draw(st.booleans()):  # start from a shape some type takes
        taken = _taken(draw(st.sampled_from(LAYERS)))
        sample = draw(st.sampled_from(taken)) if taken else None
    shape = list(sample.inputs[0]) if sample is not None else _random_shape(draw)
    spec = ModelSpec(name=draw(st.sampled_from(["sequential", "model_a", "my.net-2"])))
    spec = spec.inserted(0, spec.new_layer(INPUT.class_name, shape=list(shape), dtype=dtype))
    current: Shape = tuple(shape)
    keep_refusal = draw(st.integers(0, 3)) == 0
    for position in range(draw(st.integers(1, max_layers))):
        for _attempt in range(ATTEMPTS):
            kind = first if first is not None and position == 0 else draw(st.sampled_from(LAYERS))
            layer = spec.new_layer(kind.class_name, **draw(layer_params(kind, current)))
            candidate = spec.inserted(len(spec.layers), layer)
            fits, out = _fits(candidate)
            if fits and out is not None:
                spec, current = candidate, out
                break
            if keep_refusal:
                return Stack(candidate, refused=True)
        else:
            if position > 0 or first is None or sample is None:
                break
            layer = spec.new_layer(first.class_name, **sample.params)  # the sample case itself fits
            spec = spec.inserted(len(spec.layers), layer)
            current = _fits(spec)[1] or current
        if math.prod(d or 8 for d in current) > MAX_ELEMENTS:
            break
    if len(spec.layers) == 1:
        reject()  # no type drawn took this Input: a stack has at least one layer after it
    return Stack(spec, refused=False)
