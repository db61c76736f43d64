"""Embedding: turns token ids (whole numbers 0 .. input_dim - 1) into vectors, one learned row of
a table per token (`keras.layers.Embedding`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Params, Sample, Shape, Variable, single_input
from nnstudio.core.layers.config_values import is_null
from nnstudio.core.layers.params import MAX_UNITS, Flag, InitializerName, Param, PositiveInt


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    return [single_input(inputs) + (params["output_dim"],)]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    single_input(inputs)
    return [Variable("embeddings", (params["input_dim"], params["output_dim"]))]


def brief(params: Params) -> list[str]:
    args = [str(params["input_dim"]), str(params["output_dim"])]
    if params["mask_zero"]:
        args.append("mask 0")
    return args


def caption(params: Params, shape: Shape) -> str:
    return f"{params['input_dim']:,} tokens → {params['output_dim']:,}"


LAYER = LayerType(
    "Embedding",
    "Looks up each token id (0 to input_dim - 1) in a learned table and gives its row: a vector of output_dim values.",
    output_shapes,
    params=(
        Param(
            "input_dim",
            PositiveInt(MAX_UNITS),
            1000,
            "Size of the vocabulary: token ids run from 0 to input_dim - 1.",
            positional=True,
        ),
        Param("output_dim", PositiveInt(MAX_UNITS), 64, "Length of the vector each token becomes.", positional=True),
        Param(
            "embeddings_initializer",
            InitializerName(),
            "random_uniform",
            "How the table is initialised (Keras: uniform in [-0.05, 0.05]).",
            keras_default="random_uniform",
        ),
        Param(
            "mask_zero",
            Flag(),
            False,
            "Token 0 is padding: later layers that can (RNNs) skip those steps; ids then start at 1.",
            keras_default=False,
        ),
    ),
    variables=variables,
    extra_config={
        "embeddings_regularizer": is_null,
        "activity_regularizer": is_null,
        "embeddings_constraint": is_null,
        "quantization_config": is_null,
        "lora_rank": is_null,
        "lora_alpha": is_null,
    },
    drawing="embedding",
    brief=brief,
    caption=caption,
    size_param="input_dim",
    token_count=lambda params: params["input_dim"],
    order=2,
    samples=(
        Sample({"input_dim": 20, "output_dim": 4}, ((None,),)),
        Sample({"input_dim": 20000, "output_dim": 128}, ((None,),)),
        Sample({"input_dim": 7, "output_dim": 3, "mask_zero": True}, ((5,),)),
        Sample({"input_dim": 9, "output_dim": 2, "embeddings_initializer": "glorot_normal"}, ((3, None),)),
        Sample({"input_dim": 0, "output_dim": 4}, ((None,),), refused_at="input_dim"),
        Sample({"input_dim": 10, "output_dim": 0}, ((None,),), refused_at="output_dim"),
    ),
)
