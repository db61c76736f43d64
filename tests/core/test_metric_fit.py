"""Which metrics go with which loss (the Compile panel's warning)."""

from __future__ import annotations

import pytest

from nnstudio.core.catalog import LOSSES, METRICS
from nnstudio.core.metric_fit import fitting_metrics, metric_problems


def test_mean_squared_error_next_to_sparse_crossentropy_is_named_with_what_fits():
    problems = metric_problems("sparse_categorical_crossentropy", ("accuracy", "mean_squared_error"), outputs=3)
    assert problems == [
        (
            "mean_squared_error",
            "mean_squared_error cannot go with sparse_categorical_crossentropy: its targets are class ids (one per "
            "sample), the model gives 3 numbers per sample. Metrics that fit: accuracy, sparse_categorical_accuracy.",
        )
    ]


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_has_fitting_metrics_and_they_raise_nothing(loss):
    fitting = fitting_metrics(loss)
    assert fitting and set(fitting) <= set(METRICS)
    assert metric_problems(loss, fitting) == []
    others = [m for m in METRICS if m not in fitting]
    assert [m for m, _ in metric_problems(loss, others)] == others


def test_classification_metrics_on_a_regression_loss_and_unknown_metrics():
    (metric, reason), *_ = metric_problems("mean_squared_error", ("accuracy",))
    assert metric == "accuracy" and "counts classes" in reason and "Metrics that fit: mean_squared_error" in reason
    assert metric_problems("mean_squared_error", ("f1_score_from_a_file",)) == []
