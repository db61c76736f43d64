"""Functional models built by Keras itself and the same graphs written as specs by hand: nnstudio's
analytic summary must print Keras's `model.summary()` text character for character and give
Keras's rows (order, names, types, shapes, parameters, Connected to) and totals in `--json`."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nnstudio.core.spec import ModelSpec, TensorRef
from nnstudio.core.summary import analyze, summary_json, summary_text
from tests.core.graph_builder import GraphBuilder
from tests.core.keras_graphs import spec_from_config

pytestmark = pytest.mark.engine

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

LIST_CALLS = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"}
POSITIONAL_CALLS = {"MultiHeadAttention"}


class KerasBuilder:
    """The GraphBuilder's calls made with the Keras functional API."""

    def __init__(self, name: str = "functional") -> None:
        self.name = name
        self.layers: dict[str, Any] = {}
        self.inputs: list[Any] = []

    def input(self, name: str, shape: list[int | None], **params: Any) -> Any:
        tensor = keras.Input(shape=tuple(shape), name=name, **params)
        self.inputs.append(tensor)
        return tensor

    def call(self, class_name: str, name: str, *tensors: Any, **params: Any) -> Any:
        layer = self.layers.get(name)
        if layer is None:
            layer = self.layers[name] = getattr(keras.layers, class_name)(name=name, **params)
        if class_name in LIST_CALLS:
            return layer(list(tensors))
        if class_name in POSITIONAL_CALLS:
            return layer(*tensors)
        (tensor,) = tensors
        return layer(tensor)

    def model(self, *outputs: Any, inputs: list[Any] | None = None) -> Any:
        ins = self.inputs if inputs is None else inputs
        return keras.Model(
            ins if len(ins) > 1 else ins[0], list(outputs) if len(outputs) > 1 else outputs[0], name=self.name
        )


def lesson(g):
    x = g.input("input_layer", [20])
    h = g.call("Dense", "dense", x, units=64, activation="relu")
    return g.model(g.call("Dense", "dense_1", h, units=10))


def two_inputs(g):
    title = g.input("title", [12])
    body = g.input("body", [30])
    t = g.call("Dense", "title_features", title, units=8, activation="relu")
    b = g.call("Dense", "body_features", body, units=16, activation="relu")
    joined = g.call("Concatenate", "concatenate", t, b)
    return g.model(g.call("Dense", "priority", joined, units=1))


def residual_cnn(g):
    image = g.input("image", [16, 16, 3])
    x = g.call("Conv2D", "stem", image, filters=8, kernel_size=[3, 3], padding="same", activation="relu")
    y = g.call("Conv2D", "conv_a", x, filters=8, kernel_size=[3, 3], padding="same")
    y = g.call("BatchNormalization", "batch_normalization", y)
    y = g.call("ReLU", "re_lu", y)
    y = g.call("Conv2D", "conv_b", y, filters=8, kernel_size=[3, 3], padding="same")
    x = g.call("Add", "add", x, y)
    x = g.call("GlobalAveragePooling2D", "pool", x)
    return g.model(g.call("Dense", "classes", x, units=10, activation="softmax"))


def transformer_block(g):
    tokens = g.input("tokens", [12, 32])
    attention = g.call("MultiHeadAttention", "attention", tokens, tokens, num_heads=4, key_dim=8)
    x = g.call("Add", "residual_1", tokens, attention)
    x = g.call("LayerNormalization", "norm_1", x, epsilon=1e-6)
    y = g.call("Dense", "ffn_1", x, units=64, activation="relu")
    y = g.call("Dense", "ffn_2", y, units=32)
    x = g.call("Add", "residual_2", x, y)
    return g.model(g.call("LayerNormalization", "norm_2", x, epsilon=1e-6))


def cross_attention(g):
    query = g.input("query", [5, 16])
    value = g.input("value", [7, 8])
    key = g.input("key", [7, 4])
    out = g.call("MultiHeadAttention", "mha", query, value, key, num_heads=2, key_dim=3, value_dim=5)
    return g.model(out)


def shared_layer(g):
    left = g.input("left", [8])
    right = g.input("right", [8])
    encoder = g.call("Dense", "shared_encoder_with_a_long_name", left, units=4, activation="tanh")
    again = g.call("Dense", "shared_encoder_with_a_long_name", right)
    distance = g.call("Subtract", "subtract", encoder, again)
    return g.model(g.call("Dense", "same", distance, units=1, activation="sigmoid"))


def two_outputs(g):
    x = g.input("features", [10])
    h = g.call("Dense", "hidden", x, units=32, activation="relu")
    h = g.call("Dropout", "dropout", h, rate=0.2)
    score = g.call("Dense", "score", h, units=1)
    kind = g.call("Dense", "kind", h, units=3, activation="softmax")
    return g.model(score, kind)


