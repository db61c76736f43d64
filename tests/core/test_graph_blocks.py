"""Repeated blocks found in keras.applications graphs (as Keras writes them) match the blocks Keras's
own code builds: ResNet50's stages of 3, 4, 6 and 3 bottleneck blocks, DenseNet121's dense blocks of
6, 12, 24 and 16, EfficientNetB0's repeats, MobileNetV2's residual runs, InceptionV3's modules."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.core.graph_blocks import BIG_BLOCK, COLLAPSE_FROM, name_key, repeated_blocks
from nnstudio.core.keras_archive import parse_keras_config
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef, lesson_spec
from tests.core.applications_topology import (
    CONFIG_SCRIPT,
    MODELS,
    TOPOLOGY_SCRIPT,
    _configs,
    application_model,
    application_spec,
    topology,
)
from tests.core.graph_builder import GraphBuilder


def names(spec: ModelSpec, ids) -> list[str]:
    return [spec.layer_by_id(i).name for i in ids]


def collapsed_is_acyclic(spec: ModelSpec, groups) -> bool:
    """Whether the graph with each group drawn as one node still has no cycle."""
    box = {m: g.key for g in groups for m in g.members}
    node = {layer.id: box.get(layer.id, layer.id) for layer in spec.layers}
    edges = {
        (node[ref.layer], node[layer.id])
        for i, layer in enumerate(spec.layers)
        for call in spec.connections(i)
        for ref in call
        if node[ref.layer] != node[layer.id]
    }
    waiting = {n: 0 for n in set(node.values())}
    for _a, b in edges:
        waiting[b] += 1
    ready = [n for n, k in waiting.items() if k == 0]
    seen = 0
    while ready:
        here = ready.pop()
        seen += 1
        for a, b in edges:
            if a == here:
                waiting[b] -= 1
                if waiting[b] == 0:
                    ready.append(b)
    return seen == len(waiting)


def test_resnet50_stages_are_keras_s_3_4_6_3_bottleneck_blocks():
    spec = application_spec("ResNet50")
    groups = repeated_blocks(spec)
    assert [g.name for g in groups] == ["conv2", "conv3", "conv4", "conv5"]
    assert [g.count for g in groups] == [3, 4, 6, 3]  # keras.applications.resnet.ResNet50's stack_fn
    assert groups[0].label == "conv2 block ×3"
    for stage, group in zip((2, 3, 4, 5), groups, strict=True):
        for number, block in enumerate(group.blocks, start=1):
            expected = {layer.name for layer in spec.layers if layer.name.startswith(f"conv{stage}_block{number}_")}
            assert set(names(spec, block)) == expected
            # the first block of a stage has the projection shortcut (its _0_conv), the others do not
            assert (f"conv{stage}_block{number}_0_conv" in expected) == (number == 1)
    grouped = {m for g in groups for m in g.members}
    rest = [layer.name for layer in spec.layers if layer.id not in grouped]
    assert rest == ["input_layer", "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool"] + [
        "avg_pool",
        "predictions",
    ]
    assert len(spec.layers) >= COLLAPSE_FROM  # it opens collapsed
    assert collapsed_is_acyclic(spec, groups)


def test_densenet121_dense_blocks_are_6_12_24_16():
    spec = application_spec("DenseNet121")
    groups = repeated_blocks(spec)
    assert [(g.name, g.count) for g in groups] == [("conv2", 6), ("conv3", 12), ("conv4", 24), ("conv5", 16)]
    for group in groups:
        for block in group.blocks:
            block_names = names(spec, block)
            assert len(block_names) == 7 and block_names[-1].endswith("_concat")
    # the transitions between dense blocks stay visible
    grouped = {m for g in groups for m in g.members}
    assert {"pool2_conv", "pool3_conv", "pool4_conv"} <= {
        layer.name for layer in spec.layers if layer.id not in grouped
    }
    assert collapsed_is_acyclic(spec, groups)


def test_efficientnetb0_repeats_follow_its_block_arguments():
    groups = repeated_blocks(application_spec("EfficientNetB0"))
    # DEFAULT_BLOCKS_ARGS repeats 1, 2, 2, 3, 3, 4, 1: a stage of one block is no repetition
    assert [(g.name, g.count) for g in groups] == [
        ("block2", 2),
        ("block3", 2),
        ("block4", 3),
        ("block5", 3),
        ("block6", 4),
    ]


def test_mobilenetv2_groups_its_runs_of_identical_residual_blocks():
    spec = application_spec("MobileNetV2")
    groups = repeated_blocks(spec)
    runs = [[int(re.match(r"block_(\d+)_", names(spec, b)[0]).group(1)) for b in g.blocks] for g in groups]
    # inverted residual settings n = 1, 2, 3, 4, 3, 3, 1: the blocks after each stage's first add a shortcut
    assert runs == [[4, 5], [7, 8, 9], [11, 12], [14, 15]]
    for group in groups:
        for block in group.blocks:
            assert [spec.layer_by_id(i).class_name for i in block].count("Add") == 1
    assert groups[0].label == "block_4 … block_5 ×2"


def test_inceptionv3_modules_found_by_structure_alone():
    """Keras names InceptionV3's layers by default (conv2d_12): the modules between the `mixed` concatenations
    are found as single-entry, single-exit subgraphs of one structure."""
    spec = application_spec("InceptionV3")
    groups = repeated_blocks(spec)
    exits = [[names(spec, b)[-1] for b in g.blocks] for g in groups]
    assert exits[:3] == [["mixed0", "mixed1", "mixed2"], ["mixed4", "mixed5", "mixed6", "mixed7"], ["mixed8"]]
    # mixed8, a reduction module of its own kind, is a group of one for its size; so are mixed9 and mixed10
    assert groups[2].count == 1 and len(groups[2].members) >= BIG_BLOCK and groups[2].label == "mixed8"
    assert [g.label for g in groups[3:]] == ["mixed9", "mixed10"]


def test_nasnet_cells_grouped_and_every_group_keeps_the_graph_acyclic():
    """NASNetMobile (771 layers): its normal cells repeat between reduction cells; every cell is a box."""
    spec = application_spec("NASNetMobile")
    groups = repeated_blocks(spec)
    assert [g.label for g in groups] == [
        "cell stem_1",
        "cell stem_2",
        "cell 0",
        "cell 1 … cell 3 ×3",
        "cell reduce_4",
        "cell 5",
        "cell 6 … cell 8 ×3",
        "cell reduce_8",
        "cell 9",
        "cell 10 … cell 12 ×3",
    ]
    for group in groups:
        assert len({len(b) for b in group.blocks}) == 1  # one structure, one size
    for group in groups:  # a cell's layers that Keras names after a cell all name this one
        for block in group.blocks:
            layers = [spec.layer_by_id(i) for i in block]
            cells = {name_key(layer.name, layer.class_name) for layer in layers} - {None}
            assert len(cells) == 1
    grouped = sum(len(g.members) for g in groups)
    assert len(spec.layers) - grouped + len(groups) < 20  # collapsed, it is a graph of a few boxes
    assert collapsed_is_acyclic(spec, groups)


@pytest.mark.parametrize("model", MODELS)
def test_groups_are_disjoint_and_in_model_order(model):
    spec = application_spec(model)
    groups = repeated_blocks(spec)
    members = [m for g in groups for m in g.members]
    assert len(members) == len(set(members))
    order = {layer.id: i for i, layer in enumerate(spec.layers)}
    for group in groups:
        assert list(group.members) == sorted(group.members, key=order.__getitem__)
        assert group.key == group.members[0]
        assert sorted(m for b in group.blocks for m in b) == sorted(group.members)


def test_xception_middle_flow_is_its_eight_identical_blocks():
    spec = application_spec("Xception")
    groups = repeated_blocks(spec)
    middle = next(g for g in groups if g.count == 8)  # keras.applications.xception: `for i in range(8)`
    assert middle.name == "block5 … block12"
    for number, block in zip(range(5, 13), middle.blocks, strict=True):
        named = [n for n in names(spec, block) if not n.startswith("add")]
        assert named and all(n.startswith(f"block{number}_") for n in named)
        assert [spec.layer_by_id(i).class_name for i in block].count("Add") == 1  # its residual add joins it
    assert collapsed_is_acyclic(spec, groups)


def test_convnext_tiny_stages_are_3_3_9_3_blocks():
    groups = repeated_blocks(application_spec("ConvNeXtTiny"))
    assert [(g.name, g.count) for g in groups] == [  # MODEL_CONFIGS["tiny"]["depths"]
        ("convnext_tiny_stage_0", 3),
        ("convnext_tiny_stage_1", 3),
        ("convnext_tiny_stage_2", 9),
        ("convnext_tiny_stage_3", 3),
    ]


def test_inception_resnet_v2_repeats_10_20_10_blocks():
    groups = repeated_blocks(application_spec("InceptionResNetV2"))
    repeated = [(g.name, g.count) for g in groups if g.count > 1]
    assert repeated == [("block35", 10), ("block17", 20), ("block8", 10)]  # its three `for block_idx` loops
    assert collapsed_is_acyclic(application_spec("InceptionResNetV2"), groups)


def test_name_keys_read_keras_s_block_names():
    assert name_key("conv2_block1_1_conv", "Conv2D") == ("conv2_block1", "conv2")
    assert name_key("block2a_expand_conv", "Conv2D") == ("block2a", "block2")
    assert name_key("block_3_expand", "Conv2D") == ("block_3", None)
    assert name_key("normal_conv_1_5", "Conv2D") == ("cell 5", None)
    assert name_key("reduction_add_1_stem_1", "Add") == ("cell stem_1", None)
    assert name_key("convnext_tiny_stage_2_block_8_gelu", "Activation") == (
        "convnext_tiny_stage_2_block_8",
        "convnext_tiny_stage_2",
    )
    assert name_key("block35_10_conv", "Conv2D") == ("block35_10", "block35")
    assert name_key("block5_sepconv1_act", "Activation") == ("block5", None)  # a layer of block5, not a block
    assert name_key("expanded_conv_3_expand", "Conv2D") == ("expanded_conv_3", None)
    assert name_key("conv2d_5", "Conv2D") is None
    assert name_key("zero_padding2d_1", "ZeroPadding2D") is None
    assert name_key("batch_normalization_3", "BatchNormalization") is None
    assert name_key("activation_12", "Activation") is None


def _residual_net(blocks: int) -> ModelSpec:
    """Default-named residual blocks, as a script without names writes them."""
    g = GraphBuilder("residual_net")
    x = g.call("Dense", "dense", g.input("input_layer", [8]), units=8)
    for k in range(blocks):
        h = g.call("Dense", f"dense_{2 * k + 1}", x, units=8)
        h = g.call("Dense", f"dense_{2 * k + 2}", h, units=8)
        x = g.call("Add", "add" if k == 0 else f"add_{k}", x, h)
    return g.model(g.call("Dense", "dense_99", x, units=2))


def test_default_named_residual_blocks_found_by_structure():
    spec = _residual_net(4)
    (group,) = repeated_blocks(spec)
    assert group.count == 4
    assert [names(spec, b) for b in group.blocks][1] == ["dense_3", "dense_4", "add_1"]
    assert group.name == "add … add_3"


def test_no_groups_without_repetition_or_in_a_broken_graph():
    assert repeated_blocks(lesson_spec()) == ()  # a chain
    assert repeated_blocks(_residual_net(1)) == ()
    spec = _residual_net(3)
    looped = spec.with_layer(
        spec.position_of("dense_1"),
        LayerSpec("Dense", "dense_1", {}, id="dense_1", inbound=((TensorRef("add_2"),),)),
    )
    assert repeated_blocks(looped) == ()  # a cycle
    missing = spec.with_layer(
        spec.position_of("dense_1"),
        LayerSpec("Dense", "dense_1", {}, id="dense_1", inbound=((TensorRef("nowhere"),),)),
    )
    assert repeated_blocks(missing) == ()


def _keras_prints(script: str, *models: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    found = subprocess.run(
        [sys.executable, "-c", script, *models], capture_output=True, text=True, cwd=root, env=env, timeout=600
    )
    assert found.returncode == 0, found.stderr[-3000:]
    return json.loads(found.stdout.strip().splitlines()[-1])


@pytest.mark.engine
def test_stored_graphs_are_what_keras_writes():
    """The stored graphs are Keras's own: ResNet50 and MobileNetV2 rebuilt by Keras match them, and
    ResNet50's stored config is the one Keras gives."""
    fresh = _keras_prints(TOPOLOGY_SCRIPT, "ResNet50", "MobileNetV2")
    for model in ("ResNet50", "MobileNetV2"):
        assert fresh[model] == topology()[model]
    assert _keras_prints(CONFIG_SCRIPT, "ResNet50")["ResNet50"] == _configs()["ResNet50"]


