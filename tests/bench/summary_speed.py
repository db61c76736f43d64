"""Benchmark: `nnstudio summary` vs a plain Keras script printing the same summary, on the lesson
and on a VGG16-sized CNN.

Both are timed as whole processes (start-up included), alternating runs in one go so that the
machine's load hits both alike. The Keras script is the one `nnstudio code` writes for the model.
The CNN is VGG16's layer structure (tests/bench/vgg16.py: 13 Conv2D 3x3 in five blocks with
MaxPooling2D, Flatten, Dense 4096, 4096, 1000) at 112x112x3 inputs: 54,471,464 parameters. At
224x224 it has 138,357,544, over nnstudio's default parameter budget of 100 million, which
`nnstudio summary` refuses; the layers, shapes and the work of the summary are the same (Keras's
side only gets slower with the bigger Dense kernels it allocates).
Prints one line per run, then one JSON object as the last line:
{"nnstudio_s", "keras_s", "ratio" (the lesson), "vgg16_nnstudio_s", "vgg16_keras_s", "vgg16_ratio",
"goal_met"}. Goal: both ratios >= 20.

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
VGG16_SIZE = 112


def nnstudio_command() -> list[str]:
    """The installed `nnstudio` entry point next to this Python (no shell shims), else `python -m nnstudio`."""
    script = Path(sys.executable).with_name("nnstudio")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nnstudio"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return time.perf_counter() - start, result.stdout


def compare(label: str, project: Path, folder: Path, runs: int, env: dict[str, str]) -> tuple[float, float] | None:
    """Median seconds of `nnstudio summary project` and of the Keras script for it (None: they differ)."""
    from nnstudio.core.codegen import python_script
    from nnstudio.core.project import load_project

    script = folder / f"{project.stem}_summary.py"
    script.write_text(python_script(load_project(project)[0]), encoding="utf-8")
    ours_cmd = [*nnstudio_command(), "summary", str(project)]
    keras_cmd = [sys.executable, str(script)]
    ours, theirs = [], []
    for run in range(runs):
        t_ours, out_ours = timed(ours_cmd, env)
        t_keras, out_keras = timed(keras_cmd, env)
        if out_ours != out_keras:
            print(f"{label}: the two summaries differ:\n" + out_ours + "\n" + out_keras, file=sys.stderr)
            return None
        ours.append(t_ours)
        theirs.append(t_keras)
        print(f"{label} run {run + 1}: nnstudio {t_ours:.3f} s, keras {t_keras:.3f} s", flush=True)
    return statistics.median(ours), statistics.median(theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from vgg16 import vgg16_spec

    from nnstudio.core.project import save_project

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "80"}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        vgg16 = folder / "vgg16.nnstudio"
        save_project(vgg16, vgg16_spec(VGG16_SIZE))
        lesson = compare("lesson", LESSON, folder, args.runs, env)
        cnn = compare("vgg16", vgg16, folder, args.runs, env)
    if lesson is None or cnn is None:
        return 1
    ratio, cnn_ratio = lesson[1] / lesson[0], cnn[1] / cnn[0]
    met = ratio >= GOAL and cnn_ratio >= GOAL
    print(f"goal ratio >= {GOAL:g} on both: {'met' if met else 'NOT met'}")
    print(
        json.dumps(
            {
                "nnstudio_s": round(lesson[0], 4),
                "keras_s": round(lesson[1], 4),
                "ratio": round(ratio, 1),
                "vgg16_nnstudio_s": round(cnn[0], 4),
                "vgg16_keras_s": round(cnn[1], 4),
                "vgg16_ratio": round(cnn_ratio, 1),
                "vgg16_input": [VGG16_SIZE, VGG16_SIZE, 3],
                "goal_met": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
