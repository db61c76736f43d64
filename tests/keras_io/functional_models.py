"""Functional models written by Keras itself, for the tests of reading, exporting and generating code.

`MODELS` makes the four models the functional issue must show: the first lesson written with the
functional API, a two-input model with Concatenate, a small residual CNN with Add and a
transformer block with MultiHeadAttention; and Keras's character-level seq2seq example, whose
decoder LSTM starts from the encoder's states (`initial_state=[state_h, state_c]`). `random_graph(seed)` writes random functional graphs
(branches, merges, several inputs and outputs, a Dense shared by two calls in every third) that no one here wrote by hand.
Each builder gives a compiled Keras model with random weights (never Keras's initial zeros, so
bit-equality means something); `save(model, path)` writes it with Keras. Only tests marked
`engine` call these (they import Keras).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _compiled(model: Any, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.set_weights([rng.standard_normal(w.shape).astype(w.dtype) for w in layer.get_weights()])
    model.compile(loss="mean_squared_error", optimizer="adam")
    return model


def lesson() -> Any:
    """`Input((20,))` -> `Dense(64, relu)` -> `Dense(10)`, written as `keras.Model(inputs, outputs)`."""
    import keras

    inputs = keras.Input(shape=(20,), name="features")
    hidden = keras.layers.Dense(64, activation="relu", name="dense")(inputs)
    outputs = keras.layers.Dense(10, name="dense_1")(hidden)
    return _compiled(keras.Model(inputs, outputs, name="lesson"), 1)


def two_inputs() -> Any:
    """Two Inputs, one through a Dense, joined by Concatenate, one Dense output."""
    import keras

    numbers = keras.Input(shape=(8,), name="numbers")
    extra = keras.Input(shape=(4,), name="extra")
    encoded = keras.layers.Dense(6, activation="tanh", name="encode")(numbers)
    joined = keras.layers.Concatenate(name="join")([encoded, extra])
    outputs = keras.layers.Dense(1, name="score")(joined)
    return _compiled(keras.Model([numbers, extra], outputs, name="two_inputs"), 2)


def residual_cnn() -> Any:
    """A small residual CNN: two 3x3 convolutions around a skip connection joined by Add."""
    import keras

    image = keras.Input(shape=(12, 12, 3), name="image")
    stem = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(image)
    branch = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_a")(stem)
    branch = keras.layers.Conv2D(8, 3, padding="same", name="conv_b")(branch)
    merged = keras.layers.Add(name="skip")([stem, branch])
    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(merged)
    outputs = keras.layers.Dense(5, activation="softmax", name="classes")(pooled)
    return _compiled(keras.Model(image, outputs, name="residual_cnn"), 3)


def transformer_block() -> Any:
    """Self-attention, Add and LayerNormalization, then a Dense feed-forward with its own Add and norm."""
    import keras

    tokens = keras.Input(shape=(10, 16), name="tokens")
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8, name="attention")(tokens, tokens)
    x = keras.layers.Add(name="add_attention")([tokens, attended])
    x = keras.layers.LayerNormalization(name="norm_1")(x)
    ff = keras.layers.Dense(32, activation="relu", name="ff_1")(x)
    ff = keras.layers.Dense(16, name="ff_2")(ff)
    x = keras.layers.Add(name="add_ff")([x, ff])
    outputs = keras.layers.LayerNormalization(name="norm_2")(x)
    return _compiled(keras.Model(tokens, outputs, name="transformer_block"), 4)


def seq2seq(units: int = 256, encoder_tokens: int = 71, decoder_tokens: int = 93) -> Any:
    """keras.io/examples/nlp/lstm_seq2seq: an encoder LSTM's final states h and c start the decoder LSTM."""
    import keras

    encoder_inputs = keras.Input(shape=(None, encoder_tokens), name="encoder_inputs")
    _outputs, state_h, state_c = keras.layers.LSTM(units, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, decoder_tokens), name="decoder_inputs")
    decoder = keras.layers.LSTM(units, return_sequences=True, return_state=True, name="decoder")
    decoder_outputs, _, _ = decoder(decoder_inputs, initial_state=[state_h, state_c])
    outputs = keras.layers.Dense(decoder_tokens, activation="softmax", name="decoder_dense")(decoder_outputs)
    return _compiled(keras.Model([encoder_inputs, decoder_inputs], outputs, name="seq2seq"), 5)


MODELS: dict[str, Callable[[], Any]] = {
    "lesson": lesson,
    "two_inputs": two_inputs,
    "residual_cnn": residual_cnn,
    "transformer_block": transformer_block,
    "seq2seq": seq2seq,
}

