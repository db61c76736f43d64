"""Synthetic training data that fits any model, made with numpy alone (nothing is downloaded).

`for_spec(spec, task)` reads the model's Input shape and output shape from the core's analytic
summary and makes `x` of shape `(n, *input_shape)` and `y` shaped for the model's output and
loss: one-hot rows for categorical losses, integer labels for sparse ones, 0/1 for binary ones,
real numbers for regression losses.

Tasks:
- "teacher":   regression; targets are the outputs of a random two-layer tanh "teacher" network.
- "clusters":  classification; one gaussian blob per class in input space.
- "circles", "xor", "spirals", "gaussians": the classic 2-D problems (Input must have 2 features).
- "auto":      "clusters" for a classification loss, "teacher" otherwise.

An Input axis of varying size (None) gets VARYING_SIZE in the data; an integer Input gets
integers (0 to 15) made from the same task. A model whose first layer takes token ids (an
Embedding) gets ids 0 .. input_dim - 1: the task's values ranked and spread over the vocabulary,
so that the task stays learnable.

Every task is seeded: the same arguments give the same arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nnstudio.core.graph_shapes import GraphError, graph_shapes
from nnstudio.core.layers.names import INT_DTYPES
from nnstudio.core.layers.registry import is_input, layer_type
from nnstudio.core.metric_fit import BINARY_LOSSES, ONE_HOT_LOSSES, SPARSE_LOSSES  # how a loss wants its targets
from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.summary import analyze

VARYING_SIZE = 8  # the size made-up data gives an Input axis of varying size (None)
INT_LEVELS = 16  # an integer Input gets values 0 .. INT_LEVELS - 1

TASKS: tuple[str, ...] = ("auto", "teacher", "clusters", "circles", "xor", "spirals", "gaussians")
TWO_D_TASKS: tuple[str, ...] = ("circles", "xor", "spirals", "gaussians")

TASK_HELP: dict[str, str] = {
    "auto": "clusters for a classification loss, a random teacher network otherwise",
    "teacher": "regression: learn the outputs of a random two-layer network",
    "clusters": "classification: one gaussian blob per class",
    "circles": "2-D: a ring around a disc (two classes)",
    "xor": "2-D: the four quadrants, opposite ones alike (two classes)",
    "spirals": "2-D: interleaved spirals, one per class",
    "gaussians": "2-D: one gaussian blob per class",
}

POSITIVE_LOSSES = frozenset({"poisson", "mean_squared_logarithmic_error", "mean_absolute_percentage_error"})


class DatasetError(ValueError):
    """A task that cannot fit the model (for example a 2-D task for a 20-feature Input)."""


@dataclass(frozen=True)
class Dataset:
    """Inputs and targets ready for `model.fit`, with names for people."""

    name: str
    x: Any  # an array, or for a model with several inputs a tuple of arrays (one per input)
    y: Any  # likewise, per output
    feature_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # class labels for a classification task, else ()
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return sample_count(self.x)


def sample_count(x: np.ndarray | tuple[np.ndarray, ...]) -> int:
    """How many samples `x` holds (one array, or one array per input of a model with several)."""
    return len(x[0]) if isinstance(x, tuple) else len(x)


def is_classification_loss(loss: str) -> bool:
    return loss in ONE_HOT_LOSSES or loss in SPARSE_LOSSES or loss in BINARY_LOSSES


def io_shapes(spec: ModelSpec) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Every model input's shape and every output's shape (batch axis excluded) for data made for
    it, in the model's order; an axis of varying size (None) gets VARYING_SIZE. DatasetError if
    the shapes are unknown."""
    if not spec.is_functional:
        input_shape, output_shape = model_shapes(spec)
        return [input_shape], [output_shape]
    fixed = []
    for layer in spec.layers:
        if is_input(layer.class_name) and any(d is None for d in layer.get("shape")):
            layer = layer.with_params(shape=[VARYING_SIZE if d is None else d for d in layer.get("shape")])
        fixed.append(layer)
    graph = replace(spec, layers=tuple(fixed))
    try:
        shapes = graph_shapes(graph)
    except GraphError as exc:
        raise DatasetError(f"the model cannot be trained as it is: {exc.message}") from None
    inputs = [_fixed(shapes.shape_of(ref)) for ref in graph.inputs]
    outputs = [shapes.shape_of(ref) for ref in graph.outputs]
    if any(d is None for shape in outputs for d in shape):
        raise DatasetError("the model's output shape is unknown")
    return inputs, [_fixed(shape) for shape in outputs]


def _fixed(shape: tuple[int | None, ...]) -> tuple[int, ...]:
    return tuple(VARYING_SIZE if d is None else int(d) for d in shape)


