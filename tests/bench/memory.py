"""Memory of the whole application (window + engine) after building and training the lesson, and its engines.

    python tests/bench/memory.py

In a fresh child process the window is assembled as `nnstudio` assembles it (one engine session,
its model and training services), shown offscreen, the lesson is built by Keras, then trained
from the Training panel (synthetic data, 20 epochs). The process tree is sampled every 50 ms from
the start to the end of training: every Keras engine (a multiprocessing spawn child) is recorded.
At the end the resident memory (RSS) and the proportional share (PSS, shared pages split between
the processes) of the window's process and all its descendants are summed (Linux /proc).

Baseline in the same run: a bare `import keras` in a fresh interpreter (what any Keras program holds).
Last line: JSON {"rss_total_mb", "pss_total_mb", "gui_rss_mb", "engines_rss_mb", "engine_pids",
"engines_at_once_max", "keras_import_rss_mb", "goal_mb", "meets_goal", "one_engine"}.
Goals: the RSS total <= 900 MB; one engine process through the build and the training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

GOAL_MB = 900.0
EPOCHS = 20
TIMEOUT_S = 300.0


def run_until(app, done, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the application did not finish in time")
        app.processEvents()
        time.sleep(0.005)


def measure_here() -> dict:
    """Child mode: the window, a build and a training run in this fresh process."""
    import tempfile

    from PySide6.QtCore import QSettings, QTimer

    from nnstudio.app import make_application
    from nnstudio.core.spec import lesson_spec
    from nnstudio.services.document import Document
    from nnstudio.services.engine_session import EngineSession
    from nnstudio.services.model_service import ModelService
    from nnstudio.services.training_service import TrainingService
    from nnstudio.ui.main_window import MainWindow
    from tests.proc_tree import engines, memory_kb, tree

    app = make_application()
    seen: set[int] = set()
    at_once = [0]

    def sample() -> None:
        current = engines()
        seen.update(current)
        at_once[0] = max(at_once[0], len(current))

    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(50)
    session = EngineSession()
    session.start()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat)
    training = TrainingService(session)
    window = MainWindow(Document(lesson_spec()), ModelService(session), training, settings=settings)
    finished: list = []
    failed: list = []
    training.finished.connect(finished.append)
    training.failed.connect(failed.append)
    try:
        window.show()
        window.start_service()
        run_until(app, lambda: window.model_state.last_result is not None)
        built_rss = sum(memory_kb(pid, "Rss") for pid in tree())
        panel = window.training_panel
        assert panel is not None
        window.docks["trainingDock"].raise_()
        panel.epochs.setValue(EPOCHS)
        panel.train_button.click()
        run_until(app, lambda: bool(finished or failed))
        if failed:
            raise RuntimeError(f"training failed: {failed[0]}")
        settle = time.monotonic() + 0.5
        run_until(app, lambda: time.monotonic() > settle)
        sample()
        pids = tree()
        gui = os.getpid()
        rss = {pid: memory_kb(pid, "Rss") for pid in pids}
        pss = {pid: memory_kb(pid, "Pss") for pid in pids}
        return {
            "rss_total_mb": round(sum(rss.values()) / 1024, 1),
            "pss_total_mb": round(sum(pss.values()) / 1024, 1),
            "gui_rss_mb": round(rss[gui] / 1024, 1),
            "engines_rss_mb": round(sum(rss[pid] for pid in engines()) / 1024, 1),
            "helpers_rss_mb": round(sum(v for pid, v in rss.items() if pid != gui and pid not in engines()) / 1024, 1),
            "after_build_rss_total_mb": round(built_rss / 1024, 1),
            "processes": len(pids),
            "engine_pids": sorted(seen),
            "engines_at_once_max": at_once[0],
            "epochs": len(finished[0].get("loss", [])),
        }
    finally:
        sampler.stop()
        session.shutdown()
        window.document.undo_stack.setClean()
        window.close()


def keras_import_rss_mb() -> float:
    script = "import keras\nprint(open('/proc/self/status').read())"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("VmRSS:"))
    return round(int(line.split()[1]) / 1024, 1)


def main() -> int:
    if "--measure" in sys.argv:
        print(json.dumps(measure_here()), flush=True)
        return 0
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S + 60,
        cwd=str(ROOT),
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"the measurement failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["keras_import_rss_mb"] = keras_import_rss_mb()
    result["goal_mb"] = GOAL_MB
    result["meets_goal"] = result["rss_total_mb"] <= GOAL_MB
    result["one_engine"] = len(result["engine_pids"]) == 1 and result["engines_at_once_max"] == 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
