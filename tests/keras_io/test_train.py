"""run_training: the lesson learns, Stop ends within one batch, the trained export predicts alike."""

import threading

import numpy as np
import pytest

from nnstudio.core import datasets
from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.keras_io.train import run_training

pytestmark = pytest.mark.engine

pytest.importorskip("keras")


@pytest.fixture(scope="module")
def lesson_data():
    spec = lesson_spec()
    return spec, datasets.for_spec(spec, samples=256, seed=1)


def test_lesson_loss_falls_on_synthetic_task(lesson_data):
    spec, data = lesson_data
    updates = []
    snapshots = []
    history, weights = run_training(
        spec,
        data.x,
        data.y,
        epochs=6,
        batch_size=32,
        validation_split=0.25,
        progress=updates.append,
        snapshot=snapshots.append,
        snapshot_every=0.2,
    )
    assert len(history["loss"]) == 6 and len(history["val_loss"]) == 6
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert set(weights) == {"dense", "dense_1"}
    assert weights["dense"][0].shape == (20, 64)
    # progress: every epoch reported exactly once despite throttling, the last update is final
    done = [e["epoch"] for u in updates for e in u["epochs_done"]]
    assert done == [1, 2, 3, 4, 5, 6]
    assert updates[-1]["final"] and updates[-1]["eta"] == 0.0
    assert updates[-1]["batches"] == 6 and updates[-1]["epoch"] == 6
    # throttled: no two non-final updates closer than the interval allows (20/s)
    times = [u["elapsed"] for u in updates[:-1]]
    assert all(b - a >= 0.049 for a, b in zip(times, times[1:], strict=False))
    assert snapshots and np.allclose(snapshots[-1]["dense"][0], weights["dense"][0])


def test_stop_ends_within_one_batch(lesson_data):
    spec, data = lesson_data
    stop = threading.Event()
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        if calls["n"] == 8:  # a Stop pressed while batch ~6 runs
            stop.set()
        return stop.is_set()

    result = {}
    history, _ = run_training(
        spec,
        data.x,
        data.y,
        epochs=100,
        batch_size=4,
        validation_split=0.25,
        should_stop=should_stop,
        result=result,
    )
    assert result["stopped"]
    # should_stop is asked at train begin, epoch begin and after each batch: it turned True
    # after batch 6 and no batch ran after it.
    assert result["batches_run"] == 6
    assert result["callback"].batches_after_stop == 0
    assert len(history["loss"]) == 1


def test_resume_continues_from_weights(lesson_data):
    spec, data = lesson_data
    result = {}
    first, weights = run_training(spec, data.x, data.y, epochs=2, batch_size=64, result=result)
    # go on with the same model (optimizer state kept) for epochs 3..4
    second, _ = run_training(spec, data.x, data.y, epochs=4, batch_size=64, initial_epoch=2, model=result["model"])
    assert len(second["loss"]) == 2
    assert second["loss"][0] < first["loss"][0]
    # and from weights alone into a fresh model
    third, _ = run_training(spec, data.x, data.y, epochs=1, batch_size=64, weights=weights)
    assert third["loss"][0] < first["loss"][0]


def test_exported_trained_model_predicts_the_same(lesson_data, tmp_path):
    import keras

    from nnstudio.keras_io.build import build_model
    from nnstudio.keras_io.export import export_keras

    spec, data = lesson_data
    spec = spec.with_compile(CompileSpec(loss="mean_squared_error", optimizer="adam", metrics=("mean_absolute_error",)))
    _, weights = run_training(spec, data.x, data.y, epochs=2, batch_size=32)
    path = tmp_path / "trained.keras"
    export_keras(spec, path, weights)
    loaded = keras.saving.load_model(path)
    app_model = build_model(spec, weights)
    probe = data.x[:17]
    expected = np.asarray(app_model(probe))
    np.testing.assert_allclose(np.asarray(loaded(probe)), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loaded.predict(probe, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert loaded.loss == "mean_squared_error"
    # a trained model differs from a freshly initialised one
    assert not np.allclose(np.asarray(build_model(spec)(probe)), expected)


def test_classification_on_two_d_task():
    spec = lesson_spec()
    spec = spec.with_layer(0, spec.layers[0].with_params(shape=[2]))
    spec = spec.with_layer(2, spec.layers[2].with_params(units=2, activation="softmax"))
    spec = spec.with_compile(CompileSpec(loss="sparse_categorical_crossentropy", metrics=("accuracy",)))
    data = datasets.for_spec(spec, task="gaussians", samples=128)
    history, _ = run_training(spec, data.x, data.y, epochs=3, batch_size=16, validation_split=0.2)
    assert "accuracy" in history and "val_accuracy" in history
    assert history["loss"][-1] < history["loss"][0]


def test_stop_requested_during_a_batch_ends_after_the_next(lesson_data):
    """A Stop arriving while batch k runs ends training when batch k+1 ends, at the latest."""
    spec, data = lesson_data
    stop = threading.Event()
    at_request = []

    def progress(update):
        if not at_request and update["batch"] >= 3:
            at_request.append((update["epoch"] - 1) * update["batches"] + update["batch"])
            stop.set()

    result = {}
    run_training(
        spec,
        data.x,
        data.y,
        epochs=20,
        batch_size=4,
        progress=progress,
        should_stop=stop.is_set,
        progress_interval=0.0,
        result=result,
    )
    assert at_request and result["stopped"]
    assert result["batches_run"] - at_request[0] <= 1
