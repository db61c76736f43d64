"""Training throughput through the app's training service against plain `model.fit(verbose=0)`.

Same model (the lesson's), same synthetic data, same batch size and epochs, in one run:
- baseline: in this process, `build_model(spec)` then `model.fit(x, y, verbose=0)`, timed from
  the build to the end of fit;
- service: `TrainingService.start(...)` to its `finished` signal, timed on the GUI thread, with
  progress messages (20/s), every epoch reported and weight snapshots (4/s) flowing back from the
  engine process. The engine is warmed up first (Keras import and one short run are not timed).
Runs alternate (in both orders), and the best of each is compared (the machine is shared). Last line: JSON with
"ratio" = service samples/s / baseline samples/s (goal >= 0.95), and "cpu_ratio", the same
ratio in samples per CPU-second (the GUI process and the engine together against the baseline's
process), which other programs' load on a shared machine does not disturb.

    python tests/bench/train_overhead.py [--samples 4096] [--epochs 5] [--batch-size 32] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from nnstudio.core.csv_data import DataConfig, prepare
    from nnstudio.core.spec import lesson_spec
    from nnstudio.services.engine_session import EngineSession
    from nnstudio.services.training_service import TrainingService

    app = QCoreApplication.instance() or QCoreApplication([])
    spec = lesson_spec()
    config = DataConfig(samples=args.samples, seed=0)
    data = prepare(spec, config, 0.0)
    total = args.samples * args.epochs

    cpu_times: dict[str, list[float]] = {}
    session = EngineSession()
    service = TrainingService(session)
    events = {"progress": 0, "epochs": 0, "weights": 0}
    service.progress.connect(lambda *a: events.__setitem__("progress", events["progress"] + 1))
    service.epochFinished.connect(lambda *a: events.__setitem__("epochs", events["epochs"] + 1))
    service.weightsUpdated.connect(lambda *a: events.__setitem__("weights", events["weights"] + 1))

    def engine_cpu() -> float:
        """CPU seconds (user + system) the engine process has used so far (Linux /proc)."""
        pid = service.engine_pid()
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, TypeError):
            return float("nan")

    def service_run(epochs: int) -> tuple[float, object]:
        loop = QEventLoop()
        outcome = {}
        service.finished.connect(loop.quit)
        service.failed.connect(lambda m: (outcome.__setitem__("error", m), loop.quit()))
        QTimer.singleShot(900_000, loop.quit)
        start = time.perf_counter()
        cpu0 = time.process_time() + engine_cpu()
        service.start(spec, config, epochs=epochs, batch_size=args.batch_size, validation_split=0.0)
        loop.exec()
        elapsed = time.perf_counter() - start
        cpu_times.setdefault("service", []).append(time.process_time() + engine_cpu() - cpu0)
        service.finished.disconnect(loop.quit)
        if "error" in outcome:
            raise SystemExit(f"training failed: {outcome['error']}")
        return elapsed, service.last_result

    def baseline_run() -> tuple[float, float]:
        from nnstudio.keras_io.build import build_model

        start = time.perf_counter()
        cpu0 = time.process_time()
        model = build_model(spec)
        fit_start = time.perf_counter()
        model.fit(data.x, data.y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, shuffle=True)
        end = time.perf_counter()
        cpu_times.setdefault("baseline", []).append(time.process_time() - cpu0)
        return end - start, end - fit_start

    try:
        service_run(1)  # warm-up: engine start and Keras import
        import keras  # noqa: F401  (baseline's import, not timed)

        baseline_run()  # warm-up of this process's TensorFlow
        cpu_times.clear()
        base_times, base_fit, svc_times, svc_fit = [], [], [], []
        for repeat in range(args.repeats):
            for which in ("baseline", "service") if repeat % 2 == 0 else ("service", "baseline"):
                if which == "baseline":
                    wall, fit = baseline_run()
                    base_times.append(wall)
                    base_fit.append(fit)
                else:
                    for key in events:
                        events[key] = 0
                    wall, result = service_run(args.epochs)
                    svc_times.append(wall)
                    svc_fit.append(result.fit_seconds)
    finally:
        session.shutdown()
    app.processEvents()

    baseline = total / min(base_times)
    through_service = total / min(svc_times)
    report = {
        "ratio": round(through_service / baseline, 3),
        "service_samples_per_s": round(through_service, 1),
        "baseline_samples_per_s": round(baseline, 1),
        "fit_only_ratio": round(min(base_fit) / min(svc_fit), 3),
        # CPU seconds (GUI process + engine against this process alone): immune to other
        # programs' load on a shared machine, which makes the wall-clock ratio noisy
        "cpu_ratio": round(min(cpu_times["baseline"]) / min(cpu_times["service"]), 3),
        "service_s": [round(t, 3) for t in svc_times],
        "baseline_s": [round(t, 3) for t in base_times],
        "samples": args.samples,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "last_run_signals": dict(events),
        "goal": 0.95,
    }
    print(
        f"baseline model.fit: {baseline:,.0f} samples/s; through the training service: {through_service:,.0f} samples/s"
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
