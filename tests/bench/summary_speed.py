"""Benchmark: `nnstudio summary` on the lesson vs a plain Keras script printing the same summary.

Both are timed as whole processes (start-up included), alternating runs in one go so that the
machine's load hits both alike. The Keras script is the one `nnstudio code` writes for the lesson.
Prints one line per run, then one JSON object as the last line:
{"nnstudio_s": median seconds, "keras_s": median seconds, "ratio": keras_s / nnstudio_s}.
Goal: ratio >= 20.

    python tests/bench/summary_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
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
GOAL = 20.0


def nnstudio_command() -> list[str]:
    """The installed `nnstudio` entry point next to this Python (no shell shims), else `python -m nnstudio`."""
    script = Path(sys.executable).with_name("nnstudio")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nnstudio"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return time.perf_counter() - start, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from nnstudio.core.codegen import python_script
    from nnstudio.core.project import load_project

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "80"}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "lesson_summary.py"
        script.write_text(python_script(load_project(LESSON)[0]), encoding="utf-8")
        ours_cmd = [*nnstudio_command(), "summary", str(LESSON)]
        keras_cmd = [sys.executable, str(script)]
        ours, theirs = [], []
        for run in range(args.runs):
            t_ours, out_ours = timed(ours_cmd, env)
            t_keras, out_keras = timed(keras_cmd, env)
            if out_ours != out_keras:
                print("the two summaries differ:\n" + out_ours + "\n" + out_keras, file=sys.stderr)
                return 1
            ours.append(t_ours)
            theirs.append(t_keras)
            print(f"run {run + 1}: nnstudio {t_ours:.3f} s, keras {t_keras:.3f} s", flush=True)
    nnstudio_s, keras_s = statistics.median(ours), statistics.median(theirs)
    ratio = keras_s / nnstudio_s
    print(f"goal ratio >= {GOAL:g}: {'met' if ratio >= GOAL else 'NOT met'}")
    print(json.dumps({"nnstudio_s": round(nnstudio_s, 4), "keras_s": round(keras_s, 4), "ratio": round(ratio, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
