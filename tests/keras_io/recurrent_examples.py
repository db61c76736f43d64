"""Keras's own recurrent example models, built and saved by Keras itself.

- the IMDB bidirectional LSTM of keras.io/examples/nlp/bidirectional_lstm_imdb: token ids of any
  length, Embedding(20000, 128), Bidirectional(LSTM(64, return_sequences=True)),
  Bidirectional(LSTM(64)), Dense(1, sigmoid); Adam, binary cross-entropy, accuracy;
- a GRU stack over sequences of 8 features: GRU(32, return_sequences=True), GRU(32), Dense(1).

The shipped `resources/examples/*.nnstudio` are these models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "imdb_bidirectional_lstm": ROOT / "resources" / "examples" / "imdb_bidirectional_lstm.nnstudio",
    "gru_stack": ROOT / "resources" / "examples" / "gru_stack.nnstudio",
}


def keras_model(name: str) -> Any:
    """The example model `name`, made and compiled by Keras (fresh automatic layer names)."""
    import keras

    keras.utils.clear_session()
    layers = keras.layers
    if name == "imdb_bidirectional_lstm":
        model = keras.Sequential(
            [
                keras.Input(shape=(None,), dtype="int32"),
                layers.Embedding(20000, 128),
                layers.Bidirectional(layers.LSTM(64, return_sequences=True)),
                layers.Bidirectional(layers.LSTM(64)),
                layers.Dense(1, activation="sigmoid"),
            ],
            name=name,
        )
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        return model
    model = keras.Sequential(
        [keras.Input(shape=(None, 8)), layers.GRU(32, return_sequences=True), layers.GRU(32), layers.Dense(1)],
        name=name,
    )
    model.compile("adam", "mse")
    return model


def save_keras_model(name: str, folder: Path) -> Path:
    """Keras's example `name` saved by Keras to `folder/<name>.keras`."""
    path = folder / f"{name}.keras"
    keras_model(name).save(path)
    return path
