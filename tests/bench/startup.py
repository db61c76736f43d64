"""Start-up time: `nnstudio resources/examples/lesson.nnstudio`, from process start to window and to Keras.

Launches the app as a child process with NNSTUDIO_STARTUP_TIMING=1 (it prints a JSON line when the
window is shown and one when Keras has confirmed the summary, then quits) and measures both from
just before the process was started. Baselines measured in the same run: a bare PySide6 window
(the floor for `window_shown_s`) and `import keras` in a fresh interpreter (the floor that
`keras_ready_s` adds a build to). One warm-up run fills the byte-code cache (as `pip install`
does); then RUNS runs (env STARTUP_RUNS, default 3) and medians.

    python tests/bench/startup.py

Each run pairs the app with a bare `import keras` started right after it, so that `keras_lag_s`,
the Keras-confirmed summary minus that import, compares the two under the same load.

Last line: JSON {"window_shown_s", "keras_ready_s", "bare_window_s", "keras_import_s", "keras_lag_s", "runs", goals}.
Goals on this machine: window within 1.0 s, Keras-confirmed summary within 4 s and within 0.5 s of
the same run's bare `import keras`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"
RUNS = int(os.environ.get("STARTUP_RUNS", "3"))
GOAL_WINDOW_S = 1.0
GOAL_KERAS_S = 4.0
GOAL_LAG_S = 0.5

BARE_WINDOW = """
import json, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1400, 900); w.show()
QTimer.singleShot(0, lambda: (print(json.dumps({"event": "window_shown", "t": time.time()}), flush=True), app.quit()))
app.exec()
"""


def env(scratch: str) -> dict[str, str]:
    e = dict(os.environ)
    # Byte code is cached, as after `pip install` (this machine sets PYTHONDONTWRITEBYTECODE, which
    # would make every start compile nnstudio's sources again); the cache lives in the scratch folder.
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e.update(
        PYTHONPYCACHEPREFIX=str(Path(scratch) / "pycache"),
        QT_QPA_PLATFORM=e.get("QT_QPA_PLATFORM", "offscreen"),
        TF_CPP_MIN_LOG_LEVEL="3",
        NNSTUDIO_STARTUP_TIMING="1",
        XDG_CONFIG_HOME=str(Path(scratch) / "config"),  # the person's settings stay untouched
        XDG_DATA_HOME=str(Path(scratch) / "data"),
        NNSTUDIO_DATA_DIR=str(Path(scratch) / "data" / "nnstudio"),
    )
    return e


def timed_events(argv: list[str], environment: dict[str, str], timeout: float = 120) -> dict[str, float]:
    """Run argv; seconds from just before start to each {"event", "t"} line it prints."""
    start = time.time()
    out = subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{argv} failed ({out.returncode}): {out.stderr[-2000:]}")
    events: dict[str, float] = {}
    for line in out.stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "event" in record:
            events[record["event"]] = record["t"] - start
            if record["event"] == "keras_ready" and record.get("state") != "confirmed":
                raise SystemExit(f"Keras did not confirm the summary: {record}")
    return events


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nnstudio-bench-") as scratch:
        environment = env(scratch)
        app = [sys.executable, "-m", "nnstudio", str(LESSON)]
        timed_events(app, environment)  # warm-up, not counted: fills the byte-code cache
        shown, ready, bare, keras_import, lag = [], [], [], [], []
        for _ in range(RUNS):
            events = timed_events(app, environment)
            shown.append(events["window_shown"])
            ready.append(events["keras_ready"])
            t = time.time()
            subprocess.run([sys.executable, "-c", "import keras"], env=environment, check=True, capture_output=True)
            keras_import.append(time.time() - t)
            lag.append(ready[-1] - keras_import[-1])
            bare.append(timed_events([sys.executable, "-c", BARE_WINDOW], environment)["window_shown"])
    result = {
        "window_shown_s": round(statistics.median(shown), 3),
        "keras_ready_s": round(statistics.median(ready), 3),
        "bare_window_s": round(statistics.median(bare), 3),
        "keras_import_s": round(statistics.median(keras_import), 3),
        "keras_lag_s": round(statistics.median(lag), 3),
        "keras_lag_all_s": [round(x, 3) for x in lag],
        "runs": RUNS,
        "bytecode": "cached (warm-up run first), as after pip install",
        "window_shown_all_s": [round(x, 3) for x in shown],
        "keras_ready_all_s": [round(x, 3) for x in ready],
        "goal_window_s": GOAL_WINDOW_S,
        "goal_keras_s": GOAL_KERAS_S,
        "window_goal_met": statistics.median(shown) <= GOAL_WINDOW_S,
        "keras_goal_met": statistics.median(ready) <= GOAL_KERAS_S,
        "goal_lag_s": GOAL_LAG_S,
        "lag_goal_met": statistics.median(lag) <= GOAL_LAG_S,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