def many_calls(g):
    a = g.input("a_long_input_name_here", [8])
    b = g.input("b", [4])
    x = g.call("Dense", "d1", a, units=16)
    y = g.call("Dense", "d2", b, units=16)
    s1 = g.call("Dense", "shared_dense_with_a_long_name", x, units=16)
    s2 = g.call("Dense", "shared_dense_with_a_long_name", y)
    c = g.call("Concatenate", "cat", x, y, s1, s2)
    o1 = g.call("Dense", "o1", c, units=1)
    s3 = g.call("Dense", "shared_dense_with_a_long_name", x)
    return g.model(o1, g.call("Add", "add", x, y, s3))


def lstm_states(g):
    x = g.input("steps", [None, 3])
    out = g.call("LSTM", "lstm", x, units=4, return_state=True)
    if isinstance(out, TensorRef):
        state = TensorRef(out.layer, out.node, 2)
    else:
        out, _h, state = out
    both = g.call("Concatenate", "concatenate", out, state)
    return g.model(g.call("Dense", "dense", both, units=2))


def unused_input(g):
    x = g.input("x", [8])
    g.input("spare", [3])
    return g.model(g.call("Dense", "out", x, units=2))


CASES = {
    f.__name__: f
    for f in (
        lesson,
        two_inputs,
        residual_cnn,
        transformer_block,
        cross_attention,
        shared_layer,
        two_outputs,
        many_calls,
        lstm_states,
        unused_input,
    )
}


def keras_text(model: Any) -> str:
    """What `model.summary()` prints to an 80-column pipe (the table 76 wide)."""
    lines: list[str] = []
    model.summary(print_fn=lines.append, line_length=76)
    return "\n".join(lines).rstrip("\n")


def _shapes(node: Any) -> list:
    shapes = [list(t.shape) for t in node.output_tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def keras_rows(model: Any) -> dict[str, Any]:
    """Keras's own facts in the `--json` form: rows in `model.layers` order."""
    layers = []
    for layer in model.layers:
        connected = [
            [t._keras_history.operation.name, t._keras_history.node_index, t._keras_history.tensor_index]
            for node in layer._inbound_nodes
            for t in node.input_tensors
        ]
        layers.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _shapes(layer._inbound_nodes[-1]),
                "params": layer.count_params(),
                "connected_to": connected,
            }
        )
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return {
        "name": model.name,
        "layers": layers,
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "total_bytes": 4 * (trainable + non_trainable),
    }


def shuffled(spec: ModelSpec, seed: int) -> ModelSpec:
    """The same graph with its layers listed in another order (Keras's order must not depend on it)."""
    layers = list(spec.layers)
    random.Random(seed).shuffle(layers)
    return ModelSpec(spec.name, tuple(layers), spec.compile, spec.inputs, spec.outputs)


@pytest.mark.parametrize("case", list(CASES))
def test_summary_text_and_json_equal_keras(keras_facts, case):
    keras_side = keras_facts[f"case:{case}"]
    spec = CASES[case](GraphBuilder(case))
    summary = analyze(spec)
    assert summary.ok, summary.issues
    assert summary_text(summary) == keras_side["text"]
    assert summary_json(summary) == keras_side["rows"]
    moved = analyze(shuffled(spec, seed=len(case)))
    assert summary_text(moved) == summary_text(summary)


# -- random graphs -----------------------------------------------------------------------------

RANDOM_SEEDS = range(40)

