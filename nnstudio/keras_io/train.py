"""Fit a model built from a spec: a plain function with progress, stop and snapshot hooks.

`run_training(spec, x, y, epochs, ...)` builds the model (or takes one already built, to keep
its optimizer state when training resumes), fits it with one Keras callback and returns
`(history, weights)`. The hooks, all optional, are called on the fitting thread:

- `progress(update)`: at most 20 times a second (`progress_interval`), plus once at the end.
  `update` is a plain picklable dict: `epoch` and `batch` (1-based, the latest batch done),
  `epochs`, `batches` (per epoch), `logs` (that batch's running metrics as floats), `elapsed`
  and `eta` in seconds, `samples_per_s`, `epochs_done`: the `{"epoch", "logs"}` of every epoch
  that ended since the previous update (so no epoch is lost to throttling), and `final`.
- `should_stop()`: asked after every batch (and before the first); True ends training after
  that batch: no further batch runs, and validation of a stopped epoch is cut short too.
- `snapshot(weights)`: the model's weights (layer name -> arrays) at most every
  `snapshot_every` seconds, and once at the end.

Keras is imported inside the functions only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nnstudio.core.datasets import sample_count, split
from nnstudio.core.spec import ModelSpec
from nnstudio.core.weights import Weights

Logs = dict[str, float]

PROGRESS_INTERVAL = 0.05  # seconds: at most 20 progress updates a second


def float_logs(logs: dict[str, Any] | None) -> Logs:
    """Keras logs (tensors, numpy scalars) as plain floats; non-scalars are left out."""
    out: Logs = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(np.asarray(value))
        except (TypeError, ValueError):
            continue
    return out


def _make_callback(
    epochs: int,
    initial_epoch: int,
    batches: int,
    batch_size: int,
    samples: int,
    progress: Callable[[dict], None] | None,
    should_stop: Callable[[], bool] | None,
    snapshot: Callable[[Weights], None] | None,
    snapshot_every: float | None,
    progress_interval: float,
):
    import keras

    from nnstudio.keras_io.build import layer_weights

    class ProgressCallback(keras.callbacks.Callback):
        """Throttled progress, cooperative stop and timed weight snapshots.

        Its per-batch work (`after_train_batch`, `after_test_batch`) is called by `_Callbacks`
        on the fitting thread with Keras's raw logs (no conversion to floats per batch); the
        Keras hooks it defines are not per-batch, so Keras keeps dispatching the other
        callbacks' batch hooks asynchronously, exactly as a plain `fit` does.
        """

        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self.stopped = False
            self.batches_run = 0
            self.batches_after_stop = 0
            self._epoch = initial_epoch
            self._batch = 0
            self._logs: Logs = {}
            self._raw_logs: Any = None
            self._pending: list[dict] = []
            self._next_progress = 0.0
            self._next_snapshot = 0.0
            self._start = 0.0

        # -- stop -------------------------------------------------------------------------

        def _check_stop(self) -> bool:
            if not self.stopped and should_stop is not None and should_stop():
                self.stopped = True
            if self.stopped:
                self.model.stop_training = True
            return self.stopped

        def on_train_begin(self, logs=None):
            self._start = time.perf_counter()
            self._next_progress = self._start + progress_interval
            self._next_snapshot = self._start + (snapshot_every or 0.0)
            self._check_stop()

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch
            self._batch = 0
            self._check_stop()

        def on_train_batch_begin(self, batch, logs=None):
            if self.stopped:
                self.batches_after_stop += 1  # Keras never gets here after a stop; tests check it

        def after_train_batch(self, batch, logs=None):
            self.batches_run += 1
            self._batch = batch + 1
            self._raw_logs = logs
            self._check_stop()
            now = time.perf_counter()
            if progress is not None and now >= self._next_progress:
                self._next_progress = now + progress_interval
                self._emit(now, final=False)
            if snapshot is not None and snapshot_every is not None and now >= self._next_snapshot:
                self._next_snapshot = now + snapshot_every
                snapshot(layer_weights(self.model))

        def after_test_batch(self, batch, logs=None):
            if self.stopped:  # Stop during validation: cut the evaluation short too
                self.model.stop_evaluating = True

        def on_epoch_end(self, epoch, logs=None):
            self._pending.append({"epoch": epoch + 1, "logs": float_logs(logs), "partial": self.stopped})
            now = time.perf_counter()
            if progress is not None and now >= self._next_progress:
                self._next_progress = now + progress_interval
                self._emit(now, final=False)

        def on_train_end(self, logs=None):
            if progress is not None:
                self._emit(time.perf_counter(), final=True)
            if snapshot is not None:
                snapshot(layer_weights(self.model))

        # -- progress ---------------------------------------------------------------------

        def _emit(self, now: float, final: bool) -> None:
            if self._raw_logs is not None:
                self._logs = float_logs(self._raw_logs)
                self._raw_logs = None
            elapsed = now - self._start
            done = (self._epoch - initial_epoch) * batches + self._batch
            total = (epochs - initial_epoch) * batches
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = 0.0 if final or rate <= 0 else max(0.0, (total - done) / rate)
            seen = (self._epoch - initial_epoch) * samples + min(self._batch * batch_size, samples)
            update = {
                "epoch": self._epoch + 1,
                "epochs": epochs,
                "batch": self._batch,
                "batches": batches,
                "logs": dict(self._logs),
                "elapsed": elapsed,
                "eta": eta,
                "samples_per_s": seen / elapsed if elapsed > 0 else 0.0,
                "epochs_done": self._pending,
                "final": final,
                "stopped": self.stopped,
            }
            self._pending = []
            if progress is not None:
                progress(update)

    class _Callbacks(keras.callbacks.CallbackList):
        """Keras's callback list, with our per-batch hook called first and synchronously."""

        def on_train_batch_end(self, batch, logs=None):
            callback.after_train_batch(batch, logs)
            super().on_train_batch_end(batch, logs)

        def on_test_batch_end(self, batch, logs=None):
            callback.after_test_batch(batch, logs)
            super().on_test_batch_end(batch, logs)

    callback = ProgressCallback()
    return callback, _Callbacks


