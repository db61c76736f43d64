"""What Keras's convolution layers share: parameters, output sizes, weights, checks and captions.

Keras builds its ten convolution layers from four bases (keras/src/layers/convolutional/):
`base_conv.py` (Conv1D/2D/3D), `base_conv_transpose.py` (Conv1D/2D/3DTranspose),
`base_depthwise_conv.py` (DepthwiseConv1D/2D) and `base_separable_conv.py` (SeparableConv1D/2D).
This module mirrors them: `conv_type(class_name, rank, variant, ...)` makes the `LayerType` of
one layer, and each module of the family calls it with its own help and samples. Sizes follow
`keras.src.ops.operation_utils.compute_conv_output_shape` and
`keras.src.backend.common.backend_utils.compute_conv_transpose_output_shape`; messages are Keras's.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from nnstudio.core.layers.base import (
    LayerError,
    LayerType,
    Params,
    Sample,
    Shape,
    Variable,
    format_shape,
    single_input,
    size_text,
)
from nnstudio.core.layers.config_values import is_null
from nnstudio.core.layers.names import INITIALIZERS
from nnstudio.core.layers.params import (
    MAX_DIM,
    MAX_UNITS,
    REQUIRED,
    ActivationName,
    Choice,
    ConstraintName,
    Flag,
    InitializerName,
    IntTuple,
    Param,
    PositiveInt,
    RegularizerName,
)
from nnstudio.core.layers.spatial import DATA_FORMATS, as_tuple, join_output, keras_tuple, split_input, window_text

CONV, TRANSPOSE, DEPTHWISE, SEPARABLE = "conv", "transpose", "depthwise", "separable"
# Keras's OrthogonalRegularizer takes 2-D weights only: a convolution's kernel, bias and output
# fail with it when training starts.
CONV_REGULARIZERS = ("l1", "l2")
BIAS_INITIALIZERS = tuple(i for i in INITIALIZERS if i != "orthogonal")  # Keras: needs 2-D or more

# TensorFlow's own CPU kernels refuse a transposed convolution with dilation_rate > 1 from this release
# on ("CPU implementations do not yet support dilation rates larger than 1"), though Keras still builds
# it; its oneDNN kernels run it. oneDNN is on where TF_ENABLE_ONEDNN_OPTS says so, else, on Linux, for
# CPUs with any of these instructions (TensorFlow's DefaultOneDnnPolicy, tensorflow/core/util/port.cc).
DILATED_TRANSPOSE_REFUSED_FROM = (2, 21)
ONEDNN_CPU_FLAGS = frozenset({"avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16"})

# The canvas's drawing of each variant: its kernels are laid out differently (ui/canvas/feature_maps.py).
DRAWINGS = {CONV: "conv", TRANSPOSE: "conv_transpose", DEPTHWISE: "depthwise_conv", SEPARABLE: "separable_conv"}


def known_channels(shape: Shape, channels: int | None) -> int:
    """The input's channel count, which the kernel is made from; LayerError if it varies."""
    if channels is None:
        raise LayerError(
            None,
            "The channel dimension of the inputs should be defined: Keras makes the kernel from it. "
            f"Found None. Full shape received: {format_shape(shape)}",
        )
    return channels


def conv_length(size: int | None, kernel: int, stride: int, dilation: int, padding: str) -> int | None:
    """One spatial size of a convolution's output (Keras's `compute_conv_output_shape`)."""
    if size is None:
        return None
    if padding == "valid":
        return (size - dilation * (kernel - 1) - 1) // stride + 1
    return (size - 1) // stride + 1  # "same" and "causal"