ELEMENTWISE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def random_graph(seed: int, g: Any) -> Any:
    """A random valid functional graph: 1 to 3 inputs, Dense / Dropout / LayerNormalization layers,
    merges of tensors of one shape, Concatenate of any, shared Dense layers called again, and every
    tensor that nothing consumes as an output (in a random order)."""
    rnd = random.Random(seed)
    pool: list[tuple[Any, int]] = []  # (tensor, features)
    consumed: set[int] = set()
    counter = iter(range(1000))

    def name(stem: str) -> str:
        return f"{stem}_{next(counter)}"

    def use(i: int) -> Any:
        consumed.add(i)
        return pool[i][0]

    dense_layers: list[tuple[str, int, int]] = []  # (name, in features, units)
    for _ in range(rnd.randint(1, 3)):
        features, units, layer_name = rnd.randint(1, 6), rnd.randint(1, 6), name("dense")
        pool.append((g.call("Dense", layer_name, g.input(name("in"), [features]), units=units), units))
        dense_layers.append((layer_name, features, units))
    for _ in range(rnd.randint(2, 9)):
        op = rnd.choice(("Dense", "Dense", "merge", "Concatenate", "shared", "Dropout", "LayerNormalization"))
        i = rnd.randrange(len(pool))
        features = pool[i][1]
        if op == "Dense":
            units = rnd.randint(1, 6)
            layer_name = name("dense")
            pool.append(
                (g.call("Dense", layer_name, use(i), units=units, activation=rnd.choice(("relu", "linear"))), units)
            )
            dense_layers.append((layer_name, features, units))
        elif op == "shared":
            fitting = [d for d in dense_layers if d[1] == features]
            if fitting:
                layer_name, _features, units = rnd.choice(fitting)
                pool.append((g.call("Dense", layer_name, use(i)), units))
        elif op == "merge":
            same = [j for j, (_t, f) in enumerate(pool) if f == features]
            if len(same) >= 2:
                chosen = rnd.sample(same, rnd.randint(2, min(3, len(same))))
                kind = rnd.choice(ELEMENTWISE if len(chosen) == 2 else tuple(k for k in ELEMENTWISE if k != "Subtract"))
                pool.append((g.call(kind, name(kind.lower()), *(use(j) for j in chosen)), features))
        elif op == "Concatenate" and len(pool) >= 2:
            chosen = rnd.sample(range(len(pool)), rnd.randint(2, min(3, len(pool))))
            pool.append(
                (g.call("Concatenate", name("concatenate"), *(use(j) for j in chosen)), sum(pool[j][1] for j in chosen))
            )
        elif op == "Dropout":
            pool.append((g.call("Dropout", name("dropout"), use(i), rate=0.5), features))
        elif op == "LayerNormalization":
            pool.append((g.call("LayerNormalization", name("layer_normalization"), use(i)), features))
    outputs = [t for j, (t, _f) in enumerate(pool) if j not in consumed]
    rnd.shuffle(outputs)
    return g.model(*outputs)


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_graphs_summarised_as_keras_does(keras_facts, seed):
    keras_side = keras_facts[f"random:{seed}"]
    spec = shuffled(random_graph(seed, GraphBuilder(f"random_{seed}")), seed)
    summary = analyze(spec)
    assert summary.ok, summary.issues
    assert summary_json(summary) == keras_side["rows"]
    assert summary_text(summary) == keras_side["text"]


# -- a corpus no one here wrote ----------------------------------------------------------------

APPLICATIONS = ("ResNet50", "MobileNetV2", "InceptionV3", "DenseNet121", "NASNetMobile")
ROOT = Path(__file__).resolve().parents[2]
WRITTEN_BY_KERAS = """
import json, sys
import keras
from tests.core.test_graph_summary_keras import CASES, KerasBuilder, keras_rows, keras_text, random_graph
for key in sys.argv[1:]:
    kind, name = key.split(":")
    if kind == "case":
        model = CASES[name](KerasBuilder(name))
    elif kind == "random":
        model = random_graph(int(name), KerasBuilder(f"random_{name}"))
    else:
        model = getattr(keras.applications, name)(weights=None)
    facts = {"config": model.get_config(), "text": keras_text(model), "rows": keras_rows(model)}
    print(json.dumps({"key": key, **facts}))
    del model
    keras.backend.clear_session()
"""


@pytest.fixture(scope="module")
def keras_facts() -> dict[str, dict[str, Any]]:
    """Keras's config, printed summary and rows of every model these tests compare with (the cases,
    the random graphs, APPLICATIONS), built by Keras in one process of its own so that none of them
    stays in this one."""
    keys = [f"case:{c}" for c in CASES] + [f"random:{s}" for s in RANDOM_SEEDS] + [f"app:{a}" for a in APPLICATIONS]
    env = {**os.environ, "COLUMNS": "80"}  # Keras sizes its table to the terminal; a pipe counts as 80
    found = subprocess.run(
        [sys.executable, "-c", WRITTEN_BY_KERAS, *keys], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900
    )
    assert found.returncode == 0, found.stderr[-3000:]
    facts = [json.loads(line) for line in found.stdout.splitlines() if line.startswith("{")]
    return {f["key"]: f for f in facts}


@pytest.mark.parametrize("name", APPLICATIONS)
def test_keras_applications_are_summarised_as_keras_does(keras_facts, name):
    """keras.applications models (branches, merges, hundreds of layers), read from the config Keras
    writes, with their layers listed in a shuffled order: Keras's rows, order, Connected to and totals."""
    keras_side = keras_facts[f"app:{name}"]
    spec = shuffled(spec_from_config(keras_side["config"]), seed=7)
    summary = analyze(spec)
    assert summary.ok, summary.issues[:3]
    assert summary_json(summary) == keras_side["rows"]
    assert summary_text(summary) == keras_side["text"]
