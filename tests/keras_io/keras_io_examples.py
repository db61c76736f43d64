"""Models from Keras's own code examples on keras.io, written as the examples write them.

- `ticket_classifier`: the Functional API guide's multi-input, multi-output model (a title and a
  body through Embedding and LSTM, tags, concatenated; a priority and a department head), with
  its outputs as a list: the guide's newer form `outputs={"priority": ..., "department": ...}`
  (outputs by name) is refused with a one-line message, since a spec holds its outputs in order.
- `toy_resnet`: the same guide's toy ResNet for CIFAR-10 (`layers.add` skip connections).
- `text_cnn`: "Text classification from scratch" (examples/nlp): Embedding, Conv1D, global max
  pooling, compiled with binary cross-entropy, Adam and accuracy.
- `character_seq2seq`: "Character-level recurrent sequence-to-sequence model" (examples/nlp/lstm_seq2seq):
  the decoder LSTM called with `initial_state=[state_h, state_c]`, the encoder's final states.

Only code in the examples' own words; the models are built by the Keras writer process
(`tests/keras_io/applications.py`), never in a test process that must stay free of TensorFlow.
"""

from __future__ import annotations

from typing import Any


def ticket_classifier() -> Any:
    import keras
    from keras import layers

    num_tags = 12  # Number of unique issue tags
    num_words = 10000  # Size of vocabulary obtained when preprocessing text data
    num_departments = 4  # Number of departments for predictions

    title_input = keras.Input(shape=(None,), name="title")  # Variable-length sequence of ints
    body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
    tags_input = keras.Input(shape=(num_tags,), name="tags")  # Binary vectors of size `num_tags`
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input], outputs=[priority_pred, department_pred])


def toy_resnet() -> Any:
    import keras
    from keras import layers

    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def text_cnn() -> Any:
    import keras
    from keras import layers

    max_features = 20000
    embedding_dim = 128
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def character_seq2seq() -> Any:
    import keras

    latent_dim = 256  # Latent dimensionality of the encoding space.
    num_encoder_tokens = 71
    num_decoder_tokens = 93
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    # We discard `encoder_outputs` and only keep the states.
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


EXAMPLES = ("ticket_classifier", "toy_resnet", "text_cnn", "character_seq2seq")
