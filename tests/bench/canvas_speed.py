"""Benchmark: the network canvas's frame and first-draw times against a naive drawing.

Run: python tests/bench/canvas_speed.py [--quick]

For the lesson (20-64-10), a 784-512-256-10 MLP (535,040 weights) and an 8-layer 4096-wide MLP
(Input 4096 + 7 x Dense 4096: 117,440,512 weights, random float32, generated once) it measures at
1600x1000 offscreen:

- first_draw_ms: set_weights() with the arrays, plus the first full repaint (aggregation, level of
  detail, rasterising the connections);
- frame_ms: median full repaint of the canvas's viewport with the weights shown;
- pan_frame_ms: median repaint right after the view moved (before the debounced level of detail);
- lod_refresh_ms: median level-of-detail update plus repaint after a zoom step (what runs once the
  interaction pauses for 30 ms);
- naive_ms / naive_first_ms: the same full repaint / setData plus repaint of one pyqtgraph
  PlotCurveItem (connect="pairs") holding every weight as its own segment, measured in the same run,
  skipped when its estimated time from the smaller model's rate is above 30 s.

Prints one JSON line per model, then last the line {"model": "784-512-256-10", "frame_ms", "naive_ms", ...}.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from nnstudio.core.spec import ModelSpec, lesson_spec  # noqa: E402
from nnstudio.core.summary import analyze  # noqa: E402
from nnstudio.ui.canvas import NetworkCanvas  # noqa: E402
from nnstudio.ui.canvas import layout as L  # noqa: E402

SIZE = (1600, 1000)
NAIVE_LIMIT_S = 30.0


def mlp_spec(sizes: list[int]) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[sizes[0]]))
    for units in sizes[1:]:
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units, activation="relu"))
    return spec


def random_weights(spec: ModelSpec, seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    summary = analyze(spec, param_budget=10**12)
    out, features = {}, summary.input_shape[-1]
    for row in summary.rows:
        units = row.output_shape[-1]
        limit = np.sqrt(6 / (features + units))
        kernel = rng.standard_normal((features, units), dtype=np.float32)
        kernel *= limit / 1.7
        out[row.name] = [kernel, rng.normal(0, 0.05, units).astype(np.float32)]
        features = units
    return out


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def median_ms(fn, repeats: int) -> float:
    return statistics.median(timed(fn) for _ in range(repeats))


def measure_canvas(app, spec, weights, repeats: int) -> dict:
    canvas = NetworkCanvas()
    canvas.resize(*SIZE)
    canvas.show()
    app.processEvents()
    summary = analyze(spec, param_budget=10**12)
    canvas.set_model(summary, spec)
    canvas.viewport().repaint()
    app.processEvents()

    def first():
        canvas.set_weights(weights)
        canvas.viewport().repaint()

    result = {"first_draw_ms": round(timed(first), 1)}
    app.processEvents()
    result["frame_ms"] = round(median_ms(canvas.viewport().repaint, repeats), 2)

    def pan():
        canvas.view.translateBy(x=0.002)
        canvas.viewport().repaint()

    result["pan_frame_ms"] = round(median_ms(pan, repeats), 2)

    def zoom_refresh():
        canvas.view.scaleBy((0.97, 0.97))
        canvas.refresh_lod()
        canvas.viewport().repaint()

    result["lod_refresh_ms"] = round(median_ms(zoom_refresh, max(3, repeats // 2)), 1)
    canvas.fit_view()
    canvas.viewport().repaint()
    result["segments_drawn"] = canvas.edges.segment_count()
    result["groups_drawn"] = int(sum(len(c.starts) for c in canvas.lod.columns.values()))
    result["neurons"] = int(sum(c.n for c in canvas.columns))
    canvas.close()
    canvas.deleteLater()
    app.processEvents()
    return result


def naive_segments(spec) -> tuple[np.ndarray, np.ndarray, int]:
    """Every weight as its own segment between the canvas's neuron positions."""
    columns, links = L.build_columns(analyze(spec, param_budget=10**12), spec)
    xs, ys = [], []
    for link in links:
        a, b = columns[link.src], columns[link.dst]
        ya = a.y_of(np.arange(a.n))
        yb = b.y_of(np.arange(b.n))
        x = np.empty(2 * a.n * b.n)
        x[0::2], x[1::2] = a.x, b.x
        y = np.empty(2 * a.n * b.n)
        y[0::2] = np.repeat(ya, b.n)
        y[1::2] = np.tile(yb, a.n)
        xs.append(x)
        ys.append(y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    return x, y, len(x) // 2


def measure_naive(app, spec, repeats: int) -> dict:
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.resize(*SIZE)
    view = widget.addViewBox()
    widget.show()
    app.processEvents()
    x, y, count = naive_segments(spec)
    curve = pg.PlotCurveItem(pen=pg.mkPen("#1f6fb4", width=1))
    view.addItem(curve)
    view.setRange(xRange=(x.min() - 0.3, x.max() + 0.3), yRange=(y.min() * 1.15, y.max() * 1.15), padding=0)

    def first():
        curve.setData(x=x, y=y, connect="pairs")
        widget.viewport().repaint()

    result = {"naive_first_ms": round(timed(first), 1), "naive_segments": count}
    result["naive_ms"] = round(median_ms(widget.viewport().repaint, repeats), 1)
    widget.close()
    widget.deleteLater()
    app.processEvents()
    return result


def main() -> int:
    quick = "--quick" in sys.argv
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    models = [
        ("lesson", lesson_spec()),
        ("784-512-256-10", mlp_spec([784, 512, 256, 10])),
        ("4096x8", mlp_spec([4096] * 8)),
    ]
    if quick:
        models = [m for m in models if m[0] != "4096x8"]
    rate_ms_per_segment = None
    lines = {}
    for name, spec in models:
        weights = random_weights(spec)
        n_weights = int(sum(w[0].size for w in weights.values()))
        row = {"model": name, "weights": n_weights}
        row.update(measure_canvas(app, spec, weights, repeats=9))
        del weights
        gc.collect()
        segments = n_weights
        estimate_s = None if rate_ms_per_segment is None else rate_ms_per_segment * segments / 1000
        if estimate_s is not None and estimate_s > NAIVE_LIMIT_S or segments > 20_000_000:
            row["naive_ms"] = None
            row["naive_skipped"] = (
                f"estimated {estimate_s:.0f} s a frame for {segments:,} segments (> {NAIVE_LIMIT_S:.0f} s)"
                if estimate_s is not None
                else f"{segments:,} segments would need {segments * 32 / 2**30:.1f} GiB of float64 coordinates"
            )
        else:
            row.update(measure_naive(app, spec, repeats=3))
            if segments > 100_000:
                rate_ms_per_segment = row["naive_ms"] / segments
        if row.get("naive_ms"):
            row["speedup"] = round(row["naive_ms"] / max(row["frame_ms"], 1e-3), 1)
        row["load_average"] = round(os.getloadavg()[0], 2)
        row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        lines[name] = row
        print(json.dumps(row), flush=True)
    final = dict(lines["784-512-256-10"])
    print(
        json.dumps(
            {
                "model": "784-512-256-10",
                "frame_ms": final["frame_ms"],
                "naive_ms": final.get("naive_ms"),
                "first_draw_ms": final["first_draw_ms"],
                "lod_refresh_ms": final["lod_refresh_ms"],
                "worst_frame_ms": max(r["frame_ms"] for r in lines.values()),
                "worst_first_draw_ms": max(r["first_draw_ms"] for r in lines.values()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
