"""The data on a plane: a 2-D view of a model's inputs, a grid over it, and what the model says there.

A `Plane` maps inputs to two coordinates and back. When the inputs have exactly two features the
plane is those two features themselves; otherwise it is the plane of the first two principal
components of the training inputs (numpy's SVD), and `lift` maps a point of the plane back to
the input space (the mean plus the point's combination of the two components), so that the model
can be asked about every point of a grid over the plane.

The messages the engine sends while training (`PlaneData` once, `PlaneSurface` on every snapshot,
`PlaneEvaluation` at the end) are plain picklable dataclasses of numpy arrays. The rules that turn
a model's outputs into classes follow Keras's accuracy metrics: one output unit is class 1 above
0.5 (`binary_accuracy`'s threshold), several are the index of the largest (`categorical_accuracy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

GRID_SIZE = 100  # grid points along each axis of the plane
GRID_VALUES = 1_000_000  # at most this many input values for the whole grid (a smaller grid for wide inputs)
MIN_GRID_SIZE = 24
MARGIN = 0.08  # the grid reaches this fraction of the data's extent beyond it on every side
MAX_POINTS = 2000  # data points shown at most (a seeded sample of a bigger set)
CLASSIFICATION, REGRESSION = "classification", "regression"


class PlaneError(ValueError):
    """Inputs that have no 2-D view (fewer than two features, token ids, several inputs)."""


@dataclass(frozen=True, eq=False)
class Plane:
    """Two coordinates for inputs of shape `input_shape`: `project` and its inverse on the plane, `lift`."""

    input_shape: tuple[int, ...]
    mean: np.ndarray  # (features,)
    components: np.ndarray  # (2, features), orthonormal rows
    axis_names: tuple[str, str]
    explained: tuple[float, float] | None = None  # fraction of the variance along each axis (PCA only)

    @property
    def is_pca(self) -> bool:
        return self.explained is not None

    def project(self, x: np.ndarray) -> np.ndarray:
        """Inputs `(n, *input_shape)` as points `(n, 2)` of the plane."""
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        return (flat - self.mean) @ self.components.T

    def lift(self, points: np.ndarray) -> np.ndarray:
        """Points `(n, 2)` of the plane as inputs `(n, *input_shape)` (float32)."""
        flat = self.mean + np.asarray(points, dtype=np.float64) @ self.components
        return flat.reshape((len(flat), *self.input_shape)).astype(np.float32)


def fit_plane(x: np.ndarray, feature_names: tuple[str, ...] = ()) -> Plane:
    """The plane of `x` `(n, *input_shape)`: its two features, or its first two principal components."""
    x = np.asarray(x)
    if x.ndim < 2 or len(x) == 0:
        raise PlaneError("there are no inputs to show")
    input_shape = tuple(int(d) for d in x.shape[1:])
    flat = x.reshape(len(x), -1).astype(np.float64)
    features = flat.shape[1]
    if features < 2:
        raise PlaneError(f"a plane needs inputs of 2 features or more; these have {features}")
    if features == 2:
        names = tuple(feature_names) if len(feature_names) == 2 else ("x1", "x2")
        return Plane(input_shape, np.zeros(2), np.eye(2), (str(names[0]), str(names[1])))
    mean = flat.mean(axis=0)
    _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
    components = vt[:2].copy()
    if components.shape[0] < 2:  # one sample: any second direction orthogonal to the first
        components = np.vstack([components, np.roll(components[0], 1)])
    # a deterministic sign: each component's largest loading is positive
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    variance = singular**2
    total = float(variance.sum())
    explained = tuple(float(v / total) if total > 0 else 0.0 for v in (list(variance[:2]) + [0.0, 0.0])[:2])
    names = (f"PC1 ({explained[0]:.0%} of the variance)", f"PC2 ({explained[1]:.0%})")
    return Plane(input_shape, mean, components, names, (explained[0], explained[1]))


@dataclass(frozen=True, eq=False)
class Grid:
    """`size` × `size` points over the plane: row i is `ys[i]`, column j is `xs[j]`."""

    xs: np.ndarray
    ys: np.ndarray

    @property
    def size(self) -> int:
        return len(self.xs)

    @property
    def points(self) -> np.ndarray:
        """All points `(size * size, 2)`, row by row (x varies fastest)."""
        gx, gy = np.meshgrid(self.xs, self.ys)
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(left, bottom, width, height) covered by the grid's cells, each centred on its point."""
        dx = (self.xs[-1] - self.xs[0]) / max(self.size - 1, 1)
        dy = (self.ys[-1] - self.ys[0]) / max(self.size - 1, 1)
        return (
            float(self.xs[0] - dx / 2),
            float(self.ys[0] - dy / 2),
            float(self.xs[-1] - self.xs[0] + dx),
            float(self.ys[-1] - self.ys[0] + dy),
        )


