"""Every distinct layer entry of the 40 keras.applications models' configs (Keras 3.15, saved in
`data/applications_layers.json`: a corpus no one here wrote) reads through the registry, without Keras.

An operation node's constant operands are read from its call's args (`core/layers/ops/_elementwise.py`).
The functional parts (`name`, `inbound_nodes`, a multi-input layer's build_config) are the graph
reader's; a nested Sequential (ConvNeXt's stem) is one entry, its layers listed one by one besides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.keras_archive import ArchiveError, _parse_layer
from nnstudio.core.layers import layer_type
from nnstudio.core.layers.params import InitializerName
from nnstudio.core.spec import LayerSpec
from nnstudio.core.validation import DEFAULT_PARAM_BUDGET

CORPUS = json.loads((Path(__file__).parent / "data" / "applications_layers.json").read_text(encoding="utf-8"))
FUNCTIONAL_KEYS = ("name", "inbound_nodes", "build_config", "application")  # (the last: the corpus says where)


def is_tensor(argument: Any) -> bool:
    return isinstance(argument, dict) and argument.get("class_name") == "__keras_tensor__"


def read_entry(entry: dict[str, Any]) -> LayerSpec:
    """A functional config's layer entry as the reader reads a layer; an operation node's constant
    operands from its call's args (a tensor reference there is one of its inputs: None)."""
    layer = _parse_layer({k: v for k, v in entry.items() if k not in FUNCTIONAL_KEYS}, "$", "config.json")
    kind = layer_type(layer.class_name)
    if kind.operands:
        (node,) = entry["inbound_nodes"]
        assert node["kwargs"] == {} and len(node["args"]) == len(kind.operands)
        constants = {n: None if is_tensor(a) else a for n, a in zip(kind.operands, node["args"], strict=True)}
        layer = layer.with_params(**kind.stored({**kind.values(layer.params), **constants}))
    return layer


def _entry_id(entry: dict[str, Any]) -> str:
    return f"{entry['application']}-{entry['class_name']}-{entry['config'].get('name')}"


@pytest.mark.parametrize("entry", CORPUS["entries"], ids=_entry_id)
def test_every_layer_entry_of_the_applications_reads(entry):
    layer = read_entry(entry)
    kind = layer_type(layer.class_name)
    assert (kind.keras_module, kind.config_class) == (entry["module"], entry["class_name"])
    written = kind.as_config(layer.params)  # what nnstudio would write: the file's values (initializers by name)
    for param in kind.constructor_params():
        plain = not isinstance(param.kind, InitializerName) and not param.kind.nested and not kind.is_input
        if param.key in entry["config"] and plain:
            assert written[param.name] == entry["config"][param.key], param.name
    if kind.operands:  # each operand a tensor (None) or the constant the args hold
        args = entry["inbound_nodes"][0]["args"]
        assert [layer.get(n) for n in kind.operands] == [None if is_tensor(a) else a for a in args]


def test_the_corpus_covers_the_new_types_and_every_application():
    classes = {(e["module"], e["class_name"]) for e in CORPUS["entries"]}
    assert {
        ("keras.layers", "Normalization"),
        ("keras.src.applications.convnext", "LayerScale"),
        ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer"),
        ("keras.src.ops.numpy", "Add"),
        ("keras.src.ops.numpy", "Multiply"),
        ("keras", "Sequential"),
    } <= classes
    assert len(CORPUS["applications"]) == 40
    over = sorted(n for n, app in CORPUS["applications"].items() if app["params"] > DEFAULT_PARAM_BUDGET)
    assert over == ["ConvNeXtLarge", "ConvNeXtXLarge", "EfficientNetV2L", "VGG16", "VGG19"]  # they need --max-params


def test_an_operation_node_reads_its_constant_operand():
    entry = next(
        e
        for e in CORPUS["entries"]
        if e["module"] == "keras.src.ops.numpy"
        and e["class_name"] == "Add"
        and not all(is_tensor(a) for a in e["inbound_nodes"][0]["args"])
    )
    layer = read_entry(entry)
    assert layer.class_name == "ops.Add" and layer.params == {"x1": None, "x2": 3.0}
    outputs, variables = layer_type("ops.Add").infer(layer.params, [(1, 1, 16)])
    assert outputs == [(1, 1, 16)] and variables == []
    assert layer_type("ops.Add").call_arguments(layer_type("ops.Add").values(layer.params), ["x"]) == ["x", 3.0]


def test_a_nested_sequential_reads_as_one_layer_with_its_layers_inside():
    entry = next(e for e in CORPUS["entries"] if e["class_name"] == "Sequential")
    layer = read_entry(entry)
    assert [(e["class_name"], e["name"]) for e in layer.get("layers")] == [
        ("Input", "input_layer_1"),
        ("Conv2D", "convnext_tiny_stem_conv"),
        ("LayerNormalization", "convnext_tiny_stem_layernorm"),
    ]
    outputs, variables = layer_type("Sequential").infer(layer.params, [(224, 224, 3)])
    assert outputs == [(56, 56, 96)]
    assert [(v.name, v.shape, v.store) for v in variables] == [
        ("kernel", (4, 4, 3, 96), "layers/conv2d"),
        ("bias", (96,), "layers/conv2d"),
        ("gamma", (96,), "layers/layer_normalization"),
        ("beta", (96,), "layers/layer_normalization"),
    ]


def _dense(bias: dict[str, Any]) -> dict[str, Any]:
    config = {"name": "dense", "units": 4, "bias_initializer": {"module": "keras.initializers", **bias}}
    return {"module": "keras.layers", "class_name": "Dense", "config": config}


def test_a_constant_initializer_reads_as_the_name_that_fills_the_same():
    zero = _parse_layer(_dense({"class_name": "Constant", "config": {"value": 0.0}}), "$", "config.json")
    assert zero.get("bias_initializer") == "zeros"
    with pytest.raises(ArchiveError, match="bias_initializer must be one of Keras's initializers"):
        _parse_layer(_dense({"class_name": "Constant", "config": {"value": 0.5}}), "$", "config.json")
