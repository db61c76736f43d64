"""PlaneProbe: what the data view draws is Keras's own prediction, on the grid and on the held-out data."""

import numpy as np
import pytest

from nnstudio.core.csv_data import DataConfig, prepare
from nnstudio.core.data_plane import CLASSIFICATION, REGRESSION, confusion_matrix, fit_plane, true_classes
from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.keras_io.plane_probe import PlaneProbe, plane_problem
from tests.keras_io.models import make

CLASSIFIER = CompileSpec(loss="sparse_categorical_crossentropy", learning_rate=0.01, metrics=("accuracy",))


def two_d_classifier(classes: int = 2, compile_spec: CompileSpec = CLASSIFIER):
    return make(
        "plane",
        [
            ("Input", "inputs", {"shape": [2]}),
            ("Dense", "hidden", {"units": 12, "activation": "tanh"}),
            ("Dropout", "dropout", {"rate": 0.3}),  # off in inference: the surface must not be noisy
            ("Dense", "out", {"units": classes, "activation": "softmax"}),
        ],
        compile_spec,
    )


def iris_classifier():
    return make(
        "iris",
        [
            ("Input", "inputs", {"shape": [4]}),
            ("Dense", "hidden", {"units": 8, "activation": "relu"}),
            ("Dense", "out", {"units": 3}),  # logits: the class is still the largest output
        ],
        CompileSpec(loss="categorical_crossentropy", loss_options={"from_logits": True}, metrics=("accuracy",)),
    )


def assert_same_classes(drawn: np.ndarray, keras_outputs: np.ndarray) -> None:
    """The classes drawn are Keras's argmax everywhere but at exact ties (float noise between batch sizes)."""
    expected = np.argmax(keras_outputs, axis=-1)
    top2 = np.sort(keras_outputs, axis=-1)[:, -2:]
    differs = drawn.ravel() != expected
    assert not np.any(differs & (top2[:, 1] - top2[:, 0] > 1e-5))


def test_plane_problem_names_models_without_a_plane():
    assert plane_problem(two_d_classifier()) == ""
    assert plane_problem(lesson_spec()) == ""
    embedding = make(
        "tokens",
        [
            ("Input", "inputs", {"shape": [8]}),
            ("Embedding", "embed", {"input_dim": 50, "output_dim": 4}),
            ("Flatten", "flat", {}),
            ("Dense", "out", {"units": 2}),
        ],
    )
    assert "integers (token ids)" in plane_problem(embedding)
    sequence = make("seq", [("Input", "inputs", {"shape": [4, 3]}), ("Dense", "out", {"units": 2})])
    assert "output has shape (4, 2)" in plane_problem(sequence)
    one = make("one", [("Input", "inputs", {"shape": [1]}), ("Dense", "out", {"units": 1})])
    assert "2 features or more" in plane_problem(one)


@pytest.mark.engine
def test_surface_and_confusion_are_keras_predictions_on_a_2d_task():
    from nnstudio.keras_io.build import build_model
    from nnstudio.keras_io.train import run_training

    spec = two_d_classifier(classes=3)
    data = prepare(spec, DataConfig(task="spirals", samples=300, seed=1), validation_split=0.25)
    model = build_model(spec)
    probe = PlaneProbe(spec, data)
    start = probe.start()
    assert start.kind == CLASSIFICATION and start.class_names == ("class 0", "class 1", "class 2")
    assert start.plane is not None and not start.plane.is_pca and start.grid is not None and start.grid.size == 100
    np.testing.assert_allclose(start.points, data.x, rtol=1e-6)  # two features: the points are the data
    np.testing.assert_array_equal(start.values, data.y)
    assert len(start.val_points) == 75

    run_training(spec, data.x, data.y, epochs=3, model=model)
    surface = probe.surface(model, force=True)
    assert probe.surface(model) is None  # throttled: asked again at once, nothing is due
    assert surface is not None and surface.final and surface.outputs.shape == (100, 100, 3)
    assert surface.step == 3 * 8  # 225 samples in batches of 32, 3 epochs
    keras_outputs = model.predict(start.grid.points.astype(np.float32), verbose=0)
    np.testing.assert_allclose(surface.outputs.reshape(-1, 3), keras_outputs, atol=1e-5)
    assert_same_classes(np.argmax(surface.outputs, axis=-1), keras_outputs)

    evaluation = probe.evaluation(model)
    assert evaluation is not None and evaluation.split == "validation"
    np.testing.assert_array_equal(evaluation.targets, data.y_val)
    keras_val = model.predict(data.x_val, verbose=0)
    assert np.array_equal(
        confusion_matrix(true_classes(evaluation.targets), np.argmax(evaluation.outputs, -1), 3),
        confusion_matrix(data.y_val, np.argmax(keras_val, -1), 3),
    )


@pytest.mark.engine
def test_iris_is_seen_through_pca_and_the_grid_is_lifted_into_the_input_space():
    from nnstudio.keras_io.build import build_model

    spec = iris_classifier()
    data = prepare(spec, DataConfig(source="iris"), validation_split=0.2)
    model = build_model(spec)
    probe = PlaneProbe(spec, data)
    start = probe.start()
    assert start.kind == CLASSIFICATION and start.class_names == ("setosa", "versicolor", "virginica")
    plane = start.plane
    assert plane is not None and plane.is_pca and plane.input_shape == (4,)
    reference = fit_plane(data.x)
    np.testing.assert_allclose(start.points, reference.project(data.x), atol=1e-9)
    surface = probe.surface(model, force=True)
    assert surface is not None and surface.outputs.shape == (100, 100, 3)
    lifted = plane.lift(start.grid.points)
    keras_outputs = model.predict(lifted, verbose=0)
    np.testing.assert_allclose(surface.outputs.reshape(-1, 3), keras_outputs, atol=1e-5)
    assert_same_classes(np.argmax(surface.outputs, axis=-1), keras_outputs)


@pytest.mark.engine
def test_regression_shows_targets_and_the_first_output():
    from nnstudio.keras_io.build import build_model

    spec = lesson_spec()  # 20 features, 10 outputs, mean squared error: the teacher task
    data = prepare(spec, DataConfig(samples=200), validation_split=0.0)
    probe = PlaneProbe(spec, data)
    start = probe.start()
    assert start.kind == REGRESSION and start.target_name == "y1" and start.plane.is_pca
    np.testing.assert_allclose(start.values, data.y[:, 0])
    assert len(start.val_points) == 0
    model = build_model(spec)
    evaluation = probe.evaluation(model)
    assert evaluation.split == "training" and evaluation.outputs.shape == (200, 10)
    np.testing.assert_allclose(evaluation.outputs, model.predict(data.x, verbose=0), atol=1e-5)
