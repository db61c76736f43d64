"""Synthetic data sets: shapes fit the model, targets fit the loss, seeds repeat."""

import numpy as np
import pytest

from nnstudio.core import datasets
from nnstudio.core.spec import CompileSpec, lesson_spec


def test_lesson_gets_teacher_regression():
    data = datasets.for_spec(lesson_spec(), samples=64)
    assert data.name == "teacher"
    assert data.x.shape == (64, 20) and data.y.shape == (64, 10)
    assert data.x.dtype == np.float32 and np.isfinite(data.y).all()


def test_seeded():
    a = datasets.synthetic("clusters", 5, 3, "categorical_crossentropy", samples=50, seed=3)
    b = datasets.synthetic("clusters", 5, 3, "categorical_crossentropy", samples=50, seed=3)
    c = datasets.synthetic("clusters", 5, 3, "categorical_crossentropy", samples=50, seed=4)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("task", datasets.TWO_D_TASKS)
@pytest.mark.parametrize(
    "loss,units,shape",
    [
        ("binary_crossentropy", 1, (40, 1)),
        ("sparse_categorical_crossentropy", 2, (40,)),
        ("categorical_crossentropy", 2, (40, 2)),
        ("mean_squared_error", 2, (40, 2)),
    ],
)
def test_two_d_tasks_encode_labels_for_the_loss(task, loss, units, shape):
    data = datasets.synthetic(task, (2,), (units,), loss, samples=40)
    assert data.x.shape == (40, 2)
    assert data.y.shape == shape
    if loss == "sparse_categorical_crossentropy":
        assert set(np.unique(data.y)) <= {0, 1}
    else:
        assert set(np.unique(data.y)) <= {0.0, 1.0}
    if len(shape) == 2 and shape[1] == 2:
        assert np.allclose(data.y.sum(axis=1), 1.0)


def test_two_d_task_refuses_other_inputs():
    with pytest.raises(datasets.DatasetError, match="2 features"):
        datasets.synthetic("spirals", (20,), (10,), "mean_squared_error")


def test_clusters_many_classes_and_auto():
    spec = lesson_spec().with_compile(CompileSpec(loss="categorical_crossentropy"))
    data = datasets.for_spec(spec, samples=100)
    assert data.name == "clusters" and data.y.shape == (100, 10)
    assert len(data.classes) == 10 and (data.y.sum(axis=1) == 1).all()


def test_positive_losses_get_positive_targets():
    data = datasets.synthetic("teacher", 3, 2, "poisson", samples=30)
    assert (data.y > 0).all()


def test_multi_axis_input_and_output():
    data = datasets.synthetic("teacher", (4, 3), (4, 5), "mean_squared_error", samples=8)
    assert data.x.shape == (8, 4, 3) and data.y.shape == (8, 4, 5)
    data = datasets.synthetic("clusters", (4, 3), (4, 5), "sparse_categorical_crossentropy", samples=8)
    assert data.y.shape == (8, 4)


def test_split():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    xt, yt, xv, yv = datasets.split(x, y, 0.2)
    assert len(xt) == 8 and len(xv) == 2
    assert sorted(np.concatenate([yt, yv]).tolist()) == list(range(10))
    assert np.array_equal(xt[:, 0] // 2, yt)
    with pytest.raises(datasets.DatasetError):
        datasets.split(x, y, 1.0)


def test_the_task_does_not_depend_on_the_sample_count():
    small = datasets.synthetic("teacher", 4, 2, samples=10, seed=5, noise=0.0)
    large = datasets.synthetic("teacher", 4, 2, samples=1000, seed=5, noise=0.0)
    # numpy draws the inputs in sequence, so the first rows agree, and so must the teacher's outputs
    assert np.allclose(large.x[:10], small.x)
    assert np.allclose(large.y[:10], small.y, atol=1e-6)
    a = datasets.synthetic("clusters", 3, 3, "categorical_crossentropy", samples=30, seed=5, noise=0.0)
    b = datasets.synthetic("clusters", 3, 3, "categorical_crossentropy", samples=3000, seed=5, noise=0.0)
    centres_a = np.stack([a.x[a.y[:, k] == 1].mean(axis=0) for k in range(3)])
    centres_b = np.stack([b.x[b.y[:, k] == 1].mean(axis=0) for k in range(3)])
    assert np.abs(centres_a - centres_b).max() < 0.6
    assert large.y.shape == (1000, 2)
