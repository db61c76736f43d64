"""Models from Keras's own code examples on keras.io, written as the examples write them.

- `ticket_classifier`: the Functional API guide's multi-input, multi-output model (a title and a
  body through Embedding and LSTM, tags, concatenated; a priority and a department head), with
  its outputs as a list; `ticket_classifier_by_name`: the guide's newer form, its outputs a dict
  `outputs={"priority": ..., "department": ...}`.
- `toy_resnet`: the same guide's toy ResNet for CIFAR-10 (`layers.add` skip connections).
- `text_cnn`: "Text classification from scratch" (examples/nlp): Embedding, Conv1D, global max
  pooling, compiled with binary cross-entropy, Adam and accuracy.
- `mnist_convnet`: "Simple MNIST convnet" (examples/vision), a Sequential model.
- `imdb_bidirectional_lstm`: "Bidirectional LSTM on IMDB" (examples/nlp): token ids of any length,
  two Bidirectional LSTMs.
- `timeseries_convnet`: "Timeseries classification from scratch" (examples/timeseries): three
  Conv1D / BatchNormalization / ReLU blocks, global average pooling.
- `timeseries_transformer`: "Timeseries classification with a Transformer model": four encoder
  blocks whose residual connections are `x + inputs` (Keras's Add operation, not a layer).
- `denoising_autoencoder`: "Convolutional autoencoder for image denoising" (examples/vision).
- `pets_unet`: "Image segmentation with a U-Net-like architecture" (examples/vision): separable
  convolutions, transposed convolutions, up-sampling and residual adds, 72 layers.
- `weather_lstm`: "Timeseries forecasting for weather prediction": one LSTM over 120 steps.
- `image_classification_from_scratch`: "Image classification from scratch" (examples/vision), its
  earlier form with the augmentation inside the model (a Sequential of RandomFlip and
  RandomRotation), then an Xception-like network of separable convolutions and residual adds.
- `next_frame_prediction`: "Next-frame video prediction with convolutional LSTMs" (examples/vision):
  frames of any count, three ConvLSTM2D with BatchNormalization, then a Conv3D.
- `video_classifier`: a small video classifier in the manner of Keras's TimeDistributed docs: a
  Conv2D, a MaxPooling2D and a Flatten applied to every frame, an LSTM over the frames, a Dense.
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


def ticket_classifier_by_name() -> Any:
    import keras
    from keras import layers

    num_tags, num_words, num_departments = 12, 10000, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.LSTM(128)(layers.Embedding(num_words, 64)(title_input))
    body_features = layers.LSTM(32)(layers.Embedding(num_words, 64)(body_input))
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs={"priority": priority_pred, "department": department_pred},
    )


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


def mnist_convnet() -> Any:
    import keras
    from keras import layers

    num_classes = 10
    input_shape = (28, 28, 1)
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def imdb_bidirectional_lstm() -> Any:
    import keras
    from keras import layers

    max_features = 20000  # Only consider the top 20k words
    inputs = keras.Input(shape=(None,), dtype="int32")  # Input for variable-length sequences of integers
    x = layers.Embedding(max_features, 128)(inputs)  # Embed each integer in a 128-dimensional vector
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)  # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)  # Add a classifier
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def timeseries_convnet() -> Any:
    import keras

    input_layer = keras.layers.Input((500, 1))
    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)
    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)
    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)
    gap = keras.layers.GlobalAveragePooling1D()(conv3)
    output_layer = keras.layers.Dense(2, activation="softmax")(gap)
    model = keras.models.Model(inputs=input_layer, outputs=output_layer)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def timeseries_transformer() -> Any:
    import keras
    from keras import layers

    def transformer_encoder(inputs: Any, head_size: int, num_heads: int, ff_dim: int, dropout: float = 0) -> Any:
        # Attention and Normalization
        x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
        x = layers.Dropout(dropout)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        res = x + inputs
        # Feed Forward Part
        x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
        x = layers.Dropout(dropout)(x)
        x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        return x + res

    input_shape, n_classes = (500, 1), 2
    head_size, num_heads, ff_dim, num_transformer_blocks, mlp_units = 256, 4, 4, 4, [128]
    dropout, mlp_dropout = 0.25, 0.4
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)
    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def denoising_autoencoder() -> Any:
    import keras
    from keras import layers

    input = layers.Input(shape=(28, 28, 1))  # noqa: A001 - the example's own name
    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    # Decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def pets_unet() -> Any:
    import keras
    from keras import layers

    img_size, num_classes = (160, 160), 3
    inputs = keras.Input(shape=img_size + (3,))
    ### [First half of the network: downsampling inputs] ###
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x  # Set aside residual
    # Blocks 1, 2, 3 are identical apart from the feature depth.
    for filters in [64, 128, 256]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)  # Project residual
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual
    ### [Second half of the network: upsampling inputs] ###
    for filters in [256, 128, 64, 32]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)  # Project residual
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual
    # Add a per-pixel classification layer
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
    return model


def weather_lstm() -> Any:
    import keras

    learning_rate, sequence_length, features = 0.001, 120, 7
    inputs = keras.layers.Input(shape=(sequence_length, features))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def image_classification_from_scratch() -> Any:
    import keras
    from keras import layers

    data_augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
    inputs = keras.Input(shape=(180, 180, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x  # Set aside residual
    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)  # Project residual
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def next_frame_prediction() -> Any:
    import keras
    from keras import layers

    # Construct the input layer with no definite frame size.
    inp = layers.Input(shape=(None, 64, 64, 1))
    # We will construct 3 `ConvLSTM2D` layers with batch normalization,
    # followed by a `Conv3D` layer for the spatiotemporal outputs.
    x = layers.ConvLSTM2D(filters=64, kernel_size=(5, 5), padding="same", return_sequences=True, activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters=64, kernel_size=(3, 3), padding="same", return_sequences=True, activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters=64, kernel_size=(1, 1), padding="same", return_sequences=True, activation="relu")(x)
    x = layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
    # Next, we will build the complete model and compile it.
    model = keras.models.Model(inp, x)
    model.compile(loss=keras.losses.binary_crossentropy, optimizer=keras.optimizers.Adam())
    return model


def video_classifier() -> Any:
    import keras
    from keras import layers

    frames = keras.Input(shape=(8, 32, 32, 3))
    x = layers.TimeDistributed(layers.Conv2D(16, 3, activation="relu"))(frames)
    x = layers.TimeDistributed(layers.MaxPooling2D())(x)
    x = layers.TimeDistributed(layers.Flatten())(x)
    x = layers.LSTM(32)(x)
    outputs = layers.Dense(5, activation="softmax")(x)
    model = keras.Model(frames, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


EXAMPLES = (
    "ticket_classifier",
    "ticket_classifier_by_name",
    "toy_resnet",
    "text_cnn",
    "mnist_convnet",
    "imdb_bidirectional_lstm",
    "timeseries_convnet",
    "timeseries_transformer",
    "denoising_autoencoder",
    "pets_unet",
    "weather_lstm",
    "character_seq2seq",
    "image_classification_from_scratch",
    "next_frame_prediction",
    "video_classifier",
)
