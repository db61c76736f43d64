"""Training throughput of the script `nnstudio code --train` writes: one process against two local workers.

The lesson's model on synthetic data, at a small and a large batch per replica:
- baseline: one process, `--strategy default` (no distribution);
- two workers: two processes on this machine, `--strategy multi-worker`, TF_CONFIG on free
  localhost ports; every step all-reduces the gradients between them (gRPC collectives).
Samples/s is the median of each run's epochs after the first (which traces the step function);
runs alternate and the best of `--repeats` is kept (the machine is shared). Both workers of a run
report the same global samples/s. Two local workers share this machine's cores, so the ratio
measures what the all-reduce costs per step here, not the speed-up of two real machines.
Last line: JSON with samples/s per batch size and mode, and the ratio two workers / baseline.

    python tests/bench/multiworker.py [--epochs 4] [--repeats 2] [--batches 32 512]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.local_cluster import QUIET_ENV, run_workers  # noqa: E402

SPEED = re.compile(r"^epoch (\d+)/\d+ .*, (\d+) samples/s\)$", re.MULTILINE)
STEPS_PER_EPOCH = 400


def samples_per_second(output: str) -> float:
    speeds = [float(speed) for epoch, speed in SPEED.findall(output) if int(epoch) > 1]
    if not speeds:
        raise RuntimeError(f"no epoch lines in:\n{output[-2000:]}")
    return statistics.median(speeds)


def run_one_process(script: Path, args: list[str], folder: Path) -> float:
    done = subprocess.run(
        [sys.executable, str(script), "--strategy", "default", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **QUIET_ENV},
        cwd=folder,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return samples_per_second(done.stdout)


def run_two_workers(script: Path, args: list[str], folder: Path) -> float:
    results = run_workers(script, ["--strategy", "multi-worker", *args], 2, folder, timeout=600)
    for index, (code, _) in enumerate(results):
        if code != 0:
            raise RuntimeError(f"worker {index} exited {code}: {(folder / f'worker-{index}.err').read_text()[-3000:]}")
    return samples_per_second(results[0][1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 512])
    args = parser.parse_args()

    from nnstudio.core.codegen_train import training_script
    from nnstudio.core.spec import lesson_spec

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        script = folder / "train_lesson.py"
        script.write_text(training_script(lesson_spec(), script.name))
        for batch in args.batches:
            best = {"one_process": 0.0, "two_workers": 0.0}
            for repeat in range(args.repeats):
                # enough samples for STEPS_PER_EPOCH steps of the two workers' global batch
                common = ["--batch-size", str(batch), "--epochs", str(args.epochs), "--validation-split", "0"]
                common += ["--samples", str(STEPS_PER_EPOCH * 2 * batch)]
                order = ["one_process", "two_workers"] if repeat % 2 == 0 else ["two_workers", "one_process"]
                for mode in order:
                    run = folder / f"{mode}-{batch}-{repeat}"
                    run.mkdir()
                    out = ["--checkpoint-dir", str(run / "checkpoints"), "-o", str(run / "trained.keras")]
                    runner = run_one_process if mode == "one_process" else run_two_workers
                    speed = runner(script, common + out, run)
                    best[mode] = max(best[mode], speed)
                    print(f"batch {batch}/replica, {mode}: {speed:,.0f} samples/s", flush=True)
            best["ratio"] = round(best["two_workers"] / best["one_process"], 3)
            results[f"batch_{batch}"] = best
    print(json.dumps({"cores": os.cpu_count(), "epochs": args.epochs, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
