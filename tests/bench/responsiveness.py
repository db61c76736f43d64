"""GUI responsiveness while Keras loads and builds: engine process (the app) vs a QThread (baseline).

    python tests/bench/responsiveness.py [--repeat N]

A 10 ms QTimer heartbeat runs on the GUI thread of an offscreen QApplication while

- "process" (what nnstudio does): the engine session starts its engine process, Keras is imported
  there, a 20-layer 1024-wide Dense model (21 M parameters, 84 MB of weights) is built and its
  weights arrive through shared memory;
- "thread" (the baseline): the same work - import Keras, build with nnstudio.keras_io, read the
  weights - runs in a QThread of the GUI process.

The longest gap between heartbeats is the GUI freeze. Keras can be imported only once per process,
so every measurement runs in a fresh subprocess of this script (`--measure NAME`), in the same run.
The last line is JSON: {"max_gap_ms", "thread_baseline_max_gap_ms", ...}. Goal: max_gap_ms <= 50.

Adding a measurement: write `def measure_training(app, ticks) -> dict`
that does its work while the heartbeat ticks and returns {"max_gap_ms": ..., ...}, and register it
in MEASUREMENTS as `"training": (measure_training, "training_max_gap_ms")`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HEARTBEAT_MS = 10
GOAL_MS = 50.0
LAYERS, WIDTH = 20, 1024
TIMEOUT_S = 300.0


def wide_spec(layers: int = LAYERS, width: int = WIDTH):
    from nnstudio.core.spec import ModelSpec

    spec = ModelSpec(name="wide")
    spec = spec.inserted(0, spec.new_layer("Input", shape=[width]))
    for i in range(layers):
        spec = spec.inserted(i + 1, spec.new_layer("Dense", units=width, activation="relu"))
    return spec


class Heartbeat:
    """Timestamps of a 10 ms QTimer on the GUI thread; `max_gap_ms(since)` is the worst freeze."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def worst_gaps(self, since: float, n: int = 3) -> list[tuple[float, float]]:
        """The `n` longest gaps as (ms, seconds after `since` at which the gap ended)."""
        ticks = [since] + [t for t in self.ticks if t >= since]
        gaps = sorted(((b - a, b - since) for a, b in zip(ticks, ticks[1:], strict=False)), reverse=True)[:n]
        return [(round(g * 1000.0, 1), round(at, 2)) for g, at in gaps]

    def max_gap_ms(self, since: float) -> float:
        ticks = [since] + [t for t in self.ticks if t >= since]
        return max((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=float("inf")) * 1000.0


def run_until(app, done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
    """Spin the GUI event loop (never blocking it) until `done()`."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    deadline = time.monotonic() + timeout_s

    def check() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    if not done():
        raise TimeoutError("the measured work did not finish in time")


def settle(app, heartbeat: Heartbeat, seconds: float = 0.3) -> None:
    end = time.perf_counter() + seconds
    run_until(app, lambda: time.perf_counter() >= end)


def measure_process(app, heartbeat: Heartbeat) -> dict:
    """The app's way: the engine session's process; weights through shared memory."""
    from nnstudio.services.engine_session import EngineSession
    from nnstudio.services.model_service import ModelService

    results: list = []
    failures: list = []
    states: list[tuple[float, str]] = []
    session = EngineSession()
    service = ModelService(session)
    service.buildFinished.connect(results.append)
    service.buildFailed.connect(failures.append)
    service.engineStateChanged.connect(lambda s, m: states.append((time.perf_counter(), s)))
    settle(app, heartbeat)
    start = time.perf_counter()
    try:
        service.start()
        service.request_build(wide_spec())
        run_until(app, lambda: bool(results or failures))
        arrived = time.perf_counter()
        settle(app, heartbeat, 0.1)
    finally:
        session.shutdown()
    if failures:
        raise RuntimeError(f"build failed: {failures[0].message}")
    result = results[0]
    assert len(result.weights) == LAYERS and result.total_params == LAYERS * (WIDTH * WIDTH + WIDTH)
    ready = next((t for t, s in states if s == "ready"), arrived)
    return {
        "max_gap_ms": round(heartbeat.max_gap_ms(start), 1),
        "keras_ready_s": round(ready - start, 2),
        "result_arrived_s": round(arrived - start, 2),
        "engine_build_ms": round(result.elapsed_ms, 1),
        "worst_gaps_ms_at_s": heartbeat.worst_gaps(start),
        "states_s": [(s, round(t - start, 2)) for t, s in states],
        "weights_mb": round(sum(a.nbytes for arrays in result.weights.values() for a in arrays) / 2**20, 1),
    }


def measure_thread(app, heartbeat: Heartbeat) -> dict:
    """The baseline: the same work in a QThread of the GUI process (holds the GIL)."""
    from PySide6.QtCore import QThread

    out: dict = {}

    class Work(QThread):
        def run(self) -> None:
            try:
                t0 = time.perf_counter()
                import keras  # noqa: F401

                from nnstudio.keras_io.build import build_model, keras_summary, layer_weights

                out["import_s"] = time.perf_counter() - t0
                t1 = time.perf_counter()
                model = build_model(wide_spec())
                keras_summary(model)
                out["weights"] = layer_weights(model)
                out["build_ms"] = (time.perf_counter() - t1) * 1000.0
            except Exception as exc:  # reported by the parent
                out["error"] = repr(exc)

    work = Work()
    settle(app, heartbeat)
    start = time.perf_counter()
    work.start()
    run_until(app, lambda: work.isFinished())
    arrived = time.perf_counter()
    settle(app, heartbeat, 0.1)
    work.wait()
    if "error" in out:
        raise RuntimeError(out["error"])
    return {
        "max_gap_ms": round(heartbeat.max_gap_ms(start), 1),
        "import_s": round(out["import_s"], 2),
        "build_ms": round(out["build_ms"], 1),
        "result_arrived_s": round(arrived - start, 2),
        "worst_gaps_ms_at_s": heartbeat.worst_gaps(start),
    }


def measure_training(app, heartbeat: Heartbeat) -> dict:
    """Training in the real window: the lesson's model fits synthetic data in the engine session's
    process while the canvas, the Weights dock and the training panel's progress and curves follow
    it (and the Data tab, the data's PCA plane with the model's first output over it). Measured from
    Train to the end of training (Keras already loaded for the builds)."""
    from nnstudio.core.spec import lesson_spec

    return _measure_training(app, heartbeat, lesson_spec(), "auto")


def plane_spec():
    """A classifier of 2-D points (the Playground's kind of model): 2 -> 24 -> 24 -> 2."""
    from nnstudio.core.spec import CompileSpec, ModelSpec

    spec = ModelSpec(name="plane", compile=CompileSpec(loss="sparse_categorical_crossentropy", metrics=("accuracy",)))
    spec = spec.inserted(0, spec.new_layer("Input", shape=[2]))
    for units, activation in ((24, "tanh"), (24, "tanh"), (2, "softmax")):
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units, activation=activation))
    return spec


def measure_training_plane(app, heartbeat: Heartbeat) -> dict:
    """As `measure_training`, for a 2-D task (circles): the Data tab redraws the decision surface over a
    100 x 100 grid a few times a second."""
    return _measure_training(app, heartbeat, plane_spec(), "circles")


def _measure_training(app, heartbeat: Heartbeat, spec, task: str) -> dict:
    import tempfile

    from PySide6.QtCore import QSettings

    from nnstudio.core.data_plane import PlaneSurface
    from nnstudio.services.document import Document
    from nnstudio.services.engine_session import EngineSession
    from nnstudio.services.model_service import ModelService
    from nnstudio.services.training_service import TrainingService
    from nnstudio.ui.main_window import MainWindow

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat)
    session = EngineSession()
    training = TrainingService(session)
    window = MainWindow(Document(spec), ModelService(session), training, settings=settings)
    surfaces: list[float] = []
    training.dataView.connect(lambda view: isinstance(view, PlaneSurface) and surfaces.append(time.perf_counter()))
    snapshots: list[float] = []
    finished: list = []
    failed: list = []
    training.weightsUpdated.connect(lambda _w: snapshots.append(time.perf_counter()))
    training.finished.connect(finished.append)
    training.failed.connect(failed.append)
    try:
        window.show()
        window.start_service()
        window.document.select_layer(1)  # the Weights dock follows dense
        window.docks["trainingDock"].raise_()
        run_until(app, lambda: window.model_state.last_result is not None)
        panel = window.training_panel
        assert panel is not None
        panel.epochs.setValue(TRAIN_EPOCHS)
        panel.samples.setValue(TRAIN_SAMPLES)
        panel.task.setCurrentIndex(panel.task.findData(task))
        # warm-up: the first fit traces Keras's training step (not measured)
        panel.epochs.setValue(1)
        panel.train_button.click()
        run_until(app, lambda: bool(finished or failed))
        if failed:
            raise RuntimeError(f"training failed: {failed[0]}")
        finished.clear()
        snapshots.clear()
        surfaces.clear()
        panel.epochs.setValue(TRAIN_EPOCHS)
        settle(app, heartbeat)
        start = time.perf_counter()
        panel.train_button.click()
        run_until(app, lambda: bool(finished or failed))
        end = time.perf_counter()
        settle(app, heartbeat, 0.2)
        if failed:
            raise RuntimeError(f"training failed: {failed[0]}")
        return {
            "max_gap_ms": round(heartbeat.max_gap_ms(start), 1),
            "train_s": round(end - start, 2),
            "epochs": len(finished[0].get("loss", [])),
            "weight_snapshots": len(snapshots),
            "data_view_surfaces": len(surfaces),
            "worst_gaps_ms_at_s": heartbeat.worst_gaps(start),
        }
    finally:
        session.shutdown()
        window.document.undo_stack.setClean()
        window.close()


