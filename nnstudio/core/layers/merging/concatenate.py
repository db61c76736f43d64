"""Concatenate: joins its inputs along one axis (`keras.layers.Concatenate`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, size_text
from nnstudio.core.layers.params import Axis, Param


def _batched(shape: Shape) -> tuple[int | None, ...]:
    return (None, *shape)


def _out_of_range(axis: int, inputs: Sequence[Shape]) -> LayerError:
    ranks = sorted({len(s) + 1 for s in inputs})
    return LayerError(
        "axis",
        f"axis {axis} is out of range for inputs of rank {', '.join(map(str, ranks))} (the batch axis is 0). "
        f"Received: axis={axis}",
    )


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras's `Concatenate.build` and `compute_output_shape`, on the shapes with their batch axis:
    every input must match the others once the concatenation axis is taken out (sizes that vary
    match any size), and the output adds up the sizes along that axis."""
    axis = params["axis"]
    shapes = [_batched(s) for s in inputs]
    reduced = set()
    for shape in shapes:
        kept = list(shape)
        if len(kept) > axis:
            if axis < -len(kept):
                raise _out_of_range(axis, inputs)
            del kept[axis]
        reduced.add(tuple(kept))
    if len(reduced) != 1:
        message = (
            "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
            f"Received: input_shape={[s for s in shapes]}"
        )
        ranks = {len(s) for s in reduced}
        if len(ranks) != 1:
            raise LayerError(None, message)
        for i in range(ranks.pop()):
            if len({s[i] for s in reduced if s[i] is not None}) > 1:
                raise LayerError(None, message)
    out = list(shapes[0])
    try:
        for shape in shapes[1:]:
            joined, size = out[axis], shape[axis]
            if joined is None or size is None:
                out[axis] = None
                break
            out[axis] = joined + size
    except IndexError:
        raise _out_of_range(axis, inputs) from None
    return [tuple(out[1:])]


def brief(params: Params) -> list[str]:
    return [] if params["axis"] == -1 else [f"axis {params['axis']}"]


def caption(params: Params, shape: Shape) -> str:
    return f"concat · {size_text(shape)}"


LAYER = LayerType(
    "Concatenate",
    "Joins its inputs side by side along one axis; the other sizes must match.",
    output_shapes,
    params=(
        Param(
            "axis",
            Axis(single=True),
            -1,
            "The axis to join along; -1 is the last (features), 1 the first after the batch.",
            keras_default=-1,
        ),
    ),
    drawing="merge",
    brief=brief,
    caption=caption,
    order=7,
    inputs=(1, None),
    call_convention="list",
    samples=(
        Sample({}, ((4, 3), (4, 5))),
        Sample({}, ((8,), (2,), (6,))),
        Sample({"axis": 1}, ((4, 3), (2, 3))),
        Sample({"axis": -2}, ((4, 3, 2), (4, 1, 2))),
        Sample({}, ((None, 3), (4, 2))),
        Sample({}, ((4, None), (4, 2))),
        Sample({"axis": 0}, ((3,), (3,))),
        Sample({"axis": 7}, ((3,),)),
        Sample({"axis": 1}, ((4, 3), (2, 5)), refused_at=""),
        Sample({}, ((4, 3), (2,)), refused_at=""),
        Sample({}, ((1, 3), (4, 3)), refused_at=""),
        Sample({"axis": 2}, ((4,), (4,)), refused_at="axis"),
        Sample({"axis": 2}, ((4,), (4, 2)), refused_at="axis"),
        Sample({"axis": 3}, ((4,), (4, 2)), refused_at=""),
        Sample({"axis": -3}, ((4,), (4,)), refused_at="axis"),
    ),
)
