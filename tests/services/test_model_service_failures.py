"""The model service when the engine hangs, dies mid-load, cannot import Keras, or is shut down mid-build."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from nnstudio.core.spec import lesson_spec
from nnstudio.services.engine_session import EngineSession
from nnstudio.services.engine_worker import (
    DEFAULT_OP_TIMEOUT_S,
    DEFAULT_START_TIMEOUT_S,
    DIED_MESSAGE,
    MAX_FAILED_STARTS,
)
from nnstudio.services.model_service import ModelService
from tests.conftest_threads import leaked_qthreads

pytestmark = pytest.mark.engine

START_TIMEOUT_MS = 180_000  # an engine start imports TensorFlow: seconds, more on a busy machine


@pytest.fixture
def make_service(make_session):
    return lambda **kwargs: ModelService(make_session(**kwargs))


def _record(service: ModelService) -> list[tuple[str, str]]:
    states: list[tuple[str, str]] = []
    service.engineStateChanged.connect(lambda state, message: states.append((state, message)))
    return states


def _dead(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _state_is(wanted: str):
    return lambda state, message: state == wanted


def test_timeouts_come_from_arguments_or_the_environment(qtbot, monkeypatch):
    assert EngineSession().timeouts() == (DEFAULT_START_TIMEOUT_S, DEFAULT_OP_TIMEOUT_S)
    monkeypatch.setenv("NNSTUDIO_ENGINE_START_TIMEOUT", "12.5")
    monkeypatch.setenv("NNSTUDIO_ENGINE_OP_TIMEOUT", "not a number")
    assert EngineSession().timeouts() == (12.5, DEFAULT_OP_TIMEOUT_S)
    session = EngineSession(start_timeout_s=3, op_timeout_s=4)
    assert session.timeouts() == (3, 4)
    session.set_timeouts(op_timeout_s=7)
    assert session.timeouts() == (3, 7)


def test_an_engine_hanging_in_the_keras_import_is_replaced_then_given_up_then_retried(qtbot, make_service):
    service = make_service(start_timeout_s=2.0)
    service.session.set_debug_delay("start", 600.0)  # every engine "hangs" importing Keras
    states = _record(service)
    pids: set[int] = set()
    service.engineStateChanged.connect(lambda *_: pids.add(service.engine_pid() or 0))
    failures = []
    service.buildFailed.connect(failures.append)
    with qtbot.waitSignal(service.engineStateChanged, timeout=120_000, check_params_cb=_state_is("failed")) as blocker:
        service.session.start()
        request_id = service.request_build(lesson_spec())  # waits for an engine that never gets ready
    message = blocker.args[1]
    assert f"failed to start {MAX_FAILED_STARTS} times" in message
    assert "did not load Keras within 2 s" in message
    restarts = [m for s, m in states if s == "restarting"]
    assert restarts == [
        f"The Keras engine did not load Keras within 2 s; restarting it (try {n} of {MAX_FAILED_STARTS})…"
        for n in range(2, MAX_FAILED_STARTS + 1)
    ]
    qtbot.waitUntil(lambda: len(failures) == 1, timeout=10_000)
    assert failures[0].request_id == request_id and failures[0].message == message
    assert service.session.is_running() and service.engine_pid() is None  # the service lives on, no engine
    assert all(_dead(pid) for pid in pids - {0})

    # The next request tries again with a fresh engine (here: one that loads Keras).
    service.session.set_debug_delay("start", 0.0)
    service.session.set_timeouts(start_timeout_s=600.0)
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS) as blocker:
        again = service.request_build(lesson_spec())
    assert blocker.args[0].request_id == again and blocker.args[0].total_params == 1994
    assert service.session.state()[0] == "ready"


def test_a_runaway_build_is_failed_after_the_op_timeout_and_the_engine_replaced(qtbot, make_service):
    service = make_service()
    service.session.start()
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS):
        service.request_build(lesson_spec())
    pid = service.engine_pid()
    states = _record(service)
    service.session.set_timeouts(op_timeout_s=3.0)  # only the runaway build runs under the short limit (busy machines)
    service.session.set_debug_delay("build", 600.0)
    with qtbot.waitSignal(service.buildFailed, timeout=60_000) as blocker:
        runaway = service.request_build(lesson_spec())
    failure = blocker.args[0]
    assert failure.request_id == runaway
    assert failure.message == "Keras did not finish this build within 3 s; the engine was restarted."
    qtbot.waitUntil(lambda: ("restarting", "A Keras build ran longer than 3 s; restarting the engine…") in states)
    service.session.set_debug_delay("build", 0.0)
    service.session.set_timeouts(op_timeout_s=DEFAULT_OP_TIMEOUT_S)
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS) as blocker:
        after = service.request_build(lesson_spec())
    assert blocker.args[0].request_id == after
    assert service.engine_pid() not in (None, pid) and _dead(pid)


def test_an_engine_killed_during_a_load_fails_the_load_and_the_next_build_works(qtbot, make_service, tmp_path):
    service = make_service()
    service.session.start()
    service.session.set_debug_delay("load_keras", 600.0)
    loaded, failed = [], []
    service.keras_loaded.connect(loaded.append)
    service.loadFailed.connect(failed.append)
    with qtbot.waitSignal(
        service.engineStateChanged,
        timeout=START_TIMEOUT_MS,
        check_params_cb=lambda s, m: m.startswith("Loading the file"),
    ):
        service.load_keras(str(tmp_path / "model.keras"))
    pid = service.engine_pid()
    states = _record(service)
    with qtbot.waitSignal(service.loadFailed, timeout=30_000) as blocker:
        os.kill(pid, signal.SIGKILL)
    assert blocker.args[0] == "The Keras engine stopped while working on this file (too large or damaged?)."
    qtbot.waitUntil(lambda: ("restarting", DIED_MESSAGE) in states, timeout=10_000)
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS) as blocker:
        request_id = service.request_build(lesson_spec())
    assert blocker.args[0].request_id == request_id
    assert service.engine_pid() not in (None, pid)
    assert loaded == [] and len(failed) == 1  # the load is not re-sent to the new engine


def test_keras_failing_to_import_is_a_clear_failed_state(qtbot, make_service, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "no_such_backend")  # the engine inherits it: `import keras` raises
    service = make_service()
    states = _record(service)
    with qtbot.waitSignal(service.buildFailed, timeout=START_TIMEOUT_MS) as blocker:
        service.session.start()
        request_id = service.request_build(lesson_spec())
    failure = blocker.args[0]
    assert failure.request_id == request_id
    assert failure.message.startswith("Keras could not be loaded: ") and "no_such_backend" in failure.message
    assert ("failed", failure.message) in states
    assert service.session.is_running() and service.engine_pid() is None
    with qtbot.waitSignal(service.exportFailed, timeout=START_TIMEOUT_MS) as blocker:
        service.export_keras(lesson_spec(), "/tmp/never-written.keras")  # a fresh engine tries, fails again
    assert "no_such_backend" in blocker.args[0]


def _poll(condition, timeout_s: float = 60.0) -> None:
    """Wait for `condition` WITHOUT processing Qt events (the worker's signals stay queued)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_shutdown_during_a_build_is_quiet_and_returns_promptly(qtbot, make_service):
    service = make_service()
    service.session.start()
    with qtbot.waitSignal(service.buildFinished, timeout=START_TIMEOUT_MS):
        service.request_build(lesson_spec())
    worker, inbox = service.session._bridge.worker, service.session._inbox
    after: list[object] = []
    for signal_ in (
        service.engineStateChanged,
        service.buildStarted,
        service.buildFinished,
        service.buildFailed,
        service.loadFailed,
        service.keras_loaded,
    ):
        signal_.connect(lambda *args: after.append(args))
    # From here on the GUI thread processes no events: whatever the worker emits stays queued.
    service.request_build(lesson_spec())  # finishes in the engine; its signals wait in the queue
    _poll(lambda: worker.inflight is None and not inbox.has_work())
    service.session.set_debug_delay("build", 600.0)
    running = service.request_build(lesson_spec())  # runs in the engine at shutdown
    _poll(lambda: worker.inflight is not None and worker.inflight.request_id == running)
    service.request_build(lesson_spec())  # waits behind it
    service.load_keras("/tmp/never-read.keras")  # waits too
    pid = service.engine_pid()
    service.session.shutdown()
    assert after == []
    qtbot.wait(300)  # anything still queued would arrive now
    assert after == []
    assert _dead(pid) and leaked_qthreads() == [] and multiprocessing.active_children() == []


def test_the_gui_process_never_imports_keras_or_tensorflow(tmp_path):
    """The whole window (canvas, service, first Keras build in the engine) with no Keras here."""
    script = (
        "import sys\n"
        "import nnstudio.app as app\n"
        f"code = app.run_app(screenshot={str(tmp_path / 'shot.png')!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'keras', 'tensorflow', 'tf_keras', 'jax', 'torch'})\n"
        "print('HEAVY', code, heavy[:5])\n"
        "import gc\n"
        "print('FROZEN', gc.get_freeze_count() > 20_000)\n"  # start-up's objects left out of later collections
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("HEAVY")]
    assert lines == ["HEAVY 0 []"], out.stdout[-2000:] + out.stderr[-2000:]
    assert "FROZEN True" in out.stdout.splitlines()
    assert (tmp_path / "shot.png").is_file()
