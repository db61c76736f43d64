"""The graphs of keras.applications models as Keras 3.15 writes them (`weights=None`): each layer's
name, class and inputs, kept in `data/applications_topology.json.gz` (what `TOPOLOGY_SCRIPT` prints),
read into specs without Keras."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

from nnstudio.core.layers.registry import by_config_class
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef

DATA = Path(__file__).parent / "data" / "applications_topology.json.gz"
MODELS = (
    "ResNet50",
    "MobileNetV2",
    "DenseNet121",
    "EfficientNetB0",
    "NASNetMobile",
    "InceptionV3",
    "Xception",
    "ConvNeXtTiny",
    "InceptionResNetV2",
)

TOPOLOGY_SCRIPT = """
import json, sys
import keras
from tests.core.keras_graphs import _tensors
out = {}
for name in sys.argv[1:]:
    config = getattr(keras.applications, name)(weights=None).get_config()
    keras.backend.clear_session()
    layers = [
        [e["name"], e["class_name"], [[r.layer for r in _tensors([n["args"], n["kwargs"]])] for n in e["inbound_nodes"]]]
        for e in config["layers"]
    ]
    ends = lambda refs: [r[0] for r in (refs if isinstance(refs[0], list) else [refs])]
    out[name] = {"layers": layers, "inputs": ends(config["input_layers"]), "outputs": ends(config["output_layers"])}
print(json.dumps(out, separators=(",", ":")))
"""


@cache
def topology() -> dict:
    return json.loads(gzip.decompress(DATA.read_bytes()))


def application_spec(name: str, data: dict | None = None) -> ModelSpec:
    """The spec of application `name`'s graph: its layers' types (as the registry names Keras's classes),
    names and connections; parameters left at their defaults, the inputs 224x224 RGB images."""
    model = (data or topology())[name]
    layers = []
    for layer, keras_class, calls in model["layers"]:
        class_name = by_config_class(keras_class).class_name
        params = {"shape": [224, 224, 3]} if class_name == "Input" else {}
        inbound = tuple(tuple(TensorRef(r) for r in call) for call in calls)
        layers.append(LayerSpec(class_name, layer, params, id=layer, inbound=inbound))
    return ModelSpec(
        name,
        tuple(layers),
        inputs=tuple(TensorRef(i) for i in model["inputs"]),
        outputs=tuple(TensorRef(o) for o in model["outputs"]),
    )


CONFIGS = Path(__file__).parent / "data" / "applications_configs.json.gz"
CONFIG_SCRIPT = """
import json, sys
import keras
out = {}
for name in sys.argv[1:]:
    out[name] = getattr(keras.applications, name)(weights=None).get_config()
    keras.backend.clear_session()
print(json.dumps(out, separators=(",", ":")))
"""


@cache
def _configs() -> dict:
    return json.loads(gzip.decompress(CONFIGS.read_bytes()))


def application_model(name: str) -> ModelSpec:
    """ResNet50 or DenseNet121 whole, parameters included, read from the config Keras wrote
    (`data/applications_configs.json.gz`, what `CONFIG_SCRIPT` prints)."""
    from tests.core.keras_graphs import spec_from_config

    return spec_from_config(_configs()[name])
