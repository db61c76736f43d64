"""Reading functional `.keras` configs without Keras: `inbound_nodes` as references, checked, nothing else.

`data/functional_mha_config.json` is the config.json Keras 3.15 wrote for three Inputs q (5, 8),
v (6, 8), k (6, 8); `m1 = MultiHeadAttention(2, 4)(q, v, key=k)`, `m2 = MultiHeadAttention(2, 4)(q,
v, k)`; one Dense(8) "shared" called on m1 and on m2; `add = Add()([shared(m1), shared(m2)])`;
`Model([q, v, k], [add, shared(m1)])`. `data/functional_tf_config.json`: a transformer block
`Input((12, 16))`, `MultiHeadAttention(2, 8)(x, x)`, Add, LayerNormalization, Dense(16), Add,
LayerNormalization (a single input, written flat as `["input_layer_2", 0, 0]`).
`data/functional_ops_config.json`: operation nodes with constants, as MobileNetV3's hard_sigmoid:
`x` (4,), `d = Dense(4)(x)`, `h = ReLU(6.0)(d + 3.0) * (1.0 / 6.0)`, `y = 0.5 + Dropout(0.25)(h)`,
`Model(x, keras.ops.multiply(y, d))` (the Dropout's call recorded with `training: false`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.graph_shapes import GraphError, graph_shapes
from nnstudio.core.keras_archive import ArchiveError, parse_keras_config
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef

DATA = Path(__file__).parent / "data"


def config(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"functional_{name}_config.json").read_text())


def parse(document: dict[str, Any]) -> ModelSpec:
    return parse_keras_config(json.dumps(document).encode())


def refused(document: dict[str, Any], *fragments: str) -> ArchiveError:
    with pytest.raises(ArchiveError) as info:
        parse(document)
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text
    assert "\n" not in text
    return info.value


def layer_entry(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(entry for entry in document["config"]["layers"] if entry["config"]["name"] == name)


def test_references_become_the_graph() -> None:
    spec = parse(config("mha"))
    assert spec.is_functional
    assert [layer.id for layer in spec.layers] == ["q", "v", "k", "m1", "m2", "shared", "add"]
    assert spec.ids() == tuple(layer.name for layer in spec.layers)
    assert spec.inputs == (TensorRef("q"), TensorRef("v"), TensorRef("k"))
    assert spec.outputs == (TensorRef("add"), TensorRef("shared"))
    key_as_keyword, key_as_argument = spec.layer_by_id("m1"), spec.layer_by_id("m2")
    assert key_as_keyword.inbound == key_as_argument.inbound == ((TensorRef("q"), TensorRef("v"), TensorRef("k")),)
    assert spec.layer_by_id("shared").inbound == ((TensorRef("m1"),), (TensorRef("m2"),))
    assert spec.layer_by_id("add").inbound == ((TensorRef("shared", 0), TensorRef("shared", 1)),)
    shapes = graph_shapes(spec)
    assert shapes.shape_of(TensorRef("shared", 1)) == (5, 8)
    assert shapes.total_params == 2 * (4 * (8 * 2 * 4 + 2 * 4) - 2 * 4 + 8) + (8 * 8 + 8) - 2 * 0


def test_single_input_written_flat() -> None:
    spec = parse(config("tf"))
    assert spec.inputs == (TensorRef("input_layer_2"),)
    assert spec.outputs == (TensorRef("layer_normalization_1"),)
    assert spec.layer_by_id("multi_head_attention").inbound == (
        (TensorRef("input_layer_2"), TensorRef("input_layer_2")),
    )


def test_tensor_reference_is_not_called_a_python_object() -> None:
    document = config("tf")
    spec = parse(document)
    assert spec.layers[0].class_name == "Input"
    document["config"]["name"] = {"class_name": "__keras_tensor__", "config": {}}
    error = refused(document, "belongs only in a layer's inbound_nodes")
    assert "serialized Python objects" not in str(error)


def _tensor(name: str, node: int = 0, tensor: int = 0) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, 5, 8], "dtype": "float32", "keras_history": [name, node, tensor]},
    }


@pytest.mark.parametrize(
    ("layer", "change", "fragments"),
    [
        ("shared", lambda e: e["inbound_nodes"][0]["args"].__setitem__(0, _tensor("nowhere")), ("shared", "nowhere")),
        ("add", lambda e: e["inbound_nodes"][0]["args"][0].__setitem__(1, _tensor("shared", 2)), ("call 2 of shared",)),
        ("add", lambda e: e["inbound_nodes"][0]["args"][0].__setitem__(1, _tensor("shared", 0, 1)), ("output 1",)),
        ("shared", lambda e: e["inbound_nodes"][0]["args"].append(3), ("shared", "one tensor")),
        ("shared", lambda e: e["inbound_nodes"][0]["args"].__setitem__(0, 1.5), ("shared", "must be tensors")),
        ("shared", lambda e: e["inbound_nodes"][0]["kwargs"].update(training=True), ("shared", "'training'")),
        ("m2", lambda e: e["inbound_nodes"][0]["kwargs"].update(use_causal_mask=True), ("m2", "use_causal_mask")),
        (
            "m2",
            lambda e: e["inbound_nodes"][0]["args"].__setitem__(0, {"class_name": "Dense", "config": {}}),
            ("m2", "must be tensors"),
        ),
        ("add", lambda e: e["inbound_nodes"][0]["args"][0].clear(), ("add", "Received: 0 inputs")),
        ("add", lambda e: e["inbound_nodes"][0].__setitem__("args", [_tensor("shared")]), ("add", "one list")),
        ("q", lambda e: e["inbound_nodes"].append({"args": [_tensor("v")], "kwargs": {}}), ("q", "InputLayer")),
        ("shared", lambda e: e.__setitem__("inbound_nodes", []), ("shared", "not connected")),
        (
            "shared",
            lambda e: e["inbound_nodes"][0]["args"][0]["config"].__setitem__("keras_history", ["m1", 0]),
            ("shared", "expected a reference"),
        ),
        (
            "shared",
            lambda e: e["inbound_nodes"][0]["args"][0]["config"].__setitem__("code", "print(1)"),
            ("unexpected key 'code'",),
        ),
        ("shared", lambda e: e.__setitem__("name", "other"), ("differs from its config",)),
        ("shared", lambda e: e["build_config"].__setitem__("input_shape", [None, 5, 99999]), ("build shape",)),
        ("m1", lambda e: e["build_config"]["shapes_dict"].__setitem__("key_shape", [None, 9999, 8]), ("build shape",)),
    ],
)
def test_bad_calls_are_refused_at_the_layer(layer: str, change: Any, fragments: tuple[str, ...]) -> None:
    document = config("mha")
    change(layer_entry(document, layer))
    refused(document, *fragments)


def test_a_null_mask_keyword_is_read_as_absent_and_a_real_one_refused() -> None:
    document = config("mha")
    layer_entry(document, "shared")["inbound_nodes"][0]["kwargs"]["mask"] = None
    assert parse(document).layer_by_id("shared").inbound == ((TensorRef("m1"),), (TensorRef("m2"),))
    layer_entry(document, "shared")["inbound_nodes"][0]["kwargs"]["mask"] = _tensor("q")
    refused(document, "shared", "'mask' is not supported")


def test_cycle_is_refused() -> None:
    document = config("mha")
    layer_entry(document, "m1")["inbound_nodes"][0]["args"][0] = _tensor("add")
    refused(document, "cycle")


def test_unlisted_input_and_duplicate_names_are_refused() -> None:
    document = config("mha")
    document["config"]["input_layers"] = document["config"]["input_layers"][:2]
    refused(document, "k: an Input that is not one of the model's inputs")
    document = config("mha")
    layer_entry(document, "m2")["config"]["name"] = "m1"
    layer_entry(document, "m1")["name"] = "m1"
    layer_entry(document, "m1")["config"]["name"] = "m1"
    document["config"]["layers"][4]["name"] = "m1"
    refused(document, "m1: the name is already used")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("output_layers", [["nowhere", 0, 0]], "nowhere"),
        ("output_layers", [], "no outputs"),
        ("input_layers", "q", "expected a list or a dict of references"),
        ("input_layers", [["shared", 0, 0]], "not an Input layer"),
    ],
)
def test_model_inputs_and_outputs_are_checked(key: str, value: Any, fragment: str) -> None:
    document = config("mha")
    document["config"][key] = value
    refused(document, fragment)


def test_parameter_budget_holds_for_graphs() -> None:
    document = config("mha")
    for name in ("m1", "m2"):
        entry = layer_entry(document, name)
        entry["config"].update(num_heads=200, key_dim=10_000, value_dim=10_000)
        del entry["build_config"]
    refused(document, "over the budget")


def test_deep_copy_of_a_read_config_reads_the_same() -> None:
    document = config("mha")
    assert parse(copy.deepcopy(document)) == parse(document)


def test_graph_shapes_of_a_chain_and_its_graph_agree() -> None:
    chain = ModelSpec(
        layers=(LayerSpec("Input", "x", {"shape": [3]}), LayerSpec("Dense", "d", {"units": 2})),
    )
    assert graph_shapes(chain).shape_of(TensorRef("d")) == (2,)
    assert graph_shapes(chain.as_graph()).total_params == 8
    broken = chain.as_graph()
    broken = ModelSpec(layers=broken.layers, inputs=broken.inputs, outputs=(TensorRef("d", 1),))
    with pytest.raises(GraphError, match="call 1 of d"):
        graph_shapes(broken)


def test_graph_shapes_are_kept_for_the_same_spec_and_its_problem_raised_again(monkeypatch) -> None:
    from nnstudio.core import graph_shapes as module

    chain = ModelSpec(
        layers=(LayerSpec("Input", "x", {"shape": [3]}), LayerSpec("Dense", "d", {"units": 2})),
    )
    walks = []
    walk = module._graph_shapes
    monkeypatch.setattr(module, "_graph_shapes", lambda spec: walks.append(spec) or walk(spec))
    shapes = graph_shapes(chain)
    assert graph_shapes(chain) is shapes and walks == [chain], "a file's reading asks three times: walked once"
    equal = copy.deepcopy(chain)
    assert graph_shapes(equal) is not shapes and walks == [chain, equal], "another spec is walked"
    broken = ModelSpec(layers=chain.as_graph().layers, inputs=chain.as_graph().inputs, outputs=(TensorRef("d", 1),))
    for _ in range(2):
        with pytest.raises(GraphError, match="call 1 of d") as raised:
            graph_shapes(broken)
        assert raised.value.layer_index is None or raised.value.layer_index >= 0
    assert walks.count(broken) == 1


# -- operation nodes with constants (`x + 3.0`) -------------------------------------------------


def test_constants_in_an_operation_call_become_its_operands() -> None:
    spec = parse(config("ops"))
    assert [(layer.name, layer.class_name) for layer in spec.layers] == [
        ("x", "Input"),
        ("dense", "Dense"),
        ("add", "ops.Add"),
        ("relu6", "ReLU"),
        ("multiply", "ops.Multiply"),
        ("dropout", "Dropout"),
        ("add_1", "ops.Add"),
        ("multiply_1", "ops.Multiply"),
    ]
    plus_three, sixth, half_plus, product = (spec.layer_by_id(n) for n in ("add", "multiply", "add_1", "multiply_1"))
    assert plus_three.get("x1") is None and plus_three.get("x2") == 3.0
    assert plus_three.inbound == ((TensorRef("dense"),),)
    assert sixth.get("x2") == 1.0 / 6.0
    assert half_plus.get("x1") == 0.5 and half_plus.get("x2") is None
    assert half_plus.inbound == ((TensorRef("dropout"),),)
    assert product.get("x1") is None and product.get("x2") is None
    assert product.inbound == ((TensorRef("add_1"), TensorRef("dense")),)
    assert spec.layer_by_id("dropout").inbound == ((TensorRef("multiply"),),)


def _op_args(document: dict[str, Any], name: str) -> list[Any]:
    return layer_entry(document, name)["inbound_nodes"][0]["args"]


@pytest.mark.parametrize(
    "constant",
    ["3.0", True, None, [3.0], {"class_name": "Lambda", "config": {}}, {"value": 3.0}],
    ids=["text", "bool", "null", "list", "object", "dict"],
)
def test_an_operand_that_is_not_a_tensor_or_a_number_is_refused(constant: Any) -> None:
    document = config("ops")
    _op_args(document, "add")[1] = constant
    with pytest.raises(ArchiveError) as info:
        parse(document)
    assert "$.config.layers[2].inbound_nodes[0].args[1]" in str(info.value) and "\n" not in str(info.value)


def test_an_operation_call_with_a_wrong_number_of_operands_is_refused() -> None:
    document = config("ops")
    _op_args(document, "add").append(1.0)
    refused(document, "add: Add takes 2 operands; its call has 3")
    document = config("ops")
    layer_entry(document, "multiply")["inbound_nodes"].append(
        copy.deepcopy(layer_entry(document, "multiply")["inbound_nodes"][0])
    )
    refused(document, "multiply: an operation node is called exactly once")


def test_two_constants_are_refused_at_the_node() -> None:
    document = config("ops")
    _op_args(document, "add")[0] = 2.0
    refused(document, "add", "x1 or x2 must be None")


def test_an_operation_is_not_read_as_the_merge_layer_of_the_same_class() -> None:
    document = config("ops")
    layer_entry(document, "add")["module"] = "keras.layers"
    refused(document, "add")


def test_training_false_that_keras_records_is_read_and_another_value_refused() -> None:
    document = config("ops")
    kwargs = layer_entry(document, "dropout")["inbound_nodes"][0]["kwargs"]
    assert kwargs == {"training": False}
    parse(document)
    kwargs["training"] = True
    refused(document, "dropout: the call's keyword argument 'training' is not supported")
    document = config("ops")
    layer_entry(document, "relu6")["inbound_nodes"][0]["kwargs"] = {"training": False}
    refused(document, "relu6: the call's keyword argument 'training' is not supported")
