"""The catalog checked against the installed Keras: names it accepts, defaults it uses."""

from __future__ import annotations

import inspect
import json

import pytest

from nnstudio.core.catalog import ACTIVATIONS, INITIALIZERS, LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS
from nnstudio.core.codegen import OPTIMIZER_CLASSES
from nnstudio.core.layers import REQUIRED
from nnstudio.core.layers.names import CONSTRAINTS, REGULARIZERS
from nnstudio.core.layers.params import ActivationName, ConstraintName, RegularizerName

pytestmark = pytest.mark.engine

keras = pytest.importorskip("keras")

NOT_ACTIVATIONS = {"get", "serialize", "deserialize"}
# Names Keras accepts that cannot serve as a layer's activation; the catalog leaves them out.
UNUSABLE = {
    "glu": "halves the last axis at run time while Keras's summary shows it unchanged",
    "threshold": "needs threshold and default_value arguments that a name cannot give",
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_keras_accepts_every_catalog_activation(name):
    function = keras.activations.get(name)
    assert callable(function)
    # Keras writes some aliases under their other name (swish -> silu); that name is in the catalog too
    assert keras.layers.Activation(name).get_config()["activation"] in ACTIVATIONS


def test_every_keras_activation_is_in_the_catalog():
    exported = {
        name
        for name, value in vars(keras.activations).items()
        if not name.startswith("_") and callable(value) and name not in NOT_ACTIVATIONS
    }
    assert exported - set(ACTIVATIONS) == set(UNUSABLE)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_aliases_are_the_names_keras_writes(name):
    assert keras.layers.Activation(name).get_config()["activation"] == ActivationName().as_config(name)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_catalog_activation_runs_and_keeps_the_shape(name):
    x = keras.ops.convert_to_tensor([[-1.5, -0.2, 0.0, 0.3, 2.0, 7.0]], dtype="float32")
    assert tuple(keras.activations.get(name)(x).shape) == (1, 6)


@pytest.mark.parametrize("name", list(UNUSABLE))
def test_left_out_activations_really_cannot_serve(name):
    """If Keras fixes one of these, this fails: put the name back in the catalog."""
    x = keras.ops.ones((1, 6))
    try:
        shape = tuple(keras.activations.get(name)(x).shape)
    except TypeError:
        return
    assert shape != (1, 6)


@pytest.mark.parametrize("name", LOSSES)
def test_keras_accepts_every_loss(name):
    assert keras.losses.get(name) is not None


@pytest.mark.parametrize("name", METRICS)
def test_keras_accepts_every_metric(name):
    assert keras.metrics.get(name) is not None


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_keras_accepts_every_optimizer_with_its_default_rate(name):
    optimizer = keras.optimizers.get(name)
    assert float(optimizer.learning_rate.numpy()) == pytest.approx(OPTIMIZERS[name])
    assert type(optimizer).__name__ == OPTIMIZER_CLASSES[name]


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_initializer_class_names(name):
    assert type(keras.initializers.get(name)).__name__ == INITIALIZERS[name]


@pytest.mark.parametrize("class_name", list(LAYER_TYPES))
def test_declared_keras_defaults_are_keras_defaults(class_name):
    """Codegen leaves out exactly the arguments whose value is Keras's default; required ones stay."""
    kind = LAYER_TYPES[class_name]
    callee = keras
    for part in kind.constructor.split(".")[1:]:
        callee = getattr(callee, part)
    signature = inspect.signature(callee if not isinstance(callee, type) else callee.__init__).parameters
    for param in kind.constructor_params():  # an operation node's operands are its call's
        keras_default = signature[param.name].default
        if keras_default is inspect.Parameter.empty or (param.name == "shape" and keras_default is None):
            assert param.keras_default is REQUIRED, param.name
        elif param.name == "dtype" and keras_default is None:
            assert param.keras_default == keras.config.floatx()
        elif param.name == "data_format" and keras_default is None:  # Keras: keras.config.image_data_format()
            assert param.keras_default == keras.config.image_data_format()
        else:
            expected = "linear" if keras_default is None and param.name == "activation" else keras_default
            if param.keras_default != expected:  # Keras normalises it: data_format None, padding 1, "Zeros"
                config = json.loads(json.dumps(callee(**_required_arguments(kind)).get_config()))
                assert param.kind.from_config(param.key, config[param.key]) == param.keras_default, param.name


def _required_arguments(kind):
    """The arguments Keras requires, with nnstudio's defaults (a layer made with nothing else)."""
    return {p.name: p.kind.to_keras(p.default) for p in kind.params if p.keras_default is REQUIRED}


@pytest.mark.parametrize("name", list(REGULARIZERS))
def test_a_regularizer_keras_makes_from_a_name_reads_back_as_that_name(name):
    config = keras.layers.Dense(2, kernel_regularizer=name).get_config()["kernel_regularizer"]
    assert RegularizerName().from_config("kernel_regularizer", config) == name
    assert RegularizerName().to_keras(name) == name


@pytest.mark.parametrize("name", list(CONSTRAINTS))
def test_a_constraint_keras_makes_from_a_name_reads_back_as_that_name(name):
    config = keras.layers.Dense(2, kernel_constraint=name).get_config()["kernel_constraint"]
    assert ConstraintName().from_config("kernel_constraint", config) == name


def test_a_regularizer_with_other_settings_is_refused():
    config = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5)).get_config()["kernel_regularizer"]
    with pytest.raises(ValueError, match="kernel_regularizer is not supported"):
        RegularizerName().from_config("kernel_regularizer", config)


@pytest.mark.parametrize("key", ["kernel_initializer", "bias_initializer"])
def test_every_initializer_choice_builds(key):
    from nnstudio.core.spec import lesson_spec
    from nnstudio.keras_io.build import build_model

    spec = lesson_spec()
    for choice in LAYER_TYPES["Dense"].param(key).kind.choices:
        model = build_model(spec.with_layer(1, spec.layers[1].with_params(**{key: choice})))
        assert model.get_layer("dense").get_config()[key]["class_name"] == INITIALIZERS[choice]
