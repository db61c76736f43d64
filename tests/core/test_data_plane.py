"""The data on a plane: the projection (against numpy's own eigendecomposition), the grid, classes as
Keras's accuracies count them, the confusion matrix."""

import numpy as np
import pytest

from nnstudio.core.data_plane import (
    GRID_SIZE,
    MIN_GRID_SIZE,
    PlaneError,
    confidence,
    confusion_matrix,
    fit_plane,
    grid_over,
    grid_size,
    predicted_classes,
    r_squared,
    sample_rows,
    true_classes,
)


def test_two_features_are_their_own_plane():
    x = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)
    plane = fit_plane(x, ("sepal", "petal"))
    assert not plane.is_pca and plane.axis_names == ("sepal", "petal")
    np.testing.assert_allclose(plane.project(x), x, rtol=1e-6)
    np.testing.assert_allclose(plane.lift(x.astype(np.float64)), x, rtol=1e-6)
    assert plane.lift(x).dtype == np.float32


def test_pca_matches_numpy_eigendecomposition_of_the_covariance():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.2]) @ np.linalg.qr(rng.normal(size=(5, 5)))[0]
    x += np.array([1.0, -2.0, 3.0, 0.0, 10.0])
    plane = fit_plane(x)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(x.T, bias=True))
    order = np.argsort(eigenvalues)[::-1]
    reference = eigenvectors[:, order[:2]].T  # (2, 5)
    for mine, theirs in zip(plane.components, reference, strict=True):
        assert abs(float(mine @ theirs)) == pytest.approx(1.0, abs=1e-9)  # the same axis, up to its sign
    signs = np.sign(np.sum(plane.components * reference, axis=1))
    expected = (x - x.mean(axis=0)) @ reference.T * signs
    np.testing.assert_allclose(plane.project(x), expected, atol=1e-9)
    share = eigenvalues[order] / eigenvalues.sum()
    assert plane.explained == pytest.approx((share[0], share[1]), abs=1e-9)
    assert plane.axis_names[0].startswith("PC1 (") and plane.axis_names[1].startswith("PC2 (")


def test_lift_is_the_inverse_of_project_on_the_plane_for_any_input_shape():
    rng = np.random.default_rng(3)
    basis = rng.normal(size=(2, 6))
    coords = rng.normal(size=(40, 2))
    x = (coords @ basis + rng.normal(size=6)).reshape(40, 3, 2)  # inputs of shape (3, 2) lying on a plane
    plane = fit_plane(x)
    assert plane.input_shape == (3, 2)
    lifted = plane.lift(plane.project(x))
    assert lifted.shape == (40, 3, 2)
    np.testing.assert_allclose(lifted, x, atol=1e-4)
    # a point off the data lifts into the plane: projecting it again gives it back
    points = rng.normal(size=(5, 2)) * 3
    np.testing.assert_allclose(plane.project(plane.lift(points)), points, atol=1e-4)


def test_a_plane_needs_two_features():
    with pytest.raises(PlaneError, match="2 features or more; these have 1"):
        fit_plane(np.zeros((10, 1)))
    with pytest.raises(PlaneError, match="no inputs"):
        fit_plane(np.zeros((0, 3)))


def test_grid_covers_the_points_with_square_cells():
    points = np.array([[0.0, 0.0], [4.0, 1.0], [2.0, -1.0]])
    grid = grid_over(points, 50)
    assert grid.size == 50 and grid.points.shape == (2500, 2)
    assert grid.xs[0] < 0 and grid.xs[-1] > 4 and grid.ys[0] < -1 and grid.ys[-1] > 1
    assert np.diff(grid.xs)[0] == pytest.approx(np.diff(grid.ys)[0])
    # row i of the grid is ys[i], x varies fastest
    np.testing.assert_allclose(grid.points[:50, 1], grid.ys[0])
    np.testing.assert_allclose(grid.points[:50, 0], grid.xs)
    left, bottom, width, height = grid.rect
    step = grid.xs[1] - grid.xs[0]
    assert left == pytest.approx(grid.xs[0] - step / 2) and width == pytest.approx(50 * step)
    assert bottom == pytest.approx(grid.ys[0] - step / 2) and height == pytest.approx(50 * step)


def test_grid_size_shrinks_for_wide_inputs():
    assert grid_size(2) == GRID_SIZE
    assert grid_size(784) * grid_size(784) * 784 <= 1_000_000
    assert grid_size(10**7) == MIN_GRID_SIZE


def test_classes_follow_keras_accuracy_rules():
    # binary_accuracy: above 0.5 is class 1; categorical_accuracy: the largest output
    assert predicted_classes(np.array([[0.2], [0.5], [0.51], [3.0]])).tolist() == [0, 0, 1, 1]
    assert predicted_classes(np.array([[0.1, 0.7, 0.2], [2.0, -1.0, 0.0]])).tolist() == [1, 0]
    assert true_classes(np.array([2, 0, 1], dtype=np.int32)).tolist() == [2, 0, 1]
    assert true_classes(np.array([[0.0], [1.0]])).tolist() == [0, 1]
    assert true_classes(np.eye(3)[[2, 0]]).tolist() == [2, 0]


def test_confidence_runs_from_a_tie_to_certainty():
    assert confidence(np.array([[0.5], [1.0], [0.0], [0.75]])).tolist() == pytest.approx([0.0, 1.0, 1.0, 0.5])
    assert confidence(np.array([[0.5, 0.5], [1.0, 0.0]])).tolist() == pytest.approx([0.0, 1.0])
    logits = np.array([[2.0, -1.0, 0.5]])
    probs = np.exp(logits) / np.exp(logits).sum()
    assert confidence(logits) == pytest.approx(confidence(probs))


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    rng = np.random.default_rng(4)
    true, predicted = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    expected = np.zeros((4, 4), dtype=int)
    for t, p in zip(true, predicted, strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(true, predicted, 4), expected)
    assert confusion_matrix(np.array([0, 1]), np.array([1, 1]), 3).shape == (3, 3)  # classes never seen stay


def test_r_squared_and_sampling():
    y = np.arange(10.0)
    assert r_squared(y, y) == 1.0
    assert r_squared(y, np.full(10, y.mean())) == pytest.approx(0.0)
    assert sample_rows(5, 10).tolist() == [0, 1, 2, 3, 4]
    rows = sample_rows(10_000, 100, seed=1)
    assert len(rows) == 100 == len(set(rows.tolist())) and list(rows) == sorted(rows)
    assert sample_rows(10_000, 100, seed=1).tolist() == rows.tolist()