def single_io_problem(spec: ModelSpec) -> str | None:
    """Why data from a CSV file cannot feed `spec` (several inputs or outputs), or None."""
    if not spec.is_functional or (len(spec.inputs) == 1 and len(spec.outputs) == 1):
        return None
    return (
        f"CSV data is for models with one input and one output; this model has {len(spec.inputs)} "
        f"input(s) and {len(spec.outputs)} output(s): train it on synthetic data, shaped for each of them"
    )


def model_shapes(spec: ModelSpec) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The model's Input shape and output shape (batch axis excluded) for data made for it: an
    axis of varying size (None) gets VARYING_SIZE. DatasetError if the shapes are unknown, or
    if the model has several inputs or outputs (see `io_shapes`)."""
    if spec.is_functional:
        problem = single_io_problem(spec)
        if problem:
            raise DatasetError(problem)
        inputs, outputs = io_shapes(spec)
        return inputs[0], outputs[0]
    summary = analyze(spec)
    if not summary.ok or summary.input_shape is None:
        problem = summary.issues[0].message if summary.issues else "the model has no Input"
        raise DatasetError(f"the model cannot be trained as it is: {problem}")
    if any(d is None for d in summary.input_shape):
        fixed = [VARYING_SIZE if d is None else d for d in summary.input_shape]
        return model_shapes(spec.with_layer(0, spec.layers[0].with_params(shape=fixed)))
    out = summary.rows[-1].output_shape if summary.rows else summary.input_shape
    if out is None or any(d is None for d in out):
        raise DatasetError("the model's output shape is unknown")
    return tuple(int(d) for d in summary.input_shape if d is not None), tuple(int(d) for d in out if d is not None)


def input_dtype(spec: ModelSpec) -> str:
    """The dtype of the model's (first) Input ("float32" when the model has none)."""
    dtypes = input_dtypes(spec)
    return dtypes[0] if dtypes else "float32"


def input_dtypes(spec: ModelSpec) -> list[str]:
    """The dtype of each of the model's inputs, in order."""
    if spec.is_functional:
        return [str(spec.layer_by_id(ref.layer).get("dtype")) for ref in spec.inputs]
    if spec.layers and is_input(spec.layers[0].class_name):
        return [str(spec.layers[0].get("dtype"))]
    return []