def test_the_whole_resnet50_and_densenet121_group_as_their_graphs_do():
    for model in ("ResNet50", "DenseNet121"):
        whole = repeated_blocks(application_model(model))
        assert [(g.name, g.blocks) for g in whole] == [
            (g.name, g.blocks) for g in repeated_blocks(application_spec(model))
        ]


def test_a_residual_add_written_as_an_operation_closes_its_block():
    """Keras 3.15 saves ConvNeXt's `inputs + x` as an operation node (`ops.Add`, named `add`, `add_1`
    as the Add layer would be): it joins the block it closes, and the stages are found as before."""
    assert name_key("add_3", "ops.Add") is None  # a default name: it says nothing of a block
    layers = application_spec("ConvNeXtTiny")
    as_operations = ModelSpec(
        layers.name,
        tuple(
            LayerSpec("ops.Add", layer.name, {}, id=layer.id, inbound=layer.inbound)
            if layer.class_name == "Add"
            else layer
            for layer in layers.layers
        ),
        inputs=layers.inputs,
        outputs=layers.outputs,
    )
    assert sum(layer.class_name == "ops.Add" for layer in as_operations.layers) == 18
    assert [(g.name, g.blocks) for g in repeated_blocks(as_operations)] == [
        (g.name, g.blocks) for g in repeated_blocks(layers)
    ]


SAVED_CONFIG_SCRIPT = """
import json, sys
import keras
model = getattr(keras.applications, sys.argv[1])(weights=None)
print(json.dumps(keras.saving.serialize_keras_object(model), separators=(",", ":")))
"""


@pytest.mark.engine
def test_convnext_as_keras_saves_it_collapses_into_its_stages():
    """ConvNeXtTiny's config.json as Keras writes it (`serialize_keras_object`), read as a file's is."""
    config = _keras_prints(SAVED_CONFIG_SCRIPT, "ConvNeXtTiny")
    spec = parse_keras_config(json.dumps(config).encode())
    assert any(layer.class_name == "ops.Add" for layer in spec.layers)
    groups = repeated_blocks(spec)
    assert [(g.name, g.count) for g in groups] == [
        ("convnext_tiny_stage_0", 3),
        ("convnext_tiny_stage_1", 3),
        ("convnext_tiny_stage_2", 9),
        ("convnext_tiny_stage_3", 3),
    ]
    assert collapsed_is_acyclic(spec, groups)
