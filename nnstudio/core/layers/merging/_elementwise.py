"""What the element-wise merging layers share (Add, Subtract, Multiply, Average, Maximum, Minimum):
Keras's broadcasting of the inputs' shapes (`Merge._compute_elemwise_op_output_shape`), the call on
a list of tensors, and the drawing as a join."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, size_text


def broadcast(first: Shape, second: Shape) -> Shape:
    """The shape of an element-wise operation on tensors of these shapes (batch axis excluded), as
    Keras computes it: aligned at the end, a 1 or a varying size (None) stretches, and the shorter
    shape's missing axes come from the longer one."""
    if len(first) < len(second):
        return broadcast(second, first)
    if not second:
        return first
    out = list(first[: -len(second)])
    for i, j in zip(first[-len(second) :], second, strict=True):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise LayerError(None, f"Inputs have incompatible shapes. Received shapes {first} and {second}")
    return tuple(out)


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    shape = tuple(inputs[0])
    for other in inputs[1:]:
        shape = broadcast(shape, tuple(other))
    return [shape]


def caption(symbol: str):
    """The canvas caption of a merge: `+ · 4×8`."""

    def make(params: Params, shape: Shape) -> str:
        return f"{symbol} · {size_text(shape)}"

    return make


def elementwise(
    class_name: str, help_text: str, symbol: str, order: int, inputs: tuple[int, int | None] = (1, None)
) -> LayerType:
    """The type of an element-wise merging layer: no parameters, no weights, one output of the
    broadcast shape. `symbol` is what the canvas writes on its join (`+`, `−`, `×`, `max`)."""
    least = inputs[0]
    many = ((4, 8), (4, 8)) + (((4, 8),) if inputs[1] is None else ())
    samples = [
        Sample({}, ((5,), (5,))),
        Sample({}, many),
        Sample({}, ((4, 1), (1, 6))),
        Sample({}, ((3, 4, 5), (5,))),
        Sample({}, ((None, 8), (6, 8))),
        Sample({}, ((3,), (4,)), refused_at=""),
        Sample({}, ((2, 3), (2,)), refused_at=""),
    ]
    if least == 1:
        samples.append(Sample({}, ((6,),)))
    else:
        samples.append(Sample({}, ((6,),), refused_at=""))
    if inputs[1] is not None:
        samples.append(Sample({}, ((6,), (6,), (6,)), refused_at=""))
    return LayerType(
        class_name,
        help_text,
        output_shapes,
        drawing="merge",
        caption=caption(symbol),
        order=order,
        samples=tuple(samples),
        inputs=inputs,
        call_convention="list",
    )
