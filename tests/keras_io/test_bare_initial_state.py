"""`GRU(...)(x, initial_state=h)`, one state given bare rather than in a list, as Keras's own
examples write it: read from Keras's file, summarised as Keras does, built with the file's
weights to the same predictions, and exported as a file Keras loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.summary import analyze, summary_text

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, layer_weights  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from tests.keras_io.keras_files import keras_printed_summary, saved_and_read  # noqa: E402


@pytest.mark.parametrize("recurrent", ["GRU", "SimpleRNN"])
def test_one_bare_initial_state_reads_builds_and_exports(tmp_path: Path, recurrent: str) -> None:
    sequences, state = keras.Input((5, 3), name="sequences"), keras.Input((4,), name="state")
    outputs = getattr(keras.layers, recurrent)(4, name="recurrent")(sequences, initial_state=state)
    original = keras.Model([sequences, state], outputs)
    spec = saved_and_read(original, tmp_path / "source.keras")
    assert keras_printed_summary(original) == summary_text(analyze(spec))

    rebuilt = build_model(spec, layer_weights(original))
    data = [np.random.default_rng(0).normal(size=(2, 5, 3)), np.random.default_rng(1).normal(size=(2, 4))]
    np.testing.assert_array_equal(rebuilt.predict(data, verbose=0), original.predict(data, verbose=0))
    export_keras(spec, tmp_path / "exported.keras", layer_weights(original))
    loaded = keras.saving.load_model(tmp_path / "exported.keras")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), original.predict(data, verbose=0))
