"""TimeDistributed: one wrapped layer applied to every time step of a sequence, with the same
weights at every step (`keras.layers.TimeDistributed`, keras/src/layers/rnn/time_distributed.py).

The wrapped layer is any layer nnstudio has that takes one tensor (`layer`, a layer entry as
Bidirectional holds one): fed `(steps, *inner)` it sees `inner` at each step and the output is
`(steps, *inner_out)`. Its variables are the wrapped layer's, which a `.keras` weights file keeps
in the layer's `layer` group (empty for a wrapped layer without variables).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnstudio.core.layers.base import LayerError, LayerType, Params, Sample, Shape, Variable, format_shape, single_input
from nnstudio.core.layers.convolutional.conv2d import LAYER as CONV2D
from nnstudio.core.layers.core.dense import LAYER as DENSE
from nnstudio.core.layers.nested import NestedLayer, inner_settings
from nnstudio.core.layers.normalization.batch_normalization import LAYER as BATCH_NORMALIZATION
from nnstudio.core.layers.params import Param
from nnstudio.core.layers.pooling.max_pooling2d import LAYER as MAX_POOLING2D
from nnstudio.core.layers.recurrent.lstm import LAYER as LSTM
from nnstudio.core.layers.regularization.dropout import LAYER as DROPOUT
from nnstudio.core.layers.reshaping.flatten import LAYER as FLATTEN

GROUP = "layer"  # the wrapped layer's group inside TimeDistributed's in model.weights.h5


def _kind(entry: dict[str, Any]) -> LayerType:
    from nnstudio.core.layers.registry import layer_type

    return layer_type(entry["class_name"])


def step_shape(inputs: Sequence[Shape]) -> tuple[int | None, Shape]:
    """(steps, the shape the wrapped layer sees at each step); LayerError in Keras's words for a
    rank below 3 (the batch axis included)."""
    shape = single_input(inputs)
    if len(shape) < 2:
        raise LayerError(
            None,
            "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
            f"received: {format_shape(shape)}",
        )
    return shape[0], shape[1:]


def _inner(params: Params, inputs: Sequence[Shape]) -> tuple[int | None, list[Shape], list[Variable]]:
    steps, inner = step_shape(inputs)
    entry = params["layer"]
    try:
        outputs, variables = _kind(entry).infer(inner_settings(entry), [inner])
    except LayerError as exc:  # the wrapped layer's field, as the property editor marks it
        raise LayerError(f"layer.{exc.field}" if exc.field else "layer", f"{entry['class_name']}: {exc}") from None
    if len(outputs) != 1:
        raise LayerError(
            "layer",
            f"TimeDistributed applies a layer with one output at each step. Received: {entry['class_name']} "
            f"with {len(outputs)} outputs (return_state)",
        )
    return steps, outputs, variables


def output_shapes(params: Params, inputs: Sequence[Shape]) -> list[Shape]:
    """Keras's `compute_output_shape`: the steps, then what the wrapped layer makes of one step."""
    steps, outputs, _variables = _inner(params, inputs)
    return [(steps, *outputs[0])]


def variables(params: Params, inputs: Sequence[Shape]) -> list[Variable]:
    return [
        Variable(v.name, v.shape, v.trainable, f"{GROUP}/{v.store}" if v.store else GROUP, v.dtype)
        for v in _inner(params, inputs)[2]
    ]


def empty_groups(params: Params) -> tuple[str, ...]:
    """Keras writes the wrapped layer's group even when it has no variables (a Flatten), with its
    own empty sublayer groups inside."""
    entry = params["layer"]
    kind = _kind(entry)
    inner = kind.empty_sublayers + (kind.empty_groups(kind.values(inner_settings(entry))) if kind.empty_groups else ())
    return (GROUP, *(f"{GROUP}/{group}" for group in inner))


# The wrapped layer's drawings that need nothing of its type but its weights' names and shapes.
AS_WRAPPED = ("dense", "conv", "pool")


def drawing_for(params: Params) -> str:
    """Drawn as the wrapped layer is (a Dense's neurons, a convolution's feature maps, a
    pooling's shape change); other wrapped layers as a shape change."""
    entry = params["layer"]
    drawing = _kind(entry).drawing_of(inner_settings(entry))
    return drawing if drawing in AS_WRAPPED else "pool"


def brief(params: Params) -> list[str]:
    entry = params["layer"]
    kind = _kind(entry)
    return [f"{entry['class_name']}({', '.join(kind.brief(kind.values(inner_settings(entry))))})"]


def caption(params: Params, shape: Shape) -> str:
    entry = params["layer"]
    inner = _kind(entry).caption_for(inner_settings(entry), tuple(shape[1:]))
    return f"{shape[0] if shape and shape[0] is not None else 'each'} steps × {inner}"


def _entry(kind: LayerType, **changes: Any) -> dict[str, Any]:
    return {"class_name": kind.class_name, "name": kind.name_stem, **kind.stored({**kind.defaults(), **changes})}


SAMPLES = (
    Sample({"layer": _entry(DENSE, units=8)}, ((5, 4),)),
    Sample({"layer": _entry(DENSE, units=3, activation="relu")}, ((None, 6),)),
    Sample({"layer": _entry(DENSE, units=2)}, ((3, 4, 5),)),
    Sample({"layer": _entry(CONV2D, filters=4, kernel_size=[3, 3])}, ((5, 8, 8, 3),)),
    Sample({"layer": _entry(CONV2D, filters=2, kernel_size=[3, 3], padding="same")}, ((None, 6, 6, 1),)),
    Sample({"layer": _entry(FLATTEN)}, ((5, 6, 6, 4),)),
    Sample({"layer": _entry(MAX_POOLING2D, pool_size=[2, 2])}, ((4, 8, 8, 2),)),
    Sample({"layer": _entry(DROPOUT, rate=0.5)}, ((4, 3),)),
    Sample({"layer": _entry(BATCH_NORMALIZATION)}, ((4, 3),)),
    Sample({"layer": _entry(LSTM, units=3)}, ((4, 5, 2),)),
    Sample({"layer": _entry(DENSE, units=8)}, ((8,),), refused_at=""),
    Sample({"layer": _entry(CONV2D, filters=4)}, ((5, 8, 8),), refused_at="layer"),
    Sample({"layer": _entry(DENSE, units=0)}, ((5, 4),), refused_at="layer.units"),
)


LAYER = LayerType(
    "TimeDistributed",
    "Applies one layer (a Dense, a Conv2D, ...) to every time step of a sequence, with the same weights at each step.",
    output_shapes,
    params=(
        Param(
            "layer",
            NestedLayer(any_one_input=True),
            _entry(DENSE, units=8),
            "The layer applied to each time step: it sees one step, (steps, …) without the steps.",
            positional=True,
        ),
    ),
    variables=variables,
    empty_groups=empty_groups,
    drawing="pool",
    drawing_for=drawing_for,
    brief=brief,
    caption=caption,
    order=20,
    samples=SAMPLES,
)
