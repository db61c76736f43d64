"""Every layer and operation node of keras.applications models, read through the registry and
inferred alone, against what Keras built (the graph that connects them is issue 11's).

Each entry of a model's functional config is read as the `.keras` reader reads a layer (its
`name` and `inbound_nodes` set aside), an operation node's constant operands from its inbound
args (see `core/layers/ops/_elementwise.py`), a nested Sequential as one layer; each is fed
the shapes Keras fed it. Output shapes, weights (name, shape, trainability, dtype) and the model's
parameter count must be Keras's.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from nnstudio.core.layers import LayerType, layer_type
from nnstudio.core.spec import LayerSpec
from tests.core.test_application_layers import read_entry

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

# One architecture of each family whose layers differ (ConvNeXt: LayerScale, Normalization with
# statistics, ops.Add, a nested Sequential (read as one layer, its layers inside); InceptionResNetV2: CustomScaleLayer; MobileNetV3:
# ops.Add/Multiply with constants, ReLU max_value; EfficientNet: Normalization weights, Dropout
# noise_shape, VarianceScaling; DenseNet: BatchNormalization axis=3).
APPLICATIONS = ["ConvNeXtTiny", "DenseNet121", "EfficientNetB0", "InceptionResNetV2", "MobileNetV3Small"]


def check_alone(kind: LayerType, layer: LayerSpec, operation: Any) -> list[Any]:
    """Infer `layer` on the shapes Keras fed `operation`; compare; its variables."""
    (node,) = operation._inbound_nodes
    inputs = [tuple(t.shape[1:]) for t in node.arguments.keras_tensors]
    outputs, variables = kind.infer(layer.params, inputs)
    assert outputs == [tuple(t.shape[1:]) for t in node.outputs], layer.name
    weights = getattr(operation, "weights", [])
    # a weight added without a name is Keras's `variable`, numbered in the session (`variable_7`)
    assert [(v.name, v.shape, v.trainable, v.dtype) for v in variables] == [
        (re.sub(r"^variable_\d+$", "variable", w.name), tuple(w.shape), w.trainable, w.dtype) for w in weights
    ], layer.name
    return variables


@pytest.mark.parametrize("name", APPLICATIONS)
def test_every_layer_of_an_application_is_read_and_inferred_as_keras_built_it(name):
    keras.utils.clear_session()
    model = getattr(keras.applications, name)(weights=None)
    config = json.loads(json.dumps(model.get_config()))
    operations = {op.name: op for op in model.operations}
    total = 0
    seen: set[str] = set()
    for entry in config["layers"]:
        operation = operations[entry["name"]]
        layer = read_entry(entry)
        kind = layer_type(layer.class_name)
        if kind.is_input:
            continue
        total += sum(v.size for v in check_alone(kind, layer, operation))
        seen.add(kind.class_name)
    assert total == model.count_params() == sum(math.prod(w.shape) for w in model.weights)
    assert seen  # (each architecture's own types are listed above)
