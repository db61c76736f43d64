"""Hand-picked model specs shared by the keras_io and command-line tests."""

from __future__ import annotations

from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec, lesson_spec


def make(name: str, layers: list[tuple[str, str, dict]], compile_spec: CompileSpec | None = None) -> ModelSpec:
    """A spec from (class_name, name, params) triples; params are merged over the catalog defaults."""
    spec = ModelSpec(name=name, compile=compile_spec or CompileSpec())
    for class_name, layer_name, params in layers:
        layer = spec.new_layer(class_name, **params)
        spec = spec.inserted(len(spec.layers), LayerSpec(class_name, layer_name, layer.params))
    return spec


def every_layer() -> ModelSpec:
    """Every catalog layer once, rank-2 input, non-default settings everywhere."""
    return make(
        "every_layer",
        [
            ("Input", "features", {"shape": [4, 6]}),
            (
                "Dense",
                "hidden",
                {"units": 8, "activation": "tanh", "use_bias": False, "kernel_initializer": "he_normal"},
            ),
            ("Activation", "act", {"activation": "sigmoid"}),
            ("Dropout", "drop", {"rate": 0.25}),
            ("BatchNormalization", "bn", {"center": False, "momentum": 0.9, "epsilon": 0.01}),
            ("LayerNormalization", "ln", {"scale": False, "epsilon": 1e-5}),
            ("Flatten", "flat", {}),
            ("Reshape", "reshape", {"target_shape": [4, -1]}),
            ("Dense", "out", {"units": 3, "activation": "softmax", "bias_initializer": "ones"}),
        ],
        CompileSpec("categorical_crossentropy", "sgd", 0.05, ("accuracy", "auc")),
    )


def rank1() -> ModelSpec:
    return make(
        "rank1",
        [
            ("Input", "x", {"shape": [7]}),
            ("BatchNormalization", "bn0", {}),
            ("Dense", "d1", {"units": 5, "activation": "gelu"}),
            ("LayerNormalization", "ln", {}),
            ("Dropout", "dropout", {"rate": 0.0}),
            ("Dense", "d2", {"units": 1, "activation": "sigmoid"}),
        ],
        CompileSpec("binary_crossentropy", "rmsprop", None, ("binary_accuracy",)),
    )


def rank3() -> ModelSpec:
    return make(
        "rank3",
        [
            ("Input", "image", {"shape": [2, 3, 4]}),
            ("Dense", "mix", {"units": 5, "activation": "leaky_relu"}),
            ("BatchNormalization", "bn", {"center": False, "scale": False}),
            ("Reshape", "regroup", {"target_shape": [6, 5]}),
            ("LayerNormalization", "ln", {"center": False}),
            ("Flatten", "flatten", {}),
            ("Dense", "logits", {"units": 10}),
            ("Activation", "probs", {"activation": "log_softmax"}),
        ],
        CompileSpec("sparse_categorical_crossentropy", "adamw", 0.0003, ("sparse_categorical_accuracy",)),
    )


def reshape_up() -> ModelSpec:
    """A rank-1 input reshaped to rank 3, Dense acting on the last axis."""
    return make(
        "reshape_up",
        [
            ("Input", "input_layer", {"shape": [24]}),
            ("Reshape", "reshape", {"target_shape": [2, -1, 3]}),
            ("Dense", "dense", {"units": 2, "use_bias": False}),
            ("Flatten", "flatten", {}),
        ],
        CompileSpec("huber", "nadam"),
    )


def long_names() -> ModelSpec:
    """Names and shapes too long for Keras's table cells: they wrap (and get cut with "…") there."""
    return make(
        "a_model_name_long_enough_to_need_more_than_one_line_of_the_eighty_column_console_width_x",
        [
            ("Input", "input_layer", {"shape": [100000, 100000, 1]}),
            ("Dense", "a_really_long_layer_name_that_goes_on_and_on", {"units": 2}),
            ("Activation", "short.name-1", {"activation": "relu"}),
            ("BatchNormalization", "batch_normalization_with_a_long_name", {}),
            ("Reshape", "r", {"target_shape": [10000, 10, 100000, 2]}),
            ("Dense", "abcdefghijklmnopqrstuvwxyz_abcd", {"units": 3}),
            ("Dense", "abcdefghijklmnopqrstuvwxyz_abc", {"units": 3}),
        ],
    )


def input_only() -> ModelSpec:
    return make("just_input", [("Input", "input_layer", {"shape": [3]})])


ALL = {
    "lesson": lesson_spec,
    "every_layer": every_layer,
    "rank1": rank1,
    "rank3": rank3,
    "reshape_up": reshape_up,
    "long_names": long_names,
    "input_only": input_only,
}
