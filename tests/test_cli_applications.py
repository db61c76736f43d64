"""Every keras.applications architecture, written by Keras itself (`weights=None`, `model.save`):
`nnstudio validate` passes and `nnstudio summary` prints Keras's `model.summary()` text exactly.

Then, for models that together hold every layer kind of the 40 (`EDITED`), the edits a person
makes in the window, through the document's undoable commands: the classifier head's units
changed, a Dropout inserted before it, a BatchNormalization (or LayerNormalization) deleted and an
activation replaced. After each edit the analytic summary follows (shapes, parameters); the
edited model is built as the window builds it (the file's weights carried to every layer they
still fit) and exported, and plain Keras loads the export: every untouched layer's weights are
bit-equal to the source file's, and Keras's summary of it is the app's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nnstudio.core.graph_edit import consumers
from nnstudio.core.spec import ModelSpec, TensorRef
from nnstudio.core.summary import analyze, summary_text
from tests.keras_io.applications import APPLICATIONS, KerasApplications
from tests.keras_io.keras_io_examples import EXAMPLES

pytestmark = [pytest.mark.cli, pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "80"}
DEFAULT_BUDGET = 100_000_000

# Together these hold every layer class of the 40 (Cropping2D and SeparableConv2D: NASNetMobile;
# LayerScale, nested Sequential, ops.Add: ConvNeXtTiny; CustomScaleLayer: InceptionResNetV2;
# Normalization, Rescaling, Reshape, Multiply: EfficientNetB0; `x + 3.0`: MobileNetV3Small; ...).
EDITED = (
    "MobileNetV3Small",
    "EfficientNetB0",
    "NASNetMobile",
    "DenseNet121",
    "ResNet50",
    "Xception",
    "ConvNeXtTiny",
    "InceptionResNetV2",
)


@pytest.fixture(scope="module")
def applications(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KerasApplications]:
    corpus = KerasApplications(tmp_path_factory.mktemp("applications"))
    yield corpus
    corpus.close()


def nnstudio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, env=ENV, timeout=300, cwd=ROOT
    )


def test_the_corpus_is_every_application(applications: KerasApplications) -> None:
    assert sorted(applications.installed()) == sorted(APPLICATIONS)


@pytest.mark.parametrize("name", APPLICATIONS)
def test_validate_and_summary_of_every_application(applications: KerasApplications, name: str) -> None:
    written = applications.written(name, random_weights=name in EDITED)
    budget = ["--max-params", str(written["params"])] if written["params"] > DEFAULT_BUDGET else []
    try:
        checked = nnstudio("validate", written["path"], *budget)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.startswith("ok: ") and f"{written['params']:,}" in checked.stdout
        printed = nnstudio("summary", written["path"], *budget)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.rstrip("\n") == written["text"]
    finally:
        if name not in EDITED:
            applications.discard(name)  # 8.5 GB for all 40; only the edited ones are kept


@pytest.mark.parametrize("name", EXAMPLES)
def test_keras_io_examples_validate_summarise_and_export(applications: KerasApplications, tmp_path: Path, name: str):
    """Models of Keras's code examples: validate, Keras's summary text, and an export that plain Keras
    loads with every weight bit-equal and the same summary."""
    import keras

    from tests.keras_io.functional_models import assert_bit_equal, layer_arrays
    from tests.keras_io.functional_models import summary_text as keras_summary_text

    written = applications.written(name, example=True)
    checked = nnstudio("validate", written["path"])
    assert checked.returncode == 0, checked.stderr
    printed = nnstudio("summary", written["path"])
    assert printed.returncode == 0 and printed.stdout.rstrip("\n") == written["text"]
    out = tmp_path / "exported.keras"
    exported = nnstudio("export", written["path"], "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    original, again = keras.saving.load_model(written["path"]), keras.saving.load_model(out)
    assert_bit_equal(layer_arrays(again), layer_arrays(original))
    assert keras_summary_text(again) == keras_summary_text(original)


@pytest.mark.parametrize("name", ["MobileNetV3Small", "ConvNeXtTiny"])
def test_generated_code_rebuilds_an_application(applications: KerasApplications, tmp_path: Path, name: str) -> None:
    """`nnstudio code` of an application with operation nodes (`x + 3.0`) and a nested Sequential:
    the script runs as it is and rebuilds Keras's summary."""
    import keras

    written = applications.written(name, random_weights=True)
    script = tmp_path / "rebuild.py"
    made = nnstudio("code", written["path"], "-o", str(script))
    assert made.returncode == 0, made.stderr
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(script.read_text(), str(script), "exec"), namespace)  # noqa: S102 - nnstudio's own output
    lines: list[str] = []
    namespace["model"].summary(print_fn=lines.append, line_length=76)  # type: ignore[attr-defined]
    assert "\n".join(lines).rstrip("\n") == written["text"]
    keras.backend.clear_session()


# -- editing, as the window does it ------------------------------------------------------------


HEAD_SIZES = {"Dense": "units", "Conv2D": "filters"}  # MobileNetV3's classifier is a 1x1 Conv2D ("logits")


def _head(spec: ModelSpec) -> int:
    """The classifier head: the last layer sized by units (or filters)."""
    return max(i for i, layer in enumerate(spec.layers) if layer.class_name in HEAD_SIZES)


