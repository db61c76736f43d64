"""DataView: what it draws is what the engine's messages say, in both themes, and it never shows stale predictions."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from nnstudio.core.data_plane import (
    CLASSIFICATION,
    REGRESSION,
    PlaneData,
    PlaneEvaluation,
    PlaneSurface,
    confusion_matrix,
    fit_plane,
    grid_over,
    predicted_classes,
)
from nnstudio.core.datasets import synthetic
from nnstudio.core.spec import lesson_spec
from nnstudio.services.document import Document
from nnstudio.services.model_state import ModelState
from nnstudio.ui.data_colours import class_colours
from nnstudio.ui.data_view import CHANGED, HINT, DataView
from nnstudio.ui.style import DARK, make_palette
from tests.ui.fakes import FakeBuilds, FakeTraining


@pytest.fixture
def parts(qtbot):
    training = FakeTraining()
    state = ModelState(Document(lesson_spec()), FakeBuilds(), training)
    view = DataView(training, state)
    qtbot.addWidget(view)
    view.resize(700, 380)
    view.show()
    qtbot.waitExposed(view)
    return view, training, state


def circles(size: int = 40) -> PlaneData:
    data = synthetic("circles", 2, 2, "sparse_categorical_crossentropy", samples=200, seed=3)
    plane = fit_plane(data.x, data.feature_names)
    points = plane.project(data.x)
    return PlaneData(
        task="circles",
        kind=CLASSIFICATION,
        class_names=data.classes,
        plane=plane,
        grid=grid_over(points, size),
        points=points[:150],
        values=data.y[:150].astype(np.int64),
        val_points=points[150:],
        val_values=data.y[150:].astype(np.int64),
    )


def left_right_outputs(data: PlaneData) -> np.ndarray:
    """Class 1 right of x = 0.3, class 0 left of it, surer further away: (size, size, 2) softmax outputs."""
    grid = data.grid
    gx, _ = np.meshgrid(grid.xs, grid.ys)
    logit = (gx - 0.3) * 4
    return np.stack([1 / (1 + np.exp(logit)), 1 / (1 + np.exp(-logit))], axis=-1).astype(np.float32)


def pixel_at(view: DataView, x: float, y: float) -> QtGui.QColor:
    """The colour the plane plot shows at plane coordinates (x, y)."""
    plot = view.plane_plot
    scene = plot.getPlotItem().getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    where = plot.mapFromScene(scene)
    return QtGui.QColor(plot.grab().toImage().pixel(where.x(), where.y()))


def drawn(view: DataView, validation: bool = False) -> list[tuple[float, float, str]]:
    """(x, y, colour) of every training (or validation) point drawn: a dot's fill, a ring's outline."""
    rows = []
    for spot in (view.val_points if validation else view.train_points).points():
        colour = (spot.pen() if validation else spot.brush()).color().name()
        rows.append((float(spot.pos().x()), float(spot.pos().y()), colour))
    return sorted(rows)


def close(a: QtGui.QColor, b: np.ndarray, tolerance: int = 6) -> bool:
    return max(abs(a.red() - int(b[0])), abs(a.green() - int(b[1])), abs(a.blue() - int(b[2]))) <= tolerance


def test_before_training_it_says_what_it_will_show(parts):
    view, _, _ = parts
    assert view.pages.currentIndex() == 0 and view.message.text() == HINT


def test_points_take_their_class_colours_and_validation_points_are_rings(parts):
    view, training, _ = parts
    data = circles()
    training.dataView.emit(data)
    assert view.pages.currentIndex() == 1 and view.data is data
    colours = class_colours(2, view.theme)
    assert drawn(view) == sorted((x, y, colours[v]) for (x, y), v in zip(data.points, data.values, strict=True))
    rings = sorted((x, y, colours[v]) for (x, y), v in zip(data.val_points, data.val_values, strict=True))
    assert drawn(view, validation=True) == rings
    assert len(drawn(view)) == 150 and len(rings) == 50
    assert "circles" in view.caption.text() and "class 1" in view.caption.text()
    assert view.plane_plot.getPlotItem().getAxis("bottom").labelText == "x1"


def test_the_surface_is_the_class_of_each_grid_point_where_it_is_drawn(parts, qtbot):
    view, training, _ = parts
    data = circles(size=40)
    training.dataView.emit(data)
    training.progressDetail.emit({"epoch": 3, "epochs": 10})
    outputs = left_right_outputs(data)
    training.dataView.emit(PlaneSurface(step=12, outputs=outputs))
    assert view.surfaces_drawn == 1
    np.testing.assert_array_equal(view.surface_classes, predicted_classes(outputs.reshape(-1, 2)).reshape(40, 40))
    assert "epoch 3 of 10" in view.caption.text()
    # on screen: the grid's corners (no data there) show the surface's colour of their cell
    grid = data.grid
    for row, col in ((2, 2), (2, 37), (37, 2), (37, 37)):
        shown = pixel_at(view, grid.xs[col], grid.ys[row])
        assert close(shown, view.surface_image[row, col]), (row, col, shown.name())
    # and those colours are the classes' hues: left blue-ish (class 0), right orange-ish (class 1)
    left, right = pixel_at(view, grid.xs[2], grid.ys[20]), pixel_at(view, grid.xs[37], grid.ys[20])
    assert left.blue() > left.red() and right.red() > right.blue()


def test_the_confusion_matrix_is_counted_from_the_model_outputs(parts):
    view, training, _ = parts
    training.dataView.emit(circles())
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, 80).astype(np.int32)
    outputs = rng.random((80, 2)).astype(np.float32)
    training.dataView.emit(PlaneEvaluation("validation", targets, outputs))
    expected = confusion_matrix(targets, np.argmax(outputs, axis=1), 2)
    np.testing.assert_array_equal(view.confusion, expected)
    assert view.result_plot.isVisible()
    assert sorted(t.toPlainText() for t in view.result_plot.texts) == sorted(str(n) for n in expected.ravel())
    right = int(np.trace(expected))
    assert f"validation accuracy {right / 80:.0%} ({right} of 80)" in view.caption.text()


def test_regression_shows_values_and_predicted_against_true(parts):
    view, training, _ = parts
    rng = np.random.default_rng(1)
    points = rng.normal(size=(60, 2))
    values = points[:, 0] * 2.0
    plane = fit_plane(points)
    data = PlaneData(
        task="teacher", kind=REGRESSION, target_name="y1", plane=plane, grid=grid_over(points, 30),
        points=points, values=values,
    )  # fmt: skip
    training.dataView.emit(data)
    training.dataView.emit(PlaneSurface(step=5, outputs=rng.normal(size=(30, 30, 3)).astype(np.float32), final=True))
    assert view.surface_classes is None and view.surface_image.shape == (30, 30, 4)
    shown = {(round(x, 9), round(y, 9)): colour for x, y, colour in drawn(view)}
    lowest, highest = (
        shown[tuple(np.round(points[np.argmin(values)], 9))],
        shown[tuple(np.round(points[np.argmax(values)], 9))],
    )
    assert QtGui.QColor(lowest).red() > QtGui.QColor(lowest).blue()  # low targets orange
    assert QtGui.QColor(highest).blue() > QtGui.QColor(highest).red()  # high targets blue
    targets = rng.normal(size=(40, 3))
    outputs = targets + rng.normal(scale=0.1, size=(40, 3))
    training.dataView.emit(PlaneEvaluation("training", targets, outputs))
    x, y = view.result_plot.points.getData()
    np.testing.assert_allclose(x, targets.ravel())
    np.testing.assert_allclose(y, outputs.ravel())
    assert view.confusion is None and "training R² 0.9" in view.caption.text()
    assert "after training" in view.caption.text() and "y1 from" in view.caption.text()


def test_a_model_without_a_plane_says_why(parts):
    view, training, _ = parts
    training.dataView.emit(PlaneData(task="tokens", unavailable="the data view needs real-valued inputs"))
    assert view.pages.currentIndex() == 0
    assert view.message.text() == "No data view for this model: the data view needs real-valued inputs."


def test_predictions_are_cleared_when_the_trained_weights_go(parts):
    view, training, state = parts
    data = circles()
    training.dataView.emit(data)
    training.dataView.emit(PlaneSurface(step=1, outputs=left_right_outputs(data)))
    state.trainedDiscarded.emit("the layers changed")
    assert view.surface_image is None and view.data is None
    assert view.pages.currentIndex() == 0 and view.message.text() == CHANGED
    training.dataView.emit(PlaneSurface(step=2, outputs=left_right_outputs(data)))  # a late message: ignored
    assert view.surface_image is None
    training.dataView.emit(data)
    training.resetDone.emit({})
    assert view.data is None and view.message.text() == HINT


def test_dark_theme_recolours_the_plots_and_the_surface(parts, qtbot):
    view, training, _ = parts
    data = circles()
    training.dataView.emit(data)
    training.dataView.emit(PlaneSurface(step=1, outputs=left_right_outputs(data)))
    light_image = view.surface_image.copy()
    app = QtWidgets.QApplication.instance()
    old = QtGui.QPalette(app.palette())
    try:
        app.setPalette(make_palette(DARK))
        QtWidgets.QApplication.processEvents()
        assert view.theme.dark
        assert view.plane_plot.backgroundBrush().color().lightness() < 80
        # an unsure grid point fades into the dark background, no longer into white
        unsure = np.unravel_index(np.argmin(np.abs(left_right_outputs(data)[..., 0] - 0.5)), (40, 40))
        assert QtGui.QColor(*view.surface_image[unsure][:3]).lightness() < 110
        assert QtGui.QColor(*light_image[unsure][:3]).lightness() > 180
        assert {colour for _x, _y, colour in drawn(view)} == set(class_colours(2, view.theme))
    finally:
        app.setPalette(old)
        QtWidgets.QApplication.processEvents()


def test_the_window_docks_the_data_view_behind_weights_and_raises_it_when_training_starts(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from nnstudio.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    training = FakeTraining()
    window = MainWindow(Document(lesson_spec()), FakeBuilds(), training, settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    data_dock, weights_dock = window.docks["dataDock"], window.docks["weightsDock"]
    assert data_dock.widget() is window.data_view
    assert data_dock in window.tabifiedDockWidgets(weights_dock)
    in_front = lambda dock: not dock.visibleRegion().isEmpty()  # noqa: E731 (a tab behind is moved off screen)
    assert in_front(weights_dock) and not in_front(data_dock)  # the Weights stay in front until training
    assert data_dock.toggleViewAction() in window.view_menu.actions()
    training.stateChanged.emit("training", "Training…")
    qtbot.waitUntil(lambda: in_front(data_dock))
    assert not in_front(weights_dock)
    training.dataView.emit(circles())
    assert window.data_view.pages.currentIndex() == 1


def test_a_resumed_run_on_the_same_grid_keeps_the_last_surface_until_its_own_arrives(parts):
    view, training, _ = parts
    data = circles()
    training.dataView.emit(data)
    outputs = left_right_outputs(data)
    training.dataView.emit(PlaneSurface(step=5, outputs=outputs, final=True))
    training.dataView.emit(PlaneEvaluation("validation", np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]])))
    training.dataView.emit(circles())  # Resume: the same data again
    assert view.evaluation is None and not view.result_plot.isVisible()
    np.testing.assert_array_equal(view.surface.outputs, outputs)
    assert view.surface_image is not None
    other = circles(size=30)  # another grid: nothing of the old run is shown over it
    training.dataView.emit(other)
    assert view.surface is None and view.surface_image is None
