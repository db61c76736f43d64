"""Build a compiled Keras model (Sequential, or Functional for a graph) from a spec, and read back
Keras's own summary and weights.

Keras is imported inside the functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np

from nnstudio.core.compile_options import LOSS_CLASSES
from nnstudio.core.layers.params import InitializerName
from nnstudio.core.layers.registry import layer_type
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec
from nnstudio.core.weights import Weights

if TYPE_CHECKING:  # pragma: no cover
    import keras


class BuildError(ValueError):
    """Keras refused a layer or the weights handed in; `layer_name` names the layer at fault."""

    def __init__(self, message: str, layer_name: str | None = None) -> None:
        super().__init__(message)
        self.layer_name = layer_name


def layer_kwargs(layer: LayerSpec) -> dict[str, Any]:
    """The Keras constructor arguments of `layer` (each parameter as its kind hands it to Keras, and its
    name); a wrapped layer, which its kind hands over as a LayerSpec, becomes a Keras layer. An
    operation node's operands are arguments of its call (`LayerType.call_arguments`), not of this."""
    kwargs: dict[str, Any] = {}
    for param in layer_type(layer.class_name).constructor_params():
        kwargs[param.name] = keras_value(param.kind.to_keras(layer.get(param.name)))
    kwargs["name"] = layer.name
    return kwargs


def keras_value(value: Any) -> Any:
    """A constructor argument with the layers inside made Keras layers: a wrapped layer (a LayerSpec,
    Bidirectional's) or a list of them (a nested Sequential's, its Input a `keras.Input`)."""
    if isinstance(value, LayerSpec):
        return make_layer(value)
    if isinstance(value, list) and value and all(isinstance(v, LayerSpec) for v in value):
        return [make_layer(v) for v in value]
    return value


def constructor(class_name: str) -> Any:
    """The Keras callable the registry names for a layer type (`keras.layers.Dense`, `keras.Input`)."""
    import keras

    path = layer_type(class_name).constructor.split(".")
    if path[0] != "keras":
        raise BuildError(f"{class_name}: its constructor {'.'.join(path)!r} is not Keras's")
    target: Any = keras
    for part in path[1:]:
        target = getattr(target, part)
    return target


def initializer_params(class_name: str) -> dict[str, str]:
    """The parameters of a layer type that name an initializer Keras runs when it builds the layer,
    each with the layer attribute of the variable it fills (`kernel_initializer` -> `kernel`)."""
    return {
        p.name: p.name.removesuffix("_initializer")
        for p in layer_type(class_name).params
        if isinstance(p.kind, InitializerName) and p.name.endswith("_initializer")
    }


def make_layer(layer: LayerSpec, run_initializers: bool = True) -> Any:
    """A Keras layer object (or, for Input, the symbolic tensor of `keras.Input`) for `layer`.

    Without `run_initializers` the layer starts with zeros (cheap) instead of its initializers
    (an Orthogonal initializer on a 10,000 x 10,000 kernel runs for minutes), for a layer whose
    weights are set right after; `restore_initializers` then puts the real ones back.
    """
    kwargs = layer_kwargs(layer)
    if not run_initializers:
        kwargs.update({key: "zeros" for key in initializer_params(layer.class_name)})
    return constructor(layer.class_name)(**kwargs)


def restore_initializers(keras_layer: Any, layer: LayerSpec, initialize: bool) -> None:
    """Give a layer made with `run_initializers=False` its real initializers back (so its config
    names them), and with `initialize` run them too (its weights were not set after all)."""
    import keras

    kinds = {p.name: p.kind for p in layer_type(layer.class_name).params}
    for key, variable in initializer_params(layer.class_name).items():
        initializer = keras.initializers.get(kinds[key].to_keras(layer.get(key)))
        owner = _initializer_owner(keras_layer, key)
        setattr(owner, key, initializer)
        target = getattr(owner, variable, None)
        if initialize and target is not None:
            target.assign(initializer(tuple(target.shape), dtype=target.dtype))


def _initializer_owner(keras_layer: Any, key: str) -> Any:
    """What holds initializer `key` and the variable it fills: the layer, or the cell in which a
    recurrent layer keeps them (its own attribute is a read-only view of the cell's)."""
    view = getattr(type(keras_layer), key, None)
    if isinstance(view, property) and view.fset is None and hasattr(keras_layer, "cell"):
        return keras_layer.cell
    return keras_layer


def make_optimizer(compile_spec: CompileSpec) -> Any:
    """The Keras optimizer named in `compile_spec`, with its learning rate when one is set and its
    other non-default settings (`SGD(momentum=0.9, nesterov=True)`)."""
    import keras

    optimizer = keras.optimizers.get(compile_spec.optimizer)
    kwargs = compile_spec.optimizer_kwargs()
    if compile_spec.learning_rate is not None:
        kwargs["learning_rate"] = float(compile_spec.learning_rate)
    if not kwargs:
        return optimizer
    try:
        return type(optimizer)(**kwargs)
    except Exception as exc:
        raise BuildError(f"compile: optimizer {compile_spec.optimizer}: {_one_line(exc)}") from exc


