"""The data view follows a real training in the engine: the decision surface of a 2-D task is drawn while
the model trains, and what it shows at the end is Keras's own prediction with the final weights."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.csv_data import DataConfig, prepare
from nnstudio.core.data_plane import PlaneSurface, confusion_matrix
from nnstudio.services.document import Document
from nnstudio.services.model_state import ModelState
from nnstudio.ui.data_view import DataView
from tests.keras_io.test_plane_probe import assert_same_classes, two_d_classifier
from tests.ui.fakes import FakeBuilds

pytestmark = pytest.mark.engine

KERAS_START_MS = 180_000  # spawning the engine and importing Keras on a busy 2-core machine


def test_the_decision_surface_of_a_2d_task_is_drawn_while_training(qtbot, training_service):
    spec = two_d_classifier()
    config = DataConfig(task="xor", samples=512, seed=2)
    view = DataView(training_service, ModelState(Document(spec), FakeBuilds(), training_service))
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.show()
    weights: list = []
    training_service.weightsUpdated.connect(weights.append)

    def live_surface(value: object) -> bool:
        return isinstance(value, PlaneSurface) and not value.final

    with qtbot.waitSignal(training_service.dataView, timeout=KERAS_START_MS, check_params_cb=live_surface):
        training_service.start(spec, config, epochs=40, batch_size=16, validation_split=0.2)
    # mid-training: the view has the points and a surface over their grid, and the run goes on
    assert training_service.is_training()
    assert view.data is not None and view.data.task == "xor" and view.surfaces_drawn >= 1
    assert view.surface_classes.shape == (100, 100) and not view.surface.final
    with qtbot.waitSignal(training_service.progressDetail, timeout=KERAS_START_MS):
        pass
    assert "epoch " in view.caption.text()
    with qtbot.waitSignal(training_service.finished, timeout=KERAS_START_MS):
        pass
    qtbot.waitUntil(lambda: view.confusion is not None, timeout=10_000)
    assert view.surface.final and "after training" in view.caption.text()

    # what is drawn is what Keras predicts with the final weights, on the same grid and data
    from nnstudio.keras_io.build import build_model

    model = build_model(spec, weights[-1])
    grid = view.data.grid
    keras_outputs = model.predict(grid.points.astype(np.float32), verbose=0)
    np.testing.assert_allclose(view.surface.outputs.reshape(-1, 2), keras_outputs, atol=1e-5)
    assert_same_classes(view.surface_classes, keras_outputs)
    data = prepare(spec, config, validation_split=0.2)
    expected = confusion_matrix(data.y_val, np.argmax(model.predict(data.x_val, verbose=0), axis=1), 2)
    np.testing.assert_array_equal(view.confusion, expected)
    assert expected.sum() == 102 and np.trace(expected) > 0.7 * 102  # and it learned xor
