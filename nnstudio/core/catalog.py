"""The layer catalog: every layer type nnstudio offers and the parameters each one takes.

Each parameter declares its kind, default, range or choices and a one-line help text, so that
validation, the property editor and code generation are all driven by this one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every activation Keras 3 accepts by name (keras.activations.get) and can run as a layer's
# activation, except "glu" (halves the last axis at run time, while summaries show it unchanged,
# so the next layer fails) and "threshold" (needs threshold/default_value arguments a name cannot
# give). A test checks this list against the installed Keras.
ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "elu",
    "selu",
    "celu",
    "softplus",
    "softsign",
    "swish",
    "silu",
    "gelu",
    "exponential",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "hard_shrink",
    "leaky_relu",
    "relu6",
    "mish",
    "log_softmax",
    "log_sigmoid",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "soft_shrink",
    "tanh_shrink",
)

# Keras initializer names (snake case) and the class names Keras writes into config.json.
INITIALIZERS: dict[str, str] = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "zeros": "Zeros",
    "ones": "Ones",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "orthogonal": "Orthogonal",
}


@dataclass(frozen=True)
class Param:
    """One settable parameter of a layer type, named by its Keras config key."""

    name: str
    kind: str  # "int", "float", "bool", "choice" or "shape"
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerType:
    """A layer class that can be placed in the stack."""

    class_name: str
    base_name: str  # Keras's automatic name stem: dense, dropout, batch_normalization, ...
    help: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    def param(self, name: str) -> Param:
        """The parameter called `name` (KeyError if this type has none)."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """A fresh dict of every parameter's default value."""
        return {p.name: (list(p.default) if isinstance(p.default, list) else p.default) for p in self.params}


MAX_UNITS = 1_000_000
MAX_DIM = 1_000_000

_LAYER_TYPES: tuple[LayerType, ...] = (
    LayerType(
        "Input",
        "input_layer",
        "Where data enters: the shape of one sample, without the batch axis.",
        (Param("shape", "shape", [20], "Shape of one sample, e.g. 20 or 28, 28.", 1, MAX_DIM),),
    ),
    LayerType(
        "Dense",
        "dense",
        "Fully connected: every input is joined to every neuron by a weight; each neuron has a bias.",
        (
            Param("units", "int", 32, "Number of neurons (outputs) of the layer.", 1, MAX_UNITS),
            Param("activation", "choice", "linear", "Function applied to each neuron's output.", choices=ACTIVATIONS),
            Param("use_bias", "bool", True, "Give each neuron a bias that shifts its threshold."),
            Param(
                "kernel_initializer",
                "choice",
                "glorot_uniform",
                "How the weights are initialised.",
                choices=tuple(INITIALIZERS),
            ),
            Param(
                "bias_initializer",
                "choice",
                "zeros",
                "How the biases are initialised.",
                choices=tuple(i for i in INITIALIZERS if i != "orthogonal"),  # Keras: needs 2-D or more
            ),
        ),
    ),
    LayerType(
        "Activation",
        "activation",
        "Applies an activation function to every value.",
        (Param("activation", "choice", "relu", "The function to apply.", choices=ACTIVATIONS),),
    ),
    LayerType(
        "Dropout",
        "dropout",
        "During training, sets a random fraction of values to 0; does nothing at inference.",
        (Param("rate", "float", 0.5, "Fraction of the inputs to drop, in [0, 1).", 0.0, 1.0, exclusive_maximum=True),),
    ),
    LayerType(
        "BatchNormalization",
        "batch_normalization",
        "Normalises each feature over the batch, with a learned scale and offset.",
        (
            Param("center", "bool", True, "Learn an offset (beta)."),
            Param("scale", "bool", True, "Learn a scale (gamma)."),
            Param("momentum", "float", 0.99, "Momentum of the moving mean and variance.", 0.0, 1.0),
            Param("epsilon", "float", 0.001, "Small number added to the variance to avoid dividing by zero.", 0.0, 1.0),
        ),
    ),
    LayerType(
        "LayerNormalization",
        "layer_normalization",
        "Normalises each sample over its features, with a learned scale and offset.",
        (
            Param("center", "bool", True, "Learn an offset (beta)."),
            Param("scale", "bool", True, "Learn a scale (gamma)."),
            Param("epsilon", "float", 0.001, "Small number added to the variance to avoid dividing by zero.", 0.0, 1.0),
        ),
    ),
    LayerType("Flatten", "flatten", "Lays all values of a sample out in one row.", ()),
    LayerType(
        "Reshape",
        "reshape",
        "Regroups the values of a sample into a new shape with the same number of elements.",
        (Param("target_shape", "shape", [4, 5], "New shape without the batch axis; one entry may be -1.", -1, MAX_DIM),),
    ),
)

LAYER_TYPES: dict[str, LayerType] = {t.class_name: t for t in _LAYER_TYPES}


def layer_type(class_name: str) -> LayerType:
    """The catalog entry for `class_name`; KeyError if the catalog has none."""
    return LAYER_TYPES[class_name]


LOSSES: tuple[str, ...] = (
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "cosine_similarity",
)

OPTIMIZERS: dict[str, float] = {  # Keras name -> Keras's default learning rate
    "adam": 0.001,
    "sgd": 0.01,
    "rmsprop": 0.001,
    "adamw": 0.001,
    "adagrad": 0.001,
    "adadelta": 0.001,
    "adamax": 0.001,
    "nadam": 0.001,
    "ftrl": 0.001,
    "lion": 0.001,
}

METRICS: tuple[str, ...] = (
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "mean_squared_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "auc",
    "precision",
    "recall",
)
