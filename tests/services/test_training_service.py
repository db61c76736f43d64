"""TrainingService: fitting in the engine process, driven by a worker thread, seen through signals."""

import os
import time

import pytest

from nnstudio.core.csv_data import DataConfig
from nnstudio.core.spec import lesson_spec

pytestmark = pytest.mark.engine

KERAS_START_MS = 180_000  # spawning the engine and importing Keras on a busy 2-core machine


@pytest.fixture
def service(training_service):
    return training_service


def test_train_resume_stop_reset(qtbot, service, tmp_path):
    spec = lesson_spec()
    data = DataConfig(samples=256, seed=2)

    # a data problem fails with the message, the service lives on
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,x\n")
    with qtbot.waitSignal(service.failed, timeout=KERAS_START_MS) as failure:
        service.start(spec, DataConfig(source="csv", path=str(bad)), epochs=1)
    assert "Input takes 20 features" in failure.args[0] or "row 3" in failure.args[0]

    # train: progress, every epoch, weight snapshots, the history, loss falls
    epochs, progress, weights = [], [], []
    service.epochFinished.connect(lambda e, logs: epochs.append((e, logs)))
    service.progress.connect(lambda e, b, logs, eta: progress.append((e, b, logs, eta)))
    service.weightsUpdated.connect(weights.append)
    with qtbot.waitSignal(service.finished, timeout=KERAS_START_MS) as done:
        service.start(spec, data, epochs=4, batch_size=16, validation_split=0.25)
        assert service.is_training()
    history = done.args[0]
    assert [e for e, _ in epochs] == [1, 2, 3, 4]
    assert len(history["loss"]) == 4 and len(history["val_loss"]) == 4
    assert history["loss"][-1] < history["loss"][0]
    assert progress and progress[-1][0] == 4 and progress[-1][1] == 12 and progress[-1][3] == 0.0
    assert weights and weights[-1]["dense"][0].shape == (20, 64)
    assert service.epochs_done == 4 and not service.is_training()
    assert service.last_result.epochs_done == 4 and not service.last_result.stopped

    # resume: epochs count on, the history grows
    epochs.clear()
    with qtbot.waitSignal(service.finished, timeout=KERAS_START_MS) as done:
        service.resume(spec, data, epochs=2, batch_size=16, validation_split=0.25)
    assert [e for e, _ in epochs] == [5, 6]
    assert len(done.args[0]["loss"]) == 6
    assert done.args[0]["loss"][4] < history["loss"][0]

    # stop: a long run ends within a batch of the request
    epochs.clear()
    seen = []

    def stop_on_first(update):
        if not seen:
            seen.append((update["epoch"], update["batch"]))
            service.stop()

    service.progressDetail.connect(stop_on_first)
    with qtbot.waitSignal(service.finished, timeout=KERAS_START_MS):
        service.resume(spec, DataConfig(samples=2048, seed=2), epochs=50, batch_size=4, validation_split=0.0)
    result = service.last_result
    assert result.stopped and len(result.history["loss"]) == 1
    service.progressDetail.disconnect(stop_on_first)

    # the layers change while training runs: the run is stopped and its results are not kept
    ended = []
    service.finished.connect(ended.append)
    discarded = []

    def discard_on_first(update):
        if not discarded:
            discarded.append(1)
            service.stop()
            service.forget_run()

    service.progressDetail.connect(discard_on_first)
    service.start(spec, DataConfig(samples=2048, seed=2), epochs=50, batch_size=4, validation_split=0.0)
    qtbot.waitUntil(lambda: bool(discarded), timeout=KERAS_START_MS)
    qtbot.waitUntil(lambda: not service.is_training(), timeout=KERAS_START_MS)
    service.progressDetail.disconnect(discard_on_first)
    service.finished.disconnect(ended.append)
    assert not ended and service.spec is None and service.history == {} and service.epochs_done == 0

    # reset: fresh weights, no history
    with qtbot.waitSignal(service.resetDone, timeout=KERAS_START_MS) as reset:
        service.reset(spec)
    assert set(reset.args[0]) == {"dense", "dense_1"}
    assert service.epochs_done == 0 and service.history == {}

    # the engine dies during training: failed(message), the service lives on
    import signal

    def kill_engine(update):
        if service.engine_pid():
            os.kill(service.engine_pid(), signal.SIGKILL)

    service.progressDetail.connect(kill_engine)
    with qtbot.waitSignal(service.failed, timeout=KERAS_START_MS) as died:
        service.start(spec, DataConfig(samples=2048, seed=2), epochs=50, batch_size=4, validation_split=0.0)
    service.progressDetail.disconnect(kill_engine)
    assert "engine stopped" in died.args[0]
    qtbot.waitUntil(lambda: not service.is_training(), timeout=5000)

    with qtbot.waitSignal(service.resetDone, timeout=KERAS_START_MS):
        service.reset(None)  # a new engine starts for it
    pid = service.engine_pid()
    assert pid is not None
    service.session.shutdown()
    assert service.engine_pid() is None
    with pytest.raises(OSError):
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)