def make_loss(compile_spec: CompileSpec) -> Any:
    """The loss for `model.compile`: its Keras name, or with settings a Keras loss object
    (`CategoricalCrossentropy(from_logits=True)`)."""
    import keras

    kwargs = compile_spec.loss_kwargs()
    if not kwargs:
        return compile_spec.loss
    cls = LOSS_CLASSES.get(compile_spec.loss)
    if cls is None:
        raise BuildError(f"compile: the loss {compile_spec.loss!r} takes no settings")
    try:
        return getattr(keras.losses, cls)(**kwargs)
    except Exception as exc:
        raise BuildError(f"compile: loss {compile_spec.loss}: {_one_line(exc)}") from exc


def compile_model(model: keras.Model, compile_spec: CompileSpec) -> None:
    """`model.compile` with the loss, optimizer (and their settings), learning rate and metrics of `compile_spec`."""
    model.compile(
        loss=make_loss(compile_spec),
        optimizer=make_optimizer(compile_spec),
        metrics=list(compile_spec.metrics) or None,
    )


def build_model(spec: ModelSpec, weights: Weights | None = None, *, strict: bool = True) -> keras.Model:
    """A compiled `keras.Sequential` for a chain spec, or a Functional `keras.Model` for a graph
    spec, every layer (the Inputs too) named explicitly.

    `weights` maps layer names to arrays in `get_weights()` order. With `strict`, a name the model
    lacks or arrays that do not fit raise BuildError; otherwise such entries are skipped (useful
    for keeping the weights of unchanged layers across an edit).
    """
    return build_model_keeping(spec, weights, strict=strict)[0]


def build_model_keeping(
    spec: ModelSpec, weights: Weights | None = None, *, strict: bool = True
) -> tuple[keras.Model, set[str]]:
    """`build_model`, and the names of the layers that hold exactly the arrays of `weights` given
    for them (same shapes and dtypes: set without a cast), which a caller need not read back."""
    import keras

    given = set(weights or ())  # layers whose initializers need not run: their weights are set next
    parts = []
    for layer in spec.layers:
        try:
            parts.append(make_layer(layer, run_initializers=layer.name not in given))
        except Exception as exc:
            raise BuildError(f"{layer.name}: {_one_line(exc)}", layer.name) from exc
    if spec.is_functional:
        model = _functional_model(spec, parts)
    else:
        try:
            model = keras.Sequential(parts, name=spec.name)
        except Exception as exc:
            name = _failing_layer(spec)
            raise BuildError(f"{name or spec.name}: Keras could not build the model: {_one_line(exc)}", name) from exc
    done = set_layer_weights(model, weights, strict=strict) if weights else set()
    by_name = {layer.name: layer for layer in model.layers}
    for layer in spec.layers:
        if layer.name in given and layer.name in by_name:
            restore_initializers(by_name[layer.name], layer, initialize=layer.name not in done)
    compile_model(model, spec.compile)
    if not weights:
        return model, set()
    exact = {
        name
        for name in done
        if all(
            np.asarray(a).dtype == np.dtype(v.dtype) for a, v in zip(weights[name], by_name[name].weights, strict=True)
        )
    }
    return model, exact


def _functional_model(spec: ModelSpec, parts: list[Any]) -> keras.Model:
    """`keras.Model(inputs, outputs)` for a graph spec: each call of each layer made in an order
    that has its inputs ready, by the layer's call convention (a shared layer is one object called
    again). `parts` holds the Keras layers (the Inputs' tensors) in `spec.layers` order."""
    import keras

    from nnstudio.core.graph_shapes import GraphError, graph_shapes

    try:
        order = graph_shapes(spec).order
    except GraphError as exc:
        name = spec.layers[exc.layer_index].name if exc.layer_index is not None else None
        raise BuildError(exc.message, name) from None
    position = {layer.id: i for i, layer in enumerate(spec.layers)}
    tensors: dict[tuple[str, int], list[Any]] = {
        (layer.id, 0): [parts[i]] for i, layer in enumerate(spec.layers) if layer_type(layer.class_name).is_input
    }
    for layer_id, call in order:
        layer = spec.layers[position[layer_id]]
        inputs = [tensors[(ref.layer, ref.node)][ref.tensor] for ref in layer.inbound[call]]
        kind = layer_type(layer.class_name)
        convention = kind.call_convention
        target = parts[position[layer_id]]
        try:
            if convention == "operands":
                output = target(*kind.call_arguments(kind.values(layer.params), inputs))
            elif convention == "list":
                output = target(inputs)
            elif convention == "single":
                output = target(inputs[0])
            else:  # positional, initial_state: rnn(sequences, initial_state=[h, c])
                args, kwargs = kind.split_call(inputs)
                output = target(*args, **kwargs)
        except Exception as exc:
            raise BuildError(f"{layer.name}: {_one_line(exc)}", layer.name) from exc
        tensors[(layer_id, call)] = list(output) if isinstance(output, (list, tuple)) else [output]

    def pick(refs: tuple, keys: tuple[str, ...]) -> Any:
        picked = [tensors[(ref.layer, ref.node)][ref.tensor] for ref in refs]
        if keys:  # a model called with a dict
            return dict(zip(keys, picked, strict=True))
        return picked[0] if len(picked) == 1 else picked

    try:
        return keras.Model(
            inputs=pick(spec.inputs, spec.dict_input_keys()),
            outputs=pick(spec.outputs, spec.dict_output_keys()),
            name=spec.name,
        )
    except Exception as exc:
        raise BuildError(f"{spec.name}: Keras could not build the model: {_one_line(exc)}") from exc