def grid_size(features: int) -> int:
    """Points along each axis for inputs of `features` values: GRID_SIZE, fewer for wide inputs."""
    fitting = int(math.sqrt(GRID_VALUES / max(features, 1)))
    return max(MIN_GRID_SIZE, min(GRID_SIZE, fitting))


def grid_over(points: np.ndarray, size: int = GRID_SIZE) -> Grid:
    """A square-celled grid over `points` `(n, 2)` with a margin on every side."""
    points = np.asarray(points, dtype=np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    span = float(extent.max()) * (1 + 2 * MARGIN)
    centre = (low + high) / 2
    xs = np.linspace(centre[0] - span / 2, centre[0] + span / 2, size)
    ys = np.linspace(centre[1] - span / 2, centre[1] + span / 2, size)
    return Grid(xs, ys)


# -- outputs as classes ---------------------------------------------------------------------------


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Classes from model outputs `(n, units)`: above 0.5 for one unit, else the largest (Keras's accuracies)."""
    outputs = np.asarray(outputs)
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        return (outputs.reshape(len(outputs)) > 0.5).astype(np.int64)
    return np.argmax(outputs, axis=-1).astype(np.int64)


def true_classes(y: np.ndarray) -> np.ndarray:
    """Class labels from targets as a loss takes them: integers, one 0/1 column, or one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 1:
        return y.astype(np.int64)
    if y.shape[-1] == 1:
        return (y.reshape(len(y)) > 0.5).astype(np.int64)
    return np.argmax(y, axis=-1).astype(np.int64)


def confidence(outputs: np.ndarray) -> np.ndarray:
    """How sure each output row is of its class, 0 (a tie) to 1: the distance of one unit from 0.5,
    or the margin between the two largest probabilities (a softmax first, for outputs that are not
    probabilities, such as logits)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        return np.clip(np.abs(outputs.reshape(len(outputs)) - 0.5) * 2, 0.0, 1.0)
    probs = outputs
    if outputs.min() < 0 or outputs.max() > 1 or not np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3):
        shifted = outputs - outputs.max(axis=-1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    top2 = np.sort(probs, axis=-1)[:, -2:]
    return np.clip(top2[:, 1] - top2[:, 0], 0.0, 1.0)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Counts `(classes, classes)`: row = true class, column = predicted class."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    classes = max(int(classes), int(true.max(initial=-1)) + 1, int(predicted.max(initial=-1)) + 1)
    return np.bincount(true * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def r_squared(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The coefficient of determination of `y_pred` for `y_true` (all outputs together)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    total = float(((y_true - y_true.mean()) ** 2).sum())
    return 1.0 - float(((y_true - y_pred) ** 2).sum()) / total if total > 0 else float("nan")


def sample_rows(count: int, limit: int = MAX_POINTS, seed: int = 0) -> np.ndarray:
    """Indices of at most `limit` of `count` rows (all of them, in order, when they fit)."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, limit, replace=False))


# -- what the engine sends -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PlaneData:
    """The data of a training run on its plane, sent once when training starts (or why there is none)."""

    task: str = ""  # what the data is ("circles", "iris", …)
    kind: str = CLASSIFICATION  # CLASSIFICATION or REGRESSION
    class_names: tuple[str, ...] = ()
    target_name: str = ""  # the output shown for regression
    plane: Plane | None = None
    grid: Grid | None = None
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # training points (n, 2)
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # their classes, or targets (first output)
    val_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    val_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unavailable: str = ""  # why the data has no plane, when it has none


@dataclass(frozen=True, eq=False)
class PlaneSurface:
    """The model's outputs over the grid `(size, size, units)` after `step` optimizer steps."""

    step: int
    outputs: np.ndarray
    final: bool = False


@dataclass(frozen=True, eq=False)
class PlaneEvaluation:
    """The model's outputs for data it was measured on, after training: `targets` as the loss took
    them and `outputs` as the model gave them (validation data when there is some, else training)."""

    split: str  # "validation" or "training"
    targets: np.ndarray
    outputs: np.ndarray
