"""TimeDistributed around every layer type it can wrap, against the installed Keras: for the first
accepted sample of each wrappable type, Keras's TimeDistributed over 3 steps of that sample's
input gives the output shape and the weights (names, shapes, trainability) nnstudio infers, or
both refuse it."""

from __future__ import annotations

import pytest

from nnstudio.core.layers import LayerError, layer_type
from nnstudio.core.spec import LayerSpec

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

WRAPPER = layer_type("TimeDistributed")
WRAPPABLE = WRAPPER.param("layer").kind.choices()


def _first_sample(class_name: str):
    kind = layer_type(class_name)
    return next((s for s in kind.samples if s.refused_at is None and len(s.inputs) == 1), None)


@pytest.mark.parametrize("class_name", WRAPPABLE)
def test_time_distributed_around_each_type_equals_keras(class_name: str) -> None:
    from nnstudio.keras_io.build import make_layer

    kind = layer_type(class_name)
    sample = _first_sample(class_name)
    if sample is None:
        pytest.skip(f"{class_name} has no one-input sample")
    entry = {"class_name": class_name, "name": kind.name_stem, **kind.stored({**kind.defaults(), **sample.params})}
    settings = {"layer": entry}
    inputs = [(3, *sample.inputs[0])]
    keras.utils.clear_session()
    layer = make_layer(LayerSpec("TimeDistributed", "time_distributed", settings))
    try:
        ours = WRAPPER.infer(settings, inputs)
    except LayerError:
        with pytest.raises(Exception):  # noqa: B017, PT011 - Keras refuses with ValueError, TypeError, ...
            layer(keras.Input(shape=inputs[0]))
        return
    out = layer(keras.Input(shape=inputs[0]))
    outputs, variables = ours
    assert outputs == [tuple(out.shape[1:])]
    assert [(v.name, v.shape, v.trainable) for v in variables] == [
        (w.name, tuple(w.shape), w.trainable) for w in layer.weights
    ]
