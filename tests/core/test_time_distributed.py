"""TimeDistributed and the ConvLSTMs without Keras: a project file keeps the wrapped layer as a
layer entry and reads it back strictly, problems in it belong to the wrapped layer's field, and
the weights file's groups are the ones Keras writes (the wrapped layer's `layer` group, empty for
a Flatten; a ConvLSTM's `cell`)."""

from __future__ import annotations

import pytest

from nnstudio.core.layers import layer_type
from nnstudio.core.project import dumps_project, loads_project
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.core.weights_check import expected_weight_shapes


def _entry(class_name: str, **changes) -> dict:
    kind = layer_type(class_name)
    return {"class_name": class_name, "name": kind.name_stem, **kind.stored({**kind.defaults(), **changes})}


def _video(*wrapped: dict) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[6, 16, 16, 3]))
    for entry in wrapped:
        spec = spec.inserted(len(spec.layers), spec.new_layer("TimeDistributed", layer=entry))
    return spec


def test_a_project_file_keeps_each_wrapped_layer_and_reads_it_back() -> None:
    spec = _video(_entry("Conv2D", filters=4, activation="relu"), _entry("MaxPooling2D"), _entry("Flatten"))
    spec = spec.inserted(len(spec.layers), spec.new_layer("LSTM", units=3))
    again, _editor = loads_project(dumps_project(spec))
    assert [layer.get("layer") for layer in again.layers[1:4]] == [layer.get("layer") for layer in spec.layers[1:4]]
    summary = analyze(again)
    assert summary.ok
    assert [row.output_shape for row in summary.rows] == [(6, 14, 14, 4), (6, 7, 7, 4), (6, 196), (3,)]
    assert summary.rows[0].params == 3 * 3 * 3 * 4 + 4


def test_a_project_file_with_a_wrapped_layer_of_an_unknown_setting_is_refused_where_it_is() -> None:
    text = dumps_project(_video(_entry("Dense", units=4)))
    with pytest.raises(ValueError, match="Dense has no setting 'unitz'"):
        loads_project(text.replace('"units": 4', '"unitz": 4'))
    with pytest.raises(ValueError, match="must be a one-input layer"):
        loads_project(text.replace('"class_name": "Dense"', '"class_name": "Concatenate"'))


def test_problems_of_the_wrapped_layer_belong_to_its_field() -> None:
    summary = analyze(_video(_entry("Dense", units=0)))
    assert not summary.ok and summary.issues[0].field == "layer.units"
    too_small = ModelSpec()
    too_small = too_small.inserted(0, too_small.new_layer("Input", shape=[8]))
    too_small = too_small.inserted(1, too_small.new_layer("TimeDistributed", layer=_entry("Dense", units=2)))
    message = analyze(too_small).issues[0].message
    assert "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions" in message


def test_the_weights_file_groups_are_keras_s() -> None:
    spec = _video(_entry("Conv2D", filters=4), _entry("Flatten"))
    groups = expected_weight_shapes(spec)
    conv, flatten = groups["time_distributed"], groups["time_distributed_1"]
    assert conv.stored == (("layer", (3, 3, 3, 4)), ("layer", (4,)))
    assert flatten.stored == () and flatten.empty == ("layer",)

    frames = ModelSpec()
    frames = frames.inserted(0, frames.new_layer("Input", shape=[None, 16, 16, 1]))
    frames = frames.inserted(1, frames.new_layer("ConvLSTM2D", filters=8, kernel_size=[5, 5], padding="same"))
    cell = expected_weight_shapes(frames)["conv_lstm2d"]
    assert cell.stored == (("cell", (5, 5, 1, 32)), ("cell", (5, 5, 8, 32)), ("cell", (32,)))
    assert analyze(frames).rows[0].output_shape == (16, 16, 8)