def _first(spec: ModelSpec, classes: tuple[str, ...], after: int = 1) -> int:
    """The first layer of one of `classes` that reads one tensor and feeds one layer (deletable in place)."""
    for i, layer in enumerate(spec.layers[after:], start=after):
        if (
            layer.class_name in classes
            and len(layer.inbound) == 1
            and len(layer.inbound[0]) == 1
            and len(consumers(spec, layer.id)) == 1
            and TensorRef(layer.id) not in spec.outputs
        ):
            return i
    raise AssertionError(f"no {classes} layer to edit")


def row(document, layer_id: str):  # noqa: ANN001, ANN201 - a services.Document, its summary's LayerRow
    spec, summary = document.spec, document.summary()
    assert summary.ok, summary.issues[:2]
    index = spec.position_of(layer_id)
    return next(r for r in summary.rows if r.index == index)


def edit_like_a_person(document) -> dict[str, str]:  # noqa: ANN001 - a services.Document
    """Make the edits through the document's undoable commands, checking the analytic summary after
    each; returns the names of the layers they touched, by role."""
    spec = document.spec
    head = spec.layers[_head(spec)]
    size = HEAD_SIZES[head.class_name]
    feature_ref = head.inbound[0][0]
    features = row(document, feature_ref.layer).output_shape[-1]
    total = document.summary().total_params
    old_head = row(document, head.id).params

    assert document.set_param(spec.position_of(head.id), size, 10) is None
    assert row(document, head.id).shape_text.endswith(" 10)")
    total += features * 10 + 10 - old_head
    assert document.summary().total_params == total

    assert document.insert_on_connection("Dropout", feature_ref, head.id, rate=0.3) is None
    (dropout,) = [layer for layer in document.spec.layers if layer.id not in spec.ids()]
    assert dropout.class_name == "Dropout" and document.spec.layer_by_id(head.id).inbound == ((TensorRef(dropout.id),),)
    assert row(document, dropout.id).output_shape == row(document, feature_ref.layer).output_shape
    assert document.summary().total_params == total

    norm = document.spec.layers[_first(document.spec, ("BatchNormalization", "LayerNormalization"))]
    total -= row(document, norm.id).params
    assert document.remove_layer(document.spec.position_of(norm.id)) is None
    assert norm.id not in document.spec.ids() and document.summary().total_params == total

    activation = document.spec.layers[_first(document.spec, ("Activation", "ReLU"))]
    source, reader = activation.inbound[0][0], consumers(document.spec, activation.id)[0]
    shape = row(document, activation.id).output_shape
    assert document.remove_layer(document.spec.position_of(activation.id)) is None
    assert document.insert_on_connection("LeakyReLU", source, reader) is None
    (replacement,) = [
        layer for layer in document.spec.layers if layer.id not in spec.ids() and layer.class_name == "LeakyReLU"
    ]
    assert row(document, replacement.id).output_shape == shape
    assert document.summary().total_params == total
    return {
        "head": head.name,
        "dropout": dropout.name,
        "deleted": norm.name,
        "replaced": activation.name,
        "replacement": replacement.name,
    }


def keras_lines(model) -> list[str]:  # noqa: ANN001 - a keras.Model
    """Keras's summary at 76 columns, without the lines that count the optimizer's variables."""
    lines: list[str] = []
    model.summary(print_fn=lines.append, line_length=76)
    return [
        line
        for line in "\n".join(lines).splitlines()
        if not line.lstrip().startswith(("Optimizer params", "Total params"))
    ]


@pytest.mark.parametrize("name", EDITED)
def test_edit_and_export_an_application(applications: KerasApplications, qapp, tmp_path: Path, name: str) -> None:
    import keras

    from nnstudio.keras_io.build import build_model, layer_weights
    from nnstudio.keras_io.export import export_keras
    from nnstudio.keras_io.load import load_keras
    from nnstudio.services.document import Document
    from nnstudio.services.model_state import FILE, WeightSet

    source = applications.written(name, random_weights=True)["path"]
    spec, weights = load_keras(source)
    document = Document(spec, path=source)
    edited = edit_like_a_person(document)

    # The window's road: Keras builds the edited spec with the file's weights carried (each layer
    # they still fit keeps its own), and File ▸ Export writes that build's weights.
    carried = WeightSet(spec, weights, FILE).to_wire(document.spec)
    built = build_model(document.spec, carried, strict=False)
    built_weights = layer_weights(built)
    del built, weights, carried
    out = tmp_path / "edited.keras"
    export_keras(document.spec, out, built_weights)
    del built_weights
    keras.backend.clear_session()

    original = keras.saving.load_model(source)
    exported = keras.saving.load_model(out)
    mine = {layer.name: layer for layer in exported.layers}
    touched = {edited["head"], edited["deleted"], edited["replaced"]}
    untouched = [layer for layer in original.layers if layer.name not in touched]
    assert len(untouched) == len(original.layers) - 3
    for layer in untouched:
        theirs, ours = layer.get_weights(), mine[layer.name].get_weights()
        assert len(ours) == len(theirs), layer.name
        for a, b in zip(ours, theirs, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), layer.name
    assert edited["deleted"] not in mine and edited["replaced"] not in mine
    assert type(mine[edited["dropout"]]).__name__ == "Dropout" and mine[edited["dropout"]].rate == 0.3
    assert type(mine[edited["replacement"]]).__name__ == "LeakyReLU"
    head = mine[edited["head"]]
    assert getattr(head, "units", None) == 10 or getattr(head, "filters", None) == 10
    app_lines = [
        line
        for line in summary_text(analyze(document.spec)).splitlines()
        if not line.lstrip().startswith("Total params")
    ]
    assert keras_lines(exported) == app_lines
    del original, exported
    keras.backend.clear_session()
