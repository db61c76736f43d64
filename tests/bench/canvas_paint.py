"""Benchmark: the canvas's paints with feature maps, kept as an image against drawn afresh each time.

Run: python tests/bench/canvas_paint.py [--keras FILE.keras ...]

Models: a deep convolutional Sequential the size of DenseNet121's drawing (Input 64x64x3, then 80
times Conv2D, BatchNormalization, ReLU, with a MaxPooling2D every 20: 244 feature-map columns) and
VGG16 (tests/bench/vgg16.py), random float32 weights; and any `.keras` file given (read as the window
reads one: no Keras). On a 1400x800 offscreen canvas, the GUI thread's CPU time (time.thread_time,
steady on a shared machine) of:

- paint_ms / paint_afresh_ms: a repaint of the whole canvas at the fitted view and two zoomed-in
  views, median over 15: as the canvas paints a view that stays (the feature maps kept as one
  image), and with every paint drawing them afresh (the same run's baseline: how every paint
  was drawn before);
- zoom_step_ms: median of 12 wheel-like steps (a scale step, its paint and the second paint
  pyqtgraph's view makes after it), from the fitted view inwards;
- zoom_max_gap_ms: canvas_speed.py's zoom bursts (a 10 ms heartbeat's longest gap, wall time).

Prints one JSON line per model, then last {"models": {...}, "fit_paint_ms": ..., "goals_met": ...}
for the deep model: fit_paint_ms <= 8 and zoom_max_gap_ms <= 40.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from canvas_speed import Heartbeat, idle, random_weights, run_until, zoom_bursts  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402
from vgg16 import vgg16_spec  # noqa: E402

from nnstudio.core.spec import ModelSpec  # noqa: E402
from nnstudio.core.summary import analyze  # noqa: E402
from nnstudio.ui.canvas import NetworkCanvas  # noqa: E402

SIZE = (1400, 800)
BUDGET = 10**10
FIT_PAINT_GOAL_MS = 8.0
ZOOM_GAP_GOAL_MS = 40.0


def deep_conv_spec(blocks: int = 80) -> ModelSpec:
    spec = ModelSpec(name="deep_conv")
    spec = spec.inserted(0, spec.new_layer("Input", shape=[64, 64, 3]))
    for b in range(blocks):
        spec = spec.inserted(len(spec.layers), spec.new_layer("Conv2D", filters=32 + 8 * (b % 4), padding="same"))
        spec = spec.inserted(len(spec.layers), spec.new_layer("BatchNormalization"))
        spec = spec.inserted(len(spec.layers), spec.new_layer("ReLU"))
        if b % 20 == 19:
            spec = spec.inserted(len(spec.layers), spec.new_layer("MaxPooling2D"))
    return spec


def keras_model(path: Path) -> tuple[ModelSpec, dict]:
    from nnstudio.core.keras_archive import read_keras_config
    from nnstudio.core.weights_check import read_keras_weights

    spec = read_keras_config(path, param_budget=BUDGET)
    return spec, read_keras_weights(path, spec)


def cpu_ms(fn) -> float:
    start = time.thread_time()
    fn()
    return (time.thread_time() - start) * 1000


def paints(app, canvas: NetworkCanvas, afresh: bool, repeats: int = 15) -> float:
    """Median CPU of a whole repaint of the canvas at its current view."""
    canvas.viewport().repaint()
    app.processEvents()
    times = []
    for _ in range(repeats):
        if afresh:
            canvas.maps._raster, canvas.maps._painted = None, (None, 0)
        times.append(cpu_ms(canvas.viewport().repaint))
    return round(statistics.median(times), 2)


def settle_view(app, canvas: NetworkCanvas) -> None:
    run_until(lambda: idle(canvas) and not canvas._lod_timer.isActive() and canvas.headers_complete())
    app.processEvents()


def measure(app, name: str, spec: ModelSpec, weights: dict) -> dict:
    canvas = NetworkCanvas()
    canvas.resize(*SIZE)
    canvas.show()
    app.processEvents()
    try:
        canvas.set_model(analyze(spec, param_budget=BUDGET), spec)
        canvas.set_weights(weights)
        canvas.fit_view()
        settle_view(app, canvas)
        out: dict = {"model": name, "columns": len(canvas.columns), "blocks": len(canvas.maps._maps or [])}
        centre = canvas.view.viewRect().center()
        for view in ("fit", "zoom1", "zoom2"):
            if view != "fit":
                canvas.view.scaleBy((0.4, 0.4), center=centre)
                settle_view(app, canvas)
            out[f"{view}_paint_ms"] = paints(app, canvas, afresh=False)
            out[f"{view}_paint_afresh_ms"] = paints(app, canvas, afresh=True)
        canvas.fit_view()
        settle_view(app, canvas)
        canvas.viewport().repaint()
        steps = []
        for _ in range(12):

            def step():
                canvas.view.scaleBy((0.8, 0.8), center=centre)
                canvas.viewport().repaint()
                app.processEvents()  # the second paint

            steps.append(cpu_ms(step))
            canvas._lod_timer.stop()
        out["zoom_step_ms"] = round(statistics.median(steps), 1)
        out["zoom_max_gap_ms"] = zoom_bursts(app, canvas, Heartbeat())["zoom_max_gap_ms"]
        return out
    finally:
        canvas.shutdown()
        canvas.close()
        canvas.deleteLater()
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras", nargs="*", type=Path, default=[], help=".keras files to measure too")
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    models = [("deep_conv", deep_conv_spec()), ("vgg16", vgg16_spec())]
    results = {}
    for name, spec in models:
        results[name] = measure(app, name, spec, random_weights(spec))
        print(json.dumps(results[name]), flush=True)
    for path in args.keras:
        spec, weights = keras_model(path)
        results[path.stem] = measure(app, path.stem, spec, weights)
        print(json.dumps(results[path.stem]), flush=True)
    deep = results["deep_conv"]
    summary = {
        "models": results,
        "fit_paint_ms": deep["fit_paint_ms"],
        "fit_paint_afresh_ms": deep["fit_paint_afresh_ms"],
        "zoom_max_gap_ms": deep["zoom_max_gap_ms"],
        "goals_met": deep["fit_paint_ms"] <= FIT_PAINT_GOAL_MS and deep["zoom_max_gap_ms"] <= ZOOM_GAP_GOAL_MS,
    }
    print(json.dumps(summary))
    QtCore.QTimer.singleShot(0, app.quit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