# Each model's connections as the spec holds them: layer id -> the layer ids of each call's inputs.
CONNECTIONS: dict[str, dict[str, list[list[str]]]] = {
    "lesson": {"features": [], "dense": [["features"]], "dense_1": [["dense"]]},
    "two_inputs": {
        "numbers": [],
        "extra": [],
        "encode": [["numbers"]],
        "join": [["encode", "extra"]],
        "score": [["join"]],
    },
    "residual_cnn": {
        "image": [],
        "stem": [["image"]],
        "conv_a": [["stem"]],
        "conv_b": [["conv_a"]],
        "skip": [["stem", "conv_b"]],
        "pool": [["skip"]],
        "classes": [["pool"]],
    },
    "transformer_block": {
        "tokens": [],
        "attention": [["tokens", "tokens"]],
        "add_attention": [["tokens", "attention"]],
        "norm_1": [["add_attention"]],
        "ff_1": [["norm_1"]],
        "ff_2": [["ff_1"]],
        "add_ff": [["norm_1", "ff_2"]],
        "norm_2": [["add_ff"]],
    },
    "seq2seq": {
        "encoder_inputs": [],
        "decoder_inputs": [],
        "encoder": [["encoder_inputs"]],
        "decoder": [["decoder_inputs", "encoder", "encoder"]],
        "decoder_dense": [["decoder"]],
    },
}


def random_graph(seed: int) -> Any:
    """A random functional graph: 1-3 Inputs of (n,) features, 3-9 layers each fed by earlier
    tensors (Dense, LayerNormalization, Add, Subtract, Multiply, Concatenate, Maximum, Minimum,
    Average), sometimes a Dense called twice (shared weights), and 1-3 outputs among the
    tensors no layer uses (every tensor reaches an output, as Keras's config only keeps those)."""
    import keras
    from keras import layers

    rng = np.random.default_rng(seed)
    width = int(rng.integers(2, 7))
    inputs = [keras.Input(shape=(width,), name=f"in_{i}") for i in range(int(rng.integers(1, 4)))]
    pool: list[Any] = list(inputs)  # tensors of shape (None, width)
    used: set[int] = set()
    shared = layers.Dense(width, name="shared_dense")
    shared_calls = 0

    def pick(count: int) -> list[Any]:
        chosen = rng.choice(len(pool), size=count, replace=count > len(pool))
        used.update(int(i) for i in chosen)
        return [pool[int(i)] for i in chosen]

    for n in range(int(rng.integers(3, 10))):
        kind = int(rng.integers(0, 10))
        if seed % 3 == 0 and n < 2:
            kind = 1  # every third graph shares one Dense between two calls
        if kind == 0:
            out = layers.Dense(width, activation=str(rng.choice(["relu", "tanh", "linear"])), name=f"dense_{n}")(
                pick(1)[0]
            )
        elif kind == 1 and shared_calls < 2:
            out = shared(pick(1)[0])
            shared_calls += 1
        elif kind == 2:
            out = layers.LayerNormalization(name=f"norm_{n}")(pick(1)[0])
        elif kind == 3:
            out = layers.Add(name=f"add_{n}")(pick(int(rng.integers(2, 4))))
        elif kind == 4:
            out = layers.Multiply(name=f"multiply_{n}")(pick(2))
        elif kind == 5:
            joined = layers.Concatenate(name=f"concat_{n}")(pick(2))
            out = layers.Dense(width, name=f"squeeze_{n}")(joined)
        elif kind == 6:
            out = layers.Maximum(name=f"maximum_{n}")(pick(2))
        elif kind == 7:
            out = layers.Subtract(name=f"subtract_{n}")(pick(2))
        elif kind == 8:
            out = layers.Minimum(name=f"minimum_{n}")(pick(3))
        else:
            out = layers.Average(name=f"average_{n}")(pick(2))
        pool.append(out)
    unused = [t for i, t in enumerate(pool) if i not in used and i >= len(inputs)]
    outputs = unused or [pool[-1]]
    # Inputs no path uses would leave Keras's graph disconnected: feed each to the first output.
    for i, tensor in enumerate(inputs):
        if i not in used:
            outputs[0] = layers.Add(name=f"use_in_{i}")([outputs[0], tensor])
    model = keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs if len(outputs) > 1 else outputs[0])
    return _compiled(model, seed)


def save(model: Any, path: Path) -> Path:
    """Write `model` with Keras's own saving."""
    import keras

    keras.saving.save_model(model, path)
    return path


def summary_text(model: Any) -> str:
    """What `model.summary()` prints, without the optimizer's lines (an exported model's optimizer
    is built, the original's may not be; Keras counts its variables into "Total params")."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        model.summary(line_length=120)
    return "\n".join(
        line
        for line in buffer.getvalue().splitlines()
        if not line.lstrip().startswith(("Optimizer params", "Total params"))
    )


def layer_arrays(model: Any) -> dict[str, list[np.ndarray]]:
    """Every layer's weights by name, in Keras's order."""
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers}


def assert_bit_equal(a: dict[str, list[np.ndarray]], b: dict[str, list[np.ndarray]]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name], strict=True):
            assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), name
