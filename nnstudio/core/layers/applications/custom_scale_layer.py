"""CustomScaleLayer: `inputs[0] + inputs[1] * scale`, the scaled residual sum of InceptionResNetV2's
blocks (`keras.src.applications.inception_resnet_v2.CustomScaleLayer`, not exported by Keras).

It is called on a list of two tensors and has no weights; shapes broadcast as Keras's operations do.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.layers.base import LayerType, Params, Sample, Shape, short_value
from nnstudio.core.layers.broadcasting import broadcast_samples
from nnstudio.core.layers.params import FloatRange, Param

MODULE = "keras.src.applications.inception_resnet_v2"


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    return [broadcast_samples(tuple(inputs[0]), tuple(inputs[1]))]


LAYER = LayerType(
    "CustomScaleLayer",
    "Adds its second input, scaled, to its first: the residual sum of InceptionResNetV2's blocks.",
    output_shapes,
    params=(
        Param("scale", FloatRange(None, None), 1.0, "The factor the second input is multiplied by (0.17, 0.1, 0.2)."),
    ),
    drawing="merge",
    brief=lambda params: [short_value(params["scale"])],
    caption=lambda params, shape: f"a + b·{short_value(params['scale'])}",
    order=20,
    inputs=(2, 2),
    call_convention="list",
    input_names=("residual", "branch"),
    keras_module=MODULE,
    constructor=f"{MODULE}.CustomScaleLayer",
    samples=(
        Sample({"scale": 0.17}, ((35, 35, 8), (35, 35, 8))),
        Sample({}, ((None, 4), (None, 4))),
        Sample({"scale": 0.5}, ((4, 1), (1, 6))),
        Sample({}, ((3,), (4,)), refused_at=""),
    ),
)
