"""`validate` never calls sound what Keras rejects: every optimizer and loss setting that passes
nnstudio's checks makes a model Keras compiles and trains a step with, compared case by case."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.core.summary import analyze

CASES = [
    ("sgd", {"momentum": 1e300}, "mean_squared_error", {}),
    ("sgd", {"momentum": 0.9, "nesterov": True}, "mean_squared_error", {}),
    ("sgd", {"momentum": 1.0}, "mean_squared_error", {}),
    ("adam", {"clipnorm": "abc"}, "mean_squared_error", {}),
    ("adam", {"clipnorm": 1.0}, "mean_squared_error", {}),
    ("adam", {"beta_1": [0.9, 0.8]}, "mean_squared_error", {}),
    ("adam", {"clipnorm": 1.0, "global_clipnorm": 1.0}, "mean_squared_error", {}),
    ("adam", {"gradient_accumulation_steps": 1}, "mean_squared_error", {}),
    ("adam", {"use_ema": True, "ema_momentum": 2.0}, "mean_squared_error", {}),
    ("ftrl", {"l1_regularization_strength": -1.0}, "mean_squared_error", {}),
    ("lion", {"beta_1": 0.0}, "mean_squared_error", {}),
    ("adamw", {"weight_decay": None}, "mean_squared_error", {}),
    ("rmsprop", {"momentum": "fast"}, "mean_squared_error", {}),
    ("adam", {}, "categorical_crossentropy", {"axis": "x"}),
    ("adam", {}, "categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("adam", {}, "huber", {"reduction": "avg"}),
    ("adam", {}, "huber", {"reduction": "sum"}),
    ("adam", {}, "binary_focal_crossentropy", {"gamma": "two"}),
]


def keras_trains(compile_spec: CompileSpec) -> bool:
    """Whether Keras builds, compiles and trains one step of the lesson's model with these settings."""
    from nnstudio.keras_io.build import build_model

    spec = lesson_spec().with_compile(compile_spec)
    try:
        model = build_model(spec)
        x = np.ones((4, 20), np.float32)
        y = np.zeros((4,), np.int64) if compile_spec.loss.startswith("sparse") else np.eye(10, dtype=np.float32)[:4]
        history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    except Exception:
        return False
    return bool(np.isfinite(history.history["loss"][-1]))


# nnstudio is stricter than Keras here: Keras takes the float and no label ever equals it.
STRICTER = [("adam", {}, "sparse_categorical_crossentropy", {"ignore_class": 1.5})]


@pytest.mark.engine
@pytest.mark.parametrize(("optimizer", "options", "loss", "loss_options"), CASES + STRICTER)
def test_validate_agrees_with_keras(optimizer, options, loss, loss_options) -> None:
    compile_spec = CompileSpec(loss, optimizer, None, (), options, loss_options)
    sound = analyze(lesson_spec().with_compile(compile_spec)).ok
    trains = keras_trains(compile_spec)
    assert not (sound and not trains), "validate called it sound, Keras rejected it"
    if (optimizer, options, loss, loss_options) not in STRICTER:
        assert sound == trains
