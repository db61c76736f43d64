"""Sequential: a stack of layers used as one layer of a functional model, as ConvNeXt's stem
(`keras.Sequential`, written in a config under module `keras`).

How Keras writes it into a functional model's config (Keras 3.15, ConvNeXtTiny):

    {"module": "keras", "class_name": "Sequential", "registered_name": null,
     "config": {"name": "convnext_tiny_stem", "trainable": true, "dtype": <float32 policy>,
                "layers": [{"module": "keras.layers", "class_name": "InputLayer",
                            "config": {"batch_shape": [null, 224, 224, 3], "dtype": "float32", "sparse": false,
                                       "ragged": false, "name": "input_layer_1", "optional": false},
                            "registered_name": null},
                           {"module": "keras.layers", "class_name": "Conv2D", "config": {...},
                            "registered_name": null, "build_config": {"input_shape": [null, 224, 224, 3]}},
                           {"module": "keras.layers", "class_name": "LayerNormalization", ...}],
                "build_input_shape": [null, 224, 224, 3]},
     "build_config": {"input_shape": [null, 224, 224, 3]}, "compile_config": {},
     "name": "convnext_tiny_stem",
     "inbound_nodes": [{"args": [<__keras_tensor__ reference>], "kwargs": {"mask": null}}]}

The inner layers are entries as a Sequential model's own config holds them (no inbound nodes:
they are a chain), the InputLayer first; the call's kwargs hold `mask: null`. In
model.weights.h5 the inner layers' variables are kept in the Sequential's group, each in a group
of its own numbered by class within the Sequential (`layers/sequential/layers/conv2d/vars/0`,
`.../layers/layer_normalization/vars/0`); an inner layer without variables has an empty one. Keras's
summary shows it as one row, `convnext_tiny_stem (Sequential)`, with the inner layers' parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, Variable, format_shape
from nnstudio.core.layers.config_values import is_plain
from nnstudio.core.layers.convolutional.conv2d import LAYER as CONV2D
from nnstudio.core.layers.core.dense import LAYER as DENSE
from nnstudio.core.layers.core.input import LAYER as INPUT
from nnstudio.core.layers.nested import NestedLayers, inner_settings
from nnstudio.core.layers.normalization.layer_normalization import LAYER as LAYER_NORMALIZATION
from nnstudio.core.layers.params import Param
from nnstudio.core.layers.regularization.dropout import LAYER as DROPOUT


def _kind(entry: dict[str, Any]) -> LayerType:
    from nnstudio.core.layers.registry import layer_type

    return layer_type(entry["class_name"])


def _chain(params: Params, inputs: Sequence[Shape]) -> tuple[Shape, list[Variable]]:
    """The shape out of the inner layers fed `inputs`, and their variables in their groups."""
    from nnstudio.core.layers.base import single_input

    shape = single_input(inputs)
    first, *layers = params["layers"]
    declared = tuple(first.get("shape", ()))
    if declared != shape:
        raise LayerError(
            "layers.0.shape",
            f"the Sequential was built for inputs of shape {format_shape(declared)}, and is fed {format_shape(shape)}",
        )
    variables: list[Variable] = []
    counts: dict[str, int] = {}
    for index, entry in enumerate(layers, start=1):
        kind = _kind(entry)
        try:
            outputs, found = kind.infer(inner_settings(entry), [shape])
        except LayerError as exc:
            field = f"layers.{index}.{exc.field}" if exc.field else f"layers.{index}"
            raise LayerError(field, f"{entry.get('name')}: {exc}") from None
        if len(outputs) != 1:
            raise LayerError(
                f"layers.{index}", f"{entry.get('name')} gives {len(outputs)} outputs; a Sequential passes one on"
            )
        n = counts.get(kind.name_stem, 0)
        counts[kind.name_stem] = n + 1
        group = f"layers/{kind.name_stem}" + (f"_{n}" if n else "")
        variables += [
            Variable(v.name, v.shape, v.trainable, f"{group}/{v.store}" if v.store else group, v.dtype) for v in found
        ]
        shape = outputs[0]
    return shape, variables


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    return [_chain(params, inputs)[0]]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    return _chain(params, inputs)[1]


def empty_groups(params: Params) -> tuple[str, ...]:
    """The groups model.weights.h5 keeps for the inner layers (those without variables stay empty)."""
    counts: dict[str, int] = {}
    groups = []
    for entry in params["layers"][1:]:
        stem = _kind(entry).name_stem
        n = counts.get(stem, 0)
        counts[stem] = n + 1
        groups.append(f"layers/{stem}" + (f"_{n}" if n else ""))
    return tuple(groups)


def brief(params: Params) -> list[str]:
    return [f"{len(params['layers']) - 1} layers"]


def caption(params: Params, shape: Shape) -> str:
    inner = [str(entry.get("class_name")) for entry in params["layers"][1:]]
    return " → ".join(inner[:3]) + (" → …" if len(inner) > 3 else "")


def _entry(kind: LayerType, name: str, **settings: Any) -> dict[str, Any]:
    return {"class_name": kind.class_name, "name": name, **kind.stored({**kind.defaults(), **settings})}


def _is_build_shape(value: Any) -> bool:
    return value is None or (isinstance(value, list) and is_plain(value))


LAYER = LayerType(
    "Sequential",
    "A stack of layers used as one layer of the model (ConvNeXt's stem: a convolution and a normalisation).",
    output_shapes,
    params=(
        Param(
            "layers",
            NestedLayers(),
            [_entry(INPUT, "inner_input", shape=[8]), _entry(DENSE, "inner_dense", units=8)],
            "The model inside: its Input (the shape it takes), then its layers in order.",
            keras_default=None,  # Keras's: a Sequential without layers yet
            positional=True,
        ),
    ),
    variables=variables,
    extra_config={"build_input_shape": _is_build_shape},
    empty_groups=empty_groups,
    drawing="pool",
    brief=brief,
    caption=caption,
    order=10,
    keras_module="keras",
    constructor="keras.Sequential",
    samples=(
        Sample(
            {
                "layers": [
                    _entry(INPUT, "stem_input", shape=[8, 8, 3]),
                    _entry(CONV2D, "stem_conv", filters=4, kernel_size=4, strides=4),
                    _entry(LAYER_NORMALIZATION, "stem_layernorm", epsilon=1e-6),
                ]
            },
            ((8, 8, 3),),
        ),
        Sample(
            {
                "layers": [
                    _entry(INPUT, "inner_input", shape=[None, 5]),
                    _entry(DENSE, "inner_dense", units=3),
                    _entry(DROPOUT, "inner_dropout", rate=0.1),
                    _entry(DENSE, "inner_dense_1", units=2),
                ]
            },
            ((None, 5),),
        ),
        Sample({}, ((8,),)),
        Sample(
            {"layers": [_entry(INPUT, "inner_input", shape=[8]), _entry(DENSE, "d", units=0)]},
            ((8,),),
            "layers.1.units",
        ),
    ),
)
