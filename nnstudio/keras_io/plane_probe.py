"""Ask a model in training what it predicts over the plane of its data (see `nnstudio.core.data_plane`).

`PlaneProbe(spec, data)` fits the plane of a training run's inputs once (`start()` says what to
draw, or why nothing can be). `surface(model)` runs Keras's `predict_on_batch` on the grid's points
lifted back to the input space, at most every `interval` seconds and never more than a fifth of the
time (a model that takes 50 ms over the grid is asked at most every 250 ms); `surface(model,
force=True)` at the end of training. `evaluation(model)` predicts the validation data (or the
training data when none is held out) for the confusion matrix or the predicted-against-true plot.

The predictions are Keras's own, made by the same model object that is training (inference mode:
Dropout off, BatchNormalization's moving statistics), so what the data view draws is exactly what
the model outputs; a numpy replay of the weight snapshots would hold only for Dense stacks.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nnstudio.core.csv_data import PreparedData
from nnstudio.core.data_plane import (
    CLASSIFICATION,
    REGRESSION,
    PlaneData,
    PlaneError,
    PlaneEvaluation,
    PlaneSurface,
    fit_plane,
    grid_over,
    grid_size,
    sample_rows,
    true_classes,
)
from nnstudio.core.datasets import DatasetError, input_dtype, model_shapes, token_count
from nnstudio.core.layers.names import INT_DTYPES
from nnstudio.core.spec import ModelSpec

SURFACE_INTERVAL = 0.25  # seconds between surfaces at least
MAX_SHARE = 0.2  # of the training time spent on surfaces at most
PREDICT_BATCH = 4096
MAX_EVALUATED = 50_000  # rows predicted for the evaluation at most (a seeded sample of more)


def predict(model: Any, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """`model`'s outputs for `x` in inference mode, a batch of `batch_size` at a time."""
    parts = [np.asarray(model.predict_on_batch(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0,), np.float32)


def plane_problem(spec: ModelSpec) -> str:
    """Why `spec`'s data cannot be shown on a plane ("" when it can)."""
    if len(spec.model_inputs()) != 1 or len(spec.model_outputs()) != 1:
        return "the data view shows models with one input and one output"
    if token_count(spec) is not None or input_dtype(spec) in INT_DTYPES:
        return "the data view needs real-valued inputs; this model takes integers (token ids)"
    try:
        input_shape, output_shape = model_shapes(spec)
    except DatasetError as exc:
        return str(exc)
    if len(output_shape) != 1:
        return f"the data view needs one output per sample; this model's output has shape {output_shape}"
    if int(np.prod(input_shape)) < 2:
        return "the data view needs inputs of 2 features or more"
    return ""


class PlaneProbe:
    """The data of one training run on its plane, and the model's predictions over it."""

    def __init__(self, spec: ModelSpec, data: PreparedData, interval: float = SURFACE_INTERVAL, seed: int = 0) -> None:
        self.interval = interval
        self._due = 0.0
        self._lifted: np.ndarray | None = None
        self._data = data
        self._seed = seed
        self._start = self._describe(spec, data)

    def start(self) -> PlaneData:
        """What to draw: the points, the plane and its grid (or why there are none)."""
        return self._start

    @property
    def available(self) -> bool:
        return self._lifted is not None

    def _describe(self, spec: ModelSpec, data: PreparedData) -> PlaneData:
        dataset = data.dataset
        problem = plane_problem(spec)
        if problem:
            return PlaneData(task=dataset.name, unavailable=problem)
        classes = dataset.classes
        kind = CLASSIFICATION if classes else REGRESSION
        try:
            plane = fit_plane(data.x, dataset.feature_names)
        except PlaneError as exc:
            return PlaneData(task=dataset.name, unavailable=str(exc))
        rows = sample_rows(len(data.x), seed=self._seed)
        points = plane.project(data.x[rows])
        values = self._values(data.y[rows], kind)
        val_points, val_values = np.zeros((0, 2)), np.zeros(0)
        if data.x_val is not None and data.y_val is not None and len(data.x_val):
            val_rows = sample_rows(len(data.x_val), seed=self._seed + 1)
            val_points = plane.project(data.x_val[val_rows])
            val_values = self._values(data.y_val[val_rows], kind)
        features = int(np.prod(plane.input_shape))
        grid = grid_over(np.vstack([points, val_points]), grid_size(features))
        self._lifted = plane.lift(grid.points)
        target = dataset.target_names[0] if dataset.target_names else "y"
        return PlaneData(
            task=dataset.name,
            kind=kind,
            class_names=tuple(str(c) for c in classes),
            target_name=str(target),
            plane=plane,
            grid=grid,
            points=points,
            values=values,
            val_points=val_points,
            val_values=val_values,
        )

    @staticmethod
    def _values(y: np.ndarray, kind: str) -> np.ndarray:
        if kind == CLASSIFICATION:
            return true_classes(y)
        return np.asarray(y, dtype=np.float32).reshape(len(y), -1)[:, 0]

    def surface(self, model: Any, force: bool = False) -> PlaneSurface | None:
        """The model's outputs over the grid, when one is due (always with `force`); None otherwise."""
        if self._lifted is None:
            return None
        now = time.perf_counter()
        if not force and now < self._due:
            return None
        outputs = predict(model, self._lifted)
        cost = time.perf_counter() - now
        self._due = time.perf_counter() + max(self.interval, cost * (1 - MAX_SHARE) / MAX_SHARE)
        grid = self._start.grid
        assert grid is not None
        step = _optimizer_steps(model)
        return PlaneSurface(step, outputs.reshape(grid.size, grid.size, -1), final=force)

    def evaluation(self, model: Any) -> PlaneEvaluation | None:
        """The model's outputs for the validation data (else the training data), with their targets."""
        data = self._data
        if self._lifted is None:
            return None
        if data.x_val is not None and data.y_val is not None and len(data.x_val):
            split, x, y = "validation", data.x_val, data.y_val
        else:
            split, x, y = "training", data.x, data.y
        rows = sample_rows(len(x), MAX_EVALUATED, self._seed)
        return PlaneEvaluation(split, np.asarray(y)[rows], predict(model, np.asarray(x)[rows]))


def _optimizer_steps(model: Any) -> int:
    try:
        return int(np.asarray(model.optimizer.iterations))
    except (AttributeError, TypeError, ValueError):
        return 0
