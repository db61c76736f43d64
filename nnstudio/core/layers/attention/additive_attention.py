"""AdditiveAttention: Bahdanau-style attention, scored by tanh of query plus key (`keras.layers.AdditiveAttention`)."""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.attention._dot_product import INPUT_NAMES, attention_output, roles
from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, Variable, size_text
from nnstudio.core.layers.config_values import is_seed
from nnstudio.core.layers.params import Flag, FloatRange, Param


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    return [attention_output(inputs, summed=True)]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    output_shapes(params, inputs)
    if not params["use_scale"]:
        return []
    query, _value, _key = roles(inputs)
    if query[-1] is None:
        raise LayerError(
            None,
            f"the query's last axis needs a size: Keras makes the scale from it. Received: query_shape={query}",
        )
    return [Variable("scale", (query[-1],))]


def brief(params: Params) -> list[str]:
    return ["scaled"] if params["use_scale"] else []


def caption(params: Params, shape: Shape) -> str:
    return f"additive attention · {size_text(shape)}"


LAYER = LayerType(
    "AdditiveAttention",
    "Additive attention: each query step takes the values weighted by tanh of the query plus their keys.",
    output_shapes,
    training_default=False,  # Keras's call(inputs, training=False)
    params=(
        Param("use_scale", Flag(), True, "Learn a scale for each feature of the scores.", keras_default=True),
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
    order=3,
    inputs=(2, 3),
    call_convention="list",
    input_names=INPUT_NAMES,
    samples=(
        Sample({}, ((4, 6), (5, 6))),
        Sample({"use_scale": False}, ((4, 6), (5, 8), (5, 6))),
        Sample({}, ((4, 1), (5, 5), (5, 3))),
        Sample({"dropout": 0.3}, ((2, 4, 6), (2, 5, 6))),
        Sample({"use_scale": False}, ((4, None), (5, 6))),
        Sample({}, ((4, None), (5, 6)), refused_at=""),
        Sample({}, ((4, 6), (5, 6), (4, 6)), refused_at=""),
        Sample({}, ((4, 2), (5, 3)), refused_at=""),
        Sample({}, ((4, 6),), refused_at=""),
    ),
)
