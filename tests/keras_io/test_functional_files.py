"""Functional `.keras` files written by Keras: read as graphs without Keras, exported back with
bit-equal weights, and rebuilt by the generated code with the same summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.graph_shapes import graph_shapes
from nnstudio.core.keras_archive import parse_keras_config, read_keras_config
from nnstudio.core.weights_check import check_keras_weights
from tests.keras_io.functional_models import (
    CONNECTIONS,
    MODELS,
    assert_bit_equal,
    layer_arrays,
    random_graph,
    save,
    summary_text,
)

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from nnstudio.keras_io.load import load_keras  # noqa: E402


def run_script(script: str) -> object:
    """Run a generated script as a fresh module would and return the `model` it makes."""
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(script, "generated.py", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace["model"]


@pytest.mark.parametrize("name", list(MODELS))
def test_must_show_models_read_export_and_regenerate(tmp_path: Path, name: str) -> None:
    original = MODELS[name]()
    path = save(original, tmp_path / f"{name}.keras")

    spec = read_keras_config(path)
    check_keras_weights(path, spec)
    assert spec.is_functional and spec.name == original.name
    assert [layer.name for layer in spec.layers] == [layer.name for layer in original.layers]
    connections = {layer.id: [[ref.layer for ref in call] for call in layer.inbound] for layer in spec.layers}
    assert connections == CONNECTIONS[name]
    assert [ref.layer for ref in spec.inputs] == [t._keras_history[0].name for t in original.inputs]
    assert [ref.layer for ref in spec.outputs] == [t._keras_history[0].name for t in original.outputs]
    assert graph_shapes(spec).total_params == original.count_params()

    spec, weights = load_keras(path)
    out = tmp_path / "exported.keras"
    export_keras(spec, out, weights)
    exported = keras.saving.load_model(out)
    assert type(exported).__name__ == "Functional"
    assert_bit_equal(layer_arrays(exported), layer_arrays(original))
    assert summary_text(exported) == summary_text(original)

    rebuilt = run_script(python_script(spec))
    assert summary_text(rebuilt) == summary_text(original)
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in original.layers]


def test_shared_layer_is_one_object_called_twice() -> None:
    data = (Path(__file__).parent.parent / "core" / "data" / "functional_mha_config.json").read_bytes()
    spec = parse_keras_config(data)
    model = build_model(spec)
    assert [layer.name for layer in model.layers] == [layer.name for layer in spec.layers]
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    assert [t.name for t in model.outputs] == [
        t.name for t in (model.get_layer("add").output, shared._inbound_nodes[0].output_tensors[0])
    ]


@pytest.mark.parametrize("seed", range(12))
def test_random_keras_graphs_read_and_export_bit_equal(tmp_path: Path, seed: int) -> None:
    original = random_graph(seed)
    path = save(original, tmp_path / "random.keras")
    spec, weights = load_keras(path)
    assert [layer.name for layer in spec.layers] == [layer.name for layer in original.layers]
    assert graph_shapes(spec).total_params == original.count_params()
    out = tmp_path / "exported.keras"
    export_keras(spec, out, weights)
    exported = keras.saving.load_model(out)
    assert_bit_equal(layer_arrays(exported), layer_arrays(original))
    assert summary_text(exported) == summary_text(original)
    assert summary_text(run_script(python_script(spec))) == summary_text(original)


def test_a_chain_spec_still_builds_a_sequential() -> None:
    from nnstudio.core.spec import lesson_spec

    assert type(build_model(lesson_spec())).__name__ == "Sequential"
    assert type(build_model(lesson_spec().as_graph())).__name__ == "Functional"


def test_a_keras_applications_model_reads_and_exports_bit_equal(tmp_path: Path) -> None:
    """MobileNetV2 as keras.applications writes it (its BatchNormalization calls carry `mask: null`)."""
    original = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=7)
    path = save(original, tmp_path / "mobilenet.keras")
    spec, weights = load_keras(path)
    assert [layer.name for layer in spec.layers] == [layer.name for layer in original.layers]
    assert graph_shapes(spec).total_params == original.count_params()
    out = tmp_path / "exported.keras"
    export_keras(spec, out, weights)
    exported = keras.saving.load_model(out)
    assert_bit_equal(layer_arrays(exported), layer_arrays(original))
    assert summary_text(exported) == summary_text(original)


def test_a_shared_layer_reports_its_last_calls_shape_as_keras_summary_does() -> None:
    """A layer called on (None, 3) and then (None, 5, 3): Keras's summary row shows the last call."""
    from nnstudio.core.summary import analyze
    from nnstudio.keras_io.build import keras_summary

    flat, sequence = keras.Input(shape=(3,), name="flat"), keras.Input(shape=(5, 3), name="sequence")
    shared = keras.layers.Dense(4, name="shared")
    model = keras.Model([flat, sequence], [shared(flat), shared(sequence)])
    row = next(row for row in keras_summary(model)["layers"] if row["name"] == "shared")
    assert row["output_shape"] == [None, 5, 4]
    printed = next(line for line in summary_text(model).splitlines() if "shared (Dense)" in line)
    assert "(None, 5, 4)" in printed
    spec = parse_keras_config(model.to_json().encode())
    assert next(r for r in analyze(spec).rows if r.name == "shared").output_shape == (5, 4)  # no batch axis