TRAIN_EPOCHS, TRAIN_SAMPLES = 20, 4096

# name -> (function, key of its max gap in the final JSON)
MEASUREMENTS: dict[str, tuple[Callable, str]] = {
    "process": (measure_process, "max_gap_ms"),
    "thread": (measure_thread, "thread_baseline_max_gap_ms"),
    "training": (measure_training, "training_max_gap_ms"),
    "training_plane": (measure_training_plane, "training_plane_max_gap_ms"),
}


def measure_here(name: str) -> None:
    """Child mode: one measurement in this fresh process; prints its JSON as the last line."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    heartbeat = Heartbeat()
    heartbeat.start()
    try:
        result = MEASUREMENTS[name][0](app, heartbeat)
    finally:
        heartbeat.stop()
    print(json.dumps(result), flush=True)


def measure_in_subprocess(name: str) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", name],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S + 60,
        cwd=str(ROOT),
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"measurement {name!r} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", choices=sorted(MEASUREMENTS), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (the worst is reported)")
    parser.add_argument("--only", choices=sorted(MEASUREMENTS), action="append", help="run only these")
    args = parser.parse_args(argv)
    if args.measure:
        measure_here(args.measure)
        return 0
    summary: dict = {}
    details: dict = {}
    for name in args.only or list(MEASUREMENTS):
        key = MEASUREMENTS[name][1]
        runs = [measure_in_subprocess(name) for _ in range(max(1, args.repeat))]
        for run in runs:
            print(f"{name}: {json.dumps(run)}", flush=True)
        summary[key] = max(run["max_gap_ms"] for run in runs)
        details[name] = runs
    if "max_gap_ms" in summary:
        summary["goal_ms"] = GOAL_MS
        summary["meets_goal"] = summary["max_gap_ms"] <= GOAL_MS
    if "training_max_gap_ms" in summary:
        summary["goal_ms"] = GOAL_MS
        summary["training_meets_goal"] = summary["training_max_gap_ms"] <= GOAL_MS
    if "training_plane_max_gap_ms" in summary:
        summary["goal_ms"] = GOAL_MS
        summary["training_plane_meets_goal"] = summary["training_plane_max_gap_ms"] <= GOAL_MS
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
