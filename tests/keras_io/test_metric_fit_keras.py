"""The Compile panel's metric warning against Keras: every metric it says fits a loss trains a step with
data made for that loss; a value-by-value metric next to sparse labels and a 3-wide output fails in Keras."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.datasets import for_spec
from nnstudio.core.metric_fit import fitting_metrics, metric_problems
from nnstudio.core.spec import CompileSpec, ModelSpec

ONE_LOSS_PER_KIND = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "huber")


def model_for(loss: str, metrics: tuple[str, ...]) -> ModelSpec:
    units, activation = (1, "sigmoid") if loss == "binary_crossentropy" else (3, "softmax")
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=units, activation=activation))
    return spec.with_compile(CompileSpec(loss=loss, metrics=metrics))


def keras_trains(spec: ModelSpec) -> bool:
    from nnstudio.keras_io.build import build_model

    data = for_spec(spec, samples=16)
    try:
        history = build_model(spec).fit(data.x, data.y, epochs=1, batch_size=8, verbose=0)
    except Exception:
        return False
    return all(np.all(np.isfinite(values)) for values in history.history.values())


@pytest.mark.engine
@pytest.mark.parametrize("loss", ONE_LOSS_PER_KIND)
def test_the_metrics_said_to_fit_train_in_keras(loss):
    metrics = fitting_metrics(loss)
    assert keras_trains(model_for(loss, metrics)), f"Keras refused {metrics} with {loss}"


@pytest.mark.engine
@pytest.mark.parametrize("metric", ["mean_squared_error", "mean_absolute_error", "root_mean_squared_error"])
def test_a_value_by_value_metric_next_to_sparse_labels_fails_in_keras_as_warned(metric):
    spec = model_for("sparse_categorical_crossentropy", (metric,))
    assert metric_problems(spec.compile.loss, spec.compile.metrics, outputs=3)
    assert not keras_trains(spec)
