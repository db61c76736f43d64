"""Input: where data enters the model (`keras.Input`, saved as an InputLayer)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, short_value
from nnstudio.core.layers.config_values import is_false, is_null
from nnstudio.core.layers.params import BatchShape, DType, Param


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    if inputs:
        raise LayerError(None, "an Input takes no input: it is where data enters")
    return [tuple(params["shape"])]


def brief(params: Params) -> list[str]:
    args = [short_value(params["shape"])]
    if params["dtype"] != "float32":
        args.append(str(params["dtype"]))
    return args


LAYER = LayerType(
    "Input",
    "Where data enters: the shape of one sample, without the batch axis.",
    output_shapes,
    params=(
        Param(
            "shape",
            BatchShape(allow_none=True),
            [20],
            "Shape of one sample, e.g. 20 or 28, 28; None for a size that varies, e.g. None, 8 for sequences.",
            config_key="batch_shape",
        ),
        Param(
            "dtype",
            DType(),
            "float32",
            "The type of the values fed in: floats, or integers (e.g. token ids).",
            keras_default="float32",
            implicit_default=True,
        ),
    ),
    extra_config={"sparse": is_false, "ragged": is_false, "optional": is_false, "batch_size": is_null},
    drawing="input",
    brief=brief,
    is_input=True,
    order=0,
    config_class="InputLayer",
    constructor="keras.Input",
    samples=(
        Sample({"shape": [20]}, ()),
        Sample({"shape": [None, 8], "dtype": "int32"}, ()),
        Sample({"shape": [4, None, 3], "dtype": "float16"}, ()),
        Sample({"shape": [3], "dtype": "float64"}, ()),
        Sample({"shape": [5], "dtype": "int64"}, ()),
    ),
)