def as_input_dtype(x: np.ndarray, dtype: str) -> np.ndarray:
    """Made-up inputs in the Input's dtype: integers 0 .. INT_LEVELS - 1 (from the values
    rounded and shifted, so that the task stays learnable) for an integer Input."""
    if dtype in INT_DTYPES:
        return np.clip(np.rint(x * 2) + INT_LEVELS // 2, 0, INT_LEVELS - 1).astype(dtype)
    return x.astype(dtype)


def token_count(spec: ModelSpec) -> int | None:
    """How many token ids the model's first layer takes (an Embedding's input_dim), or None when
    it takes other values (in a graph: the layers its single Input feeds must all be Embeddings)."""
    if spec.is_functional:
        if len(spec.inputs) != 1:
            return None
        source = spec.inputs[0].layer
        users = [layer for layer in spec.layers if any(ref.layer == source for call in layer.inbound for ref in call)]
        counts = {_tokens(layer) for layer in users}
        return counts.pop() if len(counts) == 1 else None
    if len(spec.layers) < 2 or not is_input(spec.layers[0].class_name):
        return None
    return _tokens(spec.layers[1])


def _tokens(first: LayerSpec) -> int | None:
    kind = layer_type(first.class_name)
    return None if kind.token_count is None else int(kind.token_count(kind.values(first.params)))


def as_tokens(x: np.ndarray, count: int) -> np.ndarray:
    """Token ids 0 .. count - 1 for made-up values: each value's rank among them all, spread evenly
    over the ids (larger values, larger ids), so that what told the values apart tells the ids apart."""
    flat = np.asarray(x, dtype=np.float64).ravel()
    ranks = np.empty(flat.size, dtype=np.int64)
    ranks[np.argsort(flat, kind="stable")] = np.arange(flat.size)
    return (ranks * count // max(flat.size, 1)).reshape(np.shape(x))


def for_spec(spec: ModelSpec, task: str = "auto", samples: int = 512, seed: int = 0, noise: float = 0.1) -> Dataset:
    """Synthetic data shaped for `spec`'s Input and output, targets encoded for its loss; for a
    model with several inputs or outputs, a tuple of arrays for each (see `for_graph`)."""
    if single_io_problem(spec):
        return for_graph(spec, task, samples, seed, noise)
    input_shape, output_shape = model_shapes(spec)
    data = synthetic(task, input_shape, output_shape, spec.compile.loss, samples=samples, seed=seed, noise=noise)
    dtype = input_dtype(spec)
    tokens = token_count(spec)
    if tokens is not None:
        x = as_tokens(data.x, tokens).astype(dtype)
        return replace(data, x=x, info={**data.info, "dtype": dtype, "tokens": tokens})
    if dtype == "float32":
        return data
    return replace(data, x=as_input_dtype(data.x, dtype), info={**data.info, "dtype": dtype})


def for_graph(spec: ModelSpec, task: str = "auto", samples: int = 512, seed: int = 0, noise: float = 0.1) -> Dataset:
    """Synthetic data for a model with several inputs or outputs: one task over all the inputs'
    values together (as if they were one flat Input), its values cut into each input's shape and
    dtype, and targets made by the task for each output (the same inputs for every output).
    DatasetError for a 2-D task or a task whose inputs depend on the output (clusters of
    different class counts)."""
    inputs, outputs = io_shapes(spec)
    dtypes = input_dtypes(spec)
    features = sum(math.prod(shape) for shape in inputs)
    parts = [synthetic(task, (features,), shape, spec.compile.loss, samples, seed, noise) for shape in outputs]
    x = parts[0].x
    if any(not np.array_equal(part.x, x) for part in parts[1:]):
        raise DatasetError(
            f"the {parts[0].name} task makes different inputs for outputs of different sizes; "
            "choose the teacher task for this model"
        )
    cuts = np.cumsum([math.prod(shape) for shape in inputs])[:-1]
    xs = tuple(
        as_input_dtype(part, dtype).reshape((samples, *shape))
        for part, shape, dtype in zip(np.split(x, cuts, axis=1), inputs, dtypes, strict=True)
    )
    ys = tuple(part.y for part in parts)
    info = {**parts[0].info, "inputs": len(xs), "outputs": len(ys)}
    return Dataset(
        parts[0].name,
        xs if len(xs) > 1 else xs[0],
        ys if len(ys) > 1 else ys[0],
        parts[0].feature_names,
        tuple(name for part in parts for name in part.target_names),
        parts[0].classes,
        info,
    )


def synthetic(
    task: str,
    input_shape: tuple[int, ...] | int,
    output_shape: tuple[int, ...] | int,
    loss: str = "mean_squared_error",
    samples: int = 512,
    seed: int = 0,
    noise: float = 0.1,
) -> Dataset:
    """Make `samples` examples of `task` for a model mapping `input_shape` to `output_shape`."""
    input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(int(d) for d in input_shape)
    output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(int(d) for d in output_shape)
    if task not in TASKS:
        raise DatasetError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if samples < 1:
        raise DatasetError(f"samples must be at least 1; received samples={samples}")
    if not input_shape or min(input_shape) < 1 or not output_shape or min(output_shape) < 1:
        raise DatasetError(f"shapes must be positive; received input {input_shape}, output {output_shape}")
    if task == "auto":
        task = "clusters" if is_classification_loss(loss) else "teacher"
    rng = np.random.default_rng(seed)  # the samples
    task_rng = np.random.default_rng([seed, 7])  # the task itself (teacher, centres): same for any size
    features = math.prod(input_shape)
    units = output_shape[-1]
    if task in TWO_D_TASKS and features != 2:
        raise DatasetError(f"the {task} task needs an Input of 2 features; this model's Input has shape {input_shape}")

    if task == "teacher":
        x = rng.standard_normal((samples, features))
        y = _teacher(task_rng, rng, x, math.prod(output_shape), noise)
        if loss in POSITIVE_LOSSES:
            y = 1.0 + np.log1p(np.exp(y))  # softplus + 1: strictly positive, away from zero
        elif is_classification_loss(loss):
            y = 1.0 / (1.0 + np.exp(-3.0 * y))  # probabilities for a cross-entropy
            if loss in ONE_HOT_LOSSES:
                y = y / y.sum(axis=-1, keepdims=True)
        y = y.reshape((samples, *output_shape))
        return Dataset(
            "teacher",
            x.reshape((samples, *input_shape)).astype(np.float32),
            y.astype(np.float32),
            _names("x", features),
            _names("y", units),
            info={"task": "teacher", "noise": noise, "seed": seed},
        )

    classes = _class_count(task, units, loss)
    if task == "clusters":
        x, labels = _clusters(task_rng, rng, samples, features, classes, noise)
    elif task == "circles":
        x, labels = _circles(rng, samples, noise)
    elif task == "xor":
        x, labels = _xor(rng, samples, noise)
    elif task == "spirals":
        x, labels = _spirals(rng, samples, classes, noise)
    else:
        x, labels = _clusters(task_rng, rng, samples, 2, classes, noise, spread=2.0)
    y = encode_labels(labels, classes, units, loss)
    y = _broadcast_target(y, output_shape, loss)
    return Dataset(
        task,
        x.reshape((samples, *input_shape)).astype(np.float32),
        y,
        _names("x", features),
        _names("y", units),
        tuple(f"class {c}" for c in range(classes)),
        info={"task": task, "classes": classes, "noise": noise, "seed": seed},
    )


def encode_labels(labels: np.ndarray, classes: int, units: int, loss: str) -> np.ndarray:
    """Integer class labels as the loss wants them for a model with `units` outputs.

    Sparse losses take the integers; a single-unit model with a binary or regression loss takes
    0/1 in one column; everything else takes one-hot rows as wide as the output.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if loss in SPARSE_LOSSES:
        return labels.astype(np.int32)
    if units == 1:
        return (labels > 0).astype(np.float32).reshape(-1, 1)
    one_hot = np.zeros((len(labels), units), dtype=np.float32)
    one_hot[np.arange(len(labels)), np.minimum(labels, units - 1)] = 1.0
    return one_hot


def split(x: Any, y: Any, validation_split: float, seed: int = 0):
    """Shuffle and split into (x_train, y_train, x_val, y_val); validation is empty when the split is 0."""
    if not 0.0 <= validation_split < 1.0:
        raise DatasetError(f"validation split must be in [0, 1); received {validation_split}")
    n = sample_count(x)
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * validation_split))
    if validation_split > 0 and n_val == 0 and n > 1:
        n_val = 1
    if n_val >= n:
        raise DatasetError(f"a validation split of {validation_split} leaves no training samples out of {n}")
    val, train = order[:n_val], order[n_val:]

    def take(arrays, rows):
        return tuple(a[rows] for a in arrays) if isinstance(arrays, tuple) else arrays[rows]

    return take(x, train), take(y, train), take(x, val), take(y, val)


# -- the tasks -----------------------------------------------------------------------------------


def _names(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i + 1}" for i in range(count))


def _class_count(task: str, units: int, loss: str) -> int:
    if task in ("circles", "xor"):
        return 2
    if loss in SPARSE_LOSSES or units > 1:
        return max(2, units)
    return 2


def _teacher(task_rng, rng, x: np.ndarray, outputs: int, noise: float) -> np.ndarray:
    features = x.shape[1]
    hidden = 16
    w1 = task_rng.standard_normal((features, hidden)) / math.sqrt(features)
    b1 = task_rng.standard_normal(hidden) * 0.5
    w2 = task_rng.standard_normal((hidden, outputs)) / math.sqrt(hidden)
    y = np.tanh(x @ w1 + b1) @ w2
    return y + noise * rng.standard_normal(y.shape) * max(float(y.std()), 1e-6)


def _clusters(task_rng, rng, samples, features, classes, noise, spread=3.0):
    centres = task_rng.standard_normal((classes, features))
    centres *= spread / max(np.linalg.norm(centres, axis=1).mean(), 1e-6)
    labels = np.arange(samples) % classes
    rng.shuffle(labels)
    x = centres[labels] + rng.standard_normal((samples, features)) * (0.5 + noise)
    return x, labels


def _circles(rng, samples, noise):
    labels = np.arange(samples) % 2
    rng.shuffle(labels)
    radius = np.where(labels == 1, 0.5, 1.0) + rng.standard_normal(samples) * noise * 0.5
    angle = rng.uniform(0, 2 * np.pi, samples)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1), labels


def _xor(rng, samples, noise):
    x = rng.uniform(-1, 1, (samples, 2))
    labels = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return x + rng.standard_normal(x.shape) * noise * 0.2, labels


def _spirals(rng, samples, classes, noise):
    labels = np.arange(samples) % classes
    rng.shuffle(labels)
    t = rng.uniform(0.0, 1.0, samples)
    angle = t * 3 * np.pi + labels * (2 * np.pi / classes)
    radius = t
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return x + rng.standard_normal(x.shape) * noise * 0.2, labels


def _broadcast_target(y: np.ndarray, output_shape: tuple[int, ...], loss: str) -> np.ndarray:
    """Repeat per-sample targets over the output's extra axes (a Dense on a (T, F) input)."""
    if len(output_shape) == 1:
        return y
    inner = output_shape[:-1]
    if loss in SPARSE_LOSSES:
        return np.broadcast_to(y.reshape((-1,) + (1,) * len(inner)), (len(y), *inner)).copy()
    return np.broadcast_to(y.reshape((len(y),) + (1,) * len(inner) + (y.shape[-1],)), (len(y), *output_shape)).copy()
