"""The model service: builds through the engine, survives its death, newest request wins, clean shutdown."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.engine.protocol import BuildResult
from nnstudio.services.engine_worker import CANCEL_MESSAGE, DIED_MESSAGE
from nnstudio.services.model_service import ModelService
from tests.conftest_threads import leaked_qthreads

pytestmark = pytest.mark.engine

START_TIMEOUT_MS = 180_000  # an engine start imports TensorFlow: seconds, more on a busy machine


@pytest.fixture
def make_service(make_session):
    def make(**kwargs) -> ModelService:
        service = ModelService(make_session(**kwargs))
        service.start()
        return service

    return make


def _with_units(spec: ModelSpec, units: int) -> ModelSpec:
    return spec.with_layer(1, spec.layers[1].with_params(units=units))


def _is(request_id):
    return lambda result: result.request_id == request_id


def test_lesson_builds_exports_loads_and_shutdown_leaves_nothing(qtbot, tmp_path, model_service):
    service = model_service
    states = []
    service.engineStateChanged.connect(lambda s, m: states.append(s))
    asked = lesson_spec()
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS) as blocker:
        service.start()
        request_id = service.request_build(asked)
    result = blocker.args[0]
    assert isinstance(result, BuildResult) and result.request_id == request_id
    assert result.spec is asked  # the very spec asked for, not the engine's copy of it
    assert [r["params"] for r in result.rows] == [1344, 650]
    assert result.total_params == 1994
    assert [a.shape for a in result.weights["dense"]] == [(20, 64), (64,)]
    assert states[0] == "starting" and "ready" in states

    failing = _with_units(lesson_spec(), 0)
    with qtbot.waitSignal(service.buildFailed, timeout=60_000) as blocker:
        failing_id = service.request_build(failing)
    assert blocker.args[0].request_id == failing_id and blocker.args[0].layer_name == "dense"
    assert blocker.args[0].spec is failing

    path = tmp_path / "lesson.keras"
    with qtbot.waitSignal(service.exportFinished, timeout=60_000) as blocker:
        service.export_keras(lesson_spec(), str(path), weights=result.weights)
    assert blocker.args[0] == str(path) and path.is_file()
    with qtbot.waitSignal(service.keras_loaded, timeout=60_000) as blocker:
        service.load_keras(str(path))
    spec, weights = blocker.args[0]
    assert [layer.name for layer in spec.layers][1:] == ["dense", "dense_1"]
    assert (weights["dense"][0] == result.weights["dense"][0]).all()
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip file")
    with qtbot.waitSignal(service.loadFailed, timeout=60_000) as blocker:
        service.load_keras(str(broken))
    assert blocker.args[0]
    with qtbot.waitSignal(service.exportFailed, timeout=60_000):
        service.export_keras(lesson_spec(), str(tmp_path / "no" / "such" / "dir" / "x.keras"))

    pid = service.engine_pid()
    service.session.shutdown()
    assert not service.session.is_running() and service.engine_pid() is None
    assert service.request_build(lesson_spec()) == -1  # a late edit does not start a new engine
    assert leaked_qthreads() == [] and multiprocessing.active_children() == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_killing_the_engine_mid_build_restarts_it_and_resends(qtbot, make_service):
    service = make_service()
    service.session.set_debug_delay("build", 60.0)  # the build is certainly running when the engine dies
    with qtbot.waitSignal(service.buildStarted, timeout=START_TIMEOUT_MS):
        first = service.request_build(lesson_spec())
    pid = service.engine_pid()
    service.session.set_debug_delay("build", 0.0)
    with qtbot.waitSignal(
        service.engineStateChanged, timeout=30_000, check_params_cb=lambda state, message: state == "restarting"
    ) as blocker:
        os.kill(pid, signal.SIGKILL)
    assert blocker.args[1] == DIED_MESSAGE
    # The build that was running is sent again to the new engine ...
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS, check_params_cb=_is(first)):
        pass
    assert service.engine_pid() not in (None, pid)
    # ... and the next edit builds.
    with qtbot.waitSignal(service.buildFinished, timeout=60_000) as blocker:
        second = service.request_build(_with_units(lesson_spec(), 32))
    assert blocker.args[0].request_id == second
    assert blocker.args[0].rows[0]["params"] == 20 * 32 + 32


def test_a_newer_request_replaces_a_running_one(qtbot, make_service):
    service = make_service()  # cancel_after_s=5: a 2 s build is left to finish, its result dropped
    started, finished = [], []
    service.buildStarted.connect(started.append)
    service.buildFinished.connect(lambda r: finished.append(r.request_id))
    service.session.set_debug_delay("build", 2.0)
    with qtbot.waitSignal(service.buildStarted, timeout=START_TIMEOUT_MS):
        a = service.request_build(lesson_spec())
    service.session.set_debug_delay("build", 0.0)
    b = service.request_build(_with_units(lesson_spec(), 8))  # waits, then is replaced: never sent
    c = service.request_build(_with_units(lesson_spec(), 16))
    with qtbot.waitSignal(service.buildFinished, timeout=60_000, check_params_cb=_is(c)) as blocker:
        pass
    assert blocker.args[0].rows[0]["params"] == 20 * 16 + 16
    assert started == [a, c] and b not in started
    assert finished == [c]


def test_a_long_build_is_cancelled_by_restarting_the_engine(qtbot, make_service):
    service = make_service(cancel_after_s=0.5)
    finished = []
    service.buildFinished.connect(lambda r: finished.append(r.request_id))
    service.session.set_debug_delay("build", 60.0)
    with qtbot.waitSignal(service.buildStarted, timeout=START_TIMEOUT_MS):
        service.request_build(lesson_spec())
    pid = service.engine_pid()
    service.session.set_debug_delay("build", 0.0)
    with qtbot.waitSignal(
        service.engineStateChanged, timeout=30_000, check_params_cb=lambda state, message: state == "restarting"
    ) as blocker:
        newest = service.request_build(_with_units(lesson_spec(), 4))
    assert blocker.args[1] == CANCEL_MESSAGE
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS, check_params_cb=_is(newest)):
        pass
    assert finished == [newest]
    assert service.engine_pid() != pid


def wide_spec(layers: int = 20, width: int = 1024) -> ModelSpec:
    spec = ModelSpec(name="wide")
    spec = spec.inserted(0, spec.new_layer("Input", shape=[width]))
    for i in range(layers):
        spec = spec.inserted(i + 1, spec.new_layer("Dense", units=width, activation="relu"))
    return spec


def test_a_build_hands_back_the_very_arrays_sent_for_the_layers_it_kept(qtbot, model_service):
    """An edit's build carries the weights so far: the layers Keras kept as they were come back as
    the arrays sent (one copy in the GUI, nothing sent back for them); the edited layer's are new."""
    service = model_service
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS) as blocker:
        service.start()
        service.request_build(lesson_spec())
    first = blocker.args[0].weights
    wider = lesson_spec().with_layer(2, lesson_spec().layers[2].with_params(units=12))
    with qtbot.waitSignal(service.buildFinished, timeout=60_000) as blocker:
        service.request_build(wider, first)
    result = blocker.args[0]
    assert result.kept == ("dense",)
    assert all(a is b for a, b in zip(result.weights["dense"], first["dense"], strict=True))
    assert [a.shape for a in result.weights["dense_1"]] == [(64, 12), (12,)]
    assert list(result.weights) == ["dense", "dense_1"], "in the model's order"


def test_a_20_layer_1024_wide_model_builds_with_its_weights(qtbot, make_service):
    """The GUI thread's gaps while it builds are measured by tests/bench/responsiveness.py."""
    service = make_service()
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS) as blocker:
        service.request_build(wide_spec())
    result = blocker.args[0]
    assert result.total_params == 20 * (1024 * 1024 + 1024)
    assert len(result.weights) == 20


def test_the_ready_message_names_keras_and_its_backend_as_the_engine_reported_them():
    from nnstudio.services.engine_worker import ready_message

    info = {"keras_version": "3.15.1", "backend": "tensorflow", "backend_version": "2.21.0"}
    assert ready_message(info) == "Keras 3.15.1 ready (TensorFlow 2.21.0)"
    assert ready_message({"keras_version": "3.15.1", "backend": "jax"}) == "Keras 3.15.1 ready"
    assert ready_message({}) == "Keras ready"
