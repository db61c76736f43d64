"""Functional `.keras` files written by Keras: read as graphs without Keras, exported back with
bit-equal weights, and rebuilt by the generated code with the same summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.graph_shapes import graph_shapes
from nnstudio.core.keras_archive import parse_keras_config, read_keras_config
from nnstudio.core.summary import analyze
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

from nnstudio.keras_io.build import build_model, keras_summary  # noqa: E402
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


def hard_swish_model() -> object:
    """MobileNetV3's hard_swish, `x * relu6(x + 3.0) * (1 / 6)`, and `0.5 + x`: operation nodes with
    constants on either side, written by Keras as `keras.src.ops.numpy` Add and Multiply."""
    from tests.keras_io.functional_models import _compiled

    x = keras.Input((6,), name="x")
    d = keras.layers.Dense(6, name="dense")(x)
    h = keras.layers.ReLU(6.0, name="relu6")(d + 3.0) * (1.0 / 6.0)
    y = 0.5 + keras.layers.Dropout(0.25, name="dropout")(keras.ops.multiply(d, h))
    return _compiled(keras.Model(x, keras.layers.Dense(2, name="out")(y), name="hard_swish"), 5)


def test_operation_nodes_with_constants_read_export_and_regenerate(tmp_path: Path) -> None:
    original = hard_swish_model()
    path = save(original, tmp_path / "hard_swish.keras")
    spec, weights = load_keras(path)
    assert [layer.class_name for layer in spec.layers if layer.class_name.startswith("ops.")] == [
        "ops.Add",
        "ops.Multiply",
        "ops.Multiply",
        "ops.Add",
    ]
    out = tmp_path / "exported.keras"
    export_keras(spec, out, weights)
    exported = keras.saving.load_model(out)
    assert_bit_equal(layer_arrays(exported), layer_arrays(original))
    assert summary_text(exported) == summary_text(original)

    def calls(model: object) -> list:  # every node's class, module and call arguments, as Keras writes them
        return [
            (entry["module"], entry["class_name"], entry["name"], entry["inbound_nodes"])
            for entry in model.get_config()["layers"]  # type: ignore[attr-defined]
        ]

    assert calls(exported) == calls(original)
    rows = keras_summary(build_model(spec, weights))["layers"]  # the engine's rows: the summary's, operations too
    analytic = analyze(spec).rows
    assert [(r["name"], r["type"], r["params"]) for r in rows] == [(r.name, r.type_name, r.params) for r in analytic]
    rebuilt = run_script(python_script(spec))
    assert calls(rebuilt) == calls(original)


def test_the_training_values_keras_records_are_its_call_defaults(tmp_path: Path) -> None:
    """Keras writes `training` into a call's kwargs when the layer's `call` has a default for it; the
    values the layer types declare (read as absent) are exactly Keras's defaults, layer by layer."""
    import inspect

    from nnstudio.core.layers.registry import all_types

    defaults = {}
    for kind in all_types():
        cls = getattr(keras.layers, kind.config_class, None) if kind.keras_module == "keras.layers" else None
        parameter = inspect.signature(cls.call).parameters.get("training") if cls is not None else None
        if parameter is not None and parameter.default is not None:
            defaults[kind.class_name] = parameter.default
    declared = {kind.class_name: kind.training_default for kind in all_types() if kind.training_default is not None}
    assert defaults == declared
    x = keras.Input((6, 4))
    recorded = keras.Model(x, keras.layers.LSTM(3, name="lstm")(keras.layers.Dropout(0.5, name="drop")(x)))
    kwargs = {e["name"]: e["inbound_nodes"][0]["kwargs"] for e in recorded.get_config()["layers"][1:]}
    assert kwargs == {"drop": {"training": False}, "lstm": {"mask": None, "training": False}}
    spec = read_keras_config(save(recorded, tmp_path / "recorded.keras"))
    assert [layer.class_name for layer in spec.layers] == ["Input", "Dropout", "LSTM"]


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
