"""Video models with ConvLSTM2D and TimeDistributed, as Keras writes them: Keras's "Next-frame video
prediction with convolutional LSTMs" and a small TimeDistributed video classifier are read from
Keras's file, summarised as Keras prints them, built with the file's weights to the same
predictions, and exported as a file Keras loads with every weight bit-equal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.summary import analyze, summary_text

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

from nnstudio.keras_io.build import build_model, layer_weights  # noqa: E402
from nnstudio.keras_io.export import export_keras  # noqa: E402
from tests.keras_io import keras_io_examples  # noqa: E402
from tests.keras_io.functional_models import assert_bit_equal, layer_arrays  # noqa: E402
from tests.keras_io.functional_models import summary_text as keras_summary_text  # noqa: E402
from tests.keras_io.keras_files import keras_printed_summary, saved_and_read  # noqa: E402

# (example, a batch of input shapes fed to it: the next-frame model takes any number of frames)
MODELS = [("next_frame_prediction", (1, 3, 64, 64, 1)), ("video_classifier", (2, 8, 32, 32, 3))]


@pytest.mark.parametrize(("name", "batch"), MODELS)
def test_video_model_reads_summarises_predicts_and_exports_as_keras(tmp_path: Path, name: str, batch: tuple) -> None:
    keras.utils.clear_session()
    original = getattr(keras_io_examples, name)()
    spec = saved_and_read(original, tmp_path / "source.keras")
    assert summary_text(analyze(spec)) == keras_printed_summary(original)
    kinds = {layer.class_name for layer in spec.layers}
    assert ("ConvLSTM2D" in kinds) if name == "next_frame_prediction" else ("TimeDistributed" in kinds)

    data = np.random.default_rng(0).uniform(size=batch).astype("float32")
    expected = original.predict(data, verbose=0)
    rebuilt = build_model(spec, layer_weights(original))
    np.testing.assert_array_equal(rebuilt.predict(data, verbose=0), expected)

    export_keras(spec, tmp_path / "exported.keras", layer_weights(original))
    loaded = keras.saving.load_model(tmp_path / "exported.keras")
    assert_bit_equal(layer_arrays(loaded), layer_arrays(original))
    assert keras_summary_text(loaded) == keras_summary_text(original)  # the optimizer's lines aside
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), expected)


def test_conv_lstm_decoder_started_from_its_encoder_s_states(tmp_path: Path) -> None:
    """A ConvLSTM2D encoder's final states (`return_state`) start a decoder ConvLSTM2D
    (`initial_state=[h, c]`), as a seq2seq model of frames does: read, summarised, predicted and
    exported exactly as Keras."""
    keras.utils.clear_session()
    past, future = keras.Input((3, 8, 8, 1), name="past"), keras.Input((2, 8, 8, 1), name="future")
    _last, h, c = keras.layers.ConvLSTM2D(4, 3, padding="same", return_state=True, name="encoder")(past)
    decoded = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True, name="decoder")(
        future, initial_state=[h, c]
    )
    frames = keras.layers.Conv3D(1, 1, activation="sigmoid", name="frames")(decoded)
    original = keras.Model([past, future], frames)
    spec = saved_and_read(original, tmp_path / "source.keras")
    assert summary_text(analyze(spec)) == keras_printed_summary(original)
    decoder = next(layer for layer in spec.layers if layer.name == "decoder")
    assert [ref.tensor for ref in decoder.inbound[0]] == [0, 1, 2]  # the sequences, then the encoder's h and c

    rng = np.random.default_rng(0)
    data = [rng.uniform(size=(2, 3, 8, 8, 1)).astype("float32"), rng.uniform(size=(2, 2, 8, 8, 1)).astype("float32")]
    expected = original.predict(data, verbose=0)
    np.testing.assert_array_equal(build_model(spec, layer_weights(original)).predict(data, verbose=0), expected)
    export_keras(spec, tmp_path / "exported.keras", layer_weights(original))
    loaded = keras.saving.load_model(tmp_path / "exported.keras")
    assert_bit_equal(layer_arrays(loaded), layer_arrays(original))
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), expected)