def test_normalised_training_reports_the_mean_and_std_it_fitted(qtbot, service):
    import numpy as np

    from nnstudio.core.csv_data import prepare
    from nnstudio.core.spec import ModelSpec

    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=3, activation="softmax"))
    data = DataConfig(source="iris")
    with qtbot.waitSignal(service.finished, timeout=KERAS_START_MS):
        service.start(spec, data, epochs=1, batch_size=32, validation_split=0.2)
    truth = prepare(spec, data, 0.2).normaliser
    mean, std = service.last_result.normaliser
    np.testing.assert_array_equal(np.asarray(mean, np.float32), truth.mean)
    np.testing.assert_array_equal(np.asarray(std, np.float32), truth.std)


def test_an_engine_that_dies_while_the_worker_is_busy_is_noticed(qtbot, service):
    """The engine dies (and is reaped) while the worker is still handling its last message: the
    worker's next wait must still see the death, not wait for a request that never comes."""
    import signal

    service.session.start()
    worker = service.session._bridge.worker
    report = worker.reports.progress
    killed = []

    def progress_then_die(job, value, weights):
        if not killed:
            killed.append(worker.client.pid)
            os.kill(worker.client.pid, signal.SIGKILL)
            worker.client.process.join(60)  # dead and reaped before the worker looks again
        report(job, value, weights)

    worker.reports.progress = progress_then_die
    with qtbot.waitSignal(service.failed, timeout=KERAS_START_MS) as died:
        service.start(lesson_spec(), DataConfig(samples=2048, seed=2), epochs=50, batch_size=4, validation_split=0.0)
    assert killed and "engine stopped" in died.args[0]
    qtbot.waitUntil(lambda: not service.is_training(), timeout=5000)


def test_a_graph_with_several_inputs_and_outputs_trains_through_the_engine(qtbot, service, tmp_path):
    """The app's road: synthetic data shaped for each input and output; CSV data refused with the reason."""
    from nnstudio.core.keras_archive import parse_keras_config
    from tests.core.test_keras_functional import DATA

    spec = parse_keras_config((DATA / "functional_mha_config.json").read_bytes())  # 3 inputs, 2 outputs, shared
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n3,4\n")
    with qtbot.waitSignal(service.failed, timeout=KERAS_START_MS) as failure:
        service.start(spec, DataConfig(source="csv", path=str(table)), epochs=1)
    assert "CSV data is for models with one input and one output" in failure.args[0]
    assert "3 input(s) and 2 output(s)" in failure.args[0]

    with qtbot.waitSignal(service.finished, timeout=KERAS_START_MS) as done:
        service.start(spec, DataConfig(samples=128, seed=1), epochs=2, batch_size=16, validation_split=0.25)
    history = done.args[0]
    assert len(history["loss"]) == 2 and {"add_loss", "shared_loss", "val_loss"} <= set(history)
    weights = service.last_result.weights
    assert [w.shape for w in weights["shared"]] == [(8, 8), (8,)]
    assert len(weights["m1"]) == 8 and weights["q"] == []
