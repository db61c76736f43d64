"""`GRU(...)(x, initial_state=h)`, one state given bare rather than in a list, as Keras's own
examples write it: read from Keras's file, summarised as Keras does, built with the file's
weights to the same predictions, and exported as a file Keras loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.summary import analyze, summary_text
from nnstudio.core.weights_check import check_keras_weights

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, layer_weights  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402


@pytest.mark.parametrize("recurrent", ["GRU", "SimpleRNN"])
def test_one_bare_initial_state_reads_builds_and_exports(tmp_path: Path, recurrent: str, capsys, monkeypatch) -> None:
    sequences, state = keras.Input((5, 3), name="sequences"), keras.Input((4,), name="state")
    outputs = getattr(keras.layers, recurrent)(4, name="recurrent")(sequences, initial_state=state)
    original = keras.Model([sequences, state], outputs)
    original.save(tmp_path / "source.keras")

    spec = read_keras_config(tmp_path / "source.keras")
    check_keras_weights(tmp_path / "source.keras", spec)
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    original.summary()
    assert capsys.readouterr().out.rstrip("\n") == summary_text(analyze(spec))

    rebuilt = build_model(spec, layer_weights(original))
    data = [np.random.default_rng(0).normal(size=(2, 5, 3)), np.random.default_rng(1).normal(size=(2, 4))]
    np.testing.assert_array_equal(rebuilt.predict(data, verbose=0), original.predict(data, verbose=0))
    export_keras(spec, tmp_path / "exported.keras", layer_weights(original))
    loaded = keras.saving.load_model(tmp_path / "exported.keras")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), original.predict(data, verbose=0))
