"""Keras's recurrent example models (tests/keras_io/recurrent_examples.py), written by Keras: nnstudio
reads them, summarises them as Keras does row by row, exports them with bit-equal weights,
writes code that rebuilds them, and trains them on made-up data shaped for them."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.codegen import python_script
from nnstudio.core.datasets import for_spec
from nnstudio.core.keras_archive import load_model_file
from nnstudio.core.project import load_project
from nnstudio.core.summary import analyze, summary_text
from tests.keras_io.recurrent_examples import EXAMPLES, keras_model, save_keras_model

pytestmark = pytest.mark.engine
keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, keras_summary  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from nnstudio.keras_io.load import load_keras  # noqa: E402

NAMES = list(EXAMPLES)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    return {name: save_keras_model(name, folder) for name in NAMES}


def cli_json(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("name", NAMES)
def test_the_file_keras_wrote_is_the_shipped_example_and_summarises_as_keras_row_by_row(written, name):
    model = keras_model(name)
    path = written[name]
    spec = load_model_file(path)  # config and weights checked, nothing run
    shipped = load_project(EXAMPLES[name])[0]
    assert spec.layers == shipped.layers and spec.name == shipped.name
    assert (spec.compile.loss, spec.compile.optimizer, spec.compile.metrics) == (
        shipped.compile.loss,
        shipped.compile.optimizer,
        shipped.compile.metrics,
    )
    keras_rows = keras_summary(model)
    for row in keras_rows["layers"]:
        del row["trainable"], row["non_trainable"]
    assert cli_json("summary", str(path), "--json") == keras_rows
    assert cli_json("summary", str(EXAMPLES[name]), "--json") == keras_rows


@pytest.mark.parametrize("name", NAMES)
def test_export_keeps_every_weight_bit_equal_and_plain_keras_loads_it(written, name, tmp_path):
    spec, weights = load_keras(written[name])
    original = keras.saving.load_model(written[name], compile=False)
    out = tmp_path / "again.keras"
    export_keras(spec, out, weights)
    again = keras.saving.load_model(out)
    assert [layer.name for layer in again.layers] == [layer.name for layer in original.layers]
    for before, after in zip(original.layers, again.layers, strict=True):
        # the same config (the initializers too, which an export with weights skips running)
        assert json.loads(json.dumps(after.get_config())) == json.loads(json.dumps(before.get_config()))
        a, b = before.get_weights(), after.get_weights()
        assert len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    forward = again.layers[1].forward_layer if name.startswith("imdb") else None
    if forward is not None:  # Keras names the copies of the wrapped layer as it did
        assert (forward.name, again.layers[1].backward_layer.name) == ("forward_lstm", "backward_lstm")


@pytest.mark.parametrize("name", NAMES)
def test_generated_code_rebuilds_the_same_model(written, name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    spec = load_model_file(written[name])
    printed = io.StringIO()
    scope: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(printed):
        exec(compile(python_script(spec), "<generated>", "exec"), scope)  # noqa: S102 - nnstudio's own code
    assert printed.getvalue() == summary_text(analyze(spec)) + "\n"
    rebuilt, original = scope["model"], keras_model(name)
    assert [(type(a).__name__, a.name, a.count_params()) for a in rebuilt.layers] == [
        (type(b).__name__, b.name, b.count_params()) for b in original.layers
    ]
    assert json.loads(json.dumps(rebuilt.layers[1].get_config())) == json.loads(
        json.dumps(original.layers[1].get_config())
    )


@pytest.mark.parametrize("name", NAMES)
def test_made_up_data_fits_and_a_training_step_runs(name):
    spec = load_project(EXAMPLES[name])[0]
    data = for_spec(spec, samples=32)
    if name.startswith("imdb"):
        assert data.x.dtype == np.int32 and data.x.min() >= 0 and data.x.max() < 20000
    model = build_model(spec)
    history = model.fit(data.x, data.y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