def _failing_layer(spec: ModelSpec) -> str | None:
    """The first layer at which building `spec` fails (slow: only called after a failure)."""
    import keras

    for end in range(2, len(spec.layers) + 1):
        try:
            keras.Sequential([make_layer(layer) for layer in spec.layers[:end]])
        except Exception:
            return spec.layers[end - 1].name
    return None


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line, without Keras's colour codes and call details."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    text = text.split("Arguments received by")[0]
    text = re.sub(r"Exception encountered when calling [\w.]+\(\)\.", "", text)
    return " ".join(text.split()) or type(exc).__name__


def set_layer_weights(model: keras.Model, weights: Weights, *, strict: bool = True) -> set[str]:
    """Copy `weights` (layer name -> arrays) into `model`'s layers; see `build_model` for `strict`.
    Returns the names of the layers whose weights were set."""
    by_name = {layer.name: layer for layer in model.layers}
    operations = {op.name for op in summary_operations(model)} - set(by_name)
    done: set[str] = set()
    for name, arrays in weights.items():
        layer = by_name.get(name)
        if layer is None and name in operations and not arrays:
            continue  # an operation node (`x + 3.0`): one of the model's operations, not a layer, no weights
        if layer is None:
            if strict:
                raise BuildError(f"{name}: weights given for a layer the model does not have", name)
            continue
        expected = [tuple(w.shape) for w in layer.weights]
        received = [tuple(np.shape(a)) for a in arrays]
        if expected != received:
            if strict:
                raise BuildError(f"{name}: weights of shapes {received} do not fit the layer's {expected}", name)
            continue
        layer.set_weights([np.asarray(a) for a in arrays])
        done.add(name)
    return done


def layer_weights(model: keras.Model, skip: Collection[str] = ()) -> Weights:
    """Every layer's weights as numpy arrays, by layer name, in Keras's `get_weights()` order (the
    layers in `skip` with none: their entries are empty)."""
    return {
        layer.name: [] if layer.name in skip else [np.asarray(w) for w in layer.get_weights()] for layer in model.layers
    }


def _count(variables: list[Any]) -> int:
    return int(sum(int(np.prod(v.shape)) for v in variables))


def _bytes(variables: list[Any]) -> int:
    return int(sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables))


def _last_output(layer: Any) -> Any:
    """The output of a layer's last call, the one `model.summary()` shows (`layer.output` refuses a
    layer called several times)."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if nodes and len(nodes) > 1:
        outputs = nodes[-1].output_tensors
        return outputs[0] if len(outputs) == 1 else outputs
    return layer.output


def _output_shapes(output: Any) -> list:
    """A layer's output shape as a list (`[None, 64]`), or a list of them for several outputs."""
    if isinstance(output, (list, tuple)):
        return [list(t.shape) for t in output]
    return list(output.shape)


def summary_operations(model: keras.Model) -> list[Any]:
    """What `model.summary()` lists: a Functional model's operations (its layers and the operation
    nodes between them, `x + 3.0`), in Keras's order; another model's layers."""
    from keras.src.models.functional import Functional

    if isinstance(model, Functional):  # a Sequential model is not one
        return list(model._operations)
    return list(model.layers)


def keras_summary(model: keras.Model) -> dict[str, Any]:
    """Keras's own view of `model` in the command line's `--json` form, plus per-layer
    "trainable" and "non_trainable" counts."""
    import keras

    layers = []
    for layer in summary_operations(model):
        weighted = isinstance(layer, keras.layers.Layer)  # an operation node (x + 3.0) has no weights
        trainable = _count(layer.trainable_weights) if weighted else 0
        non_trainable = _count(layer.non_trainable_weights) if weighted else 0
        layers.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _output_shapes(_last_output(layer)),
                "params": trainable + non_trainable,
                "trainable": trainable,
                "non_trainable": non_trainable,
            }
        )
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    return {
        "name": model.name,
        "layers": layers,
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "total_bytes": _bytes(model.weights),
    }