def transpose_length(
    size: int | None, kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> int | None:
    """One spatial size of a transposed convolution's output (Keras's
    `_get_output_shape_given_tf_padding`)."""
    if size is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return (size - 1) * stride + kernel + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + kernel % 2 + output_padding


def _settings(params: Params, rank: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    return (
        as_tuple(params["kernel_size"], rank),
        as_tuple(params["strides"], rank),
        as_tuple(params["dilation_rate"], rank),
    )


def output_channels(variant: str, params: Params, channels: int | None) -> int | None:
    """The output's channel count: the filters, or input channels × depth_multiplier (depthwise)."""
    if variant == DEPTHWISE:
        return None if channels is None else channels * params["depth_multiplier"]
    return params["filters"]


def _check_groups(params: Params, shape: Shape, channels: int | None) -> None:
    groups = params["groups"]
    if channels is not None and channels % groups:
        raise LayerError(
            "groups",
            "The number of input channels must be evenly divisible by the number of groups. "
            f"Received groups={groups}, but the input has {channels} channels "
            f"(full input shape is {format_shape(shape)}).",
        )


def make_output_shapes(rank: int, variant: str):
    """The `output_shapes` function of a `rank`-D convolution of `variant`."""

    def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
        shape = single_input(inputs)
        data_format = params["data_format"]
        spatial, channels = split_input(shape, rank, data_format)
        known_channels(shape, channels)
        if variant == CONV:
            _check_groups(params, shape, channels)
        kernel, strides, dilation = _settings(params, rank)
        padding = params["padding"]
        if variant == TRANSPOSE:
            output_padding = params["output_padding"]
            paddings = (None,) * rank if output_padding is None else as_tuple(output_padding, rank)
            sizes = [
                transpose_length(n, k, s, d, padding, op)
                for n, k, s, d, op in zip(spatial, kernel, strides, dilation, paddings, strict=True)
            ]
        else:
            sizes = [
                conv_length(n, k, s, d, padding) for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)
            ]
        if any(size is not None and size <= 0 for size in sizes):
            raise LayerError(
                "kernel_size",
                f"Computed output size would be zero or negative. Received: inputs shape={format_shape(shape)}, "
                f"kernel_size={kernel}, dilation_rate={dilation}, strides={strides}, padding={padding}",
            )
        return [join_output(sizes, output_channels(variant, params, channels), data_format)]

    return output_shapes


def make_variables(rank: int, variant: str):
    """The `variables` function (Keras's `layer.weights`, in order) of a `rank`-D convolution."""

    def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
        shape = single_input(inputs)
        _spatial, channels = split_input(shape, rank, params["data_format"])
        channels = known_channels(shape, channels)
        kernel = as_tuple(params["kernel_size"], rank)
        if variant == CONV:
            _check_groups(params, shape, channels)
            weights = [Variable("kernel", (*kernel, channels // params["groups"], params["filters"]))]
        elif variant == TRANSPOSE:
            weights = [Variable("kernel", (*kernel, params["filters"], channels))]
        elif variant == DEPTHWISE:
            weights = [Variable("kernel", (*kernel, channels, params["depth_multiplier"]))]
        else:
            depth = channels * params["depth_multiplier"]
            weights = [
                Variable("depthwise_kernel", (*kernel, channels, params["depth_multiplier"])),
                Variable("pointwise_kernel", (*(1,) * rank, depth, params["filters"])),
            ]
        if params["use_bias"]:
            bias_size = output_channels(variant, params, channels)
            assert bias_size is not None  # the channels are known here
            weights.append(Variable("bias", (bias_size,)))
        return weights

    return variables


@cache
def dilated_transpose_runs() -> bool:
    """Whether the installed TensorFlow runs a transposed convolution with dilation_rate > 1 on the
    CPU: a release before DILATED_TRANSPOSE_REFUSED_FROM (read from the name of its package's metadata
    folder: core never imports it, and the catalog asks at start-up), or its oneDNN kernels on
    (`onednn_on`). Where that cannot be told, Keras has the last word."""
    found = find_spec("tensorflow")
    if found is None or not found.submodule_search_locations:
        return True  # no TensorFlow here
    site = Path(next(iter(found.submodule_search_locations))).parent
    for folder in site.glob("tensorflow-*.dist-info"):
        release = re.match(r"tensorflow-(\d+)\.(\d+)", folder.name)
        if release is not None:
            if (int(release[1]), int(release[2])) < DILATED_TRANSPOSE_REFUSED_FROM:
                return True
            return onednn_on() is not False
    return True  # another build of TensorFlow


def onednn_on() -> bool | None:
    """Whether TensorFlow's oneDNN kernels are on: TF_ENABLE_ONEDNN_OPTS, else TensorFlow's default on
    Linux (the CPU has one of ONEDNN_CPU_FLAGS); None where that cannot be told here."""
    setting = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower()
    if setting in ("1", "true"):
        return True
    if setting in ("0", "false"):
        return False
    flags = cpu_flags()
    return None if flags is None else bool(flags & ONEDNN_CPU_FLAGS)


def cpu_flags() -> frozenset[str] | None:
    """The CPU's instruction flags as Linux lists them (/proc/cpuinfo); None elsewhere, or on a CPU
    whose entries have no flags line (ARM lists "Features")."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return frozenset(value.split())
    except OSError:
        return None
    return None


def make_validate(rank: int, variant: str):
    """Problems between parameters that Keras's constructor refuses, in its words."""

    def validate(params: Params) -> list[tuple[str | None, str]]:
        problems: list[tuple[str | None, str]] = []
        _kernel, strides, dilation = _settings(params, rank)
        if variant == CONV and params["filters"] % params["groups"]:
            problems.append(
                (
                    "groups",
                    "The number of filters must be evenly divisible by the number of groups. "
                    f"Received: groups={params['groups']}, filters={params['filters']}.",
                )
            )
        if variant in (CONV, TRANSPOSE) and max(strides) > 1 and max(dilation) > 1:
            problems.append(
                (
                    "dilation_rate",
                    "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                    f"Received: strides={strides} and dilation_rate={dilation}",
                )
            )
        elif variant == TRANSPOSE and max(dilation) > 1 and not dilated_transpose_runs():
            problems.append(
                (
                    "dilation_rate",
                    "Keras builds it, but TensorFlow cannot run it here: without its oneDNN kernels (off on this "
                    "CPU, or TF_ENABLE_ONEDNN_OPTS=0) its CPU kernels do not support a transposed convolution "
                    f"with dilation_rate > 1. Received: dilation_rate={dilation}",
                )
            )
        if variant == TRANSPOSE and params["output_padding"] is not None:
            problems += _output_padding_problems(params, rank)
        return problems

    return validate


def _output_padding_problems(params: Params, rank: int) -> list[tuple[str | None, str]]:
    kernel, strides, dilation = _settings(params, rank)
    output_padding = as_tuple(params["output_padding"], rank)
    for axis, (op, s) in enumerate(zip(output_padding, strides, strict=True)):
        if op >= s:
            return [
                (
                    "output_padding",
                    "`output_padding` must be strictly less than `strides` for all dimensions. "
                    f"At dimension {axis}, `output_padding` is {op} but `strides` is {s}. "
                    f"Received: output_padding={output_padding}, strides={strides}",
                )
            ]
    if params["padding"] == "same":
        # Keras builds it, but TensorFlow refuses to run it: each input step must fill a whole stride
        for k, d, op in zip(kernel, dilation, output_padding, strict=True):
            if ((k - 1) * d + 1) % 2 + op == 0:
                return [
                    (
                        "output_padding",
                        "with padding='same' and a kernel of even size, output_padding must be at least 1: "
                        "TensorFlow cannot run the layer otherwise. "
                        f"Received: output_padding={output_padding}, kernel_size={kernel}, dilation_rate={dilation}",
                    )
                ]
    return []


def _is_ones(value: Any, rank: int) -> bool:
    return as_tuple(value, rank) == (1,) * rank


def make_brief(rank: int, variant: str):
    """The layer stack's short arguments: `Conv2D(32, 3×3, relu)`."""

    def brief(params: Params) -> list[str]:
        args = [] if variant == DEPTHWISE else [str(params["filters"])]
        args.append(window_text(params["kernel_size"], rank))
        if params["activation"] != "linear":
            args.append(str(params["activation"]))
        if not _is_ones(params["strides"], rank):
            args.append(f"stride {window_text(params['strides'], rank)}")
        if params["padding"] != "valid":
            args.append(str(params["padding"]))
        if not _is_ones(params["dilation_rate"], rank):
            args.append(f"dilation {window_text(params['dilation_rate'], rank)}")
        if variant != CONV and variant != TRANSPOSE and params["depth_multiplier"] != 1:
            args.append(f"×{params['depth_multiplier']} per channel")
        if variant == CONV and params["groups"] != 1:
            args.append(f"{params['groups']} groups")
        if params["data_format"] != "channels_last":
            args.append(str(params["data_format"]))
        return args

    return brief


def make_caption(rank: int, variant: str):
    """The canvas line under the name: the feature maps' size and what makes them."""

    def caption(params: Params, shape: Shape) -> str:
        window = window_text(params["kernel_size"], rank)
        if rank == 1:
            window = f"{window}-tap"
        made = f"{window} per channel" if variant == DEPTHWISE else f"{window} filters"
        if variant == TRANSPOSE:
            made += " transposed"
        parts = [size_text(shape), made]
        if params["activation"] != "linear":
            parts.append(str(params["activation"]))
        return " · ".join(parts)

    return caption


def _tuple_param(name: str, rank: int, default: int, help_text: str, positional: bool = False) -> Param:
    value = [default] * rank
    return Param(
        name,
        IntTuple(rank, maximum=MAX_DIM),
        value,
        help_text,
        keras_default=REQUIRED if positional else keras_tuple(default, rank),
        positional=positional,
    )


def conv_params(rank: int, variant: str, causal: bool) -> tuple[Param, ...]:
    """The parameters of a `rank`-D convolution of `variant`, in Keras's constructor order."""
    kernel_prefix = "depthwise" if variant in (DEPTHWISE, SEPARABLE) else "kernel"
    filters = Param(
        "filters",
        PositiveInt(MAX_UNITS),
        32,
        "Number of filters: the channels of the output, each made by its own kernel.",
        positional=True,
    )
    kernel_size = _tuple_param(
        "kernel_size", rank, 3, "Size of the window each filter slides over the input, e.g. 3 or 3, 3.", positional=True
    )
    strides = _tuple_param("strides", rank, 1, "Step of the window along each axis (1: every position).")
    paddings = ("valid", "same", "causal") if causal else ("valid", "same")
    padding = Param(
        "padding",
        Choice(paddings),
        "valid",
        "valid: no padding, the output shrinks; same: zeros around the input so that a stride of 1 keeps its size"
        + ("; causal: zeros before the steps only, so no output sees the future." if causal else "."),
        keras_default="valid",
    )
    output_padding = Param(
        "output_padding",
        IntTuple(rank, minimum=0, maximum=MAX_DIM, allow_none=True),
        None,
        "Extra size added to one side of the output along each axis, less than the stride; None: Keras picks it.",
        keras_default=None,
    )
    data_format = Param(
        "data_format",
        Choice(DATA_FORMATS),
        "channels_last",
        "Where the channels are: channels_last (steps…, channels) or channels_first (channels, steps…).",
        keras_default="channels_last",
    )
    dilation = _tuple_param("dilation_rate", rank, 1, "Spacing between the kernel's taps (1: next to each other).")
    groups = Param(
        "groups",
        PositiveInt(MAX_UNITS),
        1,
        "Split the input channels into this many groups, each convolved with its own filters.",
        keras_default=1,
    )
    multiplier = Param(
        "depth_multiplier",
        PositiveInt(MAX_UNITS),
        1,
        "Output channels made from each input channel by its own kernel.",
        keras_default=1,
    )
    activation = Param(
        "activation", ActivationName(), "linear", "Function applied to each output value.", keras_default="linear"
    )
    use_bias = Param("use_bias", Flag(), True, "Add a learned bias to each output channel.", keras_default=True)

    def initializer(name: str, what: str) -> Param:
        return Param(
            f"{name}_initializer",
            InitializerName(),
            "glorot_uniform",
            f"How the {what} is initialised.",
            keras_default="glorot_uniform",
        )

    def regularizer(name: str, what: str) -> Param:
        return Param(
            f"{name}_regularizer",
            RegularizerName(CONV_REGULARIZERS),
            None,
            f"Penalty on the {what} added to the loss (None: none).",
            keras_default=None,
        )

    def constraint(name: str, what: str) -> Param:
        return Param(
            f"{name}_constraint",
            ConstraintName(),
            None,
            f"Limit applied to the {what} after each training step (None: none).",
            keras_default=None,
        )

    bias_initializer = Param(
        "bias_initializer",
        InitializerName(BIAS_INITIALIZERS),
        "zeros",
        "How the biases are initialised.",
        keras_default="zeros",
    )
    kernel_what = "depthwise kernels" if kernel_prefix == "depthwise" else "kernel"
    if variant == CONV:
        head = [filters, kernel_size, strides, padding, data_format, dilation, groups]
    elif variant == TRANSPOSE:
        head = [filters, kernel_size, strides, padding, output_padding, data_format, dilation]
    elif variant == DEPTHWISE:
        head = [kernel_size, strides, padding, multiplier, data_format, dilation]
    else:
        head = [filters, kernel_size, strides, padding, data_format, dilation, multiplier]
    tail = [activation, use_bias, initializer(kernel_prefix, kernel_what)]
    if variant == SEPARABLE:
        tail.append(initializer("pointwise", "pointwise kernel"))
    tail += [bias_initializer, regularizer(kernel_prefix, kernel_what)]
    if variant == SEPARABLE:
        tail.append(regularizer("pointwise", "pointwise kernel"))
    tail += [
        regularizer("bias", "biases"),
        regularizer("activity", "layer's output"),
        constraint(kernel_prefix, kernel_what),
    ]
    if variant == SEPARABLE:
        tail.append(constraint("pointwise", "pointwise kernel"))
    tail.append(constraint("bias", "biases"))
    return tuple(head + tail)


def conv_type(
    class_name: str,
    rank: int,
    variant: str,
    help: str,  # noqa: A002 - the LayerType field's name
    samples: Sequence[Sample],
    order: int,
    causal: bool = False,
) -> LayerType:
    """The layer type of a `rank`-D convolution of `variant` (conv, transpose, depthwise, separable)."""
    extra = {"lora_rank": is_null, "lora_alpha": is_null} if variant == CONV else {}
    return LayerType(
        class_name,
        help,
        make_output_shapes(rank, variant),
        params=conv_params(rank, variant, causal),
        variables=make_variables(rank, variant),
        validate=make_validate(rank, variant),
        extra_config=extra,
        drawing=DRAWINGS[variant],
        brief=make_brief(rank, variant),
        caption=make_caption(rank, variant),
        size_param="depth_multiplier" if variant == DEPTHWISE else "filters",
        order=order,
        samples=tuple(samples),
    )
