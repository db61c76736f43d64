"""Attention: dot-product (Luong-style) attention of a query over a value (`keras.layers.Attention`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.attention._dot_product import INPUT_NAMES, attention_output
from nnstudio.core.layers.base import LayerType, Params, Sample, Shape, Variable, size_text
from nnstudio.core.layers.config_values import is_seed
from nnstudio.core.layers.params import Choice, Flag, FloatRange, Param


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    return [attention_output(inputs, summed=params["score_mode"] == "concat")]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    output_shapes(params, inputs)
    found = [Variable("scale", ())] if params["use_scale"] else []
    return found + ([Variable("concat_score_weight", ())] if params["score_mode"] == "concat" else [])


def brief(params: Params) -> list[str]:
    return [str(params["score_mode"])] + (["scaled"] if params["use_scale"] else [])


def caption(params: Params, shape: Shape) -> str:
    return f"attention · {params['score_mode']} · {size_text(shape)}"


LAYER = LayerType(
    "Attention",
    "Dot-product attention: each query step takes the values weighted by how well their keys match it.",
    output_shapes,
    training_default=False,  # Keras's call(inputs, training=False)
    params=(
        Param("use_scale", Flag(), False, "Learn a scalar that scales the attention scores.", keras_default=False),
        Param(
            "score_mode",
            Choice(("dot", "concat")),
            "dot",
            "How query and key are scored: their dot product, or tanh of their sum.",
            keras_default="dot",
        ),
        Param(
            "dropout",
            FloatRange(0.0, 1.0, max_open=True),
            0.0,
            "Fraction of the attention weights dropped while training.",
            keras_default=0.0,
        ),
    ),
    variables=variables,
    extra_config={"seed": is_seed},
    drawing="attention",
    brief=brief,
    caption=caption,
    order=2,
    inputs=(2, 3),
    call_convention="list",
    input_names=INPUT_NAMES,
    samples=(
        Sample({}, ((4, 6), (5, 6))),
        Sample({}, ((4, 6), (5, 8), (5, 6))),
        Sample({"use_scale": True, "score_mode": "concat"}, ((4, 6), (5, 6))),
        Sample({"score_mode": "concat"}, ((4, 1), (5, 5), (5, 3))),
        Sample({"dropout": 0.2}, ((2, 4, 6), (2, 5, 6))),
        Sample({}, ((2, 4, 6), (1, 5, 6))),
        Sample({}, ((6,), (6,))),
        Sample({}, ((None, 6), (None, 6))),
        Sample({}, ((4, 1), (5, 5), (5, 3)), refused_at=""),
        Sample({}, ((4, 6), (5, 6), (4, 6)), refused_at=""),
        Sample({}, ((4, 6), (3, 5, 6)), refused_at=""),
        Sample({}, ((4, 6),), refused_at=""),
        Sample({}, ((4, 6), (5, 6), (5, 6), (5, 6)), refused_at=""),
        Sample({"score_mode": "general"}, ((4, 6), (5, 6)), refused_at="score_mode"),
    ),
)