def _callback_list(list_class, callback, model, epochs: int, batches: int):
    """What `fit` would make itself (History, no progress bar), as our `_Callbacks`."""
    return list_class(
        [callback], add_history=True, add_progbar=False, verbose=0, epochs=epochs, steps=batches, model=model
    )


def _arrays(data: Any) -> Any:
    """One array, or (several inputs or outputs) a tuple of arrays; Keras's `fit` takes either."""
    if isinstance(data, (tuple, list)):
        return tuple(np.asarray(a) for a in data)
    return np.asarray(data)


def _each(data: Any) -> tuple:
    return data if isinstance(data, tuple) else (data,)


def _keyed(data: Any, keys: tuple[str, ...]) -> Any:
    """The arrays for a model's inputs or outputs as it takes them: a dict by key when it was
    called with a dict (`keys`, in the order of the arrays), else as they are."""
    return dict(zip(keys, _each(data), strict=True)) if keys else data


def run_training(
    spec: ModelSpec,
    x: np.ndarray | tuple[np.ndarray, ...],
    y: np.ndarray | tuple[np.ndarray, ...],
    epochs: int,
    batch_size: int = 32,
    validation_split: float = 0.0,
    weights: Weights | None = None,
    *,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    progress: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    snapshot: Callable[[Weights], None] | None = None,
    snapshot_every: float | None = 0.5,
    initial_epoch: int = 0,
    model: Any = None,
    seed: int = 0,
    shuffle: bool = True,
    progress_interval: float = PROGRESS_INTERVAL,
    result: dict | None = None,
) -> tuple[dict[str, list[float]], Weights]:
    """Fit `spec`'s model on `(x, y)` for epochs `initial_epoch + 1 .. epochs`; return (history, weights).

    `weights` start the model from trained values (Resume); `model` is an already built and
    compiled model to go on with (keeps the optimizer's state). `validation_split` holds back a
    shuffled, seeded fraction of `(x, y)` unless `validation_data` is given. `result`, when
    given, receives `model`, `stopped` and `batches_run` for the caller.
    """
    from nnstudio.keras_io.build import build_model, layer_weights

    if epochs < 1 and initial_epoch == 0:
        raise ValueError(f"epochs must be at least 1. Received: epochs={epochs}")
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1. Received: batch_size={batch_size}")
    x, y = _arrays(x), _arrays(y)  # a model with several inputs (outputs) takes a tuple of arrays
    samples = sample_count(x)
    if samples != sample_count(y) or any(len(a) != samples for a in (*_each(x), *_each(y))):
        raise ValueError(f"inputs and targets differ in length: {samples} and {sample_count(y)}")
    if validation_data is None and validation_split > 0:
        x, y, x_val, y_val = split(x, y, validation_split, seed)
        validation_data = (x_val, y_val)
        samples = sample_count(x)
    if model is None:
        model = build_model(spec, weights)
    elif weights:
        from nnstudio.keras_io.build import set_layer_weights

        set_layer_weights(model, weights)
    if spec.dict_input_keys() or spec.dict_output_keys():  # a model called with dicts is fed dicts
        x, y = _keyed(x, spec.dict_input_keys()), _keyed(y, spec.dict_output_keys())
        if validation_data is not None:
            validation_data = (
                _keyed(validation_data[0], spec.dict_input_keys()),
                _keyed(validation_data[1], spec.dict_output_keys()),
            )
    batches = max(1, math.ceil(samples / batch_size))
    callback, list_class = _make_callback(
        epochs,
        initial_epoch,
        batches,
        batch_size,
        samples,
        progress,
        should_stop,
        snapshot,
        snapshot_every,
        progress_interval,
    )
    history = model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        initial_epoch=initial_epoch,
        validation_data=validation_data,
        shuffle=shuffle,
        callbacks=_callback_list(list_class, callback, model, epochs, batches),
        verbose=0,
    )
    logs = {key: [float(v) for v in values] for key, values in history.history.items()}
    if result is not None:
        result.update(model=model, stopped=callback.stopped, batches_run=callback.batches_run, callback=callback)
    return logs, layer_weights(model)
