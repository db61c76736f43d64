"""What Keras's pooling layers share: parameters, output sizes, checks and captions.

Keras builds MaxPooling1D/2D/3D and AveragePooling1D/2D/3D on `base_pooling.py` and the global
poolings on `base_global_pooling.py` (keras/src/layers/pooling/). `pooling_type` and
`global_pooling_type` make the `LayerType` of one of them; each module of the family calls one.
Sizes follow `keras.src.ops.operation_utils.compute_pooling_output_shape`; messages are Keras's.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import (
    LayerError,
    LayerType,
    Marker,
    Params,
    Sample,
    Shape,
    format_shape,
    single_input,
    size_text,
)
from nnstudio.core.layers.params import MAX_DIM, REQUIRED, Choice, Flag, IntTuple, Param
from nnstudio.core.layers.spatial import DATA_FORMATS, as_tuple, join_output, keras_tuple, split_input, window_text

MAX, AVERAGE = "max", "average"
GLOBAL_MARKER = {MAX: Marker("s", "#b9e1ea"), AVERAGE: Marker("s", "#cfe8d5")}


def _strides(params: Params, rank: int) -> tuple[int, ...]:
    """The window's step: Keras's default (None) is the pool size."""
    strides = params["strides"]
    return as_tuple(params["pool_size"] if strides is None else strides, rank)


def pool_length(size: int | None, pool: int, stride: int, padding: str) -> int | None:
    """One spatial size of a pooling's output (Keras's `compute_pooling_output_shape`)."""
    if size is None:
        return None
    if padding == "valid":
        return (size - pool) // stride + 1
    return (size - 1) // stride + 1


def make_output_shapes(rank: int):
    """The `output_shapes` function of a `rank`-D max or average pooling."""

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        shape = single_input(inputs)
        data_format = params["data_format"]
        spatial, channels = split_input(shape, rank, data_format, what="ndim")
        pool, strides, padding = as_tuple(params["pool_size"], rank), _strides(params, rank), params["padding"]
        sizes = [pool_length(n, p, s, padding) for n, p, s in zip(spatial, pool, strides, strict=True)]
        if any(size is not None and size <= 0 for size in sizes):
            raise LayerError(
                "pool_size",
                f"Computed output size would be zero or negative. Received: inputs.shape={format_shape(shape)}, "
                f"pool_size={pool}, strides={strides}, padding={padding}",
            )
        return [join_output(sizes, channels, data_format)]

    return output_shapes


def make_config_values(rank: int):
    """Keras writes the strides it uses: the pool size when they were left to it (None)."""

    def config_values(values: Params) -> dict:
        found = dict(values)
        if found["strides"] is None:
            found["strides"] = list(as_tuple(found["pool_size"], rank))
        return found

    return config_values


def make_read_config(rank: int):
    """Strides that Keras wrote out because they were left to it (the pool size) read as None."""

    def read_config(values: Params) -> dict:
        found = dict(values)
        strides = found.get("strides")
        if strides is not None and as_tuple(strides, rank) == as_tuple(found["pool_size"], rank):
            found["strides"] = None
        return found

    return read_config


def make_brief(rank: int):
    def brief(params: Params) -> list[str]:
        args = [window_text(params["pool_size"], rank)]
        if params["strides"] is not None and _strides(params, rank) != as_tuple(params["pool_size"], rank):
            args.append(f"stride {window_text(params['strides'], rank)}")
        if params["padding"] != "valid":
            args.append(str(params["padding"]))
        if params["data_format"] != "channels_last":
            args.append(str(params["data_format"]))
        return args

    return brief


def make_caption(rank: int, mode: str):
    def caption(params: Params, shape: Shape) -> str:
        window = window_text(params["pool_size"], rank) + (" steps" if rank == 1 else "")
        return f"{size_text(shape)} · {mode} of {window}"

    return caption


def _data_format() -> Param:
    return Param(
        "data_format",
        Choice(DATA_FORMATS),
        "channels_last",
        "Where the channels are: channels_last (steps…, channels) or channels_first (channels, steps…).",
        keras_default="channels_last",
    )


def pooling_type(
    class_name: str,
    rank: int,
    mode: str,
    help: str,  # noqa: A002 - the LayerType field's name
    samples: Sequence[Sample],
    order: int,
) -> LayerType:
    """The layer type of a `rank`-D max or average pooling (`mode`)."""
    window = [2] * rank
    # Keras gives MaxPooling a default window (2, 2); AveragePooling's must be given
    keras_window = keras_tuple(2, rank) if mode == MAX else REQUIRED
    params = (
        Param(
            "pool_size",
            IntTuple(rank, maximum=MAX_DIM),
            window,
            f"Size of the window each output value is the {mode} of, e.g. 2 or 2, 2.",
            keras_default=keras_window,
            positional=True,
        ),
        Param(
            "strides",
            IntTuple(rank, maximum=MAX_DIM, allow_none=True),
            None,
            "Step of the window along each axis; None: the pool size (windows side by side).",
            keras_default=None,
        ),
        Param(
            "padding",
            Choice(("valid", "same")),
            "valid",
            "valid: only whole windows; same: windows may hang over the edge, so a stride of 1 keeps the size.",
            keras_default="valid",
        ),
        _data_format(),
    )
    return LayerType(
        class_name,
        help,
        make_output_shapes(rank),
        params=params,
        drawing="pool",
        brief=make_brief(rank),
        caption=make_caption(rank, mode),
        order=order,
        samples=tuple(samples),
        config_values=make_config_values(rank),
        read_config=make_read_config(rank),
    )


def make_global_output_shapes(rank: int):
    """The `output_shapes` function of a `rank`-D global pooling (Keras's `BaseGlobalPooling`)."""

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        shape = single_input(inputs)
        data_format = params["data_format"]
        _spatial, channels = split_input(shape, rank, data_format, what="ndim")
        if params["keepdims"]:
            return [join_output((1,) * rank, channels, data_format)]
        return [(channels,)]

    return output_shapes


def global_pooling_type(
    class_name: str,
    rank: int,
    mode: str,
    help: str,  # noqa: A002 - the LayerType field's name
    samples: Sequence[Sample],
    order: int,
) -> LayerType:
    """The layer type of a `rank`-D global max or average pooling (`mode`)."""

    def brief(params: Params) -> list[str]:
        args = ["keepdims"] if params["keepdims"] else []
        return args + ([str(params["data_format"])] if params["data_format"] != "channels_last" else [])

    def caption(params: Params, shape: Shape) -> str:
        return f"{mode} of each channel → {size_text(shape)}"

    return LayerType(
        class_name,
        help,
        make_global_output_shapes(rank),
        params=(
            _data_format(),
            Param(
                "keepdims",
                Flag(),
                False,
                "Keep the pooled axes with size 1 (… 1, 1, channels) instead of dropping them.",
                keras_default=False,
            ),
        ),
        drawing="regroup",
        marker=GLOBAL_MARKER[mode],
        brief=brief,
        caption=caption,
        order=order,
        samples=tuple(samples),
    )
