"""Keras's broadcasting of two tensors' shapes in its operations (`keras.ops.add`, `x * gamma`):
`operation_utils.broadcast_shapes`, which differs from the merging layers' rule in one point: a
varying size (None) against a known one gives the known one."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerError, Shape, format_shape


def broadcast_shapes(first: Shape, second: Shape) -> Shape:
    """The shape of an element-wise operation on tensors of these full shapes (batch axis included,
    as Keras compares them), aligned at the end; LayerError in Keras's words if they do not fit."""
    ones: list[int | None] = [1] * abs(len(first) - len(second))
    a = ones + list(first) if len(first) < len(second) else list(first)
    b = ones + list(second) if len(second) < len(first) else list(second)
    out: list[int | None] = []
    for i, j in zip(a, b, strict=True):
        if i == 1:
            out.append(j)
        elif i is None:
            out.append(None if j == 1 else j)
        elif j == 1 or j is None or j == i:
            out.append(i)
        else:
            raise LayerError(
                None,
                f"Cannot broadcast shape, the failure dim has value {i}, which cannot be broadcasted to {j}. "
                f"Input shapes are: {list(first)} and {list(second)}.",
            )
    return tuple(out)


def broadcast_samples(first: Shape, second: Shape) -> Shape:
    """`broadcast_shapes` of two tensors' shapes without their batch axes (each gets one back).
    Of different ranks they are refused: Keras's symbolic build lets them through, but the shorter
    one's batch axis meets a sample axis of the longer, and running the model on a batch fails."""
    if len(first) != len(second):
        raise LayerError(
            None,
            f"Tensors of different ranks cannot be combined element by element: the batch axis of the shorter meets "
            f"an axis of the longer, and the model fails when it runs. Received shapes {format_shape(first)} and "
            f"{format_shape(second)}",
        )
    return broadcast_shapes((None, *first), (None, *second))[1:]
