"""Dot: the dot product of two inputs along an axis of each (`keras.layers.Dot`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, short_value, size_text
from nnstudio.core.layers.params import AxisPair, Flag, Param


def contracted_axes(params: Params, first: tuple, second: tuple) -> list[int]:
    """The axis of each input that is summed over, counted with the batch axis as 0 (Keras's
    `Dot.build`; a negative axis counts from the end). LayerError for one the inputs do not have."""
    axes = params["axes"]
    if isinstance(axes, int):
        axes = [axes % len(first), axes % len(second)] if axes < 0 else [axes, axes]
    found = []
    for axis, shape in zip(axes, (first, second), strict=True):
        if not -len(shape) <= axis < len(shape):
            raise LayerError(
                "axes",
                f"axes {short_value(params['axes'])} name an axis the inputs do not have: their ranks are "
                f"{len(first)} and {len(second)} (the batch axis is 0). Received: axes={params['axes']}",
            )
        found.append(axis % len(shape))
    return found


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras's `Dot.build` and `compute_output_shape`: the sizes on the two axes must be equal (a
    varying size only matches a varying one); the output holds the first input's other axes, then
    the second's (at least one)."""
    first, second = ((None, *s) for s in inputs)
    if len(first) < 2 or len(second) < 2:
        raise LayerError(
            None, f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {first} and {second}."
        )
    axes = contracted_axes(params, first, second)
    if 0 in axes:  # Keras builds it, and fails when it runs
        raise LayerError(
            "axes",
            "Cannot perform batch_dot over axis 0: the batch axis cannot be summed over. "
            f"Received: axes={params['axes']}",
        )
    if first[axes[0]] != second[axes[1]]:
        raise LayerError(
            "axes",
            f"Incompatible input shapes: axis values {first[axes[0]]} (at axis {axes[0]}) != "
            f"{second[axes[1]]} (at axis {axes[1]}). Full input shapes: {first}, {second}",
        )
    left = [d for i, d in enumerate(first) if i != axes[0]]
    right = [d for i, d in enumerate(second) if i != axes[1]][1:]
    out = left + right
    if len(out) == 1:
        out.append(1)
    return [tuple(out[1:])]


def brief(params: Params) -> list[str]:
    return [f"axes {short_value(params['axes'])}"] + (["normalized"] if params["normalize"] else [])


def caption(params: Params, shape: Shape) -> str:
    return f"{'cosine' if params['normalize'] else 'dot'} · {size_text(shape)}"


LAYER = LayerType(
    "Dot",
    "The dot product of two inputs, summed along an axis of each (with normalize: the cosine similarity).",
    output_shapes,
    params=(
        Param(
            "axes",
            AxisPair(),
            -1,
            "The axis summed over: one for both inputs, or one for each (1 is the first axis after the batch).",
            positional=True,
        ),
        Param(
            "normalize",
            Flag(),
            False,
            "Scale each input to length 1 along the axis first, so that the product is the cosine similarity.",
            keras_default=False,
        ),
    ),
    drawing="merge",
    brief=brief,
    caption=caption,
    order=8,
    inputs=(2, 2),
    call_convention="list",
    samples=(
        Sample({"axes": 1}, ((3,), (3,))),
        Sample({"axes": 1, "normalize": True}, ((5,), (5,))),
        Sample({"axes": [2, 1]}, ((4, 3), (3, 5))),
        Sample({}, ((4, 3), (5, 3))),
        Sample({"axes": [-1, -2]}, ((4, 3), (3, 5))),
        Sample({"axes": [1, 1]}, ((4, 3, 2), (4, 5))),
        Sample({"axes": 1}, ((3,), (3, 2))),
        Sample({"axes": 2}, ((None, 3), (None, 3))),
        Sample({"axes": 1}, ((None, 3), (None, 5))),
        Sample({"axes": 1}, ((None, 3), (4, 5)), refused_at="axes"),
        Sample({"axes": 1}, ((3,), (4,)), refused_at="axes"),
        Sample({"axes": 3}, ((3,), (3,)), refused_at="axes"),
        Sample({"axes": [-4, -1]}, ((4, 3), (3, 3)), refused_at="axes"),
        Sample({"axes": 0}, ((3,), (3,)), refused_at="axes"),
        Sample({"axes": [-2, 1]}, ((3,), (3,)), refused_at="axes"),
        Sample({"axes": 1}, ((3,), (3,), (3,)), refused_at=""),
        Sample({"axes": 1}, ((3,),), refused_at=""),
        Sample({"axes": [1, 2, 1]}, ((3,), (3,)), refused_at="axes"),
    ),
)
