"""Which metrics can go with a loss: the targets a loss wants decide what a metric is compared with.

A loss fixes the form of the targets (`sparse_categorical_crossentropy`: one class id per sample;
`categorical_crossentropy`: one-hot rows as wide as the output; `binary_crossentropy`: 0/1 per
output; a regression loss: real numbers shaped like the output). A metric that compares targets
and outputs value by value (`mean_squared_error`) cannot run on class ids against a 3-wide output
(TensorFlow stops with `Incompatible shapes: [32] vs. [32,3]`), and a classification metric
counts nothing useful on real-valued targets. `metric_problems` says which of the chosen metrics
do not fit, why, and which would.
"""

from __future__ import annotations

# How a loss wants its targets.
ONE_HOT_LOSSES = frozenset(
    {"categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "kl_divergence"}
)
SPARSE_LOSSES = frozenset({"sparse_categorical_crossentropy"})
BINARY_LOSSES = frozenset({"binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"})

_VALUE_BY_VALUE = ("mean_squared_error", "mean_absolute_error", "root_mean_squared_error")
_CLASSIFICATION = (
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "auc",
    "precision",
    "recall",
)

# targets -> (metrics that fit, what the targets are, for the message)
_FITTING: dict[str, tuple[tuple[str, ...], str]] = {
    "sparse": (("accuracy", "sparse_categorical_accuracy"), "class ids (one per sample)"),
    "one_hot": (
        ("accuracy", "categorical_accuracy", "auc", "precision", "recall", *_VALUE_BY_VALUE),
        "one-hot rows, one 0/1 per class",
    ),
    "binary": (("accuracy", "binary_accuracy", "auc", "precision", "recall", *_VALUE_BY_VALUE), "0 or 1 per output"),
    "regression": (_VALUE_BY_VALUE, "real numbers"),
}


def target_kind(loss: str) -> str:
    """ "sparse", "one_hot", "binary" or "regression": the targets `loss` wants."""
    if loss in SPARSE_LOSSES:
        return "sparse"
    if loss in ONE_HOT_LOSSES:
        return "one_hot"
    if loss in BINARY_LOSSES:
        return "binary"
    return "regression"


def fitting_metrics(loss: str) -> tuple[str, ...]:
    """The metrics (of nnstudio's list) that go with `loss`."""
    return _FITTING[target_kind(loss)][0]


def metric_problems(
    loss: str, metrics: tuple[str, ...] | list[str], outputs: int | None = None
) -> list[tuple[str, str]]:
    """(metric, one-line reason) for each of `metrics` that cannot go with `loss` (and a model with
    `outputs` numbers per sample, when known); metrics nnstudio does not list are left alone."""
    kind = target_kind(loss)
    fitting, targets = _FITTING[kind]
    problems = []
    for metric in metrics:
        if metric in fitting or metric not in (*_VALUE_BY_VALUE, *_CLASSIFICATION):
            continue
        if kind == "sparse" and metric in _VALUE_BY_VALUE:
            given = f"{outputs:,} numbers" if outputs else "one number per class"
            why = f"its targets are {targets}, the model gives {given} per sample"
        elif kind == "regression":
            why = f"it counts classes, and the targets are {targets}"
        else:
            why = f"its targets are {targets}"
        problems.append((metric, f"{metric} cannot go with {loss}: {why}. Metrics that fit: {', '.join(fitting)}."))
    return problems
